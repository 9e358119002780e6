//! The sandbox connector's endpoints (`--sandbox` only): simulate what customers, their
//! phones and the messenger do, so an integration can meet every situation offline.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use base64::Engine;
use confab_store::{Ack, Contact};
use confab_wire::limits::{
    MAX_CONTACT_NAME_CHARS, MAX_EVENT_NAME_CHARS, MAX_SENDER_ID_CHARS, MAX_TEXT_CHARS,
};
use confab_wire::limits::{
    MAX_TEMPLATE_BODY_CHARS, MAX_TEMPLATE_LANGUAGE_CHARS, MAX_TEMPLATE_NAME_CHARS,
    MAX_TEMPLATE_STATUS_CHARS,
};
use confab_wire::requests::{
    ContactReachability, Inbound, ReadReceipt, SeedTemplate, SimulatedEvent,
};
use confab_wire::{MessageData, SandboxContact, SandboxEvent, SandboxInbound, WabaTemplateData};

use super::auth::CompanyScope;
use super::error::{ApiError, ApiResult};
use super::inputs::incoming_file;
use super::params::Params;
use super::reply;
use super::schemas::{ChannelPath, ConversationPath, OkEnvelope};
use super::scope::{scoped_channel, scoped_conversation};
use crate::AppState;
use crate::app::InboundMessage;
use crate::domain::channel_events;
use crate::render;

/// The routes of this resource.
pub fn router() -> Router<AppState> {
    let channel = "/p1/companies/{company_id}/channels/{channel_id}/sandbox";
    Router::new()
        .route(&format!("{channel}/inbound"), post(inbound))
        .route(&format!("{channel}/contacts"), post(contact))
        .route(&format!("{channel}/events"), post(event))
        .route(&format!("{channel}/waba_templates"), post(seed_template))
        .route(
            "/p1/companies/{company_id}/conversations/{conversation_id}/sandbox/read",
            post(read),
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

/// A contact id parameter: required, not blank, at most [`MAX_SENDER_ID_CHARS`] characters.
fn sender_param(params: &Params) -> ApiResult<String> {
    let sender = params.required_str_max("sender_external_id", MAX_SENDER_ID_CHARS)?;
    if sender.trim().is_empty() {
        return Err(ApiError::invalid("sender_external_id", "must not be blank"));
    }
    Ok(sender)
}

// The multipart body stays a server-side type: its `file` part is bytes, not a serde field
// of `confab_wire::requests::Inbound`, whose other fields it repeats.
/// The parameters of a simulated incoming message with a file (multipart/form-data).
#[derive(utoipa::ToSchema)]
pub struct InboundUploadParams {
    /// The customer's id on the messenger (phone digits for WhatsApp), not blank.
    #[schema(min_length = 1, max_length = 255, example = "79250000001")]
    pub sender_external_id: String,
    /// The customer's display name.
    #[schema(max_length = 255, required = false, example = "Ivan")]
    pub name: String,
    /// The text.
    #[schema(max_length = 65536, required = false, example = "Hi!")]
    pub message: String,
    /// A file the customer sends.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream", required = false)]
    pub file: Vec<u8>,
    /// A URL to fetch the customer's file from (instead of `file`).
    #[schema(max_length = 2048, required = false)]
    pub file_url: String,
}

/// A customer writes to the channel, optionally with a file (`file` part or `file_url`):
/// finds or creates their conversation and stores the incoming message.
#[utoipa::path(
    post,
    path = "/p1/companies/{company_id}/channels/{channel_id}/sandbox/inbound",
    tag = "sandbox",
    operation_id = "sandbox_inbound",
    params(ChannelPath),
    request_body(content(
        (Inbound = "application/x-www-form-urlencoded"),
        (Inbound = "application/json"),
        (InboundUploadParams = "multipart/form-data"),
    )),
    responses((status = 200, description = "The conversation and the stored message", body = OkEnvelope<SandboxInbound>)),
)]
async fn inbound(
    State(state): State<AppState>,
    scope: CompanyScope,
    mut params: Params,
) -> ApiResult<Response> {
    require_sandbox(&state)?;
    let channel = scoped_channel(&state, &scope, &params).await?;
    let sender = sender_param(&params)?;
    let name = params
        .optional_str_max("name", MAX_CONTACT_NAME_CHARS)?
        .filter(|n| !n.trim().is_empty());
    let body = params
        .optional_str_max("message", MAX_TEXT_CHARS)?
        .unwrap_or_default();
    let files = incoming_file(&mut params)?.into_iter().collect();
    let inbound = InboundMessage {
        contact: Contact {
            sender_external_id: sender,
            name,
        },
        body,
        files,
        source: None,
    };
    let posted = state.app.ingest_inbound(channel, inbound).await?;
    Ok(reply::ok(SandboxInbound {
        conversation_id: posted.conversation.id,
        message_id: posted.message_id,
    }))
}

/// Makes a contact reachable or not: deliveries to an unreachable contact end
/// `not_delivered`, as when the number has no messenger account.
#[utoipa::path(
    post,
    path = "/p1/companies/{company_id}/channels/{channel_id}/sandbox/contacts",
    tag = "sandbox",
    operation_id = "sandbox_contact",
    params(ChannelPath),
    request_body(content(
        (ContactReachability = "application/x-www-form-urlencoded"),
        (ContactReachability = "application/json"),
    )),
    responses((status = 200, description = "The contact's reachability", body = OkEnvelope<SandboxContact>)),
)]
async fn contact(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    require_sandbox(&state)?;
    let channel = scoped_channel(&state, &scope, &params).await?;
    let sender = sender_param(&params)?;
    let reachable = params
        .optional_bool("reachable")?
        .ok_or_else(|| ApiError::missing("reachable"))?;
    state
        .app
        .store
        .set_contact_reachable(channel.id, sender.clone(), reachable)
        .await?;
    Ok(reply::ok(SandboxContact {
        channel_id: channel.id,
        sender_external_id: sender,
        reachable,
    }))
}

/// Simulates a channel system event (phone offline/online, disabled, ...), which changes
/// the channel's state and so whether deliveries succeed.
#[utoipa::path(
    post,
    path = "/p1/companies/{company_id}/channels/{channel_id}/sandbox/events",
    tag = "sandbox",
    operation_id = "sandbox_event",
    params(ChannelPath),
    request_body(content(
        (SimulatedEvent = "application/x-www-form-urlencoded"),
        (SimulatedEvent = "application/json"),
    )),
    responses((status = 200, description = "The event and the channel's state after it", body = OkEnvelope<SandboxEvent>)),
)]
async fn event(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    require_sandbox(&state)?;
    let channel = scoped_channel(&state, &scope, &params).await?;
    let name = params.required_str_max("event", MAX_EVENT_NAME_CHARS)?;
    if name == "qr_code" {
        // The sandbox's QR code is a placeholder image: there is nothing real to scan.
        let image = base64::engine::general_purpose::STANDARD.encode(super::MISSING_AVATAR_PNG);
        state
            .app
            .announce_qr_code(scope.id(), channel.id, image)
            .await?;
        return Ok(reply::ok(SandboxEvent {
            channel_id: channel.id,
            event: "qr_code".to_owned(),
            state: channel.state.as_str().to_owned(),
        }));
    }
    let event = channel_events::parse(&name).ok_or_else(|| {
        ApiError::invalid(
            "event",
            format!("unknown event; known: qr_code, {}", channel_events::names()),
        )
    })?;
    state
        .app
        .change_channel_state(scope.id(), channel.id, event.name, event.state)
        .await?;
    Ok(reply::ok(SandboxEvent {
        channel_id: channel.id,
        event: event.name.to_owned(),
        state: event.state.as_str().to_owned(),
    }))
}

/// The contact reads an outgoing message that reached them: its ack becomes 3.
#[utoipa::path(
    post,
    path = "/p1/companies/{company_id}/conversations/{conversation_id}/sandbox/read",
    tag = "sandbox",
    operation_id = "sandbox_read",
    params(ConversationPath),
    request_body(content(
        (ReadReceipt = "application/x-www-form-urlencoded"),
        (ReadReceipt = "application/json"),
    )),
    responses((status = 200, description = "The message, with ack 3", body = OkEnvelope<MessageData>)),
)]
async fn read(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    require_sandbox(&state)?;
    let conversation = scoped_conversation(&state, &scope, &params).await?;
    let message_id = params
        .optional_i64("message_id")?
        .ok_or_else(|| ApiError::missing("message_id"))?;
    let message = state
        .app
        .store
        .get_message(scope.id(), conversation.id, message_id)
        .await?
        .ok_or_else(|| ApiError::invalid("message_id", "is not a message of this conversation"))?;
    if message.income {
        return Err(ApiError::invalid(
            "message_id",
            "is an incoming message; only outgoing messages are read by the contact",
        ));
    }
    if message.ack < Ack::Sent {
        return Err(ApiError::invalid(
            "message_id",
            "has not been sent yet, so the contact cannot have read it",
        ));
    }
    let (message, _) = state
        .app
        .record_receipt(scope.id(), conversation.id, message.id, Ack::Read)
        .await?;
    Ok(reply::ok(MessageData {
        message: render::message(scope.id(), &conversation, message),
    }))
}

/// An optional template text: trimmed, absent when blank, at most `max` characters.
fn template_text(params: &Params, name: &str, max: usize) -> ApiResult<Option<String>> {
    Ok(params
        .optional_str_max(name, max)?
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty()))
}

/// Seeds a WhatsApp Business template of a sandbox whatsapp_business channel, as if Meta
/// had approved (or not) it: writing first can then send it. The same `waba_id` and
/// `language` again updates it.
#[utoipa::path(
    post,
    path = "/p1/companies/{company_id}/channels/{channel_id}/sandbox/waba_templates",
    tag = "sandbox",
    operation_id = "sandbox_seed_waba_template",
    params(ChannelPath),
    request_body(content(
        (SeedTemplate = "application/x-www-form-urlencoded"),
        (SeedTemplate = "application/json"),
    )),
    responses((status = 200, description = "The template as listed", body = OkEnvelope<WabaTemplateData>)),
)]
async fn seed_template(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    require_sandbox(&state)?;
    let channel = scoped_channel(&state, &scope, &params).await?;
    let waba_id = template_text(&params, "waba_id", MAX_TEMPLATE_NAME_CHARS)?;
    let name = template_text(&params, "name", MAX_TEMPLATE_NAME_CHARS)?;
    let (waba_id, name) = match (waba_id, name) {
        (Some(w), Some(n)) => (w, n),
        (Some(w), None) => (w.clone(), w),
        (None, Some(n)) => (n.clone(), n),
        (None, None) => {
            return Err(ApiError::missing("waba_id")
                .with_detail("is required: the template's name at Meta (or give name)"));
        }
    };
    let language = template_text(&params, "language", MAX_TEMPLATE_LANGUAGE_CHARS)?
        .ok_or_else(|| ApiError::missing("language").with_detail("is required: en, ru, ..."))?;
    if !language
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(ApiError::invalid(
            "language",
            "must be a language code such as en, en_US or pt_BR",
        ));
    }
    let body = params
        .optional_str_max("body", MAX_TEMPLATE_BODY_CHARS)?
        .ok_or_else(|| ApiError::missing("body").with_detail("is required: the template's text"))?;
    if body.trim().is_empty() {
        return Err(ApiError::invalid("body", "must not be blank"));
    }
    let status = template_text(&params, "status", MAX_TEMPLATE_STATUS_CHARS)?
        .unwrap_or_else(|| confab_store::templates::APPROVED.to_owned())
        .to_ascii_uppercase();
    if !status.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
        return Err(ApiError::invalid(
            "status",
            "must be a status word: APPROVED, PENDING, REJECTED, PAUSED or DISABLED",
        ));
    }
    let template = confab_store::NewTemplate::with_body(waba_id, name, language, status, body);
    let stored = state.app.seed_template(&channel, template).await?;
    Ok(reply::ok(WabaTemplateData {
        waba_template: super::waba_templates::template_json(&stored),
    }))
}
