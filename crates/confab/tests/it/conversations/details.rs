//! A conversation's details: found or not, and the order in which the caller, the company
//! and the conversation are checked.

use reqwest::Method;
use serde_json::json;

use crate::harness::*;

#[tokio::test]
async fn details_and_not_found() {
    let srv = TestServer::start().await;
    let (company, channel, id) = srv.fixture().await;
    let (s, b) = srv.get(&item_path(company, id)).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b.as_object().map(|o| o.len()), Some(2));
    let c = &b["data"]["conversation"];
    assert_conversation_shape(c);
    assert_eq!(c["external_id"], id);
    assert_eq!(c["channel_id"], channel);
    assert_eq!(c["sender_external_id"], "79250000001");
    let (_, list) = srv.get(&list_path(company)).await;
    assert_eq!(list["data"]["conversations"][0], *c);

    // Another company of the same user: ids do not cross over.
    let other = srv.company("Other").await;
    srv.channel(other, "whatsapp").await;
    let other_id = srv.conversation(other, "79250000002").await;
    let not_found = json!({"status": "error", "message": "conversation not found"});
    let (s, b) = srv.get(&item_path(company, other_id)).await;
    assert_eq!((s, &b), (404, &not_found));
    let (s, b) = srv.get(&item_path(other, id)).await;
    assert_eq!((s, &b), (404, &not_found));
    let (s, b) = srv.get(&item_path(other, other_id)).await;
    assert_eq!(
        (s, &b["data"]["conversation"]["external_id"]),
        (200, &json!(other_id))
    );

    for bad in ["999", "0", "-1", "abc", "1.5", "1a", "99999999999999999999"] {
        let (s, b) = srv
            .get(&format!("/p1/companies/{company}/conversations/{bad}"))
            .await;
        assert_eq!((s, &b), (404, &not_found), "{bad}");
    }
    let company_not_found = json!({"status": "error", "message": "company not found"});
    for bad in ["999", "abc", "0"] {
        let (s, b) = srv
            .get(&format!("/p1/companies/{bad}/conversations/{id}"))
            .await;
        assert_eq!((s, &b), (404, &company_not_found), "{bad}");
    }
    // A company of another user looks like no company at all.
    let (_, token) = srv.new_user("mallory").await;
    let (s, b) = call(srv.req_as(&token, Method::GET, &item_path(company, id))).await;
    assert_eq!((s, &b), (404, &company_not_found));
}

/// Details answer who-may-see-what in the same order whichever way the request comes:
/// the caller (401), then the company (404), then the conversation (404).
#[tokio::test]
async fn details_check_caller_then_company_then_conversation() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let (_, stranger) = srv.new_user("Stranger").await;
    let other_company = {
        let (status, body) = call(
            srv.req_as(&stranger, Method::POST, "/p1/companies")
                .form(&[("name", "Elsewhere")]),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        body["data"]["external_id"].as_i64().expect("id")
    };
    let path = |c: i64, v: &str| format!("/p1/companies/{c}/conversations/{v}");
    let own = conversation.to_string();

    let (status, body) = srv.get(&path(company, &own)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["conversation"]["external_id"],
        json!(conversation)
    );
    let by_query = format!("{}?private_api_token={}", path(company, &own), srv.token);
    let (status, _) = call(srv.http.get(srv.url(&by_query))).await;
    assert_eq!(status, 200);

    let cases = [
        // (token, company, conversation id, status, what the 404 names)
        (Some("cfb_wrong"), company, own.clone(), 401, ""),
        (None, company, own.clone(), 401, ""),
        (Some("cfb_wrong"), other_company, "abc".to_owned(), 401, ""),
        (
            Some(srv.token.as_str()),
            other_company,
            own.clone(),
            404,
            "company",
        ),
        (
            Some(srv.token.as_str()),
            other_company,
            "abc".to_owned(),
            404,
            "company",
        ),
        (
            Some(stranger.as_str()),
            company,
            own.clone(),
            404,
            "company",
        ),
        (
            Some(srv.token.as_str()),
            company,
            "999".to_owned(),
            404,
            "conversation",
        ),
        (
            Some(srv.token.as_str()),
            company,
            "abc".to_owned(),
            404,
            "conversation",
        ),
        (
            Some(srv.token.as_str()),
            company,
            "0".to_owned(),
            404,
            "conversation",
        ),
    ];
    for (token, c, v, want, what) in cases {
        let mut request = srv.http.get(srv.url(&path(c, &v)));
        if let Some(token) = token {
            request = request.header("X-Private-Api-Token", token);
        }
        let (status, body) = call(request).await;
        assert_eq!(status, want, "{c}/{v} with {token:?}: {body}");
        assert!(body.to_string().contains(what), "{c}/{v}: {body}");
    }
}
