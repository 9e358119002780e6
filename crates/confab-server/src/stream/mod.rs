//! Readers of the event log that stay connected: Server-Sent Events and long polls of
//! `GET /p1/companies/{company_id}/events`.
//!
//! [`Streams`] is what they share: the `--max-streams` cap (streams are exempt from the
//! request limits, so this is their only bound), the `confab_streams_open` gauge, and the
//! signal that the server is shutting down (a stream never ends by itself, and a graceful
//! shutdown waits for every open response). [`reader`] reads the log for one of them.

pub mod reader;
pub mod tail;

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

/// The gauge of streams open in this process.
const OPEN_GAUGE: &str = "confab_streams_open";

/// The open streams of a server.
#[derive(Debug, Clone)]
pub struct Streams {
    slots: Arc<Semaphore>,
    closing: CancellationToken,
    tails: tail::Tails,
}

impl Streams {
    /// Room for `max` streams at once.
    pub fn new(max: u32) -> Self {
        // Registered now, so `/metrics` shows 0 before the first stream rather than nothing.
        metrics::gauge!(OPEN_GAUGE).increment(0.0);
        Self {
            slots: Arc::new(Semaphore::new(max as usize)),
            closing: CancellationToken::new(),
            tails: tail::Tails::default(),
        }
    }

    /// A slot for one more stream, or `None` when `--max-streams` are open. The slot is
    /// given back when the returned value is dropped (the response ends or the client goes).
    pub fn open(&self) -> Option<StreamSlot> {
        let permit = self.slots.clone().try_acquire_owned().ok()?;
        metrics::gauge!(OPEN_GAUGE).increment(1.0);
        Some(StreamSlot { _permit: permit })
    }

    /// The company tails streams share (one read of the log per company and node).
    pub fn tails(&self) -> &tail::Tails {
        &self.tails
    }

    /// Fires when the server begins to shut down: every stream ends then.
    pub fn closing(&self) -> CancellationToken {
        self.closing.clone()
    }

    /// Tells every stream to end (the server is shutting down).
    pub fn close_all(&self) {
        self.closing.cancel();
    }
}

/// One open stream's place under `--max-streams`.
#[derive(Debug)]
pub struct StreamSlot {
    _permit: OwnedSemaphorePermit,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        metrics::gauge!(OPEN_GAUGE).decrement(1.0);
    }
}
