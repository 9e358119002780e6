//! Files meant to fool a browser or a person: an uploaded page is never served as one,
//! only safe images are shown in place, names cannot fake their extension or break out of
//! `Content-Disposition`, and a compressed `file_url` is stored decoded.

use reqwest::Method;
use serde_json::json;

use super::file_server::{DECODED, FileServer};
use super::{assert_stored, assert_uploaded};
use crate::harness::*;

/// A 1x1 transparent PNG.
const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

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
    // (name, type claimed at upload, Content-Type served, disposition)
    for (name, claimed, served, disposition) in [
        (
            "page.html",
            "text/html",
            "application/octet-stream",
            "attachment",
        ),
        (
            "page.xhtml",
            "application/xhtml+xml",
            "application/octet-stream",
            "attachment",
        ),
        (
            "logo.svg",
            "image/svg+xml",
            "application/octet-stream",
            "attachment",
        ),
        (
            "app.js",
            "text/javascript",
            "application/octet-stream",
            "attachment",
        ),
        ("photo.png", "image/png", "image/png", "inline"),
        ("photo.jpg", "image/jpeg", "image/jpeg", "inline"),
        ("anim.gif", "image/gif", "image/gif", "inline"),
        ("pic.webp", "image/webp", "image/webp", "inline"),
        (
            "report.pdf",
            "application/pdf",
            "application/pdf",
            "attachment",
        ),
        ("notes.txt", "text/plain", "text/plain", "attachment"),
        ("voice.ogg", "audio/ogg", "audio/ogg", "attachment"),
    ] {
        let id = upload_typed(&srv, at, name, claimed, b"<script>alert(1)</script>").await;
        let headers = download_headers(&srv, at, id).await;
        assert_eq!(headers["content-type"], served, "{name}");
        assert_eq!(
            headers["content-disposition"],
            format!("{disposition}; filename=\"{name}\"").as_str(),
            "{name}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff", "{name}");
        assert_eq!(
            headers["content-security-policy"], "sandbox; default-src 'none'",
            "{name}"
        );
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
async fn an_uploaded_page_or_svg_is_saved_and_a_png_shown_in_place() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let at = (company, conversation);
    // Types guessed from the names (the part has none), as a plain `curl -F` upload gives.
    for (name, bytes, disposition) in [
        (
            "invite.html",
            &b"<!doctype html><script>fetch('/p1/companies')</script>"[..],
            "attachment",
        ),
        (
            "badge.svg",
            &b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"[..],
            "attachment",
        ),
        ("pixel.png", PNG_1X1, "inline"),
    ] {
        let part = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_owned());
        let form = reqwest::multipart::Form::new().part("file", part);
        let (status, body) = call(
            srv.req(Method::POST, &attachments_path(company, conversation))
                .multipart(form),
        )
        .await;
        let id = assert_uploaded(status, &body, conversation);
        let headers = download_headers(&srv, at, id).await;
        let got = headers["content-disposition"].to_str().expect("ASCII");
        assert_eq!(got, format!("{disposition}; filename=\"{name}\""), "{name}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{name}");
        assert!(
            headers["content-security-policy"]
                .to_str()
                .expect("ASCII")
                .starts_with("sandbox"),
            "{name}"
        );
        if disposition == "inline" {
            assert_eq!(headers["content-type"], "image/png");
        } else {
            assert_eq!(
                headers["content-type"], "application/octet-stream",
                "{name}"
            );
        }
    }
}

#[tokio::test]
async fn names_beyond_ascii_are_sent_both_ways_and_safely_quoted() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let at = (company, conversation);
    for (name, mime, header) in [
        (
            "отчёт.pdf",
            "application/pdf",
            "attachment; filename=\"_____.pdf\"; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82.pdf",
        ),
        (
            "say \"hi\"; x=1.png",
            "image/png",
            "inline; filename=\"say _hi_; x=1.png\"; filename*=UTF-8''say%20%22hi%22%3B%20x%3D1.png",
        ),
    ] {
        let id = upload_typed(&srv, at, name, mime, b"bytes").await;
        let headers = download_headers(&srv, at, id).await;
        assert_eq!(headers["content-disposition"], header, "{name}");
    }
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
