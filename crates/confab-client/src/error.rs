//! [`Error`]: everything a call can fail with, and how an error answer is decoded.

use confab_wire::{ErrorBody, ErrorDetail};

/// The longest part of an unreadable body kept in an error, in bytes.
const MAX_BODY_IN_ERROR: usize = 4096;

/// Why a call failed.
///
/// ```
/// use confab_client::Error;
///
/// fn explain(error: &Error) -> String {
///     match error {
///         Error::Api { status: 400, errors, .. } if !errors.is_empty() => {
///             format!("fix parameter {}", errors[0].parameter)
///         }
///         Error::Api { status: 401, .. } => "check the API token".to_owned(),
///         Error::Api { status, message, .. } => format!("the server said {status}: {message}"),
///         Error::Transport(e) => format!("could not talk to the server: {e}"),
///         other => other.to_string(),
///     }
/// }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with an error status (after any retries).
    ///
    /// Parsed from the p1 error body
    /// `{"status":"error","message":"...","errors":[{"parameter":..,"code":..,"detail":..}]}`;
    /// when the body is not one (a proxy's HTML page, say), `message` is the body's text
    /// (or the status's reason when the body is empty) and `errors` is empty.
    #[error("HTTP {status}: {message}")]
    Api {
        /// The HTTP status code (400, 401, 404, 429, ...).
        status: u16,
        /// A sentence for people; names the offending parameter when there is one.
        message: String,
        /// One entry per offending parameter.
        errors: Vec<ErrorDetail>,
    },
    /// The request did not get an answer: connection refused or reset, timeout, TLS, or the
    /// body broke off mid-way (after any retries).
    #[error("transport error: {0}")]
    Transport(#[from] reqwest::Error),
    /// The server answered success, but not with the JSON this call expects.
    #[error("cannot decode the HTTP {status} answer: {message}")]
    Decode {
        /// The HTTP status of the answer.
        status: u16,
        /// What did not match.
        message: String,
        /// The start of the body (at most 4 KiB), for diagnosis.
        body: String,
    },
    /// A local file or stream of an upload or download failed.
    #[error("local I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The client was given an unusable base URL, token or user agent.
    #[error("invalid client configuration: {0}")]
    Config(String),
}

impl Error {
    /// The HTTP status of an [`Error::Api`] answer (or of an undecodable one).
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } | Error::Decode { status, .. } => Some(*status),
            Error::Transport(e) => e.status().map(|s| s.as_u16()),
            _ => None,
        }
    }

    /// The per-parameter details of an [`Error::Api`] answer; empty otherwise.
    pub fn errors(&self) -> &[ErrorDetail] {
        match self {
            Error::Api { errors, .. } => errors,
            _ => &[],
        }
    }

    /// The detail about `parameter`, if the server named it.
    pub fn parameter(&self, parameter: &str) -> Option<&ErrorDetail> {
        self.errors().iter().find(|e| e.parameter == parameter)
    }

    /// Whether the server answered 404 (unknown id, or a company the caller is not in).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// The error of a non-success answer with this body.
    pub(crate) fn from_answer(status: u16, body: &[u8]) -> Error {
        if let Ok(parsed) = serde_json::from_slice::<ErrorBody>(body) {
            return Error::Api {
                status,
                message: parsed.message,
                errors: parsed.errors,
            };
        }
        let text = body_text(body);
        let message = if text.trim().is_empty() {
            reqwest::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("no answer body")
                .to_owned()
        } else {
            text.trim().to_owned()
        };
        Error::Api {
            status,
            message,
            errors: Vec::new(),
        }
    }

    /// A success answer whose body does not fit.
    pub(crate) fn decode(status: u16, message: impl Into<String>, body: &[u8]) -> Error {
        Error::Decode {
            status,
            message: message.into(),
            body: body_text(body),
        }
    }
}

/// The start of a body as text, cut at a character boundary.
fn body_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if text.len() <= MAX_BODY_IN_ERROR {
        return text.into_owned();
    }
    let mut end = MAX_BODY_IN_ERROR;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// The result of every call.
pub type Result<T, E = Error> = std::result::Result<T, E>;
