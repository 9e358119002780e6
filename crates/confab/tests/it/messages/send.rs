//! Sending a message: text delivered and acked, what a message needs, interactive messages,
//! send_to_crm, and the singular `.../message` path.

use reqwest::Method;
use serde_json::json;

use super::{
    CONTACT, assert_delivered, assert_message, assert_new_job, message_of_job, read_path,
    send_text, settled_fixture,
};
use crate::harness::*;

#[tokio::test]
async fn send_text_delivers_and_acks_move_forward() {
    let srv = TestServer::start().await;
    let (company, channel, conversation) = srv.fixture().await;
    let wa = (channel, "whatsapp");
    let job = send_text(&srv, company, wa, conversation, "How are you?").await;

    // The message is stored at once (ack -1 until sent) and carries its job.
    let m = message_of_job(&srv, company, conversation, job).await;
    let id = m["external_id"].as_i64().expect("id");
    assert_eq!(m["message"], "How are you?");
    assert_eq!(m["income"], false);
    assert!([-1, 1, 2].contains(&m["ack"].as_i64().unwrap_or(9)), "{m}");

    assert_delivered(&srv, company, wa, conversation, job, id).await;
    let m = srv.wait_ack(company, conversation, id, 2).await;
    assert_message(
        &m,
        json!({"external_id": id, "channel_id": channel, "channel_type": "whatsapp",
            "message": "How are you?", "income": false, "attachments": [], "ack": 2,
            "send_to_crm": true, "job_id": job, "external_public_id": format!("sandbox-{id}")}),
    );
    // The Python SDK's URL (trailing slash) reads the same job.
    let (s, b) = srv
        .get(&format!("{}/", job_path(company, channel, job)))
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["data"]["state"], "delivered");
    assert_eq!(b["data"]["message_id"], id);

    // The contact reads it: ack 3, and reading again keeps 3.
    for _ in 0..2 {
        let (s, b) = srv
            .form(
                Method::POST,
                &read_path(company, conversation),
                &[("message_id", &id.to_string())],
            )
            .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["data"]["message"]["external_id"], id);
        assert_eq!(b["data"]["message"]["ack"], 3);
        assert_eq!(srv.message(company, conversation, id).await["ack"], 3);
    }
    // Read refuses incoming messages, unknown ids and ids that are not integers.
    let (_, incoming) = srv.inbound(company, channel, CONTACT, "fine").await;
    for bad in [
        incoming.to_string(),
        "999999".to_owned(),
        "abc".to_owned(),
        "1.5".to_owned(),
    ] {
        let (s, b) = srv
            .form(
                Method::POST,
                &read_path(company, conversation),
                &[("message_id", &bad)],
            )
            .await;
        assert_param_error(s, &b, 400, "message_id");
    }
    let (s, b) = srv
        .form(Method::POST, &read_path(company, conversation), &[])
        .await;
    assert_param_error(s, &b, 400, "message_id");
    assert_eq!(srv.message(company, conversation, incoming).await["ack"], 2);
}

#[tokio::test]
async fn a_message_or_an_attachment_is_required() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = settled_fixture(&srv).await;
    let path = messages_path(company, conversation);
    let before = srv.all_messages(company, conversation).await;
    let (s, b) = srv.form(Method::POST, &path, &[]).await;
    assert_param_error(s, &b, 400, "message");
    let (s, b) = srv.form(Method::POST, &path, &[("message", "   ")]).await;
    assert_param_error(s, &b, 400, "message");
    let (s, b) = srv
        .form(
            Method::POST,
            &path,
            &[("message", ""), ("attachments_ids[]", "")],
        )
        .await;
    assert_param_error(s, &b, 400, "message");
    let (s, b) = srv
        .json(Method::POST, &path, json!({"attachments_ids": []}))
        .await;
    assert_param_error(s, &b, 400, "message");
    let (s, b) = srv
        .json(
            Method::POST,
            &path,
            json!({"message": null, "send_to_crm": false}),
        )
        .await;
    assert_param_error(s, &b, 400, "message");
    assert_eq!(srv.all_messages(company, conversation).await, before);
}

#[tokio::test]
async fn interactive_only_on_whatsapp_business() {
    let srv = TestServer::start().await;
    let (company, channel, conversation) = settled_fixture(&srv).await;
    let buttons = json!({"type": "button", "buttons": ["fine", "awesome"]});
    let before = srv.all_messages(company, conversation).await;
    let (s, b) = srv
        .json(
            Method::POST,
            &messages_path(company, conversation),
            json!({"message": "wassup", "interactive": buttons}),
        )
        .await;
    assert_param_error(s, &b, 400, "interactive");
    let (s, b) = srv
        .form(
            Method::POST,
            &messages_path(company, conversation),
            &[
                ("message", "wassup"),
                ("interactive[type]", "button"),
                ("interactive[buttons][]", "a"),
            ],
        )
        .await;
    assert_param_error(s, &b, 400, "interactive");
    assert_eq!(srv.all_messages(company, conversation).await, before);
    let _ = channel;

    let waba = srv.channel(company, "whatsapp_business").await;
    let (wc, _) = srv.inbound(company, waba, "79250000009", "hello").await;
    let path = messages_path(company, wc);
    let singular = format!("/p1/companies/{company}/conversations/{wc}/message");
    // The docs' example: JSON to the singular path; and the same as a PHP-style form.
    let (s, b) = srv
        .json(
            Method::POST,
            &singular,
            json!({"message": "wassup", "interactive": buttons}),
        )
        .await;
    let json_job = assert_new_job(s, &b, company, (waba, "whatsapp_business"), wc);
    let (s, b) = srv
        .form(
            Method::POST,
            &path,
            &[
                ("message", "pick one"),
                ("interactive[type]", "button"),
                ("interactive[buttons][]", "Yes"),
                ("interactive[buttons][]", "No"),
                ("interactive[buttons][]", "Maybe"),
            ],
        )
        .await;
    let form_job = assert_new_job(s, &b, company, (waba, "whatsapp_business"), wc);
    for (job, text, want) in [
        (json_job, "wassup", buttons.clone()),
        (
            form_job,
            "pick one",
            json!({"type": "button", "buttons": ["Yes", "No", "Maybe"]}),
        ),
    ] {
        let m = message_of_job(&srv, company, wc, job).await;
        let id = m["external_id"].as_i64().expect("id");
        assert_delivered(&srv, company, (waba, "whatsapp_business"), wc, job, id).await;
        let m = srv.wait_ack(company, wc, id, 2).await;
        assert_message(
            &m,
            json!({"external_id": id, "channel_id": waba, "channel_type": "whatsapp_business",
                "message": text, "income": false, "attachments": [], "ack": 2,
                "send_to_crm": true, "job_id": job, "external_public_id": format!("sandbox-{id}"),
                "interactive": want}),
        );
    }

    let before = srv.all_messages(company, wc).await;
    for bad in [
        json!("buttons please"),
        json!({"type": "list", "buttons": ["a"]}),
        json!({"type": "button"}),
        json!({"type": "button", "buttons": []}),
        json!({"type": "button", "buttons": ["a", "b", "c", "d"]}),
        json!({"type": "button", "buttons": ["this title is far too long"]}),
        json!({"type": "button", "buttons": [1, 2]}),
    ] {
        let (s, b) = srv
            .json(
                Method::POST,
                &path,
                json!({"message": "x", "interactive": bad}),
            )
            .await;
        assert_param_error(s, &b, 400, "interactive");
    }
    let (s, b) = srv
        .form(
            Method::POST,
            &path,
            &[("message", "x"), ("interactive", "yes")],
        )
        .await;
    assert_param_error(s, &b, 400, "interactive");
    assert_eq!(srv.all_messages(company, wc).await, before);
}

#[tokio::test]
async fn send_to_crm_is_carried_on_the_message() {
    let srv = TestServer::start().await;
    let (company, channel, conversation) = settled_fixture(&srv).await;
    let path = messages_path(company, conversation);
    let wa = (channel, "whatsapp");
    let mut cases = Vec::new();
    for (pairs, want) in [
        (vec![("message", "a"), ("send_to_crm", "false")], false),
        (vec![("message", "b"), ("send_to_crm", "0")], false),
        (vec![("message", "c"), ("send_to_crm", "true")], true),
        (vec![("message", "d")], true),
    ] {
        let (s, b) = srv.form(Method::POST, &path, &pairs).await;
        cases.push((assert_new_job(s, &b, company, wa, conversation), want));
    }
    let (s, b) = srv
        .json(
            Method::POST,
            &path,
            json!({"message": "e", "send_to_crm": false}),
        )
        .await;
    cases.push((assert_new_job(s, &b, company, wa, conversation), false));
    for (job, want) in cases {
        let m = message_of_job(&srv, company, conversation, job).await;
        assert_eq!(m["send_to_crm"], want, "{m}");
        // Delivery does not change it.
        let id = m["external_id"].as_i64().expect("id");
        assert_delivered(&srv, company, wa, conversation, job, id).await;
        assert_eq!(
            srv.message(company, conversation, id).await["send_to_crm"],
            want
        );
    }
    let before = srv.all_messages(company, conversation).await.len();
    for bad in ["maybe", "2", "yes"] {
        let (s, b) = srv
            .form(
                Method::POST,
                &path,
                &[("message", "x"), ("send_to_crm", bad)],
            )
            .await;
        assert_param_error(s, &b, 400, "send_to_crm");
    }
    assert_eq!(srv.all_messages(company, conversation).await.len(), before);
}

#[tokio::test]
async fn the_singular_message_path_sends_too() {
    let srv = TestServer::start().await;
    let (company, channel, conversation) = srv.fixture().await;
    let path = format!("/p1/companies/{company}/conversations/{conversation}/message");
    let (s, b) = srv
        .form(Method::POST, &path, &[("message", "via alias")])
        .await;
    let job = assert_new_job(s, &b, company, (channel, "whatsapp"), conversation);
    let m = message_of_job(&srv, company, conversation, job).await;
    assert_eq!(m["message"], "via alias");
    let id = m["external_id"].as_i64().expect("id");
    assert_delivered(&srv, company, (channel, "whatsapp"), conversation, job, id).await;
    // The alias validates like the plural path.
    let (s, b) = srv.form(Method::POST, &path, &[]).await;
    assert_param_error(s, &b, 400, "message");
}
