//! What real messenger connectors keep in the database: raw updates stored before they are
//! acknowledged, their processing as leased jobs, and which node polls a channel.

/// A raw update a messenger sent, stored before it is acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUpdate {
    /// Unique per channel: a second update with the same key is a redelivery and is
    /// dropped (Telegram: `msg:<chat id>:<message id>`).
    pub key: String,
    /// The update exactly as the messenger sent it (JSON text).
    pub payload: String,
}

/// A poller moving its messenger cursor forward together with the updates it fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorAdvance {
    /// The node holding the channel's poll lease; nothing is stored if it no longer holds it.
    pub holder: String,
    /// The new cursor (Telegram: the next `offset`).
    pub cursor: String,
}

/// What storing a batch of raw updates did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Accepted {
    /// Updates stored for processing.
    pub stored: u32,
    /// Updates dropped as redeliveries of stored ones.
    pub duplicates: u32,
}

/// A channel's poll lease, as its holder sees it after taking or renewing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollLease {
    /// Until when it is held, unix ms.
    pub lease_until: i64,
    /// The messenger cursor stored with the last batch (`None` before the first).
    pub cursor: Option<String>,
}

/// A stored raw update claimed for processing under a lease.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedUpdate {
    /// Update id (the row, not the messenger's).
    pub id: i64,
    /// The channel it arrived on, and whether that channel has been deleted since.
    pub channel: (crate::model::Channel, bool),
    /// The raw update.
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: i32,
    /// The lease; finishing needs it to still be the update's.
    pub lease_until: i64,
    /// When it was stored, unix ms.
    pub received_at_ms: i64,
    /// The message already made from it, when only its files remain to be fetched.
    pub message: Option<UpdateMessage>,
    /// The files still to fetch (connector-defined JSON text), when `message` is set.
    pub pending: Option<String>,
}

/// The message an update became.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdateMessage {
    /// Its conversation.
    pub conversation_id: i64,
    /// The message.
    pub message_id: i64,
}

/// How processing a claimed update ended when it did not (yet) become a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateOutcome {
    /// Nothing in it becomes a message (an unsupported kind); kept for the record, counted.
    Skipped {
        /// What it was, for people.
        reason: String,
    },
    /// Failed for now; claimable again at `at_ms`.
    Retry {
        /// Why, for people.
        error: String,
        /// When to try again, unix ms.
        at_ms: i64,
    },
    /// Given up for good.
    Failed {
        /// Why, for people.
        error: String,
    },
}

/// Ties an incoming message to the raw update it is made from, so the message and the
/// update's completion commit together (a crash between them cannot make it twice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateSource {
    /// The update row.
    pub update_id: i64,
    /// Its lease; the store refuses the message (`Refused`, `update`) and writes nothing
    /// if the update is no longer pending under this lease.
    pub lease_until: i64,
    /// The messenger's id of the message, stored as its `external_public_id`.
    pub external_id: String,
    /// Files still to fetch: the update stays claimable (with its message) until the
    /// store's `attach_update_files` clears this.
    pub pending: Option<String>,
}

/// Figures of the inbound pipeline for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IntakeStats {
    /// Updates stored and not yet processed (or with files still to fetch).
    pub pending: i64,
    /// Age of the oldest of them, ms (0 when none).
    pub oldest_age_ms: i64,
    /// Updates skipped as unsupported, ever.
    pub skipped: i64,
    /// Updates given up on, ever.
    pub failed: i64,
}
