//! Writing first through a channel: `POST /p1/companies/CID/channels/ID/conversations`.

use reqwest::Method;
use serde_json::json;

use crate::harness::*;

#[tokio::test]
async fn whatsapp_write_first_in_both_sdk_forms() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    let channel = srv.channel(company, "whatsapp").await;

    // PHP: form to .../conversations with `message`.
    let (s, b) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/channels/{channel}/conversations"),
            &[("phone", "+79250000001"), ("message", "Hello")],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let job = &b["data"];
    assert_eq!(
        (&job["state"], &job["message_id"], &job["details"]),
        (&json!("trying_deliver"), &json!(null), &json!(null))
    );
    assert_eq!(job["channel"], json!({"id": channel, "type": "whatsapp"}));
    assert_eq!(job["company_id"], company);
    // The conversation exists at once, so `conversation_id` is an integer (Python needs it).
    let conversation = job["conversation_id"].as_i64().expect("conversation_id");
    let (_, c) = srv
        .get(&format!(
            "/p1/companies/{company}/conversations/{conversation}"
        ))
        .await;
    assert_eq!(
        c["data"]["conversation"]["sender_external_id"],
        "79250000001"
    );
    let done = srv
        .wait_job(company, channel, job["id"].as_i64().expect("id"))
        .await;
    assert_eq!(done["state"], "delivered");

    // Python: JSON to .../channels/ID (no suffix), and the curl example's `text`.
    let (s, b) = srv
        .json(
            Method::POST,
            &format!("/p1/companies/{company}/channels/{channel}"),
            json!({"phone": "79250000001", "text": "Again"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b["data"]["conversation_id"], conversation,
        "the same contact, the same conversation"
    );
    let (_, m) = srv
        .get(&format!(
            "/p1/companies/{company}/conversations/{conversation}/messages"
        ))
        .await;
    let texts: Vec<&str> = m["data"]["messages"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|m| m["message"].as_str())
        .collect();
    assert_eq!(texts, ["Hello", "Again"]);

    // The path still answers PUT and DELETE as the channel resource.
    let (s, _) = srv
        .form(
            Method::PUT,
            &format!("/p1/companies/{company}/channels/{channel}"),
            &[("token", "t")],
        )
        .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn write_first_validation() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    let whatsapp = srv.channel(company, "whatsapp").await;
    let business = srv.channel(company, "whatsapp_business").await;
    let telegram = srv.channel(company, "telegram").await;
    let path = |ch: i64| format!("/p1/companies/{company}/channels/{ch}/conversations");
    let (s, b) = srv
        .form(Method::POST, &path(whatsapp), &[("message", "Hi")])
        .await;
    assert_param_error(s, &b, 400, "phone");
    let (s, b) = srv
        .form(
            Method::POST,
            &path(whatsapp),
            &[("phone", "7925 000"), ("message", "Hi")],
        )
        .await;
    assert_param_error(s, &b, 400, "phone");
    let (s, b) = srv
        .form(Method::POST, &path(whatsapp), &[("phone", "79250000001")])
        .await;
    assert_param_error(s, &b, 400, "text");
    let (s, b) = srv
        .form(
            Method::POST,
            &path(whatsapp),
            &[("phone", "79250000001"), ("message", " ")],
        )
        .await;
    assert_param_error(s, &b, 400, "message");
    let (s, b) = srv
        .form(
            Method::POST,
            &path(business),
            &[
                ("phone", "79250000001"),
                ("template[id]", "welcome"),
                ("template[language_code]", "ru"),
            ],
        )
        .await;
    assert_param_error(s, &b, 400, "template[id]");
    let (s, b) = srv
        .form(
            Method::POST,
            &path(telegram),
            &[("phone", "79250000001"), ("message", "Hi")],
        )
        .await;
    assert_eq!((s, &b["status"]), (400, &json!("error")), "{b}");
    let (s, _) = srv
        .form(
            Method::POST,
            &path(999),
            &[("phone", "79250000001"), ("message", "Hi")],
        )
        .await;
    assert_eq!(s, 404);
    let (_, list) = srv
        .get(&format!("/p1/companies/{company}/conversations"))
        .await;
    assert_eq!(
        list["data"]["conversations"],
        json!([]),
        "nothing stored by refused requests"
    );
}
