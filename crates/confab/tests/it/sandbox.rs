//! The sandbox connector's inbound endpoint.

use reqwest::Method;
use serde_json::json;

use crate::harness::*;

#[tokio::test]
async fn inbound_creates_then_reuses_the_conversation() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    let channel = srv.channel(company, "whatsapp").await;
    let path = format!("/p1/companies/{company}/channels/{channel}/sandbox/inbound");
    let (s, b) = srv
        .form(
            Method::POST,
            &path,
            &[
                ("sender_external_id", "79990000001"),
                ("name", "Bob"),
                ("message", "Hi"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "ok");
    let conversation = b["data"]["conversation_id"]
        .as_i64()
        .expect("conversation_id");
    let first_message = b["data"]["message_id"].as_i64().expect("message_id");

    let (_, c) = srv
        .get(&format!(
            "/p1/companies/{company}/conversations/{conversation}"
        ))
        .await;
    let c = &c["data"]["conversation"];
    assert_conversation_shape(c);
    assert_eq!(c["name"], "Bob");
    assert_eq!(c["sender_external_id"], "79990000001");
    assert_eq!(c["channel_id"], channel);
    assert_eq!(c["channel_type"], "whatsapp");
    assert!(
        c["last_income_message_at"].as_i64().unwrap_or(0)
            >= c["created_at_timestamp"].as_i64().unwrap_or(i64::MAX)
    );
    assert_eq!(c["last_message_at"], c["last_income_message_at"]);

    // The same contact writes again under a new name: same conversation, name updated.
    let (s, b) = srv
        .json(
            Method::POST,
            &path,
            json!({"sender_external_id": "79990000001", "name": "Robert", "message": "Again"}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["data"]["conversation_id"], conversation);
    assert!(b["data"]["message_id"].as_i64().unwrap_or(0) > first_message);
    let (_, c) = srv
        .get(&format!(
            "/p1/companies/{company}/conversations/{conversation}"
        ))
        .await;
    assert_eq!(c["data"]["conversation"]["name"], "Robert");

    // An outgoing create for that contact finds the same conversation.
    let (_, b) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/conversations"),
            &[
                ("provider", "whatsapp"),
                ("phone", "+79990000001"),
                ("text", "Reply"),
            ],
        )
        .await;
    assert_eq!(b["data"]["conversation"]["external_id"], conversation);
}

#[tokio::test]
async fn inbound_validation() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    let channel = srv.channel(company, "telegram").await;
    let path = format!("/p1/companies/{company}/channels/{channel}/sandbox/inbound");
    let (s, b) = srv.form(Method::POST, &path, &[("message", "Hi")]).await;
    assert_param_error(s, &b, 400, "sender_external_id");
    let (s, b) = srv
        .form(Method::POST, &path, &[("sender_external_id", " ")])
        .await;
    assert_param_error(s, &b, 400, "sender_external_id");
    let long = "x".repeat(256);
    let (s, b) = srv
        .form(
            Method::POST,
            &path,
            &[("sender_external_id", "u1"), ("name", &long)],
        )
        .await;
    assert_param_error(s, &b, 400, "name");
    let (s, _) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/channels/999/sandbox/inbound"),
            &[("sender_external_id", "u1")],
        )
        .await;
    assert_eq!(s, 404);
    let (_, b) = srv
        .get(&format!("/p1/companies/{company}/conversations"))
        .await;
    assert_eq!(b["data"]["conversations"], json!([]));
}

#[tokio::test]
async fn inbound_needs_sandbox_mode() {
    let mut srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    let channel = srv.channel(company, "whatsapp").await;
    srv.shutdown().await;
    let data_dir = srv.data_dir();
    let token = srv.token.clone();
    let plain = TestServer::start_with(|c| {
        c.sandbox = false;
        c.data_dir = data_dir;
    })
    .await;
    let (s, b) = call(
        plain
            .req_as(
                &token,
                Method::POST,
                &format!("/p1/companies/{company}/channels/{channel}/sandbox/inbound"),
            )
            .form(&[("sender_external_id", "u1")]),
    )
    .await;
    assert_eq!(s, 403, "{b}");
    assert!(b["message"].as_str().unwrap_or("").contains("--sandbox"));
}
