//! Attachments (`POST /p1/companies/CID/conversations/ID/messages/attachments`): uploads,
//! `file_url`, validation, the size limit. The helpers the topics share are here, the local
//! file server in `file_server.rs`; the tests are in one file a topic.

mod file_server;
mod file_url;
mod hostile_files;
mod size_limit;
mod uploads;
mod validation;

use serde_json::{Value, json};

use crate::harness::*;

/// Bytes that are not valid UTF-8 and contain CR LF and a fake boundary, so a parser that
/// treats the part as text or splits on the wrong thing is caught.
fn binary(len: usize) -> Vec<u8> {
    let mut bytes: Vec<u8> = (0..len).map(|i| (i * 7 % 256) as u8).collect();
    let trap = b"\r\n--not-the-boundary\r\n";
    if len > trap.len() + 8 {
        bytes[4..4 + trap.len()].copy_from_slice(trap);
    }
    bytes
}

/// Asserts the success shape and returns the attachment id.
#[track_caller]
fn assert_uploaded(status: u16, body: &Value, conversation: i64) -> i64 {
    assert_eq!(status, 200, "{body}");
    let id = body["data"]["external_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("external_id is not an int: {body}"));
    assert!(id > 0, "{body}");
    assert_eq!(
        body,
        &json!({"status": "ok", "data": {"external_id": id, "conversation": {"external_id": conversation}}})
    );
    id
}

/// Reads back the stored attachment and its bytes: checks the row's metadata and that the
/// blob holds exactly `bytes`, in the conversation's folder.
async fn assert_stored(
    srv: &TestServer,
    (company, conversation, id): (i64, i64, i64),
    (file_name, mime_type, source_url): (&str, &str, Option<&str>),
    bytes: &[u8],
) {
    let stored = srv
        .store()
        .await
        .get_attachment(company, id)
        .await
        .expect("read attachment")
        .expect("attachment stored");
    assert_eq!(stored.company_id, company);
    assert_eq!(stored.conversation_id, conversation);
    assert_eq!(stored.message_id, None);
    assert_eq!(stored.file_name, file_name);
    assert_eq!(stored.mime_type, mime_type);
    assert_eq!(stored.size, i64::try_from(bytes.len()).expect("size"));
    assert_eq!(stored.source_url.as_deref(), source_url);
    let prefix = format!("attachments/{company}/{conversation}/");
    assert!(stored.blob_key.starts_with(&prefix), "{}", stored.blob_key);
    assert!(
        srv.attachment_blobs(company, conversation)
            .await
            .contains(&stored.blob_key),
        "{} not in the conversation's folder",
        stored.blob_key
    );
    let on_disk = srv.read_blob(&stored.blob_key).await;
    assert!(
        on_disk == bytes,
        "stored bytes differ from the uploaded bytes"
    );
}

#[track_caller]
fn assert_nothing_spooled(srv: &TestServer) {
    assert_eq!(
        srv.spool_files(),
        Vec::<std::path::PathBuf>::new(),
        "leftover spool files"
    );
}

async fn assert_no_blobs(srv: &TestServer) {
    assert_eq!(
        srv.blob_keys().await,
        Vec::<String>::new(),
        "blobs were stored"
    );
}

/// A multipart body as the PHP SDK (Guzzle over libcurl) builds it: quoted boundary with a
/// dot, per-part Content-Length and Content-Type, filename only for real files.
fn php_body(boundary: &str, file_name: Option<&str>, mime: &str, bytes: &[u8]) -> Vec<u8> {
    let disposition = match file_name {
        Some(name) => format!("form-data; name=\"file\"; filename=\"{name}\""),
        None => "form-data; name=\"file\"".to_owned(),
    };
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: {disposition}\r\nContent-Length: {}\r\nContent-Type: {mime}\r\n\r\n",
        bytes.len()
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}
