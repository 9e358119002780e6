//! `POST /p1/companies/CID/channels/ID/conversations`: write first to a phone number that
//! has never written, queueing the first message as a delivery job.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use confab_wire::limits::MAX_TEXT_CHARS;
use confab_wire::requests::WriteFirst;
use confab_wire::{Job, Provider};

use super::auth::CompanyScope;
use super::error::{ApiError, ApiResult};
use super::inputs::phone_param;
use super::params::Params;
use super::reply;
use super::schemas::{ChannelPath, OkEnvelope};
use super::scope::scoped_channel;
use crate::AppState;
use crate::domain::template_params;
use crate::render;

/// The routes of this resource.
pub fn router() -> Router<AppState> {
    let channel = "/p1/companies/{company_id}/channels/{channel_id}";
    Router::new()
        .route(&format!("{channel}/conversations"), post(write_first))
        // The Python SDK's send_first_whatsapp_message forgets the last segment.
        .route(channel, post(write_first_on_channel))
}

/// Writes first to a phone number: on a whatsapp channel with a text (`message` or
/// `text`); on a whatsapp_business channel with an approved template (`template[id]`,
/// `template[language_code]`, `template[parameters]` as a list, an object keyed by
/// position, or absent for none; exactly `substitutions_count` of them), whose rendered
/// body becomes the message's text. Finds or creates the conversation and answers the
/// first message's delivery job, with `conversation_id`.
#[utoipa::path(
    post,
    path = "/p1/companies/{company_id}/channels/{channel_id}/conversations",
    tag = "conversations",
    operation_id = "write_first",
    params(ChannelPath),
    request_body(content(
        (WriteFirst = "application/x-www-form-urlencoded"),
        (WriteFirst = "application/json"),
    )),
    responses((status = 200, description = "The delivery job of the first message", body = OkEnvelope<Job>)),
)]
async fn write_first(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    let channel = scoped_channel(&state, &scope, &params).await?;
    let phone = phone_param(&params)?.ok_or_else(|| ApiError::missing("phone"))?;
    let send_to_crm = match channel.provider {
        Provider::Whatsapp | Provider::WhatsappBusiness => {
            params.optional_bool("send_to_crm")?.unwrap_or(true)
        }
        other => {
            return Err(ApiError::BadRequest(format!(
                "writing first is for whatsapp and whatsapp_business channels; this is a \
                 {other} channel: use POST /p1/companies/COMPANY_ID/conversations"
            )));
        }
    };
    let posted = if channel.provider == Provider::WhatsappBusiness {
        // Outside the 24-hour window only an approved template may open a conversation.
        let request = template_params::request(params.raw("template")).map_err(|r| {
            if r.missing {
                ApiError::missing(r.name).with_detail(r.detail)
            } else {
                ApiError::invalid(r.name, r.detail)
            }
        })?;
        state
            .app
            .write_first_with_template(channel, phone, request, send_to_crm)
            .await?
    } else {
        // The docs' table says `message`, their curl example `text`: both are read.
        let name = if params.has("message") {
            "message"
        } else {
            "text"
        };
        let text = params.required_text(name, MAX_TEXT_CHARS).map_err(|e| {
            e.with_detail("is required: the first message's text (message or text)")
        })?;
        state
            .app
            .start_conversation(channel, phone, text, send_to_crm)
            .await?
    };
    let job = posted
        .job
        .ok_or_else(|| ApiError::Internal("an outgoing message without a job".to_owned()))?;
    Ok(reply::ok(render::job(&job)))
}

/// [`write_first`] at the channel's own path, where the Python SDK posts it.
#[utoipa::path(
    post,
    path = "/p1/companies/{company_id}/channels/{channel_id}",
    tag = "conversations",
    operation_id = "write_first_on_channel",
    params(ChannelPath),
    request_body(content(
        (WriteFirst = "application/x-www-form-urlencoded"),
        (WriteFirst = "application/json"),
    )),
    responses((status = 200, description = "The delivery job of the first message", body = OkEnvelope<Job>)),
)]
async fn write_first_on_channel(
    state: State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    write_first(state, scope, params).await
}
