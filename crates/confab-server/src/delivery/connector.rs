//! Connectors: what delivers a channel's messages to its messenger.

use confab_store::{Claimed, Outcome};

/// Delivers messages to one kind of messenger.
#[async_trait::async_trait]
pub trait Connector: Send + Sync {
    /// Hands the claimed job's message to the messenger.
    /// What the messenger reports later (receipts) arrives through `App::record_receipt`;
    /// the sandbox's own receipts are durable rows (`delivery::sandbox`).
    async fn deliver(&self, job: &Claimed) -> Outcome;
}
