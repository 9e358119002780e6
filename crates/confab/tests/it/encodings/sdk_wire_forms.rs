//! What the Python and PHP SDKs really send, and every endpoint on the paths the SDKs use.

use reqwest::Method;
use serde_json::json;

use super::chunked;
use crate::harness::*;

#[tokio::test]
async fn python_sdk_wire_forms() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    srv.channel(company, "whatsapp").await;
    // Every Python request carries these headers, JSON label included.
    let py = |method: Method, path: &str| {
        srv.req(method, path)
            .header("Accept", "application/json")
            .header("Content-Type", "application/json")
    };

    // create_conversation: JSON without text (the SDK cannot send one) is refused by the
    // seed's rule; with text it works, on the trailing-slash path.
    let create = format!("/p1/companies/{company}/conversations/");
    let (s, b) =
        call(py(Method::POST, &create).body(r#"{"provider": "whatsapp", "phone": "79250000001"}"#))
            .await;
    assert_param_error(s, &b, 400, "text");
    let mut ids3 = Vec::new();
    for phone in ["79250000001", "79250000002", "79250000003"] {
        let body = json!({"provider": "whatsapp", "phone": phone, "text": "Hi"});
        let (s, b) = call(py(Method::POST, &create).body(body.to_string())).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["data"]["conversation"]["sender_external_id"], phone);
        ids3.push(
            b["data"]["conversation"]["external_id"]
                .as_i64()
                .expect("id"),
        );
    }

    // get_conversations: GET with an empty body labelled JSON, trailing slash, `from_`.
    let list = format!("/p1/companies/{company}/conversations/");
    let (s, b) = call(py(
        Method::GET,
        &format!("{list}?per=1&sort_direction=desc"),
    ))
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(ids(&b), vec![ids3[2]]);
    let token = b["data"]["next_page"].as_str().expect("token").to_owned();
    let (s, b) = call(py(
        Method::GET,
        &format!("{list}?from_={token}&per=1&sort_direction=desc"),
    ))
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(ids(&b), vec![ids3[1]]);
    let (s, b) = call(py(
        Method::GET,
        &format!("{list}?from_={token}&sort_direction=desc"),
    ))
    .await;
    assert_eq!(ids(&b), vec![ids3[1], ids3[0]], "{s}");
    let (s, b) = call(py(Method::GET, &format!("{list}?per=0"))).await;
    assert_param_error(s, &b, 400, "per");

    // get_detail, with and without a trailing slash.
    let id = ids3[0];
    for path in [
        item_path(company, id),
        format!("{}/", item_path(company, id)),
    ] {
        let (s, b) = call(py(Method::GET, &path)).await;
        assert_eq!(
            (s, &b["data"]["conversation"]["external_id"]),
            (200, &json!(id))
        );
    }

    // update_assignee: `assignee_id=N` labelled JSON.
    let (s, b) = call(
        py(Method::PUT, &format!("{}/assign", item_path(company, id)))
            .body(format!("assignee_id={}", srv.user_id)),
    )
    .await;
    assert_eq!(
        (s, b),
        (
            200,
            json!({"status": "ok", "data": {"conversation": {"external_id": id}}})
        )
    );
    assert_eq!(
        srv.conversation_details(company, id).await["assignee_id"],
        srv.user_id
    );
    // update_channel-style form labelled JSON, on the note; and an empty JSON-labelled PUT
    // on the toggle flips the flag.
    let (s, _) =
        call(py(Method::PUT, &format!("{}/note", item_path(company, id))).body("note=py+form&x=1"))
            .await;
    assert_eq!(s, 200);
    let (s, b) = call(py(
        Method::PUT,
        &format!("{}/toggle_bitrix_block_openlines", item_path(company, id)),
    ))
    .await;
    assert_eq!(s, 200, "{b}");
    let c = srv.conversation_details(company, id).await;
    assert_eq!(
        (&c["note"], &c["bitrix_block_openlines"]),
        (&json!("py form"), &json!(true))
    );
}

#[tokio::test]
async fn php_sdk_wire_forms() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    let channel = srv.channel(company, "whatsapp").await;
    // PHP: form bodies with no Content-Type header at all, `//` after /p1, Accept */*.
    let php = |method: Method, path: &str, body: String| {
        srv.req(method, &format!("/p1/{path}"))
            .header("Accept", "*/*")
            .body(body)
    };

    // createConversation with extra keys the caller put in the map, brackets included.
    let (s, b) = call(php(
        Method::POST,
        &format!("/companies/{company}/conversations"),
        "provider=whatsapp&phone=88005553535&text=Hi+there&send_to_crm=0\
         &attachments_ids[]=1&attachments_ids%5B%5D=2&template[id]=x\
         &template[parameters][]=a"
            .to_owned(),
    ))
    .await;
    assert_eq!(s, 200, "{b}");
    let c = &b["data"]["conversation"];
    assert_eq!(
        (&c["sender_external_id"], &c["channel_id"]),
        (&json!("88005553535"), &json!(channel))
    );
    let id = c["external_id"].as_i64().expect("id");
    let messages = srv.stored_messages(company, id).await;
    let seen: Vec<_> = messages
        .iter()
        .map(|m| (m.body.as_str(), m.send_to_crm))
        .collect();
    assert_eq!(seen, [("Hi there", false)]);
    let (s, b) = call(php(
        Method::POST,
        &format!("/companies/{company}/conversations"),
        "provider=whatsapp&phone=%2B79250000002&text=Second&send_to_crm=1".to_owned(),
    ))
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b["data"]["conversation"]["sender_external_id"],
        "79250000002"
    );
    let second = b["data"]["conversation"]["external_id"]
        .as_i64()
        .expect("id");

    // getConversations with from/per/sort_direction, and the `sort` alias of getMessages.
    let list = format!("/companies/{company}/conversations");
    let (s, b) = call(php(
        Method::GET,
        &format!("{list}?from=&per=1&sort_direction=desc"),
        String::new(),
    ))
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(ids(&b), vec![second]);
    let token = b["data"]["next_page"].as_str().expect("token").to_owned();
    let (_, b) = call(php(
        Method::GET,
        &format!("{list}?from={token}&per=1&sort_direction=desc"),
        String::new(),
    ))
    .await;
    assert_eq!(ids(&b), vec![id]);
    let (_, b) = call(php(
        Method::GET,
        &format!("{list}?sort=desc"),
        String::new(),
    ))
    .await;
    assert_eq!(ids(&b), vec![second, id]);

    // getDetails and updateAssignee on `//` paths.
    let (s, b) = call(php(
        Method::GET,
        &format!("/companies/{company}/conversations/{id}"),
        String::new(),
    ))
    .await;
    assert_eq!(
        (s, &b["data"]["conversation"]["external_id"]),
        (200, &json!(id))
    );
    let (s, b) = call(php(
        Method::PUT,
        &format!("/companies/{company}/conversations/{id}/assign"),
        format!("assignee_id={}", srv.user_id),
    ))
    .await;
    assert_eq!(
        (s, b),
        (
            200,
            json!({"status": "ok", "data": {"conversation": {"external_id": id}}})
        )
    );
    // Booleans as 1 / 0.
    for (value, want) in [("1", true), ("0", false)] {
        let (s, _) = call(php(
            Method::PUT,
            &format!("/companies/{company}/conversations/{id}/toggle_bitrix_block_openlines"),
            format!("enabled={value}"),
        ))
        .await;
        assert_eq!(s, 200);
        assert_eq!(
            srv.conversation_details(company, id).await["bitrix_block_openlines"],
            want
        );
    }
    // Large bodies go through curl's upload mode: chunked, unlabelled, Expect: 100-continue.
    let (s, b) = call(
        srv.req(
            Method::PUT,
            &format!("/p1//companies/{company}/conversations/{id}/note"),
        )
        .header("Expect", "100-continue")
        .body(chunked(vec![
            b"note=up".to_vec(),
            b"load+mo".to_vec(),
            b"de&x=".to_vec(),
            vec![b'y'; 200_000],
        ])),
    )
    .await;
    assert_eq!((s, b), (200, json!({"status": "updated"})));
    let c = srv.conversation_details(company, id).await;
    assert_eq!(
        (&c["note"], &c["assignee_id"], &c["bitrix_block_openlines"]),
        (&json!("upload mode"), &json!(srv.user_id), &json!(false))
    );
}

#[tokio::test]
async fn every_endpoint_on_sdk_paths() {
    let srv = TestServer::start().await;
    let (company, _, id) = srv.fixture().await;
    for (n, prefix) in ["/p1/", "/p1//", "//p1//"].into_iter().enumerate() {
        for slash in ["", "/"] {
            let base = format!("{prefix}companies/{company}/conversations");
            let (s, b) = srv.get(&format!("{base}{slash}")).await;
            assert_eq!((s, ids(&b)), (200, vec![id]), "{base}{slash}");
            let (s, b) = srv.get(&format!("{base}/{id}{slash}")).await;
            assert_eq!(s, 200, "{b}");
            let note = format!("{prefix}{slash}{n}");
            let (s, _) = srv
                .form(
                    Method::PUT,
                    &format!("{base}//{id}/note{slash}"),
                    &[("note", &note)],
                )
                .await;
            assert_eq!(s, 200);
            let (s, _) = srv
                .form(
                    Method::PUT,
                    &format!("{base}/{id}/assign{slash}"),
                    &[("assignee_id", &srv.user_id.to_string())],
                )
                .await;
            assert_eq!(s, 200);
            let (s, b) = srv
                .form(
                    Method::PUT,
                    &format!("{base}/{id}/toggle_bitrix_block_openlines{slash}"),
                    &[],
                )
                .await;
            assert_eq!(s, 200);
            let flag = b["data"]["conversation"]["bitrix_block_openlines"].clone();
            let (s, b) = srv
                .form(
                    Method::POST,
                    &format!("{base}{slash}"),
                    &[
                        ("provider", "whatsapp"),
                        ("phone", "79250000001"),
                        ("text", "x"),
                    ],
                )
                .await;
            assert_eq!(
                (s, &b["data"]["conversation"]["external_id"]),
                (200, &json!(id))
            );
            let c = srv.conversation_details(company, id).await;
            assert_eq!(
                (&c["note"], &c["assignee_id"], &c["bitrix_block_openlines"]),
                (&json!(note), &json!(srv.user_id), &flag)
            );
            let (s, _) = srv
                .form(Method::PUT, &format!("{base}/{id}/assign"), &[])
                .await;
            assert_eq!(s, 200);
        }
    }
    // Normalisation does not invent routes.
    let (s, b) = srv
        .get(&format!("/p1/companies/{company}/conversations/{id}/extra"))
        .await;
    assert_client_error(s, &b, 404);
}
