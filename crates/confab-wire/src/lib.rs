//! Serde types of the Pact Private API v1 (`/p1`) wire format.
//!
//! The server renders these and the client parses them, so the two cannot drift. Nothing
//! here does I/O. Field order follows the Pact documentation's examples.

use serde::{Deserialize, Serialize};

mod provider;

pub use provider::{Provider, UnknownProvider};

/// The success envelope every p1 endpoint answers with: `{"status": WORD, "data": {...}}`.
///
/// `data` is omitted (never `null`) when an endpoint has nothing to return, because the
/// official Python SDK breaks on `"data": null`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    /// One of `ok`, `created`, `updated`, `deleted`.
    pub status: Status,
    /// The payload, absent for answers such as the note update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
}

impl<T> Envelope<T> {
    /// An `ok` envelope around `data`.
    pub fn ok(data: T) -> Self {
        Self::with(Status::Ok, data)
    }

    /// An envelope with the given status word around `data`.
    pub fn with(status: Status, data: T) -> Self {
        Self {
            status,
            data: Some(data),
        }
    }
}

/// The status words of the Pact documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Reads and most writes.
    Ok,
    /// `POST /companies`, `POST /channels`.
    Created,
    /// `PUT /companies/ID`, `PUT /channels/ID`, the note update.
    Updated,
    /// `DELETE /channels/ID`.
    Deleted,
}

/// The error body: `{"status":"error","message":"...","errors":[...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Always `"error"`.
    pub status: String,
    /// A sentence for people; names the offending parameter when there is one.
    pub message: String,
    /// Machine-readable details, one per offending parameter.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ErrorDetail>,
}

/// One offending parameter of an [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// The parameter's name as the client sent it (`per`, `template[id]`).
    pub parameter: String,
    /// A stable code: `missing`, `invalid`, `out_of_range`, `too_long`, `conflict`.
    pub code: String,
    /// What was wrong, for people.
    pub detail: String,
}

/// An id answer: `{"external_id": N}` (company and channel create/update).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalId {
    /// The resource's id.
    pub external_id: i64,
}

/// A company as listed by `GET /p1/companies`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Company {
    /// Company id.
    pub external_id: i64,
    /// Display name.
    pub name: String,
    /// Company or contact phone, free text.
    pub phone: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Where the company's webhooks go.
    pub webhook_url: Option<String>,
}

/// `data` of `GET /p1/companies`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompanyList {
    /// One page of companies.
    pub companies: Vec<Company>,
    /// Token of the next page; `null` on the last one.
    pub next_page: Option<String>,
}

/// A channel as listed by `GET /p1/companies/CID/channels`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    /// Channel id.
    pub external_id: i64,
    /// Messenger of the channel (`whatsapp`, `telegram_personal`, ...).
    pub provider: String,
}

/// `data` of `GET /p1/companies/CID/channels`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelList {
    /// One page of channels.
    pub channels: Vec<Channel>,
    /// Token of the next page; `null` on the last one.
    pub next_page: Option<String>,
}

/// A conversation: the seed's nine base fields, the three of the toggle example, and the
/// confab extras `note` and `assignee_id` so that what a client sets can be read back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    /// Conversation id.
    pub external_id: i64,
    /// Contact display name (the phone or username when nothing better is known).
    pub name: String,
    /// Channel id.
    pub channel_id: i64,
    /// Provider of the channel.
    pub channel_type: String,
    /// ISO-8601 UTC with milliseconds and `Z`.
    pub created_at: String,
    /// Unix seconds of `created_at`.
    pub created_at_timestamp: i64,
    /// Avatar path or URL.
    pub avatar: String,
    /// The contact's id on the messenger (phone digits for WhatsApp).
    pub sender_external_id: String,
    /// Provider metadata; `{}` unless a connector knows more.
    pub meta: serde_json::Map<String, serde_json::Value>,
    /// Unix seconds of the last message, `0` when none.
    pub last_message_at: i64,
    /// Unix seconds of the last incoming message, `0` when none.
    pub last_income_message_at: i64,
    /// Whether Bitrix24 open lines are blocked for this conversation.
    pub bitrix_block_openlines: bool,
    /// The operators' note (confab extension).
    pub note: Option<String>,
    /// The user the conversation is assigned to (confab extension).
    pub assignee_id: Option<i64>,
}

/// `data` of `GET /p1/companies/CID/conversations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationList {
    /// One page of conversations.
    pub conversations: Vec<Conversation>,
    /// Token of the next page; `null` on the last one.
    pub next_page: Option<String>,
}

/// `data` wrapping one conversation: `{"conversation": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationData {
    /// The conversation.
    pub conversation: Conversation,
}

/// `data` of the assign answer: `{"conversation":{"external_id":N}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationRef {
    /// Only the id, as the docs show.
    pub conversation: ExternalId,
}

/// `data` of the attachment upload: both shapes the docs show at once, the attachment id
/// in `external_id` and the conversation in `conversation.external_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachmentUploaded {
    /// The new attachment's id, to pass later in `attachments_ids`.
    pub external_id: i64,
    /// The conversation the attachment belongs to.
    pub conversation: ExternalId,
}

/// `data` of the sandbox inbound answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxInbound {
    /// The conversation that received the message (created when new).
    pub conversation_id: i64,
    /// The stored incoming message.
    pub message_id: i64,
}
