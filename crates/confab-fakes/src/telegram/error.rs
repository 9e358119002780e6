//! The Bot API's error envelope: `{"ok":false,"error_code":N,"description":"…"}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::types::Failure;

/// An error answer; `code` is both `error_code` and the HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub code: u16,
    pub description: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: u16, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(detail: impl AsRef<str>) -> Self {
        Self::new(400, format!("Bad Request: {}", detail.as_ref()))
    }

    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized")
    }

    pub fn forbidden(detail: impl AsRef<str>) -> Self {
        Self::new(403, format!("Forbidden: {}", detail.as_ref()))
    }

    pub fn not_found() -> Self {
        Self::new(404, "Not Found")
    }

    pub fn conflict(detail: impl AsRef<str>) -> Self {
        Self::new(409, format!("Conflict: {}", detail.as_ref()))
    }

    pub fn too_large() -> Self {
        Self::new(413, "Request Entity Too Large")
    }

    pub fn too_many_requests(retry_after: u64) -> Self {
        Self {
            code: 429,
            description: format!("Too Many Requests: retry after {retry_after}"),
            retry_after: Some(retry_after),
        }
    }

    /// The error an injected [`Failure`] answers with; `None` for [`Failure::Slow`].
    pub fn from_failure(failure: &Failure) -> Option<Self> {
        match failure {
            Failure::TooManyRequests { retry_after } => Some(Self::too_many_requests(*retry_after)),
            Failure::Unauthorized => Some(Self::unauthorized()),
            Failure::ServerError => Some(Self::new(502, "Bad Gateway")),
            Failure::ChatNotFound => Some(Self::bad_request("chat not found")),
            Failure::Other { code, description } => Some(Self::new(*code, description.clone())),
            Failure::Slow(_) => None,
        }
    }

    pub fn body(&self) -> Value {
        let mut body = json!({
            "ok": false,
            "error_code": self.code,
            "description": self.description,
        });
        if let (Some(retry_after), Some(map)) = (self.retry_after, body.as_object_mut()) {
            map.insert("parameters".into(), json!({ "retry_after": retry_after }));
        }
        body
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self.body())).into_response()
    }
}
