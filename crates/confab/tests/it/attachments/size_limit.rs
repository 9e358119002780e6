//! The upload size limit: an upload or a `file_url` body over it is a 413, and nothing is
//! kept.

use reqwest::Method;
use serde_json::json;

use super::file_server::FileServer;
use super::{
    assert_no_blobs, assert_nothing_spooled, assert_stored, assert_uploaded, binary, php_body,
};
use crate::harness::*;

#[tokio::test]
async fn upload_over_the_limit_is_413_and_nothing_is_kept() {
    let srv = TestServer::start_with(|c| c.max_attachment_size = 1024).await;
    let (company, _, conversation) = srv.fixture().await;

    let (status, body) = srv
        .upload_as(&srv.token, company, conversation, "big.bin", binary(1025))
        .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["status"], "error", "{body}");
    assert_no_blobs(&srv).await;
    assert_nothing_spooled(&srv);

    // PHP style, with the part's Content-Length telling the truth.
    let boundary = "65f1c3a9b2e4d1.00000001";
    let (status, body) = call(
        srv.req(Method::POST, &attachments_path(company, conversation))
            .header(
                reqwest::header::CONTENT_TYPE,
                format!("multipart/form-data; boundary=\"{boundary}\""),
            )
            .body(php_body(
                boundary,
                Some("big.png"),
                "image/png",
                &binary(4000),
            )),
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert_no_blobs(&srv).await;
    assert_nothing_spooled(&srv);

    // Exactly the limit is fine.
    let bytes = binary(1024);
    let (status, body) = srv
        .upload_as(&srv.token, company, conversation, "fits.bin", bytes.clone())
        .await;
    let id = assert_uploaded(status, &body, conversation);
    assert_stored(
        &srv,
        (company, conversation, id),
        ("fits.bin", "application/octet-stream", None),
        &bytes,
    )
    .await;
    assert_eq!(srv.blob_keys().await.len(), 1);
    assert_nothing_spooled(&srv);
}

#[tokio::test]
async fn large_upload_over_the_limit_gets_its_413() {
    // Far more than the limit: the client is still sending when the server has decided.
    let srv = TestServer::start_with(|c| c.max_attachment_size = 1024).await;
    let (company, _, conversation) = srv.fixture().await;
    let (status, body) = srv
        .upload_as(
            &srv.token,
            company,
            conversation,
            "big.bin",
            binary(512 * 1024),
        )
        .await;
    assert_eq!(status, 413, "{body}");
    assert_no_blobs(&srv).await;
    assert_nothing_spooled(&srv);
}

#[tokio::test]
async fn file_url_over_the_limit_is_413_and_nothing_is_kept() {
    let files = FileServer::start().await;
    let srv = TestServer::start_with(|c| {
        c.max_attachment_size = 1024;
        c.allow_private_urls = true;
    })
    .await;
    let (company, _, conversation) = srv.fixture().await;
    let path = attachments_path(company, conversation);

    // Announced by Content-Length, and found only by counting a chunked answer.
    for url in [files.url("/sized/1025"), files.url("/stream/5000")] {
        let (status, body) = srv.form(Method::POST, &path, &[("file_url", &url)]).await;
        assert_eq!(status, 413, "{url}: {body}");
        assert_eq!(body["status"], "error", "{body}");
        assert_no_blobs(&srv).await;
        assert_nothing_spooled(&srv);
    }
    assert_eq!(files.hits(), 2);

    // Exactly the limit is fine, both ways.
    for url in [files.url("/sized/1024"), files.url("/stream/1024")] {
        let (status, body) = srv
            .json(Method::POST, &path, json!({"file_url": url}))
            .await;
        let id = assert_uploaded(status, &body, conversation);
        assert_stored(
            &srv,
            (company, conversation, id),
            ("1024", "application/octet-stream", Some(url.as_str())),
            &binary(1024),
        )
        .await;
    }
    assert_eq!(srv.blob_keys().await.len(), 2);
    assert_nothing_spooled(&srv);
}
