//! The operations confab performs, one function each, called by every way in: the HTTP
//! handlers, the sandbox, messenger connectors and the background workers. An operation
//! checks what only it can check, asks the store to persist the change in one transaction
//! (the store applies the domain's rules of what the change causes), and wakes the workers
//! that act on it. Nothing here knows HTTP.

use std::path::PathBuf;
use std::sync::Arc;

use confab_store::Store;

use crate::blobs::Blobs;
use crate::clock::SharedClock;
use crate::net::Fetcher;
use crate::wakeup::Wakeup;

mod channels;
mod conversations;
mod delivery;
pub mod error;
pub mod files;
mod inbound;
mod members;
mod messages;
mod receipts;
mod signin;
pub mod templates;

pub use error::{AppError, AppResult};
pub use files::FileSource;
pub use inbound::InboundMessage;
pub use messages::OutgoingDraft;
pub use signin::{Confirmation, OutstandingCode};
pub use templates::{SharedTemplateSource, TemplateRequest, TemplateSource};

/// What the operations work with; one per server, shared by every caller.
pub struct App {
    /// The database.
    pub store: Arc<dyn Store>,
    /// Attachment bytes.
    pub blobs: Blobs,
    /// The guarded outbound HTTP client (`file_url` fetches, webhooks).
    pub fetcher: Fetcher,
    /// The one source of the current time.
    pub clock: SharedClock,
    /// Where fetched files are spooled before they are stored.
    pub tmp_dir: PathBuf,
    /// The largest attachment accepted, bytes.
    pub max_attachment_size: u64,
    /// Wakes the delivery worker after a job is enqueued.
    pub delivery_wakeup: Wakeup,
    /// Wakes the webhook dispatcher after events may have been recorded.
    pub webhook_wakeup: Wakeup,
    /// Wakes the intake worker after raw updates from a messenger were stored.
    pub intake_wakeup: Wakeup,
    /// Wakes the connectors' supervisors after a channel was connected.
    pub channels_wakeup: Wakeup,
    /// Seals and opens channel secrets.
    pub secrets: crate::secrets::SecretBox,
}

impl App {
    /// The current time, unix ms.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}
