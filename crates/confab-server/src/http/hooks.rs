//! `/hooks/<provider>/<channel id>`: where messengers post what their customers send, when
//! the server has a `--public-url`. No API token: each messenger authenticates its own
//! way, checked in constant time. An update is stored before it is answered 200, and
//! processed later by the intake worker; a wrong secret is answered 401 and stores nothing.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use confab_store::NewUpdate;
use subtle::ConstantTimeEq;

use crate::AppState;
use crate::connectors::telegram::{self, inbound};

/// The header Telegram sends the webhook's `secret_token` in.
const TELEGRAM_SECRET: &str = "x-telegram-bot-api-secret-token";

/// The routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new().route("/hooks/telegram/{channel_id}", post(telegram_update))
}

/// A Telegram bot's update, posted by Telegram to the webhook confab registered.
#[utoipa::path(
    post,
    path = "/hooks/telegram/{channel_id}",
    tag = "hooks",
    operation_id = "telegram_webhook",
    security(()),
    params(("channel_id" = i64, Path, description = "The channel"),
           ("X-Telegram-Bot-Api-Secret-Token" = String, Header, description = "The secret confab registered with setWebhook")),
    request_body(content = Object, description = "A Bot API Update", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored (or a redelivery of a stored update)"),
        (status = 400, description = "The body is not a JSON object"),
        (status = 401, description = "The secret token is missing or wrong; nothing stored"),
        (status = 404, description = "No live Telegram channel with this id"),
    ),
)]
async fn telegram_update(
    State(state): State<AppState>,
    Path(channel_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(channel_id) = channel_id.parse::<i64>() else {
        return (StatusCode::NOT_FOUND, "no such channel").into_response();
    };
    let channel = match state.app.store.channel_by_id(channel_id).await {
        Ok(Some((channel, false))) if channel.connector == telegram::NAME => channel,
        Ok(_) => return (StatusCode::NOT_FOUND, "no such channel").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "reading a channel for its webhook failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let expected = match state
        .app
        .secrets
        .open_setting(&channel.settings, "webhook_secret")
    {
        Ok(Some(secret)) => secret,
        Ok(None) => return (StatusCode::UNAUTHORIZED, "no webhook is registered").into_response(),
        Err(e) => {
            tracing::error!(channel = channel_id, error = %e, "opening a webhook secret failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let given = headers
        .get(TELEGRAM_SECRET)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !bool::from(given.ct_eq(expected.as_bytes())) {
        tracing::warn!(
            channel = channel_id,
            "a Telegram webhook call with a wrong secret was refused"
        );
        return (StatusCode::UNAUTHORIZED, "wrong secret token").into_response();
    }
    let update: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v @ serde_json::Value::Object(_)) => v,
        _ => return (StatusCode::BAD_REQUEST, "the body must be a JSON object").into_response(),
    };
    let stored = NewUpdate {
        key: inbound::dedupe_key(&update),
        payload: String::from_utf8_lossy(&body).into_owned(),
    };
    match state
        .app
        .store
        .accept_updates(channel_id, vec![stored], None, state.app.now_ms())
        .await
    {
        Ok(accepted) => {
            let result = if accepted.stored > 0 {
                "stored"
            } else {
                "duplicate"
            };
            metrics::counter!("confab_inbound_updates_total", "provider" => telegram::NAME, "result" => result)
                .increment(1);
            state.app.intake_wakeup.wake();
            StatusCode::OK.into_response()
        }
        Err(e) => {
            // Not stored: a non-2xx answer makes Telegram deliver it again.
            tracing::error!(channel = channel_id, error = %e, "storing a Telegram update failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
