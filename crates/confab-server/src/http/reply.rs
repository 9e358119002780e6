//! Success answers in the Pact envelope.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use confab_wire::{Envelope, Status};
use serde::Serialize;

/// The Content-Type of every JSON answer.
pub const JSON_UTF8: &str = "application/json; charset=utf-8";

/// Serialises `body` as a 200 JSON answer.
pub fn json<T: Serialize>(body: &T) -> Response {
    // Most answers are a few hundred bytes to a few dozen KiB: starting at 1 KiB saves
    // most of the reallocations (and copies) a growing Vec would make.
    let mut bytes = Vec::with_capacity(1024);
    match serde_json::to_writer(&mut bytes, body) {
        Ok(()) => (
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
