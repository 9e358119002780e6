//! Success answers in the Pact envelope.

use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use confab_wire::json::WriteJson;
use confab_wire::{Envelope, Status};
use serde::Serialize;

/// The Content-Type of every JSON answer.
pub const JSON_UTF8: &str = "application/json; charset=utf-8";

/// Serialises `body` as a 200 JSON answer.
pub fn json<T: Serialize>(body: &T) -> Response {
    // Most answers are a few hundred bytes to a few dozen KiB: starting at 1 KiB saves
    // most of the reallocations (and copies) a growing Vec would make.
    let mut bytes = Vec::with_capacity(1024);
    let written = serde_json::to_writer(&mut bytes, body);
    answer(written.map(|()| bytes))
}

/// A 200 JSON answer of `bytes`, or the 500 of a value that could not be serialised.
fn answer(bytes: serde_json::Result<Vec<u8>>) -> Response {
    match bytes {
        Ok(bytes) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8))],
            bytes,
        )
            .into_response(),
        Err(e) => {
            super::error::ApiError::Internal(format!("cannot serialise: {e}")).into_response()
        }
    }
}

/// The size of the last body of one kind of page: the next is usually about as large,
/// so its buffer starts there instead of doubling up from 1 KiB (five copies of an
/// 18 KB page).
#[derive(Debug, Default)]
pub struct BodySize(AtomicUsize);

impl BodySize {
    /// Nothing remembered yet.
    pub const fn new() -> Self {
        Self(AtomicUsize::new(0))
    }

    /// The buffer to start with: the last size and an eighth more, within bounds, so
    /// one odd page neither starves nor bloats the next.
    fn guess(&self) -> usize {
        let last = self.0.load(Ordering::Relaxed);
        (last + last / 8).clamp(1024, 4 << 20)
    }

    fn remember(&self, len: usize) {
        self.0.store(len, Ordering::Relaxed);
    }
}

/// `{"status":"ok","data": data}` for a long page, through the direct writer of
/// `confab_wire::json`: the same bytes as [`ok`], without serde's per-field and
/// per-byte work, in a buffer sized from the last page of the same kind.
pub fn ok_page<T: WriteJson>(data: T, size: &BodySize) -> Response {
    let written = confab_wire::json::to_vec(&Envelope::ok(data), size.guess());
    if let Ok(bytes) = &written {
        size.remember(bytes.len());
    }
    answer(written)
}

/// `{"status": status, "data": data}`.
pub fn envelope<T: Serialize>(status: Status, data: T) -> Response {
    json(&Envelope::with(status, data))
}

/// `{"status":"ok","data": data}`.
pub fn ok<T: Serialize>(data: T) -> Response {
    envelope(Status::Ok, data)
}

/// `{"status": status}` with no data.
pub fn status_only(status: Status) -> Response {
    json(&Envelope::<()> { status, data: None })
}
