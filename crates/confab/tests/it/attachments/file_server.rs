//! A tiny local HTTP server that `file_url` tests fetch from (a file, a 404, a redirect,
//! sized and chunked bodies, a slow answer), and a loopback port with nothing on it.

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

use super::binary;

/// The bytes the local file server serves at `/files/report.pdf`.
pub const REPORT: &[u8] = b"%PDF-1.4 not really a pdf \x00\x01\x02\xff\xfe";

/// A tiny HTTP server on 127.0.0.1:0 that `file_url` tests fetch from; counts requests.
pub struct FileServer {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl FileServer {
    pub async fn start() -> Self {
        let hits = Arc::new(AtomicUsize::new(0));
        let app = Router::new()
            .route("/files/report.pdf", get(report))
            .route("/", get(report))
            .route("/missing", get(missing))
            .route("/redirect", get(redirect))
            .route("/sized/{len}", get(sized))
            .route("/stream/{len}", get(streamed))
            .route("/slow", get(slow))
            .route("/files/report.txt.gz", get(gzipped))
            .route("/files/report.br", get(brotli))
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

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn hits(&self) -> usize {
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

/// What `/files/report.txt.gz` decodes to.
pub const DECODED: &[u8] = b"decoded report: the file itself";

/// [`DECODED`], gzip-compressed, sent with `Content-Encoding: gzip`.
async fn gzipped() -> Response {
    const GZIP: &[u8] = &[
        0x1f, 0x8b, 0x8, 0x0, 0x0, 0x0, 0x0, 0x0, 0x2, 0x3, 0x4b, 0x49, 0x4d, 0xce, 0x4f, 0x49,
        0x4d, 0x51, 0x28, 0x4a, 0x2d, 0xc8, 0x2f, 0x2a, 0xb1, 0x52, 0x28, 0xc9, 0x48, 0x55, 0x48,
        0xcb, 0xcc, 0x49, 0x55, 0xc8, 0x2c, 0x29, 0x4e, 0xcd, 0x49, 0x3, 0x0, 0xb3, 0x8f, 0x21,
        0xbc, 0x1f, 0x0, 0x0, 0x0,
    ];
    (
        [
            (header::CONTENT_TYPE, "text/plain"),
            (header::CONTENT_ENCODING, "gzip"),
        ],
        GZIP,
    )
        .into_response()
}

/// Bytes labelled `Content-Encoding: br`, an encoding confab does not decode.
async fn brotli() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain"),
            (header::CONTENT_ENCODING, "br"),
        ],
        &b"\x1b\x03\x00\xf8not really brotli"[..],
    )
        .into_response()
}

/// A loopback port with nothing listening on it.
pub async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}
