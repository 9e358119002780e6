//! `POST /p1/companies/CID/service_messages`: both spellings of the texts, the Python
//! SDK's trailing-slash JSON and a PHP-style form, stored in the phone's conversation and
//! delivered through the channel like a message.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::*;

fn path(company: i64) -> String {
    format!("/p1/companies/{company}/service_messages")
}

/// The Python SDK's `service_messages.send_message` on the wire.
async fn python(srv: &TestServer, company: i64, body: Value) -> (u16, Value) {
    call(
        srv.req(Method::POST, &format!("{}/", path(company)))
            .header("Accept", "application/json")
            .header("Content-Type", "application/json")
            .body(body.to_string()),
    )
    .await
}

#[tokio::test]
async fn a_service_message_is_stored_and_delivered_like_a_message() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    let channel = srv.channel(company, "whatsapp").await;

    let (s, b) = python(
        &srv,
        company,
        json!({"phone": "79250000001", "short_text": "hi", "long_text": "hello there"}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "ok");
    assert_eq!(b["data"]["company_id"], company);
    let id = b["data"]["id"].as_i64().expect("id");
    let conversation = b["data"]["conversation_id"].as_i64().expect("conversation");
    assert_eq!(b["data"]["channel_id"], channel);
    let job = srv.wait_job(company, channel, id).await;
    assert_eq!(job["state"], "delivered", "{job}");
    let messages = srv.all_messages(company, conversation).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0]["message"], "hello there",
        "the long text is sent"
    );
    assert_eq!(messages[0]["income"], false);
    let details = srv.conversation_details(company, conversation).await;
    assert_eq!(details["sender_external_id"], "79250000001");

    // The removed table's spelling, as a PHP-style form: the same conversation.
    let (s, b) = srv
        .form(
            Method::POST,
            &path(company),
            &[("phone", "+79250000001"), ("short_message", "short only")],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["data"]["conversation_id"], conversation);
    let (s, b) = srv
        .form(
            Method::POST,
            &path(company),
            &[("phone", "79250000001"), ("long_message", "long spelled")],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    srv.wait_job(company, channel, b["data"]["id"].as_i64().expect("id"))
        .await;
    let texts: Vec<Value> = srv
        .all_messages(company, conversation)
        .await
        .into_iter()
        .map(|m| m["message"].clone())
        .collect();
    assert_eq!(
        texts,
        [
            json!("hello there"),
            json!("short only"),
            json!("long spelled")
        ]
    );
}

#[tokio::test]
async fn the_channel_is_chosen_by_id_provider_or_whatsapp() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    // Without a whatsapp channel, one must be named.
    let viber = srv.channel(company, "viber").await;
    let (s, b) = python(
        &srv,
        company,
        json!({"phone": "79250000001", "short_text": "hi"}),
    )
    .await;
    assert_param_error(s, &b, 400, "channel_id");
    let (s, b) = python(
        &srv,
        company,
        json!({"phone": "79250000001", "short_text": "hi", "provider": "viber"}),
    )
    .await;
    assert_eq!((s, &b["data"]["channel_id"]), (200, &json!(viber)), "{b}");
    let (s, b) = python(
        &srv,
        company,
        json!({"phone": "79250000001", "short_text": "hi", "channel_id": viber}),
    )
    .await;
    assert_eq!((s, &b["data"]["channel_id"]), (200, &json!(viber)), "{b}");
    let (s, b) = python(
        &srv,
        company,
        json!({"phone": "79250000001", "short_text": "hi", "provider": "facebook"}),
    )
    .await;
    assert_param_error(s, &b, 400, "provider");
    // Another company's channel is not this company's.
    let other = srv.company("Other").await;
    let theirs = srv.channel(other, "whatsapp").await;
    let (s, b) = python(
        &srv,
        company,
        json!({"phone": "79250000001", "short_text": "hi", "channel_id": theirs}),
    )
    .await;
    assert_param_error(s, &b, 400, "channel_id");
    let (s, b) = srv
        .get(&format!("/p1/companies/{other}/conversations"))
        .await;
    assert_eq!(
        (s, ids(&b)),
        (200, Vec::<i64>::new()),
        "nothing reached the other company"
    );
}

#[tokio::test]
async fn bad_service_messages_name_their_parameter() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    srv.channel(company, "whatsapp").await;
    for (body, param) in [
        (json!({"short_text": "hi"}), "phone"),
        (json!({"phone": "12", "short_text": "hi"}), "phone"),
        (json!({"phone": "79250000001"}), "long_text"),
        (
            json!({"phone": "79250000001", "short_text": "  "}),
            "long_text",
        ),
        (
            json!({"phone": "79250000001", "long_text": "x".repeat(70_000)}),
            "long_text",
        ),
        (
            json!({"phone": "79250000001", "short_text": "hi", "channel_id": "x"}),
            "channel_id",
        ),
    ] {
        let (s, b) = python(&srv, company, body).await;
        assert_param_error(s, &b, 400, param);
    }
    let (s, b) = srv
        .get(&format!("/p1/companies/{company}/conversations"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(ids(&b), Vec::<i64>::new(), "nothing was stored");
}
