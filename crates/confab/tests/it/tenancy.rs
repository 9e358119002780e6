//! Tests: tenancy. One user's ids are never usable by another user: every endpoint answers
//! 404 without a trace of the other tenant's data, and nothing of theirs changes.

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::harness::*;

const ALPHA_NAME: &str = "Alpha Secret Holdings";
const ALPHA_PHONE: &str = "79990001111";
const ALPHA_DESCRIPTION: &str = "alpha private description";
const ALPHA_CONTACT: &str = "79991112233";
const ALPHA_NOTE: &str = "alpha private note";
const ALPHA_FILE: &[u8] = b"alpha private attachment bytes";

/// One tenant's things.
struct Tenant {
    user_id: i64,
    token: String,
    company: i64,
    channel: i64,
    conversation: i64,
    attachment: i64,
}

/// User A (the server's first user): a company with a whatsapp channel, a conversation
/// with a note, an assignee, the bitrix flag set, an incoming message and an attachment.
async fn alpha(srv: &TestServer) -> Tenant {
    let (status, body) = srv
        .form(
            Method::POST,
            "/p1/companies",
            &[
                ("name", ALPHA_NAME),
                ("phone", ALPHA_PHONE),
                ("description", ALPHA_DESCRIPTION),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let company = body["data"]["external_id"].as_i64().expect("company id");
    let channel = srv.channel(company, "whatsapp").await;
    let conversation = srv.conversation(company, ALPHA_CONTACT).await;
    let base = format!("/p1/companies/{company}/conversations/{conversation}");
    let (s, b) = srv
        .form(
            Method::PUT,
            &format!("{base}/note"),
            &[("note", ALPHA_NOTE)],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let assignee = srv.user_id.to_string();
    let (s, b) = srv
        .form(
            Method::PUT,
            &format!("{base}/assign"),
            &[("assignee_id", &assignee)],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = srv
        .form(
            Method::PUT,
            &format!("{base}/toggle_bitrix_block_openlines"),
            &[("enabled", "true")],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/channels/{channel}/sandbox/inbound"),
            &[
                ("sender_external_id", ALPHA_CONTACT),
                ("message", "alpha inbound"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["data"]["conversation_id"], conversation, "{b}");
    let (s, b) = srv
        .upload_as(
            &srv.token,
            company,
            conversation,
            "alpha.txt",
            ALPHA_FILE.to_vec(),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let attachment = b["data"]["external_id"].as_i64().expect("attachment id");
    Tenant {
        user_id: srv.user_id,
        token: srv.token.clone(),
        company,
        channel,
        conversation,
        attachment,
    }
}

/// User B: a second user with a company, channel, conversation and attachment of its own.
async fn bravo(srv: &TestServer) -> Tenant {
    let (user_id, token) = srv.new_user("bob").await;
    let (s, b) = call(
        srv.req_as(&token, Method::POST, "/p1/companies")
            .form(&[("name", "Bravo"), ("phone", "79995550000")]),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let company = b["data"]["external_id"].as_i64().expect("company id");
    let (s, b) = call(
        srv.req_as(
            &token,
            Method::POST,
            &format!("/p1/companies/{company}/channels"),
        )
        .form(&[("provider", "whatsapp")]),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let channel = b["data"]["external_id"].as_i64().expect("channel id");
    let (s, b) = call(
        srv.req_as(
            &token,
            Method::POST,
            &format!("/p1/companies/{company}/conversations"),
        )
        .form(&[
            ("provider", "whatsapp"),
            ("phone", "79995556677"),
            ("text", "Hi"),
        ]),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let conversation = b["data"]["conversation"]["external_id"]
        .as_i64()
        .expect("conversation id");
    let (s, b) = srv
        .upload_as(
            &token,
            company,
            conversation,
            "bravo.txt",
            b"bravo".to_vec(),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let attachment = b["data"]["external_id"].as_i64().expect("attachment id");
    Tenant {
        user_id,
        token,
        company,
        channel,
        conversation,
        attachment,
    }
}

/// Everything of A's, read back over HTTP as A and from the store.
async fn snapshot(srv: &TestServer, a: &Tenant) -> Vec<String> {
    let mut seen = Vec::new();
    for path in [
        "/p1/companies".to_owned(),
        format!("/p1/companies/{}", a.company),
        format!("/p1/companies/{}/channels", a.company),
        format!("/p1/companies/{}/conversations", a.company),
        format!(
            "/p1/companies/{}/conversations/{}",
            a.company, a.conversation
        ),
    ] {
        let (s, b) = call(srv.req_as(&a.token, Method::GET, &path)).await;
        assert_eq!(s, 200, "{path}: {b}");
        seen.push(format!("{path} {b}"));
    }
    let store = srv.store().await;
    let company = store
        .member_company(a.user_id, a.company)
        .await
        .expect("company");
    let channel = store
        .get_channel(a.company, a.channel)
        .await
        .expect("channel");
    let conversation = store
        .get_conversation(a.company, a.conversation)
        .await
        .expect("conversation");
    let messages = srv.stored_messages(a.company, a.conversation).await;
    let attachment = store
        .get_attachment(a.company, a.attachment)
        .await
        .expect("attachment");
    seen.push(format!("{company:?}"));
    seen.push(format!("{channel:?}"));
    seen.push(format!("{conversation:?}"));
    seen.push(format!("{messages:?}"));
    seen.push(format!("{attachment:?}"));
    for key in srv.attachment_blobs(a.company, a.conversation).await {
        let bytes = srv.read_blob(&key).await;
        seen.push(format!("{key} {bytes:?}"));
    }
    seen
}

/// What B tries: a method, a path, and a body that would change A's data if it got through.
enum Body {
    None,
    Form(Vec<(&'static str, String)>),
    Upload,
}

fn attempts(a: &Tenant, b: &Tenant) -> Vec<(Method, String, Body, &'static str)> {
    use Body::{Form as F, None as N, Upload};
    let (ca, cha, cva) = (a.company, a.channel, a.conversation);
    let (cb, cvb) = (b.company, b.conversation);
    let text = |pairs: &[(&'static str, &str)]| {
        F(pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect())
    };
    let inbound = || {
        text(&[
            ("sender_external_id", ALPHA_CONTACT),
            ("message", "from bravo"),
        ])
    };
    let b_id = b.user_id.to_string();
    vec![
        // A's company id.
        (Method::GET, format!("/p1/companies/{ca}"), N, "company"),
        (
            Method::PUT,
            format!("/p1/companies/{ca}"),
            text(&[("name", "Hacked"), ("phone", ""), ("hidden", "true")]),
            "company",
        ),
        (
            Method::GET,
            format!("/p1/companies/{ca}/channels"),
            N,
            "company",
        ),
        (
            Method::POST,
            format!("/p1/companies/{ca}/channels"),
            text(&[("provider", "telegram_personal")]),
            "company",
        ),
        (
            Method::PUT,
            format!("/p1/companies/{ca}/channels/{cha}"),
            text(&[("token", "stolen"), ("phone", "79990000000")]),
            "company",
        ),
        (
            Method::DELETE,
            format!("/p1/companies/{ca}/channels/{cha}"),
            N,
            "company",
        ),
        (
            Method::POST,
            format!("/p1/companies/{ca}/channels/{cha}/sandbox/inbound"),
            inbound(),
            "company",
        ),
        (
            Method::GET,
            format!("/p1/companies/{ca}/conversations"),
            N,
            "company",
        ),
        (
            Method::POST,
            format!("/p1/companies/{ca}/conversations"),
            text(&[
                ("provider", "whatsapp"),
                ("phone", "79990009999"),
                ("text", "x"),
            ]),
            "company",
        ),
        (
            Method::GET,
            format!("/p1/companies/{ca}/conversations/{cva}"),
            N,
            "company",
        ),
        (
            Method::PUT,
            format!("/p1/companies/{ca}/conversations/{cva}/note"),
            text(&[("note", "hacked")]),
            "company",
        ),
        // No assignee_id: would unassign A's conversation if it got through.
        (
            Method::PUT,
            format!("/p1/companies/{ca}/conversations/{cva}/assign"),
            N,
            "company",
        ),
        (
            Method::PUT,
            format!("/p1/companies/{ca}/conversations/{cva}/assign"),
            F(vec![("assignee_id", b_id.clone())]),
            "company",
        ),
        (
            Method::PUT,
            format!("/p1/companies/{ca}/conversations/{cva}/toggle_bitrix_block_openlines"),
            N,
            "company",
        ),
        (
            Method::POST,
            format!("/p1/companies/{ca}/conversations/{cva}/messages/attachments"),
            Upload,
            "company",
        ),
        // A's company with B's own conversation id.
        (
            Method::GET,
            format!("/p1/companies/{ca}/conversations/{cvb}"),
            N,
            "company",
        ),
        // B's own company with A's channel and conversation ids.
        (
            Method::PUT,
            format!("/p1/companies/{cb}/channels/{cha}"),
            text(&[("token", "stolen")]),
            "channel",
        ),
        (
            Method::DELETE,
            format!("/p1/companies/{cb}/channels/{cha}"),
            N,
            "channel",
        ),
        (
            Method::POST,
            format!("/p1/companies/{cb}/channels/{cha}/sandbox/inbound"),
            inbound(),
            "channel",
        ),
        (
            Method::GET,
            format!("/p1/companies/{cb}/conversations/{cva}"),
            N,
            "conversation",
        ),
        (
            Method::PUT,
            format!("/p1/companies/{cb}/conversations/{cva}/note"),
            text(&[("note", "hacked")]),
            "conversation",
        ),
        (
            Method::PUT,
            format!("/p1/companies/{cb}/conversations/{cva}/assign"),
            N,
            "conversation",
        ),
        (
            Method::PUT,
            format!("/p1/companies/{cb}/conversations/{cva}/assign"),
            F(vec![("assignee_id", b_id)]),
            "conversation",
        ),
        (
            Method::PUT,
            format!("/p1/companies/{cb}/conversations/{cva}/toggle_bitrix_block_openlines"),
            text(&[("enabled", "false")]),
            "conversation",
        ),
        (
            Method::POST,
            format!("/p1/companies/{cb}/conversations/{cva}/messages/attachments"),
            Upload,
            "conversation",
        ),
    ]
}

/// Asserts a 404 that says nothing about A: the exact error body, none of A's strings and
/// no digits at all (so no id of A's).
#[track_caller]
fn assert_blind_404(what: &str, status: u16, text: &str, context: &str) {
    assert_eq!(status, 404, "{context}: {text}");
    let body: Value = serde_json::from_str(text).expect("JSON error body");
    assert_eq!(
        body,
        json!({"status": "error", "message": format!("{what} not found")}),
        "{context}"
    );
    for secret in [
        ALPHA_NAME,
        ALPHA_PHONE,
        ALPHA_DESCRIPTION,
        ALPHA_CONTACT,
        ALPHA_NOTE,
        "alpha",
    ] {
        assert!(
            !text.contains(secret),
            "{context}: {secret} leaked in {text}"
        );
    }
    assert!(
        !text.bytes().any(|c| c.is_ascii_digit()),
        "{context}: digits in {text}"
    );
}

#[tokio::test]
async fn another_users_ids_are_not_found_and_nothing_changes() {
    let srv = TestServer::start().await;
    let a = alpha(&srv).await;
    let b = bravo(&srv).await;
    assert_ne!(a.user_id, b.user_id);
    // Deliveries run in the background; wait for A's to settle so only B could change A.
    srv.settle_deliveries(a.company, a.conversation).await;
    let before = snapshot(&srv, &a).await;
    let b_blobs = srv.attachment_blobs(b.company, b.conversation).await;
    assert_eq!(b_blobs.len(), 1);

    for (method, path, body, what) in attempts(&a, &b) {
        let request = srv.req_as(&b.token, method.clone(), &path);
        let request = match body {
            Body::None => request,
            Body::Form(pairs) => request.form(&pairs),
            Body::Upload => {
                let part = Part::bytes(b"from bravo".to_vec()).file_name("x.txt");
                request.multipart(Form::new().part("file", part))
            }
        };
        let response = request.send().await.expect("send");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        assert_blind_404(what, status, &text, &format!("{method} {path}"));
    }

    // The token in the query string is held to the same rule.
    let path = format!("/p1/companies/{}?private_api_token={}", a.company, b.token);
    let response = srv.http.get(srv.url(&path)).send().await.expect("send");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    assert_blind_404("company", status, &text, "query token");

    let after = snapshot(&srv, &a).await;
    assert_eq!(before, after, "A's data changed");
    // Only the two legitimate blobs exist, and no spool file is left behind.
    let mut blobs = srv.attachment_blobs(a.company, a.conversation).await;
    assert_eq!(blobs.len(), 1);
    blobs.extend(b_blobs);
    assert_eq!(srv.blob_keys().await, {
        blobs.sort();
        blobs
    });
    assert_eq!(srv.spool_files(), Vec::<std::path::PathBuf>::new());

    // A's conversation still reads as A set it up.
    let (s, body) = call(srv.req_as(
        &a.token,
        Method::GET,
        &format!(
            "/p1/companies/{}/conversations/{}",
            a.company, a.conversation
        ),
    ))
    .await;
    assert_eq!(s, 200, "{body}");
    let c = &body["data"]["conversation"];
    assert_eq!(c["note"], ALPHA_NOTE);
    assert_eq!(c["assignee_id"], a.user_id);
    assert_eq!(c["bitrix_block_openlines"], true);
    let (s, body) = call(srv.req_as(
        &a.token,
        Method::GET,
        &format!("/p1/companies/{}/channels", a.company),
    ))
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        body["data"]["channels"],
        json!([{"external_id": a.channel, "provider": "whatsapp", "connector": "sandbox", "state": "enabled", "last_inbound_at": null, "last_error": null}])
    );
}

#[tokio::test]
async fn each_user_lists_only_their_own_companies() {
    let srv = TestServer::start().await;
    let a1 = srv.company("Alpha One").await;
    let a2 = srv.company("Alpha Two").await;
    let (_, bob) = srv.new_user("bob").await;
    let (_, carol) = srv.new_user("carol").await;
    let (s, b) = call(
        srv.req_as(&bob, Method::POST, "/p1/companies")
            .form(&[("name", "Bravo")]),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let b1 = b["data"]["external_id"].as_i64().expect("id");

    let (s, body) = srv.get("/p1/companies").await;
    assert_eq!(s, 200);
    let ids: Vec<i64> = body["data"]["companies"]
        .as_array()
        .expect("companies")
        .iter()
        .map(|c| c["external_id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, vec![a1, a2]);

    let (s, body) = call(srv.req_as(&bob, Method::GET, "/p1/companies")).await;
    assert_eq!(s, 200);
    assert_eq!(
        body,
        json!({"status": "ok", "data": {"companies": [
            {"external_id": b1, "name": "Bravo", "phone": null, "description": null, "webhook_url": null}
        ], "next_page": null}})
    );

    // A user without companies sees an empty list, also when paging with a token from
    // another user's listing.
    let (s, body) = call(srv.req_as(&carol, Method::GET, "/p1/companies")).await;
    assert_eq!(
        (s, body),
        (
            200,
            json!({"status": "ok", "data": {"companies": [], "next_page": null}})
        )
    );
    let (_, page) = srv.get("/p1/companies?per=1").await;
    let token = page["data"]["next_page"]
        .as_str()
        .expect("next page")
        .to_owned();
    let (s, body) = call(
        srv.req_as(&carol, Method::GET, "/p1/companies")
            .query(&[("from", token.as_str()), ("per", "1")]),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["data"]["companies"], json!([]), "{body}");
    let (s, body) = call(
        srv.req_as(&bob, Method::GET, "/p1/companies")
            .query(&[("from", token.as_str()), ("per", "1")]),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        body["data"]["companies"].as_array().map(Vec::len),
        Some(1),
        "{body}"
    );
    assert_eq!(body["data"]["companies"][0]["external_id"], b1, "{body}");
}

#[tokio::test]
async fn assignee_must_be_a_member_of_the_company() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let b = bravo(&srv).await;
    let assign = format!("/p1/companies/{company}/conversations/{conversation}/assign");
    let (s, body) = srv
        .form(
            Method::PUT,
            &assign,
            &[("assignee_id", &srv.user_id.to_string())],
        )
        .await;
    assert_eq!(s, 200, "{body}");

    // B is a user, but not a member of A's company.
    let (s, body) = srv
        .form(
            Method::PUT,
            &assign,
            &[("assignee_id", &b.user_id.to_string())],
        )
        .await;
    assert_param_error(s, &body, 400, "assignee_id");
    let (s, body) = srv
        .json(Method::PUT, &assign, json!({"assignee_id": b.user_id}))
        .await;
    assert_param_error(s, &body, 400, "assignee_id");
    let (_, body) = srv
        .get(&format!(
            "/p1/companies/{company}/conversations/{conversation}"
        ))
        .await;
    assert_eq!(
        body["data"]["conversation"]["assignee_id"], srv.user_id,
        "{body}"
    );

    // The same the other way: A is not a member of B's company.
    let path = format!(
        "/p1/companies/{}/conversations/{}/assign",
        b.company, b.conversation
    );
    let (s, body) = call(
        srv.req_as(&b.token, Method::PUT, &path)
            .form(&[("assignee_id", srv.user_id.to_string())]),
    )
    .await;
    assert_param_error(s, &body, 400, "assignee_id");
    let (s, body) = call(
        srv.req_as(&b.token, Method::PUT, &path)
            .form(&[("assignee_id", b.user_id.to_string())]),
    )
    .await;
    assert_eq!(
        (s, body),
        (
            200,
            json!({"status": "ok", "data": {"conversation": {"external_id": b.conversation}}})
        )
    );
}
