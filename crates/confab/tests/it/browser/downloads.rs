//! Attachments opened in Chromium, as an operator's click would: a safe image is shown in
//! place, while an uploaded page or SVG is saved as a file and never runs in confab's
//! origin (where the operator's session lives).

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use super::{Browser, WAIT};
use crate::harness::*;

/// A 1x1 transparent PNG.
const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

/// What the uploaded page and SVG would do if they ran: rename the document.
const HTML: &[u8] = b"<!doctype html><title>uploaded page</title><p id=pwned>uploaded</p>\
    <script>document.title = 'script ran'</script>";
const SVG: &[u8] =
    b"<svg xmlns='http://www.w3.org/2000/svg' onload=\"document.title = 'script ran'\">\
    <title>uploaded svg</title><rect id='pwned' width='10' height='10'/></svg>";

/// Uploads `bytes` as `name` (the type guessed from the name, as for `curl -F`); answers
/// the path that downloads it with the token in the query, as a link in a page would.
async fn upload(
    srv: &TestServer,
    (company, conversation): (i64, i64),
    name: &str,
    bytes: &[u8],
) -> String {
    let part = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_owned());
    let form = reqwest::multipart::Form::new().part("file", part);
    let (status, body) = call(
        srv.req(Method::POST, &attachments_path(company, conversation))
            .multipart(form),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let id = body["data"]["external_id"]
        .as_i64()
        .expect("the attachment's id");
    format!(
        "/p1/companies/{company}/conversations/{conversation}/attachments/{id}?private_api_token={}",
        srv.token
    )
}

#[tokio::test]
async fn a_png_is_shown_in_place_and_an_uploaded_page_or_svg_only_saved() {
    let srv = TestServer::start().await;
    let Some(browser) = Browser::open(&srv.base).await else {
        return;
    };
    let (company, _, conversation) = srv.fixture().await;
    let at = (company, conversation);
    let png = upload(&srv, at, "pixel.png", PNG_1X1).await;

    browser.goto(&png).await;
    browser
        .wait_until("the PNG drawn as an image document", |client| async move {
            let drawn = client
                .execute(
                    "const img = document.images[0]; return document.contentType === 'image/png' \
                     && !!img && img.complete && img.naturalWidth === 1;",
                    vec![],
                )
                .await?;
            Ok(drawn == json!(true))
        })
        .await;

    for (name, bytes) in [("invite.html", HTML), ("badge.svg", SVG)] {
        let path = upload(&srv, at, name, bytes).await;
        // From a page of confab's own, as a link in the inbox would be followed.
        browser.goto("/login").await;
        browser.wait_for("#password").await;
        // A navigation that turns into a download may be reported as aborted: what counts is
        // what the browser shows and saves afterwards.
        let _ = browser.client.goto(&browser.url(&path)).await;
        let saved = browser.downloads_dir().join(name);
        wait_for_file(&saved, bytes).await;
        assert_eq!(browser.path().await, "/login", "{name} was not opened");
        let title = browser.client.title().await.expect("the title");
        assert_eq!(title, "Log in · confab", "{name}");
        assert!(browser.find_all("#pwned").await.is_empty(), "{name}");
    }
    browser.close().await;
}

/// Waits (up to [`WAIT`]) until `path` holds exactly `bytes` (Chromium writes a
/// `.crdownload` first and renames it when done).
async fn wait_for_file(path: &std::path::Path, bytes: &[u8]) {
    let started = Instant::now();
    loop {
        if std::fs::read(path).is_ok_and(|got| got == bytes) {
            return;
        }
        assert!(
            started.elapsed() < WAIT,
            "{} was not saved within {WAIT:?}",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
