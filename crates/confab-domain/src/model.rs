//! The rows the store hands out and the values it takes in.

use serde::{Deserialize, Serialize};

pub use confab_wire::{Ack, ChannelState, JobState, Provider, Role};

/// SHA-256 of an API token: the only form in which tokens are stored.
pub type TokenHash = [u8; 32];

/// An API user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// User id, from 1 in a fresh database.
    pub id: i64,
    /// Display name.
    pub name: String,
}

/// A company (tenant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    /// Company id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Free-text phone.
    pub phone: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Where webhooks go.
    pub webhook_url: Option<String>,
    /// Hidden in a UI; still listed by the API.
    pub hidden: bool,
    /// Creation time, unix ms.
    pub created_at_ms: i64,
    /// The secret webhooks are signed with.
    pub webhook_secret: String,
    /// The role in the company of the member it was read for (every read of a company
    /// goes through a membership).
    pub member_role: Role,
}

/// A member of a company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The user.
    pub user_id: i64,
    /// The user's name.
    pub name: String,
    /// What they may do in the company.
    pub role: Role,
    /// When they joined it, unix ms (0 for members from before roles existed).
    pub added_at_ms: i64,
}

/// A user with the companies they are a member of (for operators, never for the API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSummary {
    /// The user.
    pub user: User,
    /// Their companies' ids, ascending.
    pub company_ids: Vec<i64>,
}

/// The fields of a new company.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewCompany {
    /// Display name.
    pub name: String,
    /// Free-text phone.
    pub phone: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Where webhooks go.
    pub webhook_url: Option<String>,
    /// The secret webhooks are signed with.
    pub webhook_secret: String,
}

/// A partial company update: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompanyPatch {
    /// New name.
    pub name: Option<String>,
    /// New phone, or clear.
    pub phone: Option<Option<String>>,
    /// New description, or clear.
    pub description: Option<Option<String>>,
    /// New webhook URL, or clear.
    pub webhook_url: Option<Option<String>>,
    /// New hidden flag.
    pub hidden: Option<bool>,
    /// New webhook signing secret.
    pub webhook_secret: Option<String>,
}

/// A channel: one messenger account of a company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    /// Channel id.
    pub id: i64,
    /// Owning company.
    pub company_id: i64,
    /// The messenger.
    pub provider: Provider,
    /// The connector that delivers for it (`sandbox`).
    pub connector: String,
    /// Provider credentials and options, as given.
    pub settings: serde_json::Map<String, serde_json::Value>,
    /// Creation time, unix ms.
    pub created_at_ms: i64,
    /// Connection state, as the last system event left it.
    pub state: ChannelState,
    /// When its connector last stored something the messenger sent, unix ms.
    pub last_inbound_at_ms: Option<i64>,
    /// The connector's last problem with the messenger (cleared when it works again).
    pub last_error: Option<String>,
}

/// The fields of a new channel.
#[derive(Debug, Clone, PartialEq)]
pub struct NewChannel {
    /// The messenger.
    pub provider: Provider,
    /// Connector name.
    pub connector: String,
    /// Provider credentials and options.
    pub settings: serde_json::Map<String, serde_json::Value>,
}

/// A 1-1 conversation with one contact on one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    /// Conversation id.
    pub id: i64,
    /// Owning company.
    pub company_id: i64,
    /// Channel of the conversation.
    pub channel_id: i64,
    /// Provider of that channel.
    pub channel_type: Provider,
    /// The contact's id on the messenger.
    pub sender_external_id: String,
    /// Contact display name.
    pub name: String,
    /// Avatar URL when a connector knows one.
    pub avatar: Option<String>,
    /// Provider metadata object.
    pub meta: serde_json::Map<String, serde_json::Value>,
    /// Operators' note.
    pub note: Option<String>,
    /// Assigned user.
    pub assignee_id: Option<i64>,
    /// Bitrix24 open-lines block flag.
    pub bitrix_block_openlines: bool,
    /// Time of the last message, unix ms.
    pub last_message_at_ms: Option<i64>,
    /// Time of the last incoming message, unix ms.
    pub last_income_message_at_ms: Option<i64>,
    /// Creation time, unix ms.
    pub created_at_ms: i64,
}

impl Conversation {
    /// The time of its last activity: the last message, or the creation before any. The
    /// sort key of [`crate::conversation_query::ConversationOrder::LastMessage`]; the
    /// stores keep a column equal to it.
    pub fn activity_at_ms(&self) -> i64 {
        self.last_message_at_ms.unwrap_or(self.created_at_ms)
    }
}

/// Who a conversation is with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// The contact's id on the messenger (phone digits, username).
    pub sender_external_id: String,
    /// Display name, when known.
    pub name: Option<String>,
}

/// An outgoing text to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingText {
    /// Message body.
    pub body: String,
    /// Whether the message is synced to CRM integrations.
    pub send_to_crm: bool,
    /// The WhatsApp Business template it is sent as (the body is then its rendered text).
    pub template: Option<crate::templates::TemplateSend>,
}

/// An incoming message to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIncoming {
    /// Text body (`""` when none).
    pub body: String,
    /// Files that came with it.
    pub attachments: Vec<NewAttachment>,
    /// The raw update it is made from, for messages a real connector received.
    pub source: Option<crate::intake::UpdateSource>,
}

/// The outcome of storing a message into a found-or-created conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Posted {
    /// The conversation, as it is after the message.
    pub conversation: Conversation,
    /// Whether the conversation was created by this call.
    pub created: bool,
    /// The stored message's id.
    pub message_id: i64,
    /// The delivery job of an outgoing message.
    pub job: Option<Job>,
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Message id.
    pub id: i64,
    /// Conversation.
    pub conversation_id: i64,
    /// Channel.
    pub channel_id: i64,
    /// True for messages from the contact.
    pub income: bool,
    /// Text body (`""` when none).
    pub body: String,
    /// How far it has got.
    pub ack: Ack,
    /// Whether the message is synced to CRM integrations.
    pub send_to_crm: bool,
    /// Creation time, unix ms.
    pub created_at_ms: i64,
    /// The delivery job of an outgoing message.
    pub job_id: Option<i64>,
    /// The messenger's own id of the message, once known.
    pub external_public_id: Option<String>,
    /// The interactive part (WhatsApp Business buttons), as given.
    pub interactive: Option<serde_json::Value>,
    /// Its attachments, in upload order.
    pub attachments: Vec<Attachment>,
}

/// An outgoing message to store and deliver.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOutgoing {
    /// The conversation it goes to.
    pub conversation_id: i64,
    /// Text body (`""` for attachment-only messages).
    pub body: String,
    /// Whether the message is synced to CRM integrations.
    pub send_to_crm: bool,
    /// Attachments uploaded into the conversation, not yet sent.
    pub attachment_ids: Vec<i64>,
    /// The interactive part, already validated.
    pub interactive: Option<serde_json::Value>,
}

/// A delivery job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Job id.
    pub id: i64,
    /// Owning company.
    pub company_id: i64,
    /// The channel that delivers.
    pub channel_id: i64,
    /// Provider of that channel.
    pub channel_type: Provider,
    /// The conversation of the message.
    pub conversation_id: i64,
    /// The message being delivered.
    pub message_id: i64,
    /// Where the job is.
    pub state: JobState,
    /// Why it failed (or last failed, while retrying).
    pub reason: Option<String>,
    /// How many times it was claimed.
    pub attempts: i64,
    /// Creation time, unix ms.
    pub created_at_ms: i64,
    /// When it reached its final state, unix ms.
    pub executed_at_ms: Option<i64>,
}

/// A job claimed by a worker, with what delivering it needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    /// The job.
    pub job: Job,
    /// The lease; finishing the job needs it to still be the job's.
    pub lease_until: i64,
    /// The channel, and whether it has been deleted since.
    pub channel: (Channel, bool),
    /// The conversation.
    pub conversation: Conversation,
    /// The message to deliver.
    pub message: Message,
    /// Whether the sandbox has been told this contact cannot be reached.
    pub contact_unreachable: bool,
    /// The WhatsApp Business template to send, for a message written first with one.
    pub template: Option<crate::templates::TemplateSend>,
}

/// What a connector made of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted by the messenger, which gave the message this id.
    Sent {
        /// The messenger's id of the message.
        external_public_id: String,
    },
    /// Refused for good.
    Failed {
        /// Why, for people.
        reason: String,
    },
    /// Failed for now; try again at `at_ms`.
    Retry {
        /// Why, for people.
        reason: String,
        /// When to try again, unix ms.
        at_ms: i64,
    },
}

/// A messenger's report on an outgoing message it accepted earlier (WhatsApp's
/// `statuses`), found by the id the messenger gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Receipt {
    /// It got this far (sent, delivered, read).
    Reached(confab_wire::Ack),
    /// It failed after all, with the messenger's reason (code and title).
    Failed {
        /// Why, for people: the messenger's error code and title.
        reason: String,
    },
}

/// Which slice of a conversation's messages to read, ordered by (created_at, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessagePageRequest {
    /// Start strictly after this (created_at ms, id) in the list's direction.
    pub after: Option<(i64, i64)>,
    /// Newest first when true.
    pub descending: bool,
    /// How many rows at most.
    pub limit: u32,
}

/// The fields of a new attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    /// The conversation it was uploaded into.
    pub conversation_id: i64,
    /// Original file name.
    pub file_name: String,
    /// MIME type.
    pub mime_type: String,
    /// Size in bytes.
    pub size: i64,
    /// Where the bytes are in blob storage.
    pub blob_key: String,
    /// The URL it was fetched from, for `file_url` uploads.
    pub source_url: Option<String>,
}

/// A stored attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// Attachment id.
    pub id: i64,
    /// Owning company.
    pub company_id: i64,
    /// The conversation it was uploaded into.
    pub conversation_id: i64,
    /// The message that carries it, once sent.
    pub message_id: Option<i64>,
    /// Original file name.
    pub file_name: String,
    /// MIME type.
    pub mime_type: String,
    /// Size in bytes.
    pub size: i64,
    /// Where the bytes are in blob storage.
    pub blob_key: String,
    /// The URL it was fetched from.
    pub source_url: Option<String>,
    /// Upload time, unix ms.
    pub created_at_ms: i64,
}

/// Which slice of an id-ordered list to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Start strictly after this id (in the list's direction); `None` for the first page.
    pub after: Option<i64>,
    /// Descending order when true.
    pub descending: bool,
    /// How many rows at most.
    pub limit: u32,
}

/// Something to announce by webhook, as it was when it happened (a snapshot, so a later
/// change does not alter what an event says).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A conversation was created.
    ConversationNew {
        /// The conversation.
        conversation: Conversation,
    },
    /// A conversation's contact name (or avatar) changed.
    ConversationUpdate {
        /// The conversation.
        conversation: Conversation,
    },
    /// A conversation was assigned to an operator, or unassigned. Pact has no such webhook:
    /// the event is in the log (the event stream shows it, so every open inbox moves the
    /// conversation between its tabs) but never sent to a `webhook_url`.
    ConversationAssign {
        /// The conversation, with its new assignee.
        conversation: Conversation,
    },
    /// A message arrived, or an outgoing one was sent.
    MessageNew {
        /// Its conversation.
        conversation: Conversation,
        /// The message.
        message: Message,
    },
    /// An outgoing message's ack moved forward.
    MessageAck {
        /// Its conversation.
        conversation: Conversation,
        /// The message id.
        message_id: i64,
        /// The new ack.
        ack: Ack,
    },
    /// A delivery job reached its final state.
    JobExecuted {
        /// The job.
        job: Job,
    },
    /// A QR code to scan to connect the channel (WhatsApp, Telegram personal).
    QrCode {
        /// The channel.
        channel_id: i64,
        /// The QR image, PNG bytes base64-encoded.
        image_base64: String,
    },
    /// A channel system event (phone offline, disabled, ...).
    System {
        /// The channel.
        channel_id: i64,
        /// The event's name (`phone_offline`).
        event: String,
        /// When it happened, unix ms.
        at_ms: i64,
    },
}

impl Event {
    /// `type.event` of the webhook, for the delivery log.
    pub fn label(&self) -> &'static str {
        match self {
            Event::ConversationNew { .. } => "conversation.new",
            Event::ConversationUpdate { .. } => "conversation.update",
            Event::ConversationAssign { .. } => "conversation.assign",
            Event::MessageNew { .. } => "message.new",
            Event::MessageAck { .. } => "message.ack",
            Event::JobExecuted { .. } => "job.executed",
            Event::QrCode { .. } => "qr_code.new",
            Event::System { .. } => "system",
        }
    }

    /// Whether the event is sent to the company's `webhook_url` (every Pact webhook is);
    /// the others are only read from the log.
    pub fn is_webhook(&self) -> bool {
        !matches!(self, Event::ConversationAssign { .. })
    }
}

/// An event of the company's event log: what happened, in the order it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedEvent {
    /// Its place in the log: ids order a company's events, and a reader holding id N has
    /// seen every event up to N (also the webhook's `webhook-id`, `evt_<id>`).
    pub id: i64,
    /// Owning company.
    pub company_id: i64,
    /// The conversation it is about, if any.
    pub conversation_id: Option<i64>,
    /// `type.event` (`message.new`), or `system`.
    pub label: String,
    /// What happened.
    pub event: Event,
    /// When it happened, unix ms.
    pub created_at_ms: i64,
}

/// What a reader of the event log asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventQuery {
    /// Read events after this id; `None` reads nothing and only reports the head.
    pub after: Option<i64>,
    /// At most this many events.
    pub limit: u32,
    /// Only events with these labels (`message.new`); empty: all.
    pub labels: Vec<String>,
    /// Only events about this conversation.
    pub conversation_id: Option<i64>,
}

/// One read of the event log.
#[derive(Debug, Clone, PartialEq)]
pub struct EventBatch {
    /// The events read, oldest first.
    pub events: Vec<LoggedEvent>,
    /// Where the next read starts: the last event read, or (when nothing more is there
    /// now) the newest id readable at the time of the read, past events the filters skip.
    pub next_after: i64,
    /// Whether more events were readable than `limit`.
    pub has_more: bool,
    /// Whether the cursor is older than the log's retention: events after it are gone, so
    /// nothing was read and the reader must start again from `next_after` (the head).
    pub expired: bool,
}

impl EventBatch {
    /// Nothing read: the reader starts (again, if `expired`) at `head`.
    pub fn at_head(head: i64, expired: bool) -> Self {
        Self {
            events: Vec::new(),
            next_after: head,
            has_more: false,
            expired,
        }
    }

    /// A read of up to `limit` events after `after`, from `rows`: up to `limit + 1` events
    /// in id order, all at or below `head`, the newest id readable when the read began.
    pub fn from_rows(mut rows: Vec<LoggedEvent>, limit: u32, after: i64, head: i64) -> Self {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        let next_after = match (rows.last(), has_more) {
            (Some(last), true) => last.id,
            (None, true) => after,
            // Everything up to the head was read (or filtered out): start after it.
            (_, false) => head.max(after),
        };
        Self {
            events: rows,
            next_after,
            has_more,
            expired: false,
        }
    }
}

/// An event in the outbox, with its delivery record.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEvent {
    /// Event id (also the `webhook-id`).
    pub id: i64,
    /// Owning company.
    pub company_id: i64,
    /// The conversation it is about, if any.
    pub conversation_id: Option<i64>,
    /// `type.event`.
    pub label: String,
    /// What happened.
    pub event: Event,
    /// `pending`, `delivered` or `failed` (attempts used up; dropped).
    pub state: String,
    /// Attempts made.
    pub attempts: i64,
    /// When the next attempt is due, unix ms.
    pub next_attempt_at_ms: i64,
    /// HTTP status of the last attempt.
    pub last_status: Option<i64>,
    /// What went wrong in the last attempt.
    pub last_error: Option<String>,
    /// When it happened, unix ms.
    pub created_at_ms: i64,
    /// When it was delivered or dropped, unix ms.
    pub finished_at_ms: Option<i64>,
}

/// An event claimed for a delivery attempt, with where it goes.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedEvent {
    /// The event.
    pub outbox: OutboxEvent,
    /// The company's webhook URL now (`None`: nowhere to deliver).
    pub webhook_url: Option<String>,
    /// The company's signing secret.
    pub webhook_secret: String,
    /// The lease; recording the attempt needs it to still be the event's.
    pub lease_until: i64,
}

/// The outcome of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The receiver's HTTP status, if it answered.
    pub status: Option<u16>,
    /// What went wrong, if anything.
    pub error: Option<String>,
    /// Whether the event is delivered.
    pub delivered: bool,
    /// When to try again; `None` with `delivered` false drops the event for good.
    pub retry_at_ms: Option<i64>,
}

/// A receipt a send left due (see `rules::due_receipt_after_send`): the sandbox's device
/// receipt, kept as a row so a restart still applies it. Claimed with a lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueReceipt {
    /// The row's id.
    pub id: i64,
    /// The company of the message.
    pub company_id: i64,
    /// The conversation of the message.
    pub conversation_id: i64,
    /// The message the receipt is for.
    pub message_id: i64,
    /// The ack it brings the message to.
    pub ack: Ack,
    /// When the send it follows was recorded (unix ms).
    pub sent_at_ms: i64,
    /// The lease; completing the receipt needs it to still be the row's.
    pub lease_until: i64,
}

/// Queue figures for metrics and readiness.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Delivery jobs not yet final.
    pub jobs_pending: i64,
    /// Age of the oldest of them, ms (0 when none).
    pub oldest_job_age_ms: i64,
    /// Webhook events waiting for delivery.
    pub webhook_events_pending: i64,
    /// Webhook events dropped after their last attempt.
    pub webhook_events_failed: i64,
    /// Database connections idle in the store's pool.
    pub db_connections_idle: i64,
}
