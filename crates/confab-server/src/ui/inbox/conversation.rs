//! The open conversation: its timeline (newest at the bottom, "load older"), single
//! message bubbles (for live acks), and the side panel.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use confab_store::{Conversation, JobState, Message, MessagePageRequest};
use confab_wire::Ack;

use super::views;
use super::{Directory, bad_param};
use crate::AppState;
use crate::ui::answers;
use crate::ui::operator::{Operator, not_found};

/// Messages per page of the timeline.
pub const PAGE: u32 = 30;

/// How an outgoing message stands, as its bubble shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// An incoming message.
    Incoming,
    /// Not sent yet (a clock).
    Pending,
    /// Given up, with the reason.
    Failed(String),
    /// Sent (1 ✓), delivered (2 ✓✓) or read (3).
    Reached(Ack),
}

/// A message as its bubble shows it.
#[derive(Debug, Clone)]
pub struct Bubble {
    /// The message.
    pub message: Message,
    /// How it stands.
    pub delivery: Delivery,
}

/// The open conversation, ready to render.
#[derive(Debug, Clone)]
pub struct PaneView {
    /// The conversation.
    pub conversation: Conversation,
    /// A page of its messages, oldest first.
    pub bubbles: Vec<Bubble>,
    /// The key to pass as `before` for older messages, when there are more.
    pub older: Option<String>,
    /// Channels and members (the assignee picker).
    pub directory: Directory,
}

/// How `message` stands; a failed delivery's reason is read from its job.
async fn delivery(state: &AppState, company_id: i64, message: &Message) -> Delivery {
    if message.income {
        return Delivery::Incoming;
    }
    if message.ack >= Ack::Sent {
        return Delivery::Reached(message.ack);
    }
    let Some(job_id) = message.job_id else {
        return Delivery::Pending;
    };
    match state
        .app
        .store
        .get_job(company_id, message.channel_id, job_id)
        .await
    {
        Ok(Some(job)) if job.state == JobState::NotDelivered => Delivery::Failed(
            job.reason
                .unwrap_or_else(|| "the messenger refused it".to_owned()),
        ),
        Ok(Some(job)) if job.state == JobState::Delivered => Delivery::Reached(Ack::Sent),
        // A read failure shows the message as pending; the next event or reload corrects it.
        _ => Delivery::Pending,
    }
}

/// The bubbles of `messages`, in the same order.
async fn bubbles(state: &AppState, company_id: i64, messages: Vec<Message>) -> Vec<Bubble> {
    let mut out = Vec::with_capacity(messages.len());
    for message in messages {
        let delivery = delivery(state, company_id, &message).await;
        out.push(Bubble { message, delivery });
    }
    out
}

/// Reads the conversation and the page of its messages before `before` (the newest page
/// when `None`); `None` when the company has no such conversation.
pub async fn load(
    state: &AppState,
    op: &Operator,
    conversation_id: i64,
    before: Option<(i64, i64)>,
) -> Result<Option<PaneView>, Response> {
    let store = &state.app.store;
    let conversation = match store
        .get_conversation(op.company_id(), conversation_id)
        .await
    {
        Ok(Some(c)) => c,
        Ok(None) => return Ok(None),
        Err(e) => return Err(answers::store_failed(&e)),
    };
    let page = MessagePageRequest {
        after: before,
        descending: true,
        limit: PAGE + 1,
    };
    let mut messages = store
        .list_messages(op.company_id(), conversation_id, page)
        .await
        .map_err(|e| answers::store_failed(&e))?;
    let more = messages.len() > PAGE as usize;
    messages.truncate(PAGE as usize);
    let older = more
        .then(|| messages.last())
        .flatten()
        .map(|m| format!("{}.{}", m.created_at_ms, m.id));
    messages.reverse();
    let directory = Directory::members(state, op).await?;
    Ok(Some(PaneView {
        conversation,
        bubbles: bubbles(state, op.company_id(), messages).await,
        older,
        directory,
    }))
}

/// The conversation's pane (timeline, composer, side panel) as a fragment.
pub async fn pane(state: &AppState, op: &Operator, conversation_id: i64) -> Response {
    match load(state, op, conversation_id, None).await {
        Ok(Some(view)) => answers::html(StatusCode::OK, views::pane(op, &view)),
        Ok(None) => not_found("conversation"),
        Err(response) => response,
    }
}

/// `GET .../older?before=time.id`: the page of messages before the oldest shown, with
/// the next "load older" above it.
pub async fn older(
    State(state): State<AppState>,
    op: Operator,
    Path((_, conversation_id)): Path<(i64, i64)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let before = query.get("before").and_then(|raw| {
        let (at, id) = raw.split_once('.')?;
        Some((at.parse::<i64>().ok()?, id.parse::<i64>().ok()?))
    });
    let Some(before) = before else {
        return bad_param(
            "before",
            "must be the key of the oldest message shown (time.id)",
        );
    };
    match load(&state, &op, conversation_id, Some(before)).await {
        Ok(Some(view)) => answers::html(StatusCode::OK, views::older(&op, &view)),
        Ok(None) => not_found("conversation"),
        Err(response) => response,
    }
}

/// `GET .../messages/{message_id}`: one message's bubble, as it stands now.
pub async fn bubble(
    State(state): State<AppState>,
    op: Operator,
    Path((_, conversation_id, message_id)): Path<(i64, i64, i64)>,
) -> Response {
    match state
        .app
        .store
        .get_message(op.company_id(), conversation_id, message_id)
        .await
    {
        Ok(Some(message)) => {
            let delivery = delivery(&state, op.company_id(), &message).await;
            answers::html(
                StatusCode::OK,
                views::bubble(&op, &Bubble { message, delivery }),
            )
        }
        Ok(None) => not_found("message"),
        Err(e) => answers::store_failed(&e),
    }
}

/// One message's bubble, read after it was stored (the composer's answer).
pub async fn bubble_of(state: &AppState, op: &Operator, message: Message) -> Bubble {
    let delivery = delivery(state, op.company_id(), &message).await;
    Bubble { message, delivery }
}

/// `GET .../side`: the side panel (contact, assignee, note), as it is now.
pub async fn side(
    State(state): State<AppState>,
    op: Operator,
    Path((_, conversation_id)): Path<(i64, i64)>,
) -> Response {
    side_panel(&state, &op, conversation_id, None).await
}

/// The side panel of the conversation; `notice` says what was just saved.
pub async fn side_panel(
    state: &AppState,
    op: &Operator,
    conversation_id: i64,
    notice: Option<&str>,
) -> Response {
    let conversation = match state
        .app
        .store
        .get_conversation(op.company_id(), conversation_id)
        .await
    {
        Ok(Some(c)) => c,
        Ok(None) => return not_found("conversation"),
        Err(e) => return answers::store_failed(&e),
    };
    let directory = match Directory::members(state, op).await {
        Ok(d) => d,
        Err(response) => return response,
    };
    answers::html(
        StatusCode::OK,
        views::side(op, &conversation, &directory, notice),
    )
}
