//! Messages: the list and its pagination, sending (text, attachments, interactive,
//! send_to_crm), delivery jobs and acks through the sandbox connector, and the rules that
//! keep one tenant's messages and jobs away from another. The helpers the topics share are
//! here; the tests are in one file a topic.

mod delivery;
mod list;
mod refusals;
mod send;
mod send_attachments;

use reqwest::Method;
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
        // Only images a browser just draws are shown in place; the names here are ASCII.
        let kind = match mime {
            "image/png" | "image/jpeg" | "image/gif" | "image/webp" => "inline",
            _ => "attachment",
        };
        assert_eq!(
            disposition,
            Some(format!("{kind}; filename=\"{file_name}\""))
        );
        assert!(
            got == bytes,
            "downloaded bytes differ from the uploaded ones"
        );
    }
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
