//! Connectors: what delivers a channel's messages to its messenger.

use std::sync::Arc;

use confab_store::{Channel, Claimed, Job, Message, Outcome};

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

/// The connector of a channel. Only the sandbox exists so far; channels are created with
/// it only in `--sandbox` mode.
pub fn for_channel(state: &WorkerState, _channel: &Channel) -> Arc<dyn Connector> {
    Arc::new(super::sandbox::SandboxConnector {
        latency: state.config.sandbox_latency,
    })
}
