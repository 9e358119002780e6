//! The message list: its exact shape, the order by creation and pagination both ways,
//! and the conversation's last message times that follow it.

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use super::{
    CONTACT, assert_delivered, assert_downloads, assert_message, attachment_json, bytes_of, ids,
    message_of_job, send_text, set_reachable,
};
use crate::harness::*;

#[tokio::test]
async fn list_shape_and_exact_values() {
    let srv = TestServer::start().await;
    let (company, channel, conversation) = srv.fixture().await;
    let path = messages_path(company, conversation);

    // The conversation's first message is the create's text, delivered by the sandbox.
    let first = srv.all_messages(company, conversation).await;
    assert_eq!(first.len(), 1, "{first:?}");
    let out_id = first[0]["external_id"].as_i64().expect("id");
    let job = first[0]["job_id"].as_i64().expect("job_id");
    srv.wait_job(company, channel, job).await;
    srv.wait_ack(company, conversation, out_id, 2).await;

    // The contact answers with text, then with a photo and a caption, then a bare file.
    let (c, text_id) = srv.inbound(company, channel, CONTACT, "Hi there").await;
    assert_eq!(c, conversation);
    let inbound = format!("/p1/companies/{company}/channels/{channel}/sandbox/inbound");
    let photo = bytes_of(3000, 7);
    let form = Form::new()
        .text("sender_external_id", CONTACT)
        .text("message", "see photo")
        .part("file", Part::bytes(photo.clone()).file_name("photo.png"));
    let (s, b) = call(srv.req(Method::POST, &inbound).multipart(form)).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["data"]["conversation_id"], conversation);
    let photo_id = b["data"]["message_id"].as_i64().expect("message_id");
    let pdf = bytes_of(777, 3);
    let form = Form::new()
        .text("sender_external_id", CONTACT)
        .part("file", Part::bytes(pdf.clone()).file_name("report.pdf"));
    let (s, b) = call(srv.req(Method::POST, &inbound).multipart(form)).await;
    assert_eq!(s, 200, "{b}");
    let pdf_id = b["data"]["message_id"].as_i64().expect("message_id");

    let (status, body) = srv.get(&path).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ok");
    let data = body["data"].as_object().expect("data object");
    assert_eq!(
        data.keys().map(String::as_str).collect::<Vec<_>>(),
        ["messages", "next_page"]
    );
    assert_eq!(body["data"]["next_page"], Value::Null);
    let messages = body["data"]["messages"].as_array().expect("messages");
    assert_eq!(ids(messages), [out_id, text_id, photo_id, pdf_id]);

    assert_message(
        &messages[0],
        json!({"external_id": out_id, "channel_id": channel, "channel_type": "whatsapp",
            "message": "Hello", "income": false, "attachments": [], "ack": 2,
            "send_to_crm": true, "job_id": job, "external_public_id": format!("sandbox-{out_id}")}),
    );
    assert_message(
        &messages[1],
        json!({"external_id": text_id, "channel_id": channel, "channel_type": "whatsapp",
            "message": "Hi there", "income": true, "attachments": [], "ack": 2,
            "send_to_crm": true, "job_id": null, "external_public_id": null}),
    );
    let photo_attachment = messages[2]["attachments"][0]["external_id"]
        .as_i64()
        .expect("attachment id");
    assert_message(
        &messages[2],
        json!({"external_id": photo_id, "channel_id": channel, "channel_type": "whatsapp",
            "message": "see photo", "income": true,
            "attachments": [attachment_json(company, conversation, photo_attachment, "photo.png", "image/png", photo.len())],
            "ack": 2, "send_to_crm": true, "job_id": null, "external_public_id": null}),
    );
    let pdf_attachment = messages[3]["attachments"][0]["external_id"]
        .as_i64()
        .expect("attachment id");
    assert_ne!(pdf_attachment, photo_attachment);
    // An attachment-only message has the text "" (never null).
    assert_message(
        &messages[3],
        json!({"external_id": pdf_id, "channel_id": channel, "channel_type": "whatsapp",
            "message": "", "income": true,
            "attachments": [attachment_json(company, conversation, pdf_attachment, "report.pdf", "application/pdf", pdf.len())],
            "ack": 2, "send_to_crm": true, "job_id": null, "external_public_id": null}),
    );
    let url = messages[2]["attachments"][0]["attachment_url"]
        .as_str()
        .expect("url")
        .to_owned();
    assert_downloads(&srv, &url, "image/png", "photo.png", &photo).await;
    let url = messages[3]["attachments"][0]["attachment_url"]
        .as_str()
        .expect("url")
        .to_owned();
    assert_downloads(&srv, &url, "application/pdf", "report.pdf", &pdf).await;

    // The Python SDK's trailing slash gives the same answer.
    let (status, again) = srv.get(&format!("{path}/")).await;
    assert_eq!((status, again), (200, body));
}

#[tokio::test]
async fn messages_sort_by_creation_and_paginate_both_ways() {
    let srv = TestServer::start().await;
    let (company, channel, conversation) = srv.fixture().await;
    let mut created = ids(&srv.all_messages(company, conversation).await);
    assert_eq!(created.len(), 1);
    // Incoming and outgoing messages interleaved: 120 in all.
    for i in 0..119 {
        if i % 40 == 20 {
            let job = send_text(
                &srv,
                company,
                (channel, "whatsapp"),
                conversation,
                &format!("out {i}"),
            )
            .await;
            let m = message_of_job(&srv, company, conversation, job).await;
            created.push(m["external_id"].as_i64().expect("id"));
        } else {
            let (c, id) = srv
                .inbound(company, channel, CONTACT, &format!("in {i}"))
                .await;
            assert_eq!(c, conversation);
            created.push(id);
        }
    }
    assert_eq!(created.len(), 120);
    let path = messages_path(company, conversation);

    // Every message in creation order, by (created_at, id).
    let all = srv.all_messages(company, conversation).await;
    assert_eq!(ids(&all), created);
    let keys: Vec<(String, i64)> = all
        .iter()
        .map(|m| {
            (
                m["created_at"].as_str().expect("created_at").to_owned(),
                m["external_id"].as_i64().expect("id"),
            )
        })
        .collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "not sorted by creation: {keys:?}"
    );
    for (m, i) in all.iter().zip(1..) {
        if i > 1 && m["income"] == true {
            assert!(
                m["message"].as_str().is_some_and(|t| t.starts_with("in ")),
                "{m}"
            );
        }
    }

    // Ascending walks with per, with `from` and with the Python alias `from_`.
    for (per, from_key, pages) in [
        (10, "from", 12),
        (7, "from_", 18),
        (40, "from", 3),
        (100, "from", 2),
    ] {
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        let mut count = 0;
        loop {
            let url = match &token {
                Some(t) => format!("{path}?per={per}&{from_key}={t}"),
                None => format!("{path}?per={per}"),
            };
            let (s, b) = srv.get(&url).await;
            assert_eq!(s, 200, "{b}");
            count += 1;
            let page = b["data"]["messages"].as_array().expect("messages");
            assert!(page.len() <= per, "{per}: {}", page.len());
            seen.extend(ids(page));
            match &b["data"]["next_page"] {
                Value::String(t) => token = Some(t.clone()),
                Value::Null => break,
                other => panic!("next_page is {other}"),
            }
            assert!(count < 100);
        }
        assert_eq!(seen, created, "per={per}");
        assert_eq!(count, pages, "per={per}");
    }

    // Descending walks, with `sort_direction` and the PHP alias `sort`.
    let mut reversed = created.clone();
    reversed.reverse();
    for sort_key in ["sort_direction", "sort"] {
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        let mut count = 0;
        loop {
            let url = match &token {
                Some(t) => format!("{path}?per=9&{sort_key}=desc&from={t}"),
                None => format!("{path}?per=9&{sort_key}=desc"),
            };
            let (s, b) = srv.get(&url).await;
            assert_eq!(s, 200, "{b}");
            count += 1;
            seen.extend(ids(b["data"]["messages"].as_array().expect("messages")));
            match &b["data"]["next_page"] {
                Value::String(t) => token = Some(t.clone()),
                _ => break,
            }
            assert!(count < 100);
        }
        assert_eq!(seen, reversed, "{sort_key}");
        assert_eq!(count, 14);
    }

    // The default page is 50, per=100 the most; both leave a token.
    let (_, b) = srv.get(&path).await;
    assert_eq!(
        ids(b["data"]["messages"].as_array().expect("messages")),
        created[..50]
    );
    let token = b["data"]["next_page"].as_str().expect("token").to_owned();
    let (_, b) = srv.get(&format!("{path}?from={token}")).await;
    assert_eq!(
        ids(b["data"]["messages"].as_array().expect("messages")),
        created[50..100]
    );
    let (_, b) = srv
        .get(&format!("{path}?per=100&sort_direction=desc"))
        .await;
    assert_eq!(
        ids(b["data"]["messages"].as_array().expect("messages")),
        reversed[..100]
    );
    assert!(b["data"]["next_page"].is_string());

    // A token read in the other direction, of another conversation, or garbage: first page.
    let (_, b) = srv.get(&format!("{path}?per=5")).await;
    let asc_token = b["data"]["next_page"].as_str().expect("token").to_owned();
    let (_, b) = srv
        .get(&format!(
            "{path}?per=5&sort_direction=desc&from={asc_token}"
        ))
        .await;
    assert_eq!(
        ids(b["data"]["messages"].as_array().expect("messages")),
        reversed[..5]
    );
    let (other, _) = srv.inbound(company, channel, "79250000002", "a").await;
    srv.inbound(company, channel, "79250000002", "b").await;
    let (_, b) = srv
        .get(&format!("{}?per=1", messages_path(company, other)))
        .await;
    let other_token = b["data"]["next_page"].as_str().expect("token").to_owned();
    let (_, b) = srv.get(&format!("{path}?per=5&from={other_token}")).await;
    assert_eq!(
        ids(b["data"]["messages"].as_array().expect("messages")),
        created[..5]
    );
    for garbage in ["garbage", "", "%20"] {
        let (s, b) = srv.get(&format!("{path}?per=5&from={garbage}")).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(
            ids(b["data"]["messages"].as_array().expect("messages")),
            created[..5]
        );
    }
    // The conversations' lists are separate.
    let other_messages = srv.all_messages(company, other).await;
    assert_eq!(other_messages.len(), 2);
    assert!(
        other_messages
            .iter()
            .all(|m| !created.contains(&m["external_id"].as_i64().unwrap_or(0)))
    );
}

#[tokio::test]
async fn last_message_times_follow_messages() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    let channel = srv.channel(company, "whatsapp").await;
    let wa = (channel, "whatsapp");

    // Outgoing only: last_message_at is its time, last_income_message_at stays 0.
    let conversation = srv.conversation(company, CONTACT).await;
    let first = srv.all_messages(company, conversation).await;
    let c = srv.conversation_details(company, conversation).await;
    assert_eq!(c["last_message_at"], first[0]["created_at_timestamp"]);
    assert_eq!(c["last_income_message_at"], 0);

    // Wait into the next second so every later message has a later timestamp.
    let wait_next_second = || async {
        let start = unix_now();
        while unix_now() == start {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    wait_next_second().await;
    let (_, incoming) = srv.inbound(company, channel, CONTACT, "hi").await;
    let m = srv.message(company, conversation, incoming).await;
    let c = srv.conversation_details(company, conversation).await;
    assert!(m["created_at_timestamp"].as_i64() > first[0]["created_at_timestamp"].as_i64());
    assert_eq!(c["last_message_at"], m["created_at_timestamp"]);
    assert_eq!(c["last_income_message_at"], m["created_at_timestamp"]);

    wait_next_second().await;
    let job = send_text(&srv, company, wa, conversation, "reply").await;
    let out = message_of_job(&srv, company, conversation, job).await;
    let c = srv.conversation_details(company, conversation).await;
    assert!(out["created_at_timestamp"].as_i64() > m["created_at_timestamp"].as_i64());
    assert_eq!(c["last_message_at"], out["created_at_timestamp"]);
    assert_eq!(c["last_income_message_at"], m["created_at_timestamp"]);
    // Delivery and acks do not move them; the list shows the same values.
    let id = out["external_id"].as_i64().expect("id");
    assert_delivered(&srv, company, wa, conversation, job, id).await;
    srv.wait_ack(company, conversation, id, 2).await;
    let c2 = srv.conversation_details(company, conversation).await;
    assert_eq!(c2, c);
    let (_, list) = srv
        .get(&format!("/p1/companies/{company}/conversations"))
        .await;
    let listed = list["data"]["conversations"]
        .as_array()
        .expect("list")
        .iter()
        .find(|x| x["external_id"] == conversation)
        .cloned()
        .expect("listed");
    assert_eq!(listed["last_message_at"], c["last_message_at"]);
    assert_eq!(
        listed["last_income_message_at"],
        c["last_income_message_at"]
    );

    // A failed delivery still counts as the last message (it is stored).
    wait_next_second().await;
    set_reachable(&srv, company, channel, CONTACT, false).await;
    let job = send_text(&srv, company, wa, conversation, "lost").await;
    let lost = message_of_job(&srv, company, conversation, job).await;
    srv.wait_job(company, channel, job).await;
    let c = srv.conversation_details(company, conversation).await;
    assert_eq!(c["last_message_at"], lost["created_at_timestamp"]);
    assert_eq!(c["last_income_message_at"], m["created_at_timestamp"]);
}
