//! Serde types of the Pact Private API v1 (`/p1`) wire format.
//!
//! The server renders these and the client parses them, so the two cannot drift; the
//! request bodies the client sends and the server documents are in [`requests`], the size
//! limits of their parameters in [`limits`]. Nothing here does I/O. Field order follows the
//! Pact documentation's examples.

use serde::{Deserialize, Serialize};

pub mod json;
pub mod limits;
mod provider;
pub mod requests;
pub mod signin;
mod states;

pub use provider::{Provider, UnknownProvider};
pub use states::{Ack, ChannelState, JobState, Role};

/// The success envelope every p1 endpoint answers with: `{"status": WORD, "data": {...}}`.
///
/// `data` is omitted (never `null`) when an endpoint has nothing to return, because the
/// official Python SDK breaks on `"data": null`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Envelope<T> {
    /// One of `ok`, `created`, `updated`, `deleted`.
    pub status: Status,
    /// The payload, absent for answers such as the note update. (A missing `Option` field
    /// reads as `None` without `#[serde(default)]`, which would also demand `T: Default`.)
    #[serde(skip_serializing_if = "Option::is_none")]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// Always `"error"`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^error$"))]
    pub status: String,
    /// A sentence for people; names the offending parameter when there is one.
    pub message: String,
    /// Machine-readable details, one per offending parameter.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ErrorDetail>,
}

/// One offending parameter of an [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExternalId {
    /// The resource's id.
    pub external_id: i64,
}

/// A new channel's answer: its id, and for a channel whose messenger posts to confab
/// (WhatsApp Business) where and with what to set up that messenger's webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedChannel {
    /// The channel's id.
    pub external_id: i64,
    /// The callback URL to give the messenger (`<public-url>/hooks/<provider>/<id>`);
    /// absent without `--public-url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    /// The verify token to give the messenger with the callback URL (Meta's app settings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_token: Option<String>,
}

/// `GET .../channels/ID/user_exists`: whether a phone has an account on the messenger;
/// `exists` is null when the messenger offers no such check (`reason` says why).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserExists {
    /// `ok`.
    pub status: Status,
    /// Whether the phone has an account; null when that cannot be known.
    pub exists: Option<bool>,
    /// Why `exists` is null.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A company as listed by `GET /p1/companies`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Company {
    /// Company id.
    pub external_id: i64,
    /// Display name.
    pub name: String,
    /// Company or contact phone, free text.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub phone: Option<String>,
    /// Free text.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub description: Option<String>,
    /// Where the company's webhooks go.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub webhook_url: Option<String>,
}

/// `data` of `GET /p1/companies`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompanyList {
    /// One page of companies.
    pub companies: Vec<Company>,
    /// Token of the next page; `null` on the last one.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next_page: Option<String>,
}

/// A channel as listed by `GET /p1/companies/CID/channels`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Channel {
    /// Channel id.
    pub external_id: i64,
    /// Messenger of the channel (`whatsapp`, `telegram_personal`, ...).
    pub provider: String,
    /// confab extension: the connection state (`enabled`, `disabled`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<ChannelState>,
    /// confab extension: `sandbox` or the real messenger connector (`telegram`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector: Option<String>,
    /// confab extension: when the messenger last sent something (unix seconds; `null`:
    /// never).
    #[serde(default)]
    pub last_inbound_at: Option<i64>,
    /// confab extension: the connector's last problem with the messenger (`null`: none).
    #[serde(default)]
    pub last_error: Option<String>,
}

/// `data` of `GET /p1/companies/CID/channels`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelList {
    /// One page of channels.
    pub channels: Vec<Channel>,
    /// Token of the next page; `null` on the last one.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next_page: Option<String>,
}

/// A conversation: the seed's nine base fields, the three of the toggle example, and the
/// confab extras `note` and `assignee_id` so that what a client sets can be read back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
    /// Unix seconds of `created_at`.
    pub created_at_timestamp: i64,
    /// Avatar path or URL.
    pub avatar: String,
    /// The contact's id on the messenger (phone digits for WhatsApp).
    pub sender_external_id: String,
    /// Provider metadata; `{}` unless a connector knows more.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub meta: serde_json::Map<String, serde_json::Value>,
    /// Unix seconds of the last message, `0` when none.
    pub last_message_at: i64,
    /// Unix seconds of the last incoming message, `0` when none.
    pub last_income_message_at: i64,
    /// Whether Bitrix24 open lines are blocked for this conversation.
    pub bitrix_block_openlines: bool,
    /// The operators' note (confab extension).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub note: Option<String>,
    /// The user the conversation is assigned to (confab extension).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub assignee_id: Option<i64>,
}

/// `data` of `GET /p1/companies/CID/conversations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationList {
    /// One page of conversations.
    pub conversations: Vec<Conversation>,
    /// Token of the next page; `null` on the last one.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next_page: Option<String>,
}

/// `data` of `GET /p1/companies/CID/conversations/meta`: how many conversations each
/// inbox tab holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationsMeta {
    /// Assigned to the caller.
    pub mine: i64,
    /// Assigned to nobody.
    pub unassigned: i64,
    /// All of them.
    pub all: i64,
    /// Those whose last message is incoming (the customer waits for a reply).
    pub awaiting_reply: i64,
}

/// `data` wrapping one conversation: `{"conversation": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationData {
    /// The conversation.
    pub conversation: Conversation,
}

/// `data` of the assign answer: `{"conversation":{"external_id":N}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationRef {
    /// Only the id, as the docs show.
    pub conversation: ExternalId,
}

/// `data` of the attachment upload: both shapes the docs show at once, the attachment id
/// in `external_id` and the conversation in `conversation.external_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachmentUploaded {
    /// The new attachment's id, to pass later in `attachments_ids`.
    pub external_id: i64,
    /// The conversation the attachment belongs to.
    pub conversation: ExternalId,
}

/// `data` of the sandbox inbound answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SandboxInbound {
    /// The conversation that received the message (created when new).
    pub conversation_id: i64,
    /// The stored incoming message.
    pub message_id: i64,
}

/// An attachment as shown inside a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageAttachment {
    /// Attachment id.
    pub external_id: i64,
    /// Original file name.
    pub file_name: String,
    /// MIME type.
    pub mime_type: String,
    /// Size in bytes.
    pub size: i64,
    /// Where to download it (with the API token), relative to the server.
    pub attachment_url: String,
}

/// A message: the documented fields, then confab's extras (`ack`, `send_to_crm`, `job_id`,
/// `external_public_id`, `interactive`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    /// Message id.
    pub external_id: i64,
    /// Channel id.
    pub channel_id: i64,
    /// Provider of the channel.
    pub channel_type: String,
    /// Text (`""` for attachment-only messages).
    pub message: String,
    /// True for messages from the contact.
    pub income: bool,
    /// ISO-8601 UTC with milliseconds and `Z`.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
    /// Unix seconds of `created_at`.
    pub created_at_timestamp: i64,
    /// Files of the message.
    pub attachments: Vec<MessageAttachment>,
    /// Delivery state: -1 preparing, 0 being delivered, 1 sent, 2 delivered, 3 read.
    #[cfg_attr(feature = "openapi", schema(minimum = -1, maximum = 3))]
    pub ack: i32,
    /// Whether the message is synced to CRM integrations.
    pub send_to_crm: bool,
    /// The delivery job of an outgoing message.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub job_id: Option<i64>,
    /// The messenger's own id of the message, once known.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub external_public_id: Option<String>,
    /// WhatsApp Business interactive part, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub interactive: Option<serde_json::Value>,
}

/// `data` of `GET .../conversations/ID/messages`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageList {
    /// One page of messages.
    pub messages: Vec<Message>,
    /// Token of the next page; `null` on the last one.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next_page: Option<String>,
}

/// The channel reference inside a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobChannel {
    /// Channel id.
    pub id: i64,
    /// Provider of the channel.
    #[serde(rename = "type")]
    pub kind: String,
}

/// The outcome of a finished job: `{"result":"DELIVERED"}` or
/// `{"result":"NOT DELIVERED","reason":"..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobDetails {
    /// `DELIVERED` or `NOT DELIVERED`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^(DELIVERED|NOT DELIVERED)$"))]
    pub result: String,
    /// Why it was not delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A delivery job, as answered by a send and by `GET .../jobs/ID`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Job {
    /// Job id.
    pub id: i64,
    /// Company id.
    pub company_id: i64,
    /// The channel that delivers.
    pub channel: JobChannel,
    /// The conversation of the message.
    pub conversation_id: i64,
    /// `trying_deliver`, `delivered` or `not_delivered`.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^(trying_deliver|delivered|not_delivered)$")
    )]
    pub state: String,
    /// The delivered message; `null` until delivered (asynchronous delivery).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub message_id: Option<i64>,
    /// The outcome; `null` while trying.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub details: Option<JobDetails>,
    /// Creation time, unix seconds.
    pub created_at: i64,
}

impl Job {
    /// The state of a job still being delivered.
    pub const TRYING_DELIVER: &'static str = "trying_deliver";
    /// The state of a delivered job (`message_id` set).
    pub const DELIVERED: &'static str = "delivered";
    /// The state of a job that failed for good (`details.reason` says why).
    pub const NOT_DELIVERED: &'static str = "not_delivered";

    /// Whether the job has finished, delivered or not: its state will not change again.
    pub fn is_final(&self) -> bool {
        self.state != Self::TRYING_DELIVER
    }

    /// Whether the message was delivered.
    pub fn is_delivered(&self) -> bool {
        self.state == Self::DELIVERED
    }
}

/// A company with the secret its webhooks are signed with, as `GET /p1/companies/ID` (a
/// confab extension) answers it to the company's members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompanyDetails {
    /// Company id.
    pub external_id: i64,
    /// Display name.
    pub name: String,
    /// Company or contact phone, free text.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub phone: Option<String>,
    /// Free text.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub description: Option<String>,
    /// Where the company's webhooks go.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub webhook_url: Option<String>,
    /// The `whsec_` secret of the Standard Webhooks signatures.
    pub webhook_secret: String,
}

/// `data` of `GET /p1/companies/ID`: `{"company": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompanyData {
    /// The company.
    pub company: CompanyDetails,
}

/// `data` of `POST /p1/companies/ID/webhook_secret/rotate`: the new secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookSecret {
    /// The new `whsec_` secret; the old one no longer signs anything.
    pub webhook_secret: String,
}

/// One entry of the webhook delivery log (`GET /p1/companies/CID/webhook_deliveries`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookDelivery {
    /// Event id (also its `webhook-id` header).
    pub id: i64,
    /// `type.event`, e.g. `message.new`.
    pub event: String,
    /// The conversation the event is about, if any.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub conversation_id: Option<i64>,
    /// `pending`, `delivered` or `failed` (attempts used up; dropped).
    #[cfg_attr(feature = "openapi", schema(pattern = "^(pending|delivered|failed)$"))]
    pub state: String,
    /// Attempts made so far.
    pub attempts: i64,
    /// HTTP status the receiver answered last.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub last_status: Option<i64>,
    /// What went wrong in the last attempt.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub last_error: Option<String>,
    /// When the event happened: ISO-8601 UTC with milliseconds and `Z`.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
    /// When the next attempt is due, while `pending`.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub next_attempt_at: Option<String>,
    /// When it was delivered or dropped.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub finished_at: Option<String>,
}

/// `data` of `GET /p1/companies/CID/webhook_deliveries`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookDeliveryList {
    /// One page of log entries.
    pub webhook_deliveries: Vec<WebhookDelivery>,
    /// Token of the next page; `null` on the last one.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next_page: Option<String>,
}

/// `data` of `POST .../webhook_deliveries/ID/resend`: the new, queued copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookDeliveryData {
    /// The new delivery (state `pending`).
    pub webhook_delivery: WebhookDelivery,
}

/// A member of a company: a user and their role there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Member {
    /// The user's id.
    pub user_id: i64,
    /// The user's name.
    pub name: String,
    /// What they may do in the company.
    pub role: Role,
    /// When they joined the company, ISO 8601.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub added_at: String,
}

/// `data` of `GET /p1/companies/CID/members`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberList {
    /// One page of members, by user id.
    pub members: Vec<Member>,
    /// Token of the next page; `null` on the last one.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next_page: Option<String>,
}

/// `data` of adding a member, changing a role or removing a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberData {
    /// The member (as they were, for a removal).
    pub member: Member,
}

/// `data` of the sandbox contacts answer: whether deliveries to the contact succeed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SandboxContact {
    /// The channel the contact writes to.
    pub channel_id: i64,
    /// The contact's id on the messenger.
    pub sender_external_id: String,
    /// `false` makes deliveries to the contact end `not_delivered`.
    pub reachable: bool,
}

/// `data` of the sandbox events answer: the event applied and the channel's state after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SandboxEvent {
    /// The channel.
    pub channel_id: i64,
    /// The event's name (`phone_offline`, `qr_code`, ...).
    pub event: String,
    /// The channel's connection state afterwards: `enabled`, `phone_offline`,
    /// `unavailable` or `disabled`.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^(enabled|phone_offline|unavailable|disabled|pending_authorization)$")
    )]
    pub state: String,
}

/// `data` wrapping one message: `{"message": {...}}` (the sandbox read answer).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageData {
    /// The message.
    pub message: Message,
}

/// A WhatsApp Business template, as `GET /p1/companies/CID/waba_templates` lists it: the
/// documented fields, plus `language` and `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WabaTemplate {
    /// Template id (a number; `template[id]` may name it).
    pub id: i64,
    /// Company id.
    pub company_id: i64,
    /// Display name.
    pub name: String,
    /// The template's name at Meta, which writing first names as `template[id]`.
    pub waba_id: String,
    /// The body text, with `{{1}}`, `{{2}}`... placeholders.
    pub body: String,
    /// How many parameters a send must give (`template[parameters]`).
    pub substitutions_count: i64,
    /// List order (equals `id`).
    pub position: i64,
    /// confab extension: the language code (`template[language_code]`).
    pub language: String,
    /// confab extension: Meta's review status; only `APPROVED` templates can be sent.
    #[cfg_attr(feature = "openapi", schema(example = "APPROVED"))]
    pub status: String,
}

/// `data` of `GET /p1/companies/CID/waba_templates`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WabaTemplateList {
    /// One page of templates.
    pub waba_templates: Vec<WabaTemplate>,
    /// Token of the next page; `null` on the last one.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next_page: Option<String>,
}

/// `data` wrapping one template: `{"waba_template": {...}}` (the sandbox seed answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WabaTemplateData {
    /// The template.
    pub waba_template: WabaTemplate,
}
