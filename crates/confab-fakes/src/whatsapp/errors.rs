//! Meta's Graph API error answers:
//! `{"error":{"message":"(#CODE) Title","type":"OAuthException","code":N,"error_data":{..},"fbtrace_id":".."}}`
//! with the HTTP status Meta uses for that code.

use super::set;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answer of the Graph API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    /// Meta's `code`.
    pub code: i64,
    /// Meta's `error_subcode`, when it gives one.
    pub subcode: Option<i64>,
    /// `message`.
    pub message: String,
    /// `error_data.details`.
    pub details: Option<String>,
}

impl GraphError {
    /// The error Meta answers with `code` (its usual title and details).
    pub fn code(code: i64) -> Self {
        let (message, details) = match code {
            0 => ("AuthException", None),
            1 => (
                "API Unknown",
                Some("Invalid request or possible server error."),
            ),
            2 => (
                "API Service",
                Some("Temporary due to downtime or due to being overloaded."),
            ),
            4 => ("(#4) Application request limit reached", None),
            10 => (
                "(#10) Application does not have permission for this action",
                None,
            ),
            100 => ("(#100) Invalid parameter", None),
            190 => ("Error validating access token: Session has expired.", None),
            200 => ("(#200) Permissions error", None),
            368 => ("(#368) Temporarily blocked for policies violations", None),
            80007 => ("(#80007) Rate limit issues", None),
            130429 => (
                "(#130429) Rate limit hit",
                Some("Cloud API message throughput has been reached."),
            ),
            131026 => (
                "(#131026) Message Undeliverable.",
                Some("Unable to deliver message."),
            ),
            131031 => ("(#131031) Account has been locked", None),
            131047 => (
                "(#131047) Re-engagement message",
                Some(
                    "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
                ),
            ),
            131048 => ("(#131048) Spam rate limit hit", None),
            131049 => (
                "(#131049) This message was not delivered to maintain healthy ecosystem engagement.",
                None,
            ),
            131056 => (
                "(#131056) (Business Account, Consumer Account) pair rate limit hit",
                Some(
                    "Too many messages sent from the sender phone number to the same recipient phone number in a short period of time.",
                ),
            ),
            132_000 => (
                "(#132000) Number of parameters does not match the expected number of params",
                None,
            ),
            132_001 => (
                "(#132001) Template name does not exist in the translation",
                None,
            ),
            132_015 => ("(#132015) Template is Paused", None),
            132_016 => ("(#132016) Template is Disabled", None),
            _ => ("(#1) An unknown error occurred", None),
        };
        Self {
            code,
            subcode: (code == 190).then_some(463),
            message: message.to_owned(),
            details: details.map(str::to_owned),
        }
    }

    /// Meta's answer to a call with an unknown object id.
    pub fn unknown_object(id: &str) -> Self {
        Self {
            code: 100,
            subcode: Some(33),
            message: format!(
                "Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."
            ),
            details: None,
        }
    }

    /// Meta's answer to a missing or unparseable token.
    pub fn bad_token() -> Self {
        Self {
            code: 190,
            subcode: None,
            message: "Invalid OAuth access token - Cannot parse access token".to_owned(),
            details: None,
        }
    }

    /// A parameter Meta refuses.
    pub fn invalid_parameter(what: &str) -> Self {
        Self {
            code: 100,
            subcode: None,
            message: format!("(#100) Invalid parameter: {what}"),
            details: None,
        }
    }

    /// The HTTP status Meta answers this code with.
    pub fn status(&self) -> StatusCode {
        match self.code {
            0 | 190 | 131031 => StatusCode::UNAUTHORIZED,
            10 | 200..=299 | 368 => StatusCode::FORBIDDEN,
            4 | 80007 | 130429 => StatusCode::TOO_MANY_REQUESTS,
            1 => StatusCode::INTERNAL_SERVER_ERROR,
            2 => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut error = json!({
            "message": self.message,
            "type": "OAuthException",
            "code": self.code,
            "fbtrace_id": "AbCdEfGhIjKlMnOpQrStUvW",
        });
        if let Some(sub) = self.subcode {
            set(&mut error, "error_subcode", json!(sub));
        }
        if let Some(details) = self.details {
            set(
                &mut error,
                "error_data",
                json!({"messaging_product": "whatsapp", "details": details}),
            );
        }
        (status, Json(json!({ "error": error }))).into_response()
    }
}
