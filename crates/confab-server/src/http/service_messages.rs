//! `POST /p1/companies/CID/service_messages` (both SDKs; removed from Pact's docs in
//! 2023): a message to a phone number, stored in its conversation and delivered through
//! a channel like any outgoing message.
//!
//! Which channel: `channel_id` when given, else the company's channel of `provider`,
//! else its `whatsapp` channel (Pact sent service messages over WhatsApp). The answer's
//! `id` is the delivery job's, so the message can be followed as any other
//! (`GET .../channels/CHID/jobs/ID` and the `job` webhooks).

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use confab_store::Channel;
use confab_wire::Provider;
use confab_wire::limits::MAX_TEXT_CHARS;
use confab_wire::signin::{ServiceMessage, ServiceMessageSent};

use super::auth::CompanyScope;
use super::error::{ApiError, ApiResult};
use super::inputs::{phone_param, provider_param};
use super::params::Params;
use super::reply;
use super::schemas::{CompanyPath, OkEnvelope};
use crate::AppState;

/// The routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new().route("/p1/companies/{company_id}/service_messages", post(send))
}

/// The text of the message: `long_text` (or `long_message`) when given, else
/// `short_text` (or `short_message`). The docs' table and its example disagree on the
/// names; both are read.
fn text_param(params: &Params) -> ApiResult<String> {
    for name in ["long_text", "long_message", "short_text", "short_message"] {
        if let Some(text) = params.optional_str_max(name, MAX_TEXT_CHARS)?
            && !text.trim().is_empty()
        {
            return Ok(text);
        }
    }
    Err(ApiError::missing("long_text")
        .with_detail("is required: give long_text or short_text (or long_message / short_message)"))
}

/// The channel the message goes through.
async fn channel_param(
    state: &AppState,
    scope: &CompanyScope,
    params: &Params,
) -> ApiResult<Channel> {
    if let Some(id) = params.optional_i64("channel_id")? {
        return state
            .app
            .store
            .get_channel(scope.id(), id)
            .await?
            .ok_or_else(|| {
                ApiError::invalid("channel_id", "is not a live channel of this company")
            });
    }
    if params.has("provider") {
        let provider = provider_param(params)?;
        return state
            .app
            .store
            .channel_by_provider(scope.id(), provider)
            .await?
            .ok_or_else(|| {
                ApiError::invalid("provider", format!("the company has no {provider} channel"))
            });
    }
    state
        .app
        .store
        .channel_by_provider(scope.id(), Provider::Whatsapp)
        .await?
        .ok_or_else(|| {
            ApiError::missing("channel_id").with_detail(
                "is required: the company has no whatsapp channel to send service messages \
                 through; give channel_id or provider",
            )
        })
}

/// Sends a service message to `phone`: finds or creates the conversation on the channel
/// and queues the text as its next outgoing message.
#[utoipa::path(
    post,
    path = "/p1/companies/{company_id}/service_messages",
    tag = "conversations",
    operation_id = "send_service_message",
    params(CompanyPath),
    request_body(content(
        (ServiceMessage = "application/x-www-form-urlencoded"),
        (ServiceMessage = "application/json"),
    )),
    responses((status = 200, description = "The service message (its delivery job's id) and company", body = OkEnvelope<ServiceMessageSent>)),
)]
async fn send(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    let phone = phone_param(&params)?.ok_or_else(|| ApiError::missing("phone"))?;
    let text = text_param(&params)?;
    let channel = channel_param(&state, &scope, &params).await?;
    let channel_id = channel.id;
    let posted = state
        .app
        .start_conversation(channel, phone, text, true)
        .await?;
    let job = posted
        .job
        .ok_or_else(|| ApiError::Internal("an outgoing message without a job".to_owned()))?;
    Ok(reply::ok(ServiceMessageSent {
        id: job.id,
        company_id: scope.id(),
        channel_id,
        conversation_id: posted.conversation.id,
    }))
}
