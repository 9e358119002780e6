//! The sandbox connector's endpoints (`--sandbox` only): simulate what customers do.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use confab_store::Contact;
use confab_wire::SandboxInbound;

use super::auth::CompanyScope;
use super::channels::scoped_channel;
use super::conversations::MAX_TEXT;
use super::error::{ApiError, ApiResult};
use super::params::Params;
use super::reply;
use crate::AppState;
use crate::domain::time::now_ms;

/// The routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/p1/companies/{company_id}/channels/{channel_id}/sandbox/inbound",
        post(inbound),
    )
}

fn require_sandbox(state: &AppState) -> ApiResult<()> {
    if state.config.sandbox {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "sandbox endpoints are served only when confab serve runs with --sandbox".to_owned(),
        ))
    }
}

/// A customer writes to the channel: finds or creates their conversation and stores the
/// incoming message.
async fn inbound(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    require_sandbox(&state)?;
    let channel = scoped_channel(&state, &scope, &params).await?;
    let sender = params.required_str_max("sender_external_id", 255)?;
    if sender.trim().is_empty() {
        return Err(ApiError::invalid("sender_external_id", "must not be blank"));
    }
    let name = params
        .optional_str_max("name", 255)?
        .filter(|n| !n.trim().is_empty());
    let message = params
        .optional_str_max("message", MAX_TEXT)?
        .unwrap_or_default();
    let contact = Contact {
        sender_external_id: sender,
        name,
    };
    let posted = state
        .store
        .receive_message(channel, contact, message, now_ms())
        .await?;
    Ok(reply::ok(SandboxInbound {
        conversation_id: posted.conversation.id,
        message_id: posted.message_id,
    }))
}
