//! Tests: attachments (`POST /p1/companies/CID/conversations/ID/messages/attachments`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::*;

/// The bytes the local file server serves at `/files/report.pdf`.
const REPORT: &[u8] = b"%PDF-1.4 not really a pdf \x00\x01\x02\xff\xfe";

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

/// A tiny HTTP server on 127.0.0.1:0 that `file_url` tests fetch from; counts requests.
struct FileServer {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl FileServer {
    async fn start() -> Self {
        let hits = Arc::new(AtomicUsize::new(0));
        let app = Router::new()
            .route("/files/report.pdf", get(report))
            .route("/", get(report))
            .route("/missing", get(missing))
            .route("/redirect", get(redirect))
            .route("/sized/{len}", get(sized))
            .route("/stream/{len}", get(streamed))
            .route("/slow", get(slow))
            .with_state(hits.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind file server");
        let addr = listener.local_addr().expect("file server addr");
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        Self { addr, hits, task }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn port(&self) -> u16 {
        self.addr.port()
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn report(State(hits): State<Arc<AtomicUsize>>) -> Response {
    hits.fetch_add(1, Ordering::SeqCst);
    ([(header::CONTENT_TYPE, "application/pdf")], REPORT).into_response()
}

async fn missing(State(hits): State<Arc<AtomicUsize>>) -> Response {
    hits.fetch_add(1, Ordering::SeqCst);
    (StatusCode::NOT_FOUND, "no such file").into_response()
}

async fn redirect(State(hits): State<Arc<AtomicUsize>>) -> Response {
    hits.fetch_add(1, Ordering::SeqCst);
    Redirect::temporary("/files/report.pdf").into_response()
}

/// `len` bytes with a Content-Length.
async fn sized(State(hits): State<Arc<AtomicUsize>>, Path(len): Path<usize>) -> Response {
    hits.fetch_add(1, Ordering::SeqCst);
    (
        [(header::CONTENT_TYPE, "application/octet-stream")],
        binary(len),
    )
        .into_response()
}

/// `len` bytes chunked, without a Content-Length, so only counting can enforce a limit.
async fn streamed(State(hits): State<Arc<AtomicUsize>>, Path(len): Path<usize>) -> Response {
    hits.fetch_add(1, Ordering::SeqCst);
    let bytes = binary(len);
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = bytes
        .chunks(100)
        .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
        .collect();
    Body::from_stream(futures_util::stream::iter(chunks)).into_response()
}

/// Answers only after 30 s: longer than any fetch timeout a test sets.
async fn slow(State(hits): State<Arc<AtomicUsize>>) -> Response {
    hits.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(30)).await;
    REPORT.into_response()
}

/// A loopback port with nothing listening on it.
async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
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

// ---- multipart uploads ----

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

// ---- file_url ----

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

// ---- validation ----

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

// ---- size limit ----

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

// ---- addressing ----

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
