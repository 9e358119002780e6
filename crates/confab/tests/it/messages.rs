//! Messages: the list and its pagination, sending (text, attachments, interactive,
//! send_to_crm), delivery jobs and acks through the sandbox connector, and the rules that
//! keep one tenant's messages and jobs away from another.

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::harness::*;

/// The fixture's contact (see [`TestServer::fixture`]).
const CONTACT: &str = "79250000001";

/// Bytes that are not UTF-8, so a download that re-encodes them is caught.
fn bytes_of(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// The attachment object a message carries.
fn attachment_json(
    company: i64,
    conversation: i64,
    id: i64,
    name: &str,
    mime: &str,
    size: usize,
) -> Value {
    json!({
        "external_id": id,
        "file_name": name,
        "mime_type": mime,
        "size": size,
        "attachment_url": format!("/p1/companies/{company}/conversations/{conversation}/attachments/{id}"),
    })
}

/// [`TestServer::fixture`], once the conversation's first message (the create's text) has
/// been delivered, so that snapshots of the message list stay still.
async fn settled_fixture(srv: &TestServer) -> (i64, i64, i64) {
    let (company, channel, conversation) = srv.fixture().await;
    let first = srv.all_messages(company, conversation).await;
    let id = first[0]["external_id"].as_i64().expect("id");
    srv.wait_ack(company, conversation, id, 2).await;
    (company, channel, conversation)
}

/// Checks `created_at` (ISO-8601 UTC with milliseconds) and `created_at_timestamp` (the
/// same instant in unix seconds, recent), then that the rest of `m` is exactly `want`.
#[track_caller]
fn assert_message(m: &Value, want: Value) {
    let created = m["created_at"]
        .as_str()
        .unwrap_or_else(|| panic!("created_at is not a string: {m}"));
    let b = created.as_bytes();
    assert!(
        created.len() == 24 && created.ends_with('Z') && b[10] == b'T' && b[19] == b'.',
        "created_at not ISO with ms: {created}"
    );
    let parsed =
        time::OffsetDateTime::parse(created, &time::format_description::well_known::Rfc3339)
            .expect("created_at parses");
    let ts = m["created_at_timestamp"]
        .as_i64()
        .unwrap_or_else(|| panic!("created_at_timestamp is not an int: {m}"));
    assert_eq!(parsed.unix_timestamp(), ts, "{m}");
    assert!((unix_now() - 600..=unix_now()).contains(&ts), "{m}");
    let mut want = want;
    want["created_at"] = m["created_at"].clone();
    want["created_at_timestamp"] = m["created_at_timestamp"].clone();
    assert_eq!(m, &want);
}

/// Checks a send answer: the job, still trying, with no message id; returns the job id.
#[track_caller]
fn assert_new_job(
    status: u16,
    body: &Value,
    company: i64,
    channel: (i64, &str),
    conversation: i64,
) -> i64 {
    assert_eq!(status, 200, "{body}");
    let id = body["data"]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("job id is not an int: {body}"));
    let created = body["data"]["created_at"]
        .as_i64()
        .unwrap_or_else(|| panic!("created_at is not unix seconds: {body}"));
    assert!((unix_now() - 600..=unix_now()).contains(&created), "{body}");
    assert_eq!(
        body,
        &json!({"status": "ok", "data": {
            "id": id, "company_id": company,
            "channel": {"id": channel.0, "type": channel.1},
            "conversation_id": conversation, "state": "trying_deliver",
            "message_id": null, "details": null, "created_at": created}})
    );
    id
}

/// The message a job delivers, found through its `job_id`.
async fn message_of_job(srv: &TestServer, company: i64, conversation: i64, job: i64) -> Value {
    let all = srv.all_messages(company, conversation).await;
    let mut found: Vec<&Value> = all.iter().filter(|m| m["job_id"] == job).collect();
    assert_eq!(found.len(), 1, "messages of job {job}: {all:?}");
    found.remove(0).clone()
}

/// Waits for a job and checks it was delivered with `message_id`, exactly.
async fn assert_delivered(
    srv: &TestServer,
    company: i64,
    channel: (i64, &str),
    conversation: i64,
    job: i64,
    message_id: i64,
) {
    let data = srv.wait_job(company, channel.0, job).await;
    assert_eq!(
        data,
        json!({"id": job, "company_id": company,
            "channel": {"id": channel.0, "type": channel.1},
            "conversation_id": conversation, "state": "delivered", "message_id": message_id,
            "details": {"result": "DELIVERED"}, "created_at": data["created_at"].clone()})
    );
    assert!(data["created_at"].is_i64(), "{data}");
}

/// Waits for a job and checks it failed with `reason`, exactly.
async fn assert_not_delivered(
    srv: &TestServer,
    company: i64,
    channel: (i64, &str),
    conversation: i64,
    job: i64,
    reason: &str,
) {
    let data = srv.wait_job(company, channel.0, job).await;
    assert_eq!(
        data,
        json!({"id": job, "company_id": company,
            "channel": {"id": channel.0, "type": channel.1},
            "conversation_id": conversation, "state": "not_delivered", "message_id": null,
            "details": {"result": "NOT DELIVERED", "reason": reason},
            "created_at": data["created_at"].clone()})
    );
    assert!(data["created_at"].is_i64(), "{data}");
}

/// Sends a text message (form); returns the job id.
async fn send_text(
    srv: &TestServer,
    company: i64,
    channel: (i64, &str),
    conversation: i64,
    text: &str,
) -> i64 {
    let (s, b) = srv
        .form(
            Method::POST,
            &messages_path(company, conversation),
            &[("message", text)],
        )
        .await;
    assert_new_job(s, &b, company, channel, conversation)
}

/// Downloads `url` (a path) with the token in the header, or in the query when `in_query`.
async fn download(
    srv: &TestServer,
    url: &str,
    in_query: bool,
) -> (u16, Option<String>, Option<String>, Vec<u8>) {
    let request = if in_query {
        let sep = if url.contains('?') { '&' } else { '?' };
        srv.http
            .get(srv.url(&format!("{url}{sep}private_api_token={}", srv.token)))
    } else {
        srv.req(Method::GET, url)
    };
    let response = request.send().await.expect("download");
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (mime, disposition) = (header("content-type"), header("content-disposition"));
    let bytes = response.bytes().await.expect("bytes").to_vec();
    (status, mime, disposition, bytes)
}

/// Asserts that the attachment behind `url` downloads as exactly `bytes`, both ways.
async fn assert_downloads(srv: &TestServer, url: &str, mime: &str, file_name: &str, bytes: &[u8]) {
    for in_query in [false, true] {
        let (status, got_mime, disposition, got) = download(srv, url, in_query).await;
        assert_eq!(status, 200, "{url} (token in query: {in_query})");
        assert_eq!(got_mime.as_deref(), Some(mime));
        assert_eq!(
            disposition,
            Some(format!("attachment; filename*=UTF-8''{file_name}"))
        );
        assert!(
            got == bytes,
            "downloaded bytes differ from the uploaded ones"
        );
    }
}

/// A sandbox channel system event.
async fn channel_event(srv: &TestServer, company: i64, channel: i64, event: &str, state: &str) {
    let (s, b) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/channels/{channel}/sandbox/events"),
            &[("event", event)],
        )
        .await;
    assert_eq!(
        (s, b),
        (
            200,
            json!({"status": "ok", "data": {"channel_id": channel, "event": event, "state": state}})
        )
    );
}

/// Marks a contact reachable or not.
async fn set_reachable(
    srv: &TestServer,
    company: i64,
    channel: i64,
    sender: &str,
    reachable: bool,
) {
    let (s, b) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/channels/{channel}/sandbox/contacts"),
            &[
                ("sender_external_id", sender),
                ("reachable", if reachable { "true" } else { "false" }),
            ],
        )
        .await;
    assert_eq!(
        (s, b),
        (
            200,
            json!({"status": "ok", "data": {"channel_id": channel, "sender_external_id": sender, "reachable": reachable}})
        )
    );
}

fn read_path(company: i64, conversation: i64) -> String {
    format!("/p1/companies/{company}/conversations/{conversation}/sandbox/read")
}

/// The ids of a list of messages.
fn ids(messages: &[Value]) -> Vec<i64> {
    messages
        .iter()
        .map(|m| m["external_id"].as_i64().expect("external_id"))
        .collect()
}

// ---- the list ----

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

// ---- sending ----

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

// ---- delivery outcomes ----

#[tokio::test]
async fn unreachable_contact_is_not_delivered() {
    let srv = TestServer::start().await;
    let (company, channel, conversation) = srv.fixture().await;
    let wa = (channel, "whatsapp");
    set_reachable(&srv, company, channel, CONTACT, false).await;
    let job = send_text(&srv, company, wa, conversation, "are you there?").await;
    let m = message_of_job(&srv, company, conversation, job).await;
    let id = m["external_id"].as_i64().expect("id");
    assert_not_delivered(
        &srv,
        company,
        wa,
        conversation,
        job,
        &format!("contact {CONTACT} does not exist on whatsapp or cannot be reached"),
    )
    .await;
    // The message stays at -1 ("may never go out") and cannot be read.
    let m = srv.message(company, conversation, id).await;
    assert_message(
        &m,
        json!({"external_id": id, "channel_id": channel, "channel_type": "whatsapp",
            "message": "are you there?", "income": false, "attachments": [], "ack": -1,
            "send_to_crm": true, "job_id": job, "external_public_id": null}),
    );
    let (s, b) = srv
        .form(
            Method::POST,
            &read_path(company, conversation),
            &[("message_id", &id.to_string())],
        )
        .await;
    assert_param_error(s, &b, 400, "message_id");
    assert_eq!(srv.message(company, conversation, id).await["ack"], -1);

    // Another contact on the same channel is unaffected; reachable again delivers again.
    let (other, _) = srv.inbound(company, channel, "79250000002", "hi").await;
    let job = send_text(&srv, company, wa, other, "hello").await;
    let m = message_of_job(&srv, company, other, job).await;
    assert_delivered(
        &srv,
        company,
        wa,
        other,
        job,
        m["external_id"].as_i64().expect("id"),
    )
    .await;
    set_reachable(&srv, company, channel, CONTACT, true).await;
    let job = send_text(&srv, company, wa, conversation, "now?").await;
    let m = message_of_job(&srv, company, conversation, job).await;
    let id2 = m["external_id"].as_i64().expect("id");
    assert_delivered(&srv, company, wa, conversation, job, id2).await;
    srv.wait_ack(company, conversation, id2, 2).await;
    // The failed one is not retried behind the scenes.
    assert_eq!(srv.message(company, conversation, id).await["ack"], -1);

    // Validation of the sandbox contact endpoint.
    let contacts = format!("/p1/companies/{company}/channels/{channel}/sandbox/contacts");
    let (s, b) = srv
        .form(Method::POST, &contacts, &[("sender_external_id", CONTACT)])
        .await;
    assert_param_error(s, &b, 400, "reachable");
    let (s, b) = srv
        .form(
            Method::POST,
            &contacts,
            &[("sender_external_id", CONTACT), ("reachable", "maybe")],
        )
        .await;
    assert_param_error(s, &b, 400, "reachable");
    let (s, b) = srv
        .form(Method::POST, &contacts, &[("reachable", "false")])
        .await;
    assert_param_error(s, &b, 400, "sender_external_id");
}

#[tokio::test]
async fn channel_events_stop_and_restore_delivery() {
    let srv = TestServer::start().await;
    let (company, channel, conversation) = srv.fixture().await;
    let wa = (channel, "whatsapp");
    for (event, state, reason) in [
        ("phone_offline", "phone_offline", "phone offline"),
        ("unavailable", "unavailable", "the channel is unavailable"),
        ("disabled", "disabled", "the channel is disabled"),
        (
            "trying_resume_work",
            "unavailable",
            "the channel is unavailable",
        ),
    ] {
        channel_event(&srv, company, channel, event, state).await;
        let job = send_text(&srv, company, wa, conversation, event).await;
        let m = message_of_job(&srv, company, conversation, job).await;
        let id = m["external_id"].as_i64().expect("id");
        assert_not_delivered(&srv, company, wa, conversation, job, reason).await;
        assert_eq!(srv.message(company, conversation, id).await["ack"], -1);
        let restore = match event {
            "phone_offline" => "phone_online",
            "unavailable" => "authorized",
            _ => "synchronized",
        };
        channel_event(&srv, company, channel, restore, "enabled").await;
        let job = send_text(&srv, company, wa, conversation, restore).await;
        let m = message_of_job(&srv, company, conversation, job).await;
        let id = m["external_id"].as_i64().expect("id");
        assert_delivered(&srv, company, wa, conversation, job, id).await;
        srv.wait_ack(company, conversation, id, 2).await;
    }
    let events = format!("/p1/companies/{company}/channels/{channel}/sandbox/events");
    let (s, b) = srv
        .form(Method::POST, &events, &[("event", "exploded")])
        .await;
    assert_param_error(s, &b, 400, "event");
    let (s, b) = srv.form(Method::POST, &events, &[]).await;
    assert_param_error(s, &b, 400, "event");
    let (s, b) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/channels/999/sandbox/events"),
            &[("event", "phone_offline")],
        )
        .await;
    assert_client_error(s, &b, 404);
}

// ---- jobs ----

#[tokio::test]
async fn jobs_are_found_only_under_their_company_and_channel() {
    let srv = TestServer::start().await;
    let (company, channel, conversation) = srv.fixture().await;
    let job = send_text(&srv, company, (channel, "whatsapp"), conversation, "x").await;
    let telegram = srv.channel(company, "telegram").await;
    let other_company = srv.company("Other").await;
    let other_channel = srv.channel(other_company, "whatsapp").await;
    for path in [
        job_path(company, telegram, job),
        job_path(other_company, other_channel, job),
        job_path(other_company, channel, job),
        job_path(company, channel, 999_999),
        job_path(company, channel, 0),
        format!("/p1/companies/{company}/channels/{channel}/jobs/abc"),
        format!("/p1/companies/{company}/channels/abc/jobs/{job}"),
        format!("/p1/companies/{company}/channels/{channel}/jobs/-{job}"),
        format!("/p1/companies/{company}/channels/{channel}/jobs/{job}.0"),
    ] {
        let (s, b) = srv.get(&path).await;
        assert_client_error(s, &b, 404);
    }
    assert_eq!(srv.job(company, channel, job).await["id"], job);
}

#[tokio::test]
async fn conversation_create_text_is_delivered_with_a_job() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    let channel = srv.channel(company, "whatsapp").await;
    let wa = (channel, "whatsapp");
    let (s, b) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/conversations"),
            &[
                ("provider", "whatsapp"),
                ("phone", "79250000005"),
                ("text", "Welcome!"),
                ("send_to_crm", "false"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let conversation = b["data"]["conversation"]["external_id"]
        .as_i64()
        .expect("id");
    let messages = srv.all_messages(company, conversation).await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    let id = messages[0]["external_id"].as_i64().expect("id");
    let job = messages[0]["job_id"].as_i64().expect("job_id");
    assert_delivered(&srv, company, wa, conversation, job, id).await;
    let m = srv.wait_ack(company, conversation, id, 2).await;
    assert_message(
        &m,
        json!({"external_id": id, "channel_id": channel, "channel_type": "whatsapp",
            "message": "Welcome!", "income": false, "attachments": [], "ack": 2,
            "send_to_crm": false, "job_id": job, "external_public_id": format!("sandbox-{id}")}),
    );

    // Creating again for the same contact sends the text into the same conversation.
    let (s, b) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/conversations"),
            &[
                ("provider", "whatsapp"),
                ("phone", "+79250000005"),
                ("text", "Again"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["data"]["conversation"]["external_id"], conversation);
    let messages = srv.all_messages(company, conversation).await;
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1]["message"], "Again");
    assert_eq!(messages[1]["send_to_crm"], true);
    let job2 = messages[1]["job_id"].as_i64().expect("job_id");
    assert_ne!(job2, job);
    let id2 = messages[1]["external_id"].as_i64().expect("id");
    assert_delivered(&srv, company, wa, conversation, job2, id2).await;

    // An unreachable contact's first message fails like any other.
    set_reachable(&srv, company, channel, "79250000006", false).await;
    let (s, b) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/conversations"),
            &[
                ("provider", "whatsapp"),
                ("phone", "79250000006"),
                ("text", "Hi"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let lost = b["data"]["conversation"]["external_id"]
        .as_i64()
        .expect("id");
    let messages = srv.all_messages(company, lost).await;
    let job3 = messages[0]["job_id"].as_i64().expect("job_id");
    assert_not_delivered(
        &srv,
        company,
        wa,
        lost,
        job3,
        "contact 79250000006 does not exist on whatsapp or cannot be reached",
    )
    .await;
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

// ---- bad input and tenancy ----

#[tokio::test]
async fn bad_input_names_the_parameter_and_is_never_a_500() {
    let srv = TestServer::start().await;
    let (company, channel, conversation) = settled_fixture(&srv).await;
    let path = messages_path(company, conversation);
    let long = "x".repeat(256);
    for (query, param) in [
        ("per=0", "per"),
        ("per=101", "per"),
        ("per=-5", "per"),
        ("per=abc", "per"),
        ("per=1.5", "per"),
        ("per=99999999999999999999", "per"),
        ("sort_direction=x", "sort_direction"),
        ("sort=sideways", "sort"),
        ("per[a]=1", "per"),
    ] {
        let (s, b) = srv.get(&format!("{path}?{query}")).await;
        assert_param_error(s, &b, 400, param);
    }
    let (s, b) = srv.get(&format!("{path}?from={long}")).await;
    assert_param_error(s, &b, 400, "from");
    let (s, b) = srv.get(&format!("{path}?from_={long}")).await;
    assert_param_error(s, &b, 400, "from_");

    let before = srv.all_messages(company, conversation).await;
    for (pairs, param) in [
        (vec![("attachments_ids", "abc")], "attachments_ids"),
        (vec![("attachments_ids[]", "1.5")], "attachments_ids"),
        (
            vec![("attachments_ids[]", "1"), ("attachments_ids[]", "x")],
            "attachments_ids",
        ),
        (
            vec![("message", "x"), ("attachments_ids", "abc")],
            "attachments_ids",
        ),
        (
            vec![("message", "x"), ("send_to_crm", "perhaps")],
            "send_to_crm",
        ),
    ] {
        let (s, b) = srv.form(Method::POST, &path, &pairs).await;
        assert_param_error(s, &b, 400, param);
    }
    for (body, param) in [
        (json!({"attachments_ids": "abc"}), "attachments_ids"),
        (json!({"attachments_ids": [true]}), "attachments_ids"),
        (json!({"attachments_ids": [[1]]}), "attachments_ids"),
        (json!({"attachments_ids": [1.5]}), "attachments_ids"),
        (json!({"attachments_ids": {"a": "b"}}), "attachments_ids"),
        (json!({"message": {"text": "x"}}), "message"),
        (json!({"message": "x".repeat(65_537)}), "message"),
        (
            json!({"message": "x", "send_to_crm": "sometimes"}),
            "send_to_crm",
        ),
    ] {
        let (s, b) = srv.json(Method::POST, &path, body.clone()).await;
        assert_param_error(s, &b, 400, param);
    }
    assert_eq!(srv.all_messages(company, conversation).await, before);

    // Ids in the path that are not numbers, or unknown: not found, for every route.
    for bad in ["abc", "0", "-1", "1.0", "999999"] {
        for (method, p) in [
            (
                Method::GET,
                format!("/p1/companies/{company}/conversations/{bad}/messages"),
            ),
            (
                Method::POST,
                format!("/p1/companies/{company}/conversations/{bad}/messages"),
            ),
            (
                Method::POST,
                format!("/p1/companies/{company}/conversations/{bad}/message"),
            ),
            (
                Method::GET,
                format!("/p1/companies/{bad}/conversations/{conversation}/messages"),
            ),
            (
                Method::POST,
                format!("/p1/companies/{company}/conversations/{bad}/sandbox/read"),
            ),
            (
                Method::GET,
                format!("/p1/companies/{company}/channels/{channel}/jobs/{bad}"),
            ),
        ] {
            let (s, b) = call(
                srv.req(method.clone(), &p)
                    .form(&[("message", "x"), ("message_id", "1")]),
            )
            .await;
            assert_client_error(s, &b, 404);
        }
    }
    assert_eq!(srv.all_messages(company, conversation).await, before);
}

#[tokio::test]
async fn another_user_cannot_touch_messages_or_jobs() {
    let srv = TestServer::start().await;
    let (company, channel, conversation) = srv.fixture().await;
    let messages = srv.all_messages(company, conversation).await;
    let id = messages[0]["external_id"].as_i64().expect("id");
    let job = messages[0]["job_id"].as_i64().expect("job_id");
    srv.wait_ack(company, conversation, id, 2).await;
    let attachment = srv
        .upload(company, conversation, "secret.png", b"secret")
        .await;
    let before = srv.all_messages(company, conversation).await;

    let (_, token) = srv.new_user("mallory").await;
    // Mallory's own company, to try the ids under it too.
    let (s, b) = call(
        srv.req_as(&token, Method::POST, "/p1/companies")
            .form(&[("name", "Evil")]),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let evil = b["data"]["external_id"].as_i64().expect("id");
    let (s, b) = call(
        srv.req_as(
            &token,
            Method::POST,
            &format!("/p1/companies/{evil}/channels"),
        )
        .form(&[("provider", "whatsapp")]),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let evil_channel = b["data"]["external_id"].as_i64().expect("id");

    for c in [company, evil] {
        let path = messages_path(c, conversation);
        let (s, b) = call(srv.req_as(&token, Method::GET, &path)).await;
        assert_client_error(s, &b, 404);
        assert!(!b.to_string().contains("Hello"), "{b}");
        for alias in [path.clone(), path.trim_end_matches('s').to_owned()] {
            let (s, b) = call(srv.req_as(&token, Method::POST, &alias).form(&[
                ("message", "pwned"),
                ("attachments_ids[]", &attachment.to_string()),
            ]))
            .await;
            assert_client_error(s, &b, 404);
        }
        let (s, b) = call(
            srv.req_as(&token, Method::POST, &read_path(c, conversation))
                .form(&[("message_id", &id.to_string())]),
        )
        .await;
        assert_client_error(s, &b, 404);
        let (s, b) = call(srv.req_as(
            &token,
            Method::GET,
            &format!("/p1/companies/{c}/conversations/{conversation}/attachments/{attachment}"),
        ))
        .await;
        assert_client_error(s, &b, 404);
    }
    for path in [
        job_path(company, channel, job),
        job_path(evil, evil_channel, job),
        job_path(evil, channel, job),
    ] {
        let (s, b) = call(srv.req_as(&token, Method::GET, &path)).await;
        assert_client_error(s, &b, 404);
    }
    // The sandbox endpoints of the first user's channel are closed to Mallory too.
    for (sandbox, pairs) in [
        (
            "inbound",
            vec![("sender_external_id", CONTACT), ("message", "spoof")],
        ),
        (
            "contacts",
            vec![("sender_external_id", CONTACT), ("reachable", "false")],
        ),
        ("events", vec![("event", "disabled")]),
    ] {
        let (s, b) = call(
            srv.req_as(
                &token,
                Method::POST,
                &format!("/p1/companies/{company}/channels/{channel}/sandbox/{sandbox}"),
            )
            .form(&pairs),
        )
        .await;
        assert_client_error(s, &b, 404);
    }

    // Nothing changed: same messages, still ack 2, the attachment unsent, delivery works.
    assert_eq!(srv.all_messages(company, conversation).await, before);
    let (s, b) = srv
        .json(
            Method::POST,
            &messages_path(company, conversation),
            json!({"attachments_ids": [attachment]}),
        )
        .await;
    let job = assert_new_job(s, &b, company, (channel, "whatsapp"), conversation);
    let m = message_of_job(&srv, company, conversation, job).await;
    assert_delivered(
        &srv,
        company,
        (channel, "whatsapp"),
        conversation,
        job,
        m["external_id"].as_i64().expect("id"),
    )
    .await;
}

#[tokio::test]
async fn a_delivery_slower_than_the_job_lease_still_finishes_once() {
    let srv = TestServer::start_with(|c| {
        c.sandbox_latency = std::time::Duration::from_millis(1200);
        c.job_lease = std::time::Duration::from_millis(400);
    })
    .await;
    let (company, channel, conversation) = srv.fixture().await;
    let first = srv.all_messages(company, conversation).await;
    let id = first[0]["external_id"].as_i64().expect("id");
    let job = first[0]["job_id"].as_i64().expect("job_id");
    assert_delivered(&srv, company, (channel, "whatsapp"), conversation, job, id).await;
    // Claimed once: the lease was renewed while the slow delivery ran, so no second
    // delivery of the same job started.
    let stored = srv
        .store()
        .await
        .get_job(company, channel, job)
        .await
        .expect("read job")
        .expect("job");
    assert_eq!(stored.attempts, 1, "{stored:?}");
    srv.wait_ack(company, conversation, id, 2).await;
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

#[tokio::test]
async fn a_deleted_channel_fails_its_pending_jobs_and_refuses_sends() {
    let srv =
        TestServer::start_with(|c| c.sandbox_latency = std::time::Duration::from_millis(300)).await;
    let (company, channel, conversation) = srv.fixture().await;
    let first = srv.all_messages(company, conversation).await;
    let job = first[0]["job_id"].as_i64().expect("job_id");
    let (s, b) = call(srv.req(
        Method::DELETE,
        &format!("/p1/companies/{company}/channels/{channel}"),
    ))
    .await;
    assert_eq!(s, 200, "{b}");
    // The job stays readable under the deleted channel and settles.
    let data = srv.wait_job(company, channel, job).await;
    assert!(
        ["delivered", "not_delivered"].contains(&data["state"].as_str().unwrap_or("")),
        "{data}"
    );
    let before = srv.all_messages(company, conversation).await;
    let (s, b) = srv
        .form(
            Method::POST,
            &messages_path(company, conversation),
            &[("message", "anyone?")],
        )
        .await;
    assert_client_error(s, &b, 400);
    assert_eq!(srv.all_messages(company, conversation).await, before);
}
