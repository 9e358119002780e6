//! `/hooks/whatsapp_business/<channel id>`: where Meta verifies the webhook (`GET` with
//! `hub.challenge`) and posts what customers send and the statuses of what the number sent
//! (`POST`, signed `X-Hub-Signature-256` with the app secret). Secrets are compared in
//! constant time; a body is verified over its raw bytes before it is parsed, split into
//! one stored update per message and status, and answered 200 at once.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use confab_store::Channel;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::AppState;
use crate::connectors::whatsapp::{self, inbound};

/// The header Meta signs webhook bodies in.
const SIGNATURE: &str = "x-hub-signature-256";

/// The routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/hooks/whatsapp_business/{channel_id}",
        get(verify).post(event),
    )
}

/// The live WhatsApp Business channel `channel_id`, or the answer to give.
async fn channel(state: &AppState, channel_id: &str) -> Result<Channel, Response> {
    let Ok(channel_id) = channel_id.parse::<i64>() else {
        return Err((StatusCode::NOT_FOUND, "no such channel").into_response());
    };
    match state.app.store.channel_by_id(channel_id).await {
        Ok(Some((channel, false))) if channel.connector == whatsapp::NAME => Ok(channel),
        Ok(_) => Err((StatusCode::NOT_FOUND, "no such channel").into_response()),
        Err(e) => {
            tracing::error!(error = %e, "reading a channel for its webhook failed");
            Err(StatusCode::SERVICE_UNAVAILABLE.into_response())
        }
    }
}

/// A secret setting of the channel, opened, or the status to answer.
/// An empty secret counts as none: an HMAC keyed with "" is anyone's to compute.
fn secret(state: &AppState, channel: &Channel, name: &str) -> Result<Option<String>, StatusCode> {
    state
        .app
        .secrets
        .open_setting(&channel.settings, name)
        .map(|s| s.filter(|s| !s.is_empty()))
        .map_err(|e| {
            tracing::error!(channel = channel.id, error = %e, "opening a channel secret failed");
            StatusCode::SERVICE_UNAVAILABLE
        })
}

/// Meta's verification request: answers `hub.challenge` when `hub.mode` is `subscribe`
/// and `hub.verify_token` is the channel's.
#[utoipa::path(
    get,
    path = "/hooks/whatsapp_business/{channel_id}",
    tag = "hooks",
    operation_id = "whatsapp_webhook_verify",
    security(()),
    params(("channel_id" = i64, Path, description = "The channel"),
           ("hub.mode" = String, Query, description = "`subscribe`"),
           ("hub.verify_token" = String, Query, description = "The verify token the channel's creation answered"),
           ("hub.challenge" = String, Query, description = "Echoed back")),
    responses(
        (status = 200, description = "`hub.challenge`, as plain text", body = String, content_type = "text/plain"),
        (status = 403, description = "Wrong mode or verify token"),
        (status = 404, description = "No live WhatsApp Business channel with this id"),
    ),
)]
async fn verify(
    State(state): State<AppState>,
    Path(channel_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let channel = match channel(&state, &channel_id).await {
        Ok(c) => c,
        Err(answer) => return answer,
    };
    let expected = match secret(&state, &channel, "verify_token") {
        Ok(Some(t)) => t,
        Ok(None) => return (StatusCode::FORBIDDEN, "no verify token").into_response(),
        Err(status) => return status.into_response(),
    };
    let given = query
        .get("hub.verify_token")
        .map(String::as_str)
        .unwrap_or_default();
    let subscribe = query.get("hub.mode").map(String::as_str) == Some("subscribe");
    if !subscribe || !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        tracing::warn!(
            channel = channel.id,
            "a WhatsApp webhook verification with a wrong token was refused"
        );
        return (StatusCode::FORBIDDEN, "wrong verify token").into_response();
    }
    let challenge = query.get("hub.challenge").cloned().unwrap_or_default();
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        challenge,
    )
        .into_response()
}

/// Whether `header` is `sha256=<hex HMAC-SHA256(secret, body)>` (compared in constant time).
pub fn signature_matches(secret: &str, body: &[u8], header: &[u8]) -> bool {
    let Some(hex) = header.strip_prefix(b"sha256=") else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let given = hex.to_ascii_lowercase();
    bool::from(given.as_slice().ct_eq(expected.as_bytes()))
}

/// An event Meta posts: messages and statuses of the channel's number.
#[utoipa::path(
    post,
    path = "/hooks/whatsapp_business/{channel_id}",
    tag = "hooks",
    operation_id = "whatsapp_webhook",
    security(()),
    params(("channel_id" = i64, Path, description = "The channel"),
           ("X-Hub-Signature-256" = String, Header, description = "`sha256=` and the hex HMAC-SHA256 of the raw body with the app secret")),
    request_body(content = Object, description = "A WhatsApp Business Account webhook event", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored (or a redelivery of stored messages and statuses)"),
        (status = 400, description = "The body is not a JSON object"),
        (status = 401, description = "The signature is missing or wrong; nothing stored"),
        (status = 404, description = "No live WhatsApp Business channel with this id"),
    ),
)]
async fn event(
    State(state): State<AppState>,
    Path(channel_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let channel = match channel(&state, &channel_id).await {
        Ok(c) => c,
        Err(answer) => return answer,
    };
    let app_secret = match secret(&state, &channel, "app_secret") {
        Ok(Some(s)) => s,
        Ok(None) => {
            return (StatusCode::UNAUTHORIZED, "the channel has no app_secret").into_response();
        }
        Err(status) => return status.into_response(),
    };
    let given = headers
        .get(SIGNATURE)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !signature_matches(&app_secret, &body, given) {
        tracing::warn!(
            channel = channel.id,
            "a WhatsApp webhook call with a wrong signature was refused"
        );
        return (StatusCode::UNAUTHORIZED, "wrong signature").into_response();
    }
    let event: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v @ serde_json::Value::Object(_)) => v,
        _ => return (StatusCode::BAD_REQUEST, "the body must be a JSON object").into_response(),
    };
    let number = whatsapp::phone_number_id(&channel.settings).unwrap_or_default();
    let updates = inbound::split(&event, &number);
    if updates.is_empty() {
        // Another number's event, or a field confab does not subscribe to.
        return StatusCode::OK.into_response();
    }
    match state
        .app
        .store
        .accept_updates(channel.id, updates, None, state.app.now_ms())
        .await
    {
        Ok(accepted) => {
            metrics::counter!("confab_inbound_updates_total", "provider" => whatsapp::NAME, "result" => "stored")
                .increment(u64::from(accepted.stored));
            metrics::counter!("confab_inbound_updates_total", "provider" => whatsapp::NAME, "result" => "duplicate")
                .increment(u64::from(accepted.duplicates));
            state.app.intake_wakeup.wake();
            StatusCode::OK.into_response()
        }
        Err(e) => {
            // Not stored: a non-2xx answer makes Meta deliver it again.
            tracing::error!(channel = channel.id, error = %e, "storing a WhatsApp event failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_checked_over_the_raw_bytes() {
        let mut mac = Hmac::<Sha256>::new_from_slice(b"secret").expect("any key length");
        mac.update(b"{}");
        let good: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let good = format!("sha256={good}");
        assert!(signature_matches("secret", b"{}", good.as_bytes()));
        assert!(signature_matches(
            "secret",
            b"{}",
            good.to_uppercase().replace("SHA256=", "sha256=").as_bytes()
        ));
        assert!(
            !signature_matches("secret", b"{ }", good.as_bytes()),
            "other bytes"
        );
        assert!(
            !signature_matches("other", b"{}", good.as_bytes()),
            "another secret"
        );
        assert!(!signature_matches("secret", b"{}", b""));
        assert!(
            !signature_matches("secret", b"{}", &good.as_bytes()[7..]),
            "no prefix"
        );
    }
}
