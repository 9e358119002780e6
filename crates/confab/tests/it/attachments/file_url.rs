//! Attachments fetched from a `file_url`: by form and JSON, through a redirect, failing or
//! timing out, and loopback URLs refused unless allowed.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use super::file_server::{FileServer, REPORT, closed_port};
use super::{assert_no_blobs, assert_nothing_spooled, assert_stored, assert_uploaded};
use crate::harness::*;

#[tokio::test]
async fn file_url_via_form_and_json() {
    let files = FileServer::start().await;
    let srv = TestServer::start_with(|c| c.allow_private_urls = true).await;
    let (company, _, conversation) = srv.fixture().await;
    let path = attachments_path(company, conversation);

    // PHP: a form body.
    let url = files.url("/files/report.pdf");
    let (status, body) = srv.form(Method::POST, &path, &[("file_url", &url)]).await;
    let id = assert_uploaded(status, &body, conversation);
    assert_stored(
        &srv,
        (company, conversation, id),
        ("report.pdf", "application/pdf", Some(url.as_str())),
        REPORT,
    )
    .await;
    assert_eq!(files.hits(), 1);

    // Python: a JSON body.
    let (status, body) = srv
        .json(Method::POST, &path, json!({"file_url": url}))
        .await;
    let second = assert_uploaded(status, &body, conversation);
    assert_ne!(second, id);
    assert_stored(
        &srv,
        (company, conversation, second),
        ("report.pdf", "application/pdf", Some(url.as_str())),
        REPORT,
    )
    .await;
    assert_eq!(files.hits(), 2);

    // A URL without a last path segment is named `file`.
    let root = files.url("/");
    let (status, body) = srv
        .json(Method::POST, &path, json!({"file_url": root}))
        .await;
    let third = assert_uploaded(status, &body, conversation);
    assert_stored(
        &srv,
        (company, conversation, third),
        ("file", "application/pdf", Some(root.as_str())),
        REPORT,
    )
    .await;
    assert_eq!(srv.attachment_blobs(company, conversation).await.len(), 3);
    assert_nothing_spooled(&srv);
}

#[tokio::test]
async fn file_url_follows_a_redirect() {
    let files = FileServer::start().await;
    let srv = TestServer::start_with(|c| c.allow_private_urls = true).await;
    let (company, _, conversation) = srv.fixture().await;
    let url = files.url("/redirect");
    let (status, body) = srv
        .form(
            Method::POST,
            &attachments_path(company, conversation),
            &[("file_url", &url)],
        )
        .await;
    let id = assert_uploaded(status, &body, conversation);
    assert_eq!(files.hits(), 2, "the redirect and its target");
    let stored = srv
        .store()
        .await
        .get_attachment(company, id)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(stored.mime_type, "application/pdf");
    assert_eq!(stored.source_url.as_deref(), Some(url.as_str()));
    let on_disk = srv.read_blob(&stored.blob_key).await;
    assert!(on_disk == REPORT, "the redirect target's bytes are stored");
}

#[tokio::test]
async fn file_url_that_fails_is_a_400() {
    let files = FileServer::start().await;
    let srv = TestServer::start_with(|c| c.allow_private_urls = true).await;
    let (company, _, conversation) = srv.fixture().await;
    let path = attachments_path(company, conversation);

    // The target answers 404.
    let (s, b) = srv
        .form(Method::POST, &path, &[("file_url", &files.url("/missing"))])
        .await;
    assert_param_error(s, &b, 400, "file_url");
    assert!(
        b["message"].as_str().unwrap_or_default().contains("404"),
        "{b}"
    );
    assert_eq!(files.hits(), 1);

    // Nothing listens on the port.
    let port = closed_port().await;
    let url = format!("http://127.0.0.1:{port}/a.png");
    let (s, b) = srv
        .json(Method::POST, &path, json!({"file_url": url}))
        .await;
    assert_param_error(s, &b, 400, "file_url");
    assert!(
        b["message"]
            .as_str()
            .unwrap_or_default()
            .contains("could not be fetched"),
        "{b}"
    );

    assert_no_blobs(&srv).await;
    assert_nothing_spooled(&srv);
}

#[tokio::test]
async fn loopback_file_urls_are_refused_by_default() {
    let files = FileServer::start().await;
    let srv = TestServer::start().await;
    assert!(!srv.config().allow_private_urls);
    let (company, _, conversation) = srv.fixture().await;
    let path = attachments_path(company, conversation);
    let port = files.port();
    let urls = [
        files.url("/files/report.pdf"),
        format!("http://localhost:{port}/files/report.pdf"),
        format!("http://LocalHost:{port}/files/report.pdf"),
        format!("http://[::1]:{port}/files/report.pdf"),
        format!("http://127.1:{port}/files/report.pdf"),
        format!("http://2130706433:{port}/files/report.pdf"),
        format!("http://0x7f.0.0.1:{port}/files/report.pdf"),
        format!("http://[::ffff:127.0.0.1]:{port}/files/report.pdf"),
        format!("https://127.0.0.1:{port}/files/report.pdf"),
        format!("http://127.0.0.1:{port}/redirect"),
    ];
    for url in &urls {
        let (s, b) = srv.form(Method::POST, &path, &[("file_url", url)]).await;
        assert_param_error(s, &b, 400, "file_url");
        let message = b["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("non-public") && message.contains("--allow-private-urls"),
            "{url}: not refused by the guard, or without the hint: {b}"
        );
        let (s, b) = srv
            .json(Method::POST, &path, json!({"file_url": url}))
            .await;
        assert_param_error(s, &b, 400, "file_url");
    }
    assert_eq!(files.hits(), 0, "the guard let a request through");
    assert_no_blobs(&srv).await;
    assert_nothing_spooled(&srv);

    // The same target is fetched once the flag is on, so the refusals above were the guard.
    let open = TestServer::start_with(|c| c.allow_private_urls = true).await;
    let (company, _, conversation) = open.fixture().await;
    let url = format!("http://localhost:{port}/files/report.pdf");
    let (status, body) = open
        .form(
            Method::POST,
            &attachments_path(company, conversation),
            &[("file_url", &url)],
        )
        .await;
    assert_uploaded(status, &body, conversation);
    assert_eq!(files.hits(), 1);
}

#[tokio::test]
async fn file_url_that_times_out_is_a_400() {
    let files = FileServer::start().await;
    let srv = TestServer::start_with(|c| {
        c.allow_private_urls = true;
        c.fetch_timeout = Duration::from_millis(300);
    })
    .await;
    let (company, _, conversation) = srv.fixture().await;
    let started = std::time::Instant::now();
    let (s, b) = srv
        .form(
            Method::POST,
            &attachments_path(company, conversation),
            &[("file_url", &files.url("/slow"))],
        )
        .await;
    assert_param_error(s, &b, 400, "file_url");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the timeout was not applied"
    );
    assert_eq!(files.hits(), 1);
    assert_no_blobs(&srv).await;
    assert_nothing_spooled(&srv);
}
