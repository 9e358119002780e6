//! Multipart uploads as curl, PHP (with and without a file name, with `Expect: 100-continue`)
//! and Python send them, an empty file, and UTF-8 file names.

use std::time::Duration;

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{assert_nothing_spooled, assert_stored, assert_uploaded, binary, php_body};
use crate::harness::*;

#[tokio::test]
async fn curl_style_upload_stores_the_bytes() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let bytes = binary(5000);
    let (status, body) = srv
        .upload_as(
            &srv.token,
            company,
            conversation,
            "photo.png",
            bytes.clone(),
        )
        .await;
    let id = assert_uploaded(status, &body, conversation);
    assert_stored(
        &srv,
        (company, conversation, id),
        ("photo.png", "image/png", None),
        &bytes,
    )
    .await;
    assert_eq!(srv.attachment_blobs(company, conversation).await.len(), 1);
    assert_nothing_spooled(&srv);

    // A second upload is a new attachment with a new id and its own blob.
    let other = b"second file".to_vec();
    let part = Part::bytes(other.clone())
        .file_name("C:\\fakepath\\notes.txt")
        .mime_str("text/plain")
        .expect("mime");
    let form = Form::new().text("note", "ignored").part("file", part);
    let (status, body) = call(
        srv.req(Method::POST, &attachments_path(company, conversation))
            .multipart(form),
    )
    .await;
    let second = assert_uploaded(status, &body, conversation);
    assert!(second > id, "{second} after {id}");
    assert_stored(
        &srv,
        (company, conversation, second),
        ("notes.txt", "text/plain", None),
        &other,
    )
    .await;
    assert_stored(
        &srv,
        (company, conversation, id),
        ("photo.png", "image/png", None),
        &bytes,
    )
    .await;
    assert_eq!(srv.attachment_blobs(company, conversation).await.len(), 2);
    assert_nothing_spooled(&srv);
}

#[tokio::test]
async fn empty_file_is_stored() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let (status, body) = srv
        .upload_as(&srv.token, company, conversation, "empty.bin", Vec::new())
        .await;
    let id = assert_uploaded(status, &body, conversation);
    assert_stored(
        &srv,
        (company, conversation, id),
        ("empty.bin", "application/octet-stream", None),
        &[],
    )
    .await;
}

#[tokio::test]
async fn php_style_upload_with_and_without_filename() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let boundary = "65f1c3a9b2e4d1.83920417";
    let content_type = format!("multipart/form-data; boundary=\"{boundary}\"");

    let bytes = binary(3000);
    let body = php_body(boundary, Some("fennec.png"), "image/png", &bytes);
    let (status, answer) = call(
        srv.req(Method::POST, &attachments_path(company, conversation))
            .header(reqwest::header::CONTENT_TYPE, &content_type)
            .body(body),
    )
    .await;
    let id = assert_uploaded(status, &answer, conversation);
    assert_stored(
        &srv,
        (company, conversation, id),
        ("fennec.png", "image/png", None),
        &bytes,
    )
    .await;

    // A php:// stream: no filename; the part named `file` is the upload all the same, and
    // the part's own Content-Type is kept.
    let stream = binary(700);
    let body = php_body(boundary, None, "application/pdf", &stream);
    let (status, answer) = call(
        srv.req(Method::POST, &attachments_path(company, conversation))
            .header(reqwest::header::CONTENT_TYPE, &content_type)
            .body(body),
    )
    .await;
    let id = assert_uploaded(status, &answer, conversation);
    assert_stored(
        &srv,
        (company, conversation, id),
        ("file", "application/pdf", None),
        &stream,
    )
    .await;
    assert_eq!(srv.attachment_blobs(company, conversation).await.len(), 2);
    assert_nothing_spooled(&srv);
}

#[tokio::test]
async fn php_upload_mode_with_expect_continue() {
    // libcurl's upload mode: `Expect: 100-continue`, the body only after the interim answer.
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let boundary = "5e8f0a1b2c3d4.12345678";
    let bytes = binary(2048);
    let body = php_body(boundary, Some("fennec.png"), "image/png", &bytes);
    let addr = srv.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {addr}\r\nX-Private-Api-Token: {}\r\nAccept: */*\r\n\
         Content-Type: multipart/form-data; boundary=\"{boundary}\"\r\nContent-Length: {}\r\n\
         Expect: 100-continue\r\nConnection: close\r\n\r\n",
        attachments_path(company, conversation),
        srv.token,
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("write head");
    let mut interim = [0u8; 25];
    tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut interim))
        .await
        .expect("no 100 Continue within 5 s")
        .expect("read interim answer");
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    stream.write_all(&body).await.expect("write body");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("answer within 5 s")
        .expect("read answer");
    let text = String::from_utf8(answer).expect("utf-8 answer");
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    let json_start = text.find("\r\n\r\n").expect("end of head") + 4;
    let answer: Value = serde_json::from_str(&text[json_start..]).expect("JSON answer");
    let id = assert_uploaded(200, &answer, conversation);
    assert_stored(
        &srv,
        (company, conversation, id),
        ("fennec.png", "image/png", None),
        &bytes,
    )
    .await;
}

#[tokio::test]
async fn python_style_upload() {
    // The Python SDK: unquoted hex boundary, part filename `file`, no part Content-Type.
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let boundary = "9b1e0c4f7a2d43e58c6b1a0f3d2e7c91";
    let bytes = binary(1500);
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"file\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let (status, answer) = call(
        srv.req(Method::POST, &attachments_path(company, conversation))
            .header(reqwest::header::ACCEPT, "application/json")
            .header(
                reqwest::header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body),
    )
    .await;
    let id = assert_uploaded(status, &answer, conversation);
    assert_stored(
        &srv,
        (company, conversation, id),
        ("file", "application/octet-stream", None),
        &bytes,
    )
    .await;
    assert_nothing_spooled(&srv);
}

#[tokio::test]
async fn utf8_file_names_are_kept() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    // PHP writes the name as raw UTF-8 into the part header.
    let boundary = "65f1c3a9b2e4d1.83920417";
    let (status, answer) = call(
        srv.req(Method::POST, &attachments_path(company, conversation))
            .header(
                reqwest::header::CONTENT_TYPE,
                format!("multipart/form-data; boundary=\"{boundary}\""),
            )
            .body(php_body(boundary, Some("фото 1.png"), "image/png", b"one")),
    )
    .await;
    let id = assert_uploaded(status, &answer, conversation);
    assert_stored(
        &srv,
        (company, conversation, id),
        ("фото 1.png", "image/png", None),
        b"one",
    )
    .await;
    let (status, answer) = srv
        .upload_as(
            &srv.token,
            company,
            conversation,
            "отчёт.pdf",
            b"two".to_vec(),
        )
        .await;
    let id = assert_uploaded(status, &answer, conversation);
    assert_stored(
        &srv,
        (company, conversation, id),
        ("отчёт.pdf", "application/pdf", None),
        b"two",
    )
    .await;
}
