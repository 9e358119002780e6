//! Files meant to fool a browser or a person: an uploaded page is never served as one,
//! names cannot fake their extension, and a compressed `file_url` is stored decoded.

use reqwest::Method;
use serde_json::json;

use super::file_server::{DECODED, FileServer};
use super::{assert_stored, assert_uploaded};
use crate::harness::*;

/// Uploads `bytes` as `file_name` with `mime`; returns the attachment id.
async fn upload_typed(
    srv: &TestServer,
    (company, conversation): (i64, i64),
    file_name: &str,
    mime: &str,
    bytes: &[u8],
) -> i64 {
    let part = reqwest::multipart::Part::bytes(bytes.to_vec())
        .file_name(file_name.to_owned())
        .mime_str(mime)
        .expect("mime");
    let form = reqwest::multipart::Form::new().part("file", part);
    let (status, body) = call(
        srv.req(Method::POST, &attachments_path(company, conversation))
            .multipart(form),
    )
    .await;
    assert_uploaded(status, &body, conversation)
}

/// Sends the attachment in a message and downloads it; answers the headers.
async fn download_headers(
    srv: &TestServer,
    (company, conversation): (i64, i64),
    id: i64,
) -> reqwest::header::HeaderMap {
    let (status, body) = srv
        .form(
            Method::POST,
            &messages_path(company, conversation),
            &[("attachments_ids[]", &id.to_string())],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let messages = srv.all_messages(company, conversation).await;
    let url = messages
        .iter()
        .flat_map(|m| m["attachments"].as_array().cloned().unwrap_or_default())
        .find(|a| a["external_id"] == id)
        .and_then(|a| a["attachment_url"].as_str().map(str::to_owned))
        .expect("the attachment is in a message");
    let response = srv.req(Method::GET, &url).send().await.expect("download");
    assert_eq!(response.status(), 200);
    response.headers().clone()
}

#[tokio::test]
async fn downloads_are_never_run_by_the_browser() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let at = (company, conversation);
    for (name, claimed, served) in [
        ("page.html", "text/html", "application/octet-stream"),
        ("logo.svg", "image/svg+xml", "application/octet-stream"),
        ("app.js", "text/javascript", "application/octet-stream"),
        ("photo.png", "image/png", "image/png"),
        ("report.pdf", "application/pdf", "application/pdf"),
        ("voice.ogg", "audio/ogg", "audio/ogg"),
    ] {
        let id = upload_typed(&srv, at, name, claimed, b"<script>alert(1)</script>").await;
        let headers = download_headers(&srv, at, id).await;
        assert_eq!(headers["content-type"], served, "{name}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{name}");
        assert_eq!(headers["content-security-policy"], "sandbox", "{name}");
    }
    // The API still reports what the uploader said.
    let messages = srv.all_messages(company, conversation).await;
    let html = messages
        .iter()
        .flat_map(|m| m["attachments"].as_array().cloned().unwrap_or_default())
        .find(|a| a["file_name"] == "page.html")
        .expect("listed");
    assert_eq!(html["mime_type"], "text/html");
}

#[tokio::test]
async fn file_names_cannot_fake_their_extension() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let id = upload_typed(
        &srv,
        (company, conversation),
        "invoice\u{202e}fdp.exe",
        "application/octet-stream",
        b"MZ",
    )
    .await;
    let stored = srv
        .store()
        .await
        .get_attachment(company, id)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(stored.file_name, "invoicefdp.exe");
}

#[tokio::test]
async fn a_gzip_file_url_is_stored_decoded_and_other_encodings_refused() {
    let files = FileServer::start().await;
    let srv = TestServer::start_with(|c| c.allow_private_urls = true).await;
    let (company, _, conversation) = srv.fixture().await;
    let path = attachments_path(company, conversation);
    let url = files.url("/files/report.txt.gz");
    let (status, body) = srv
        .json(Method::POST, &path, json!({"file_url": url}))
        .await;
    let id = assert_uploaded(status, &body, conversation);
    assert_stored(
        &srv,
        (company, conversation, id),
        ("report.txt.gz", "text/plain", Some(url.as_str())),
        DECODED,
    )
    .await;

    let url = files.url("/files/report.br");
    let (status, body) = srv
        .json(Method::POST, &path, json!({"file_url": url}))
        .await;
    assert_param_error(status, &body, 400, "file_url");
    assert!(body.to_string().contains("Content-Encoding br"), "{body}");
}
