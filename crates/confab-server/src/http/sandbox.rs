//! The sandbox connector's endpoints (`--sandbox` only): simulate what customers, their
//! phones and the messenger do, so an integration can meet every situation offline.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use base64::Engine;
use confab_store::{ACK_READ, ACK_SENT, Contact, NewIncoming};
use confab_wire::{MessageData, SandboxContact, SandboxEvent, SandboxInbound};

use super::attachments::{blob_key, incoming_file, store_incoming};
use super::auth::CompanyScope;
use super::channels::scoped_channel;
use super::conversations::{MAX_TEXT, scoped_conversation};
use super::error::{ApiError, ApiResult};
use super::messages::message_json;
use super::params::Params;
use super::reply;
use crate::AppState;
use crate::domain::channel_events;
use crate::domain::time::now_ms;

/// The routes of this resource.
pub fn router() -> Router<AppState> {
    let channel = "/p1/companies/{company_id}/channels/{channel_id}/sandbox";
    Router::new()
        .route(&format!("{channel}/inbound"), post(inbound))
        .route(&format!("{channel}/contacts"), post(contact))
        .route(&format!("{channel}/events"), post(event))
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

/// A contact id parameter: required, not blank, at most 255 characters.
fn sender_param(params: &Params) -> ApiResult<String> {
    let sender = params.required_str_max("sender_external_id", 255)?;
    if sender.trim().is_empty() {
        return Err(ApiError::invalid("sender_external_id", "must not be blank"));
    }
    Ok(sender)
}

/// A customer writes to the channel, optionally with a file (`file` part or `file_url`):
/// finds or creates their conversation and stores the incoming message.
async fn inbound(
    State(state): State<AppState>,
    scope: CompanyScope,
    mut params: Params,
) -> ApiResult<Response> {
    require_sandbox(&state)?;
    let channel = scoped_channel(&state, &scope, &params).await?;
    let sender = sender_param(&params)?;
    let name = params
        .optional_str_max("name", 255)?
        .filter(|n| !n.trim().is_empty());
    let body = params
        .optional_str_max("message", MAX_TEXT)?
        .unwrap_or_default();
    let mut attachments = Vec::new();
    if let Some(file) = incoming_file(&state, &mut params).await? {
        let key = blob_key(scope.id(), "inbound");
        attachments.push(store_incoming(&state, file, key, 0).await?);
    }
    let keys: Vec<String> = attachments.iter().map(|a| a.blob_key.clone()).collect();
    let contact = Contact {
        sender_external_id: sender,
        name,
    };
    let posted = match state
        .store
        .receive_message(
            channel,
            contact,
            NewIncoming { body, attachments },
            now_ms(),
        )
        .await
    {
        Ok(posted) => posted,
        Err(e) => {
            for key in keys {
                state.blobs.delete(&key).await.ok();
            }
            return Err(e.into());
        }
    };
    Ok(reply::ok(SandboxInbound {
        conversation_id: posted.conversation.id,
        message_id: posted.message_id,
    }))
}

/// Makes a contact reachable or not: deliveries to an unreachable contact end
/// `not_delivered`, as when the number has no messenger account.
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
async fn event(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    require_sandbox(&state)?;
    let channel = scoped_channel(&state, &scope, &params).await?;
    let name = params.required_str_max("event", 64)?;
    if name == "qr_code" {
        // The sandbox's QR code is a placeholder image: there is nothing real to scan.
        let image = base64::engine::general_purpose::STANDARD.encode(super::MISSING_AVATAR_PNG);
        let event = confab_store::Event::QrCode {
            channel_id: channel.id,
            image_base64: image,
        };
        state.store.announce(scope.id(), event, now_ms()).await?;
        return Ok(reply::ok(SandboxEvent {
            channel_id: channel.id,
            event: "qr_code".to_owned(),
            state: channel.state,
        }));
    }
    let event = channel_events::parse(&name).ok_or_else(|| {
        ApiError::invalid(
            "event",
            format!("unknown event; known: qr_code, {}", channel_events::names()),
        )
    })?;
    if !state
        .store
        .set_channel_state(
            scope.id(),
            channel.id,
            event.name.to_owned(),
            event.state.to_owned(),
            now_ms(),
        )
        .await?
    {
        return Err(ApiError::NotFound("channel".to_owned()));
    }
    Ok(reply::ok(SandboxEvent {
        channel_id: channel.id,
        event: event.name.to_owned(),
        state: event.state.to_owned(),
    }))
}

/// The contact reads an outgoing message that reached them: its ack becomes 3.
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
    if message.ack < ACK_SENT {
        return Err(ApiError::invalid(
            "message_id",
            "has not been sent yet, so the contact cannot have read it",
        ));
    }
    let (message, _) = state
        .store
        .advance_ack(scope.id(), conversation.id, message.id, ACK_READ, now_ms())
        .await?
        .ok_or_else(|| ApiError::NotFound("message".to_owned()))?;
    Ok(reply::ok(MessageData {
        message: message_json(scope.id(), &conversation, &message),
    }))
}
