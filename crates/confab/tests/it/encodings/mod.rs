//! Body encodings and SDK quirks (digest 1.1, 1.3, Appendix A): every transport of the same
//! parameters, the Python and PHP wire forms, mislabelled bodies, and bad input that must be
//! a 4xx with a JSON body, never a 500. The helpers the topics share are here; the tests are
//! in one file a topic.

mod bad_input;
mod every_encoding;
mod sdk_wire_forms;

use bytes::Bytes;
use reqwest::Method;
use serde_json::Value;

use crate::harness::*;

/// A raw request with the first user's token: the body bytes and an optional Content-Type.
async fn raw(
    srv: &TestServer,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let mut request = srv.req(method, path);
    if let Some(content_type) = content_type {
        request = request.header("Content-Type", content_type);
    }
    call(request.body(body)).await
}

/// A chunked body (no Content-Length) made of `chunks`.
fn chunked(chunks: Vec<Vec<u8>>) -> reqwest::Body {
    let stream = futures_util::stream::iter(
        chunks
            .into_iter()
            .map(|c| Ok::<Bytes, std::io::Error>(Bytes::from(c))),
    );
    reqwest::Body::wrap_stream(stream)
}
