//! Uploads refused, leaving nothing behind: bad file URLs, file and file_url together or
//! neither, malformed multipart, an unknown or foreign conversation, and no token.

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::json;

use super::file_server::FileServer;
use super::{
    assert_no_blobs, assert_nothing_spooled, assert_stored, assert_uploaded, binary, php_body,
};
use crate::harness::*;

#[tokio::test]
async fn bad_file_urls_are_400_naming_file_url() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let path = attachments_path(company, conversation);
    let long = format!("http://127.0.0.1/{}", "a".repeat(2048));
    for bad in [
        "ftp://x",
        "not a url",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "http://",
        "//127.0.0.1/a.png",
        long.as_str(),
    ] {
        let (s, b) = srv.form(Method::POST, &path, &[("file_url", bad)]).await;
        assert_param_error(s, &b, 400, "file_url");
        let (s, b) = srv
            .json(Method::POST, &path, json!({"file_url": bad}))
            .await;
        assert_param_error(s, &b, 400, "file_url");
    }
    let (s, b) = srv.form(Method::POST, &path, &[("file_url", &long)]).await;
    assert_param_error(s, &b, 400, "file_url");
    assert_eq!(b["errors"][0]["code"], "too_long", "{b}");
    let (s, b) = srv
        .json(Method::POST, &path, json!({"file_url": {"a": 1}}))
        .await;
    assert_param_error(s, &b, 400, "file_url");
    assert_no_blobs(&srv).await;
}

#[tokio::test]
async fn file_and_file_url_together_are_refused() {
    let files = FileServer::start().await;
    let srv = TestServer::start_with(|c| c.allow_private_urls = true).await;
    let (company, _, conversation) = srv.fixture().await;
    let path = attachments_path(company, conversation);
    let url = files.url("/files/report.pdf");

    // Both in the multipart body.
    let form = Form::new()
        .part("file", Part::bytes(binary(100)).file_name("a.png"))
        .text("file_url", url.clone());
    let (s, b) = call(srv.req(Method::POST, &path).multipart(form)).await;
    assert_param_error(s, &b, 400, "file");

    // The file in the body, the URL in the query string.
    let form = Form::new().part("file", Part::bytes(binary(100)).file_name("a.png"));
    let query = format!(
        "{path}?file_url={}",
        url.replace(':', "%3A").replace('/', "%2F")
    );
    let (s, b) = call(srv.req(Method::POST, &query).multipart(form)).await;
    assert_param_error(s, &b, 400, "file");

    assert_eq!(files.hits(), 0, "nothing is fetched for a refused request");
    assert_no_blobs(&srv).await;
    assert_nothing_spooled(&srv);
}

#[tokio::test]
async fn neither_file_nor_file_url_is_a_400_naming_file() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let path = attachments_path(company, conversation);

    let (s, b) = srv.form(Method::POST, &path, &[]).await;
    assert_param_error(s, &b, 400, "file");
    let (s, b) = srv.json(Method::POST, &path, json!({})).await;
    assert_param_error(s, &b, 400, "file");
    let (s, b) = call(srv.req(Method::POST, &path)).await;
    assert_param_error(s, &b, 400, "file");
    // An empty file_url is no file_url.
    let (s, b) = srv.form(Method::POST, &path, &[("file_url", "")]).await;
    assert_param_error(s, &b, 400, "file");
    let (s, b) = srv
        .json(Method::POST, &path, json!({"file_url": null}))
        .await;
    assert_param_error(s, &b, 400, "file");
    // A multipart body with only other fields.
    let form = Form::new().text("other", "x");
    let (s, b) = call(srv.req(Method::POST, &path).multipart(form)).await;
    assert_param_error(s, &b, 400, "file");
    // `file` as a plain form value is not an upload.
    let (s, b) = srv.form(Method::POST, &path, &[("file", "hello")]).await;
    assert_param_error(s, &b, 400, "file");
    let (s, b) = srv
        .json(Method::POST, &path, json!({"file": "aGVsbG8="}))
        .await;
    assert_param_error(s, &b, 400, "file");

    assert_no_blobs(&srv).await;
    assert_nothing_spooled(&srv);
}

#[tokio::test]
async fn malformed_multipart_is_a_400_and_leaves_nothing() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let path = attachments_path(company, conversation);
    let boundary = "65f1c3a9b2e4d1.83920417";
    let content_type = format!("multipart/form-data; boundary=\"{boundary}\"");

    // Cut off in the middle of the file part: the spooled half must not stay behind.
    let mut body = php_body(boundary, Some("x.png"), "image/png", &binary(3000));
    body.truncate(1500);
    let (s, b) = call(
        srv.req(Method::POST, &path)
            .header(reqwest::header::CONTENT_TYPE, &content_type)
            .body(body),
    )
    .await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["status"], "error", "{b}");

    // A multipart label without a boundary.
    let (s, b) = call(
        srv.req(Method::POST, &path)
            .header(reqwest::header::CONTENT_TYPE, "multipart/form-data")
            .body("file=x"),
    )
    .await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["status"], "error", "{b}");

    // A body that does not use the announced boundary.
    let (s, b) = call(
        srv.req(Method::POST, &path)
            .header(reqwest::header::CONTENT_TYPE, &content_type)
            .body(php_body(
                "other.boundary",
                Some("x.png"),
                "image/png",
                b"abc",
            )),
    )
    .await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["status"], "error", "{b}");

    assert_no_blobs(&srv).await;
    assert_nothing_spooled(&srv);
}

#[tokio::test]
async fn unknown_or_foreign_conversation_is_404() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let other_company = srv.company("Other").await;
    srv.channel(other_company, "whatsapp").await;
    let other_conversation = srv.conversation(other_company, "79250000002").await;
    assert_ne!(other_conversation, conversation);

    let cases = [
        (
            company,
            (other_conversation + 1000).to_string(),
            "conversation",
        ),
        // The user's own conversation, through the wrong company.
        (company, other_conversation.to_string(), "conversation"),
        (other_company, conversation.to_string(), "conversation"),
        (company, "abc".to_owned(), "conversation"),
        (company, "0".to_owned(), "conversation"),
        (other_company + 1000, conversation.to_string(), "company"),
    ];
    for (company, conversation, what) in &cases {
        let path =
            format!("/p1/companies/{company}/conversations/{conversation}/messages/attachments");
        let part = Part::bytes(binary(300)).file_name("a.png");
        let (s, b) = call(
            srv.req(Method::POST, &path)
                .multipart(Form::new().part("file", part)),
        )
        .await;
        assert_eq!(s, 404, "{path}: {b}");
        assert_eq!(
            b,
            json!({"status": "error", "message": format!("{what} not found")}),
            "{path}"
        );
    }
    assert_no_blobs(&srv).await;
    assert_nothing_spooled(&srv);

    // The same uploads land where they belong when addressed right.
    let (s, b) = srv
        .upload_as(
            &srv.token,
            other_company,
            other_conversation,
            "a.png",
            binary(300),
        )
        .await;
    let id = assert_uploaded(s, &b, other_conversation);
    assert_stored(
        &srv,
        (other_company, other_conversation, id),
        ("a.png", "image/png", None),
        &binary(300),
    )
    .await;
    assert_eq!(
        srv.attachment_blobs(company, conversation).await,
        Vec::<String>::new()
    );
    // The attachment is not visible through the other company.
    let seen = srv
        .store()
        .await
        .get_attachment(company, id)
        .await
        .expect("read");
    assert_eq!(seen, None);
}

#[tokio::test]
async fn upload_needs_a_token() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let form = Form::new().part("file", Part::bytes(binary(10)).file_name("a.png"));
    let (s, b) = call(
        srv.http
            .post(srv.url(&attachments_path(company, conversation)))
            .multipart(form),
    )
    .await;
    assert_eq!(s, 401, "{b}");
    let (s, b) = srv
        .upload_as("wrong", company, conversation, "a.png", binary(10))
        .await;
    assert_eq!(s, 401, "{b}");
    assert_no_blobs(&srv).await;
    assert_nothing_spooled(&srv);
}
