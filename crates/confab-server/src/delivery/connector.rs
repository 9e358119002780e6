//! Connectors: what delivers a channel's messages to its messenger.

use confab_store::{Claimed, Job, Message, Outcome};

use crate::worker::WorkerState;

/// Delivers messages to one kind of messenger.
#[async_trait::async_trait]
pub trait Connector: Send + Sync {
    /// Hands the claimed job's message to the messenger.
    async fn deliver(&self, job: &Claimed) -> Outcome;

    /// Runs after a delivery was recorded as sent: what the messenger reports next
    /// (a real connector gets acks from the messenger instead).
    async fn after_sent(&self, _state: &WorkerState, _job: &Job, _message: &Message) {}
}
