//! Sending uploaded attachments: every form of naming them, once and only in their own
//! conversation, several only where the provider allows it, and never an incoming one.

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use super::{
    CONTACT, assert_delivered, assert_downloads, assert_message, assert_new_job, attachment_json,
    bytes_of, message_of_job, settled_fixture,
};
use crate::harness::*;

#[tokio::test]
async fn send_one_attachment_in_every_form() {
    let srv = TestServer::start().await;
    let (company, channel, conversation) = srv.fixture().await;
    let wa = (channel, "whatsapp");
    let path = messages_path(company, conversation);
    let files: Vec<(String, &str, Vec<u8>)> = (0..4u8)
        .map(|i| {
            let (name, mime) = [
                ("a.png", "image/png"),
                ("b.pdf", "application/pdf"),
                ("c.txt", "text/plain"),
                ("d.jpg", "image/jpeg"),
            ][usize::from(i)];
            (
                name.to_owned(),
                mime,
                bytes_of(1000 + usize::from(i) * 100, i),
            )
        })
        .collect();
    let mut attachment_ids = Vec::new();
    for (name, _, bytes) in &files {
        attachment_ids.push(srv.upload(company, conversation, name, bytes).await);
    }
    let [a, b, c, d] = attachment_ids[..] else {
        panic!("four uploads")
    };

    // PHP form `attachments_ids[]=`, Python JSON array with a caption, a form scalar and a
    // JSON scalar.
    let sends: Vec<(u16, Value, &str)> = vec![
        {
            let (s, v) = srv
                .form(
                    Method::POST,
                    &path,
                    &[("attachments_ids[]", &a.to_string())],
                )
                .await;
            (s, v, "")
        },
        {
            let (s, v) = srv
                .json(
                    Method::POST,
                    &path,
                    json!({"message": "the report", "attachments_ids": [b]}),
                )
                .await;
            (s, v, "the report")
        },
        {
            let (s, v) = srv
                .form(Method::POST, &path, &[("attachments_ids", &c.to_string())])
                .await;
            (s, v, "")
        },
        {
            let (s, v) = srv
                .json(Method::POST, &path, json!({"attachments_ids": d}))
                .await;
            (s, v, "")
        },
    ];
    for ((status, body, text), ((name, mime, bytes), attachment)) in sends
        .into_iter()
        .zip(files.iter().zip(attachment_ids.iter().copied()))
    {
        let job = assert_new_job(status, &body, company, wa, conversation);
        let m = message_of_job(&srv, company, conversation, job).await;
        let id = m["external_id"].as_i64().expect("id");
        assert_delivered(&srv, company, wa, conversation, job, id).await;
        let m = srv.wait_ack(company, conversation, id, 2).await;
        assert_message(
            &m,
            json!({"external_id": id, "channel_id": channel, "channel_type": "whatsapp",
                "message": text, "income": false,
                "attachments": [attachment_json(company, conversation, attachment, name, mime, bytes.len())],
                "ack": 2, "send_to_crm": true, "job_id": job,
                "external_public_id": format!("sandbox-{id}")}),
        );
        let url = m["attachments"][0]["attachment_url"]
            .as_str()
            .expect("url")
            .to_owned();
        assert_downloads(&srv, &url, mime, name, bytes).await;
    }

    // Downloads need the token, and another user's token finds nothing.
    let url = format!("/p1/companies/{company}/conversations/{conversation}/attachments/{a}");
    let (s, _) = call(srv.http.get(srv.url(&url))).await;
    assert_eq!(s, 401);
    let (_, other) = srv.new_user("mallory").await;
    let (s, b) = call(srv.req_as(&other, Method::GET, &url)).await;
    assert_client_error(s, &b, 404);
    let (s, _) = call(
        srv.http
            .get(srv.url(&format!("{url}?private_api_token={other}"))),
    )
    .await;
    assert_eq!(s, 404);
    // Unknown and non-numeric attachment ids are not found.
    for bad in ["999999", "abc", "-1"] {
        let (s, b) = srv
            .get(&format!(
                "/p1/companies/{company}/conversations/{conversation}/attachments/{bad}"
            ))
            .await;
        assert_client_error(s, &b, 404);
    }
}

#[tokio::test]
async fn attachments_are_sent_once_and_only_in_their_conversation() {
    let srv = TestServer::start().await;
    let (company, channel, conversation) = settled_fixture(&srv).await;
    let wa = (channel, "whatsapp");
    let path = messages_path(company, conversation);
    let (other, _) = srv.inbound(company, channel, "79250000002", "hi").await;
    let mine = srv.upload(company, conversation, "mine.png", b"mine").await;
    let theirs = srv.upload(company, other, "theirs.png", b"theirs").await;
    let before = srv.all_messages(company, conversation).await.len();

    // Another conversation's attachment, an unknown one, a mix of good and bad: refused,
    // nothing stored, nothing bound.
    for ids_sent in [
        json!([theirs]),
        json!([999_999]),
        json!(theirs),
        json!([mine, theirs]),
    ] {
        let (s, b) = srv
            .json(
                Method::POST,
                &path,
                json!({"message": "x", "attachments_ids": ids_sent}),
            )
            .await;
        assert_param_error(s, &b, 400, "attachments_ids");
    }
    assert_eq!(srv.all_messages(company, conversation).await.len(), before);
    assert_eq!(srv.all_messages(company, other).await.len(), 1);

    // Sent once: fine. Sent again: refused, nothing stored.
    let (s, b) = srv
        .form(
            Method::POST,
            &path,
            &[("attachments_ids[]", &mine.to_string())],
        )
        .await;
    let job = assert_new_job(s, &b, company, wa, conversation);
    let first = message_of_job(&srv, company, conversation, job).await;
    let (s, b) = srv
        .form(
            Method::POST,
            &path,
            &[("attachments_ids[]", &mine.to_string())],
        )
        .await;
    assert_param_error(s, &b, 400, "attachments_ids");
    let after = srv.all_messages(company, conversation).await;
    assert_eq!(after.len(), before + 1);
    assert_eq!(
        after
            .iter()
            .filter(|m| m["attachments"].as_array().is_some_and(|a| !a.is_empty()))
            .map(|m| m["external_id"].clone())
            .collect::<Vec<_>>(),
        [first["external_id"].clone()]
    );
    // The other conversation's attachment is still unsent and goes out there.
    let (s, b) = srv
        .json(
            Method::POST,
            &messages_path(company, other),
            json!({"attachments_ids": [theirs]}),
        )
        .await;
    let job = assert_new_job(s, &b, company, wa, other);
    let m = message_of_job(&srv, company, other, job).await;
    assert_eq!(m["attachments"][0]["external_id"], theirs);
}

#[tokio::test]
async fn several_attachments_only_on_vkontakte() {
    let srv = TestServer::start().await;
    let (company, channel, conversation) = settled_fixture(&srv).await;
    let path = messages_path(company, conversation);
    let one = srv.upload(company, conversation, "1.png", b"one").await;
    let two = srv.upload(company, conversation, "2.png", b"two").await;
    let before = srv.all_messages(company, conversation).await.len();
    let (s, b) = srv
        .form(
            Method::POST,
            &path,
            &[
                ("attachments_ids[]", &one.to_string()),
                ("attachments_ids[]", &two.to_string()),
            ],
        )
        .await;
    assert_param_error(s, &b, 400, "attachments_ids");
    assert_eq!(srv.all_messages(company, conversation).await.len(), before);
    // Both stay unsent: each can go out on its own.
    for id in [one, two] {
        let (s, b) = srv
            .json(Method::POST, &path, json!({"attachments_ids": [id]}))
            .await;
        assert_new_job(s, &b, company, (channel, "whatsapp"), conversation);
    }

    let vk = srv.channel(company, "vkontakte").await;
    let (vk_conversation, _) = srv.inbound(company, vk, "id100", "privet").await;
    let files: [(&str, &[u8]); 2] = [("x.png", b"x bytes"), ("y.pdf", b"y bytes!")];
    let mut uploaded = Vec::new();
    for (name, bytes) in files {
        uploaded.push(srv.upload(company, vk_conversation, name, bytes).await);
    }
    let (s, b) = srv
        .form(
            Method::POST,
            &messages_path(company, vk_conversation),
            &[
                ("message", "two files"),
                ("attachments_ids[]", &uploaded[0].to_string()),
                ("attachments_ids[]", &uploaded[1].to_string()),
            ],
        )
        .await;
    let job = assert_new_job(s, &b, company, (vk, "vkontakte"), vk_conversation);
    let m = message_of_job(&srv, company, vk_conversation, job).await;
    let id = m["external_id"].as_i64().expect("id");
    assert_delivered(&srv, company, (vk, "vkontakte"), vk_conversation, job, id).await;
    let m = srv.wait_ack(company, vk_conversation, id, 2).await;
    assert_message(
        &m,
        json!({"external_id": id, "channel_id": vk, "channel_type": "vkontakte",
            "message": "two files", "income": false,
            "attachments": [
                attachment_json(company, vk_conversation, uploaded[0], "x.png", "image/png", 7),
                attachment_json(company, vk_conversation, uploaded[1], "y.pdf", "application/pdf", 8),
            ],
            "ack": 2, "send_to_crm": true, "job_id": job, "external_public_id": format!("sandbox-{id}")}),
    );
    for (attachment, (name, bytes)) in m["attachments"].as_array().expect("list").iter().zip(files)
    {
        let url = attachment["attachment_url"].as_str().expect("url");
        let mime = attachment["mime_type"].as_str().expect("mime");
        assert_downloads(&srv, url, mime, name, bytes).await;
    }
}

#[tokio::test]
async fn concurrent_sends_of_one_attachment_send_it_once() {
    let srv = TestServer::start().await;
    let (company, channel, conversation) = settled_fixture(&srv).await;
    let attachment = srv.upload(company, conversation, "once.png", b"once").await;
    let before = srv.all_messages(company, conversation).await.len();
    let path = messages_path(company, conversation);
    let sends = (0..8).map(|_| {
        srv.json(
            Method::POST,
            &path,
            json!({"attachments_ids": [attachment]}),
        )
    });
    let answers = futures_util::future::join_all(sends).await;
    let mut jobs = Vec::new();
    for (s, b) in &answers {
        if *s == 200 {
            jobs.push(assert_new_job(
                *s,
                b,
                company,
                (channel, "whatsapp"),
                conversation,
            ));
        } else {
            assert_param_error(*s, b, 400, "attachments_ids");
        }
    }
    assert_eq!(jobs.len(), 1, "{answers:?}");
    let after = srv.all_messages(company, conversation).await;
    assert_eq!(after.len(), before + 1);
    let m = message_of_job(&srv, company, conversation, jobs[0]).await;
    assert_eq!(m["attachments"][0]["external_id"], attachment);
}

#[tokio::test]
async fn an_incoming_attachment_cannot_be_sent_again() {
    let srv = TestServer::start().await;
    let (company, channel, conversation) = settled_fixture(&srv).await;
    let form = Form::new()
        .text("sender_external_id", CONTACT)
        .part("file", Part::bytes(b"theirs".to_vec()).file_name("in.png"));
    let (s, b) = call(
        srv.req(
            Method::POST,
            &format!("/p1/companies/{company}/channels/{channel}/sandbox/inbound"),
        )
        .multipart(form),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let incoming = b["data"]["message_id"].as_i64().expect("id");
    let m = srv.message(company, conversation, incoming).await;
    let attachment = m["attachments"][0]["external_id"].as_i64().expect("id");
    let before = srv.all_messages(company, conversation).await;
    let (s, b) = srv
        .json(
            Method::POST,
            &messages_path(company, conversation),
            json!({"message": "fwd", "attachments_ids": [attachment]}),
        )
        .await;
    assert_param_error(s, &b, 400, "attachments_ids");
    assert_eq!(srv.all_messages(company, conversation).await, before);
}
