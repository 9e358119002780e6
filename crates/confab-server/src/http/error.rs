//! `ApiError`: every failure of a request, and the one place that renders it as the Pact
//! HTTP code with the JSON error body.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use confab_store::{StoreError, Trouble};
use confab_wire::{ErrorBody, ErrorDetail};

/// What went wrong with a request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No token, or a token no user has.
    #[error("missing or invalid API token: send it in the X-Private-Api-Token header")]
    Unauthorized,
    /// The caller may not use this endpoint.
    #[error("{0}")]
    Forbidden(String),
    /// The route, or the resource it names, does not exist for this caller.
    #[error("{0} not found")]
    NotFound(String),
    /// The path exists but not for this method.
    #[error("method not allowed on this path")]
    MethodNotAllowed,
    /// A parameter is missing or has a bad value.
    #[error("parameter {name}: {detail}")]
    InvalidParam {
        /// The parameter as the client named it.
        name: String,
        /// A stable code: `missing`, `invalid`, `out_of_range`, `too_long`, `conflict`.
        code: &'static str,
        /// What is wrong, for people.
        detail: String,
    },
    /// A parameter names something that existed once and is gone for good (an event
    /// cursor older than the log's retention).
    #[error("parameter {name}: {detail}")]
    Gone {
        /// The parameter as the client named it.
        name: String,
        /// A stable code: `cursor_expired`.
        code: &'static str,
        /// What is gone, and what to do, for people.
        detail: String,
    },
    /// The request as a whole cannot be read (malformed body, wrong encoding).
    #[error("{0}")]
    BadRequest(String),
    /// The body or an upload is larger than the configured limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The request conflicts with the state of what it names (the last admin).
    #[error("{detail}")]
    Conflict {
        /// The parameter whose value conflicts.
        name: String,
        /// What is wrong, for people.
        detail: String,
    },
    /// The caller's token made more requests than its rate allows.
    #[error("{0}")]
    TooManyRequests(String),
    /// The server cannot answer now (not ready).
    #[error("{0}")]
    Unavailable(String),
    /// The change cannot be stored: the disk is full. Nothing was changed.
    #[error("{0}")]
    InsufficientStorage(String),
    /// A bug or a failing dependency; the cause is logged, never sent.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// A parameter that must be given and was not.
    pub fn missing(name: &str) -> Self {
        Self::invalid_with(name, "missing", "is required")
    }

    /// A parameter with a bad value.
    pub fn invalid(name: &str, detail: impl Into<String>) -> Self {
        Self::invalid_with(name, "invalid", detail)
    }

    /// A parameter error with a specific code.
    pub fn invalid_with(name: &str, code: &'static str, detail: impl Into<String>) -> Self {
        Self::InvalidParam {
            name: name.to_owned(),
            code,
            detail: detail.into(),
        }
    }

    /// The HTTP status of the Pact error table for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::InvalidParam { .. } | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Gone { .. } => StatusCode::GONE,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::InsufficientStorage(_) => StatusCode::INSUFFICIENT_STORAGE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// A write refused for lack of space (logged; the 507 is remembered for `/readyz`).
pub fn storage_full(cause: &str) -> ApiError {
    tracing::error!(%cause, "a write failed: the disk is full");
    ApiError::InsufficientStorage(
        "storage is full: the change was not saved; free disk space (or grow the database) \
         and try again"
            .to_owned(),
    )
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { what } => ApiError::invalid_with(
                what,
                "conflict",
                format!("a record with this {what} already exists"),
            ),
            StoreError::NotFound(what) => ApiError::NotFound(what.to_owned()),
            StoreError::Invalid { field, reason } => ApiError::invalid(field, reason),
            StoreError::Refused { what, reason } => ApiError::Conflict {
                name: what.to_owned(),
                detail: reason,
            },
            StoreError::Database(cause) => match confab_store::trouble_of(&*cause) {
                Some(Trouble::StorageFull) => storage_full(&crate::net::error_chain(&*cause)),
                Some(Trouble::Unavailable) => {
                    tracing::warn!(cause = %crate::net::error_chain(&*cause), "the database is unavailable");
                    ApiError::Unavailable(
                        "the database cannot be reached right now; nothing was changed, \
                         try again shortly"
                            .to_owned(),
                    )
                }
                None => ApiError::Internal(crate::net::error_chain(&*cause)),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Internal(cause) = &self {
            tracing::error!(%cause, "request failed");
        }
        let errors = match &self {
            ApiError::InvalidParam { name, code, detail }
            | ApiError::Gone { name, code, detail } => vec![ErrorDetail {
                parameter: name.clone(),
                code: (*code).to_owned(),
                detail: detail.clone(),
            }],
            _ => Vec::new(),
        };
        let body = ErrorBody {
            status: "error".to_owned(),
            message: self.to_string(),
            errors,
        };
        let mut response = super::reply::json(&body);
        *response.status_mut() = status;
        // A full disk or an unreachable database is temporary: say when to try again.
        if matches!(
            self,
            ApiError::Unavailable(_) | ApiError::InsufficientStorage(_)
        ) {
            let seconds = if matches!(self, ApiError::InsufficientStorage(_)) {
                "30"
            } else {
                "2"
            };
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static(seconds));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("X-Private-Api-Token"),
            );
        }
        response
    }
}

/// The result type of every handler.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// The same parameter error with another detail text.
    pub fn with_detail(self, detail: impl Into<String>) -> Self {
        match self {
            ApiError::InvalidParam { name, code, .. } => ApiError::InvalidParam {
                name,
                code,
                detail: detail.into(),
            },
            other => other,
        }
    }
}

impl From<crate::app::AppError> for ApiError {
    fn from(e: crate::app::AppError) -> Self {
        use crate::app::AppError;
        match e {
            AppError::Missing { field, detail } => ApiError::missing(field).with_detail(detail),
            AppError::Invalid { field, reason } => ApiError::invalid(field, reason),
            AppError::NotFound(what) => ApiError::NotFound(what.to_owned()),
            AppError::TooLarge(why) => ApiError::PayloadTooLarge(why),
            AppError::Store(e) => e.into(),
            AppError::Internal(why) => ApiError::Internal(why),
            AppError::StorageFull(why) => storage_full(&why),
        }
    }
}
