//! Reading one company's event log for one stream: the filters it asked for, the reads,
//! and waiting for the next event without missing a wake-up or holding up a shutdown.

use std::sync::Arc;

use confab_store::{EventBatch, EventQuery, Store, StoreResult};
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Every label an event of the log can have: the webhooks' `type.event` pairs, `system`,
/// and `conversation.assign` (log only, no webhook). A filter naming anything else is a
/// mistake worth a 400, not an empty stream.
pub const LABELS: [&str; 8] = [
    "message.new",
    "conversation.new",
    "conversation.update",
    "conversation.assign",
    "message.ack",
    "job.executed",
    "qr_code.new",
    "system",
];

/// Which events a stream wants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only these labels; empty: all.
    pub labels: Vec<String>,
    /// Only events about this conversation.
    pub conversation_id: Option<i64>,
}

impl Filter {
    /// Whether an event with this label, about this conversation, passes the filter.
    pub fn matches(&self, label: &str, conversation_id: Option<i64>) -> bool {
        (self.labels.is_empty() || self.labels.iter().any(|l| l == label))
            && self
                .conversation_id
                .is_none_or(|wanted| conversation_id == Some(wanted))
    }
}

/// What ended a wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Woken {
    /// New events may be readable.
    Changed,
    /// The deadline passed first.
    TimedOut,
    /// The server is shutting down (or the store's signal is gone): stop reading.
    Closing,
}

/// A company's event log as one stream reads it.
pub struct Reader {
    store: Arc<dyn Store>,
    company_id: i64,
    filter: Filter,
    signal: watch::Receiver<u64>,
    closing: CancellationToken,
}

impl Reader {
    /// A reader of `company_id`'s events that match `filter`, which stops waiting when
    /// `closing` fires.
    pub fn new(
        store: Arc<dyn Store>,
        company_id: i64,
        filter: Filter,
        closing: CancellationToken,
    ) -> Self {
        let signal = store.event_signal();
        Self {
            store,
            company_id,
            filter,
            signal,
            closing,
        }
    }

    /// Up to `limit` events after `after`; `None` reads nothing and reports the head.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn read(&mut self, after: Option<i64>, limit: u32) -> StoreResult<EventBatch> {
        // Marked seen before reading: a change that lands during the read then still wakes
        // the next wait, so an event committed meanwhile is never slept past.
        self.signal.borrow_and_update();
        self.store
            .read_events(
                self.company_id,
                EventQuery {
                    after,
                    limit,
                    labels: self.filter.labels.clone(),
                    conversation_id: self.filter.conversation_id,
                },
            )
            .await
    }

    /// Whether the server is shutting down.
    pub fn closing(&self) -> bool {
        self.closing.is_cancelled()
    }

    /// The token that fires when the server begins to shut down.
    pub fn closing_token(&self) -> &CancellationToken {
        &self.closing
    }

    /// The filters this reader applies.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// The company whose log this is.
    pub fn company_id(&self) -> i64 {
        self.company_id
    }

    /// Waits until new events may be readable (since the last read), the server closes,
    /// or `deadline` (if any) passes.
    pub async fn wait(&mut self, deadline: Option<Instant>) -> Woken {
        if self.closing.is_cancelled() {
            return Woken::Closing;
        }
        let timer = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = self.closing.cancelled() => Woken::Closing,
            changed = self.signal.changed() => match changed {
                Ok(()) => Woken::Changed,
                // The store dropped its sender: nothing will ever wake this reader again.
                Err(_) => Woken::Closing,
            },
            () = timer => Woken::TimedOut,
        }
    }
}
