//! Body encodings and SDK quirks (digest 1.1, 1.3, Appendix A): every transport of the same
//! parameters, the Python and PHP wire forms, mislabelled bodies, and bad input that must be
//! a 4xx with a JSON body, never a 500. The tests are in one file a topic; raw requests (any
//! bytes, any Content-Type) come from the harness.

mod bad_input;
mod every_encoding;
mod sdk_wire_forms;

use bytes::Bytes;

/// A chunked body (no Content-Length) made of `chunks`.
fn chunked(chunks: Vec<Vec<u8>>) -> reqwest::Body {
    let stream = futures_util::stream::iter(
        chunks
            .into_iter()
            .map(|c| Ok::<Bytes, std::io::Error>(Bytes::from(c))),
    );
    reqwest::Body::wrap_stream(stream)
}
