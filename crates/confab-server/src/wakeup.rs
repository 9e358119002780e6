//! Wake-ups from the operations that enqueue work to the workers that do it, so a new
//! job or event is picked up at once instead of at the next poll. Only a hint: workers
//! poll anyway, since the work itself is in the database.

use std::sync::Arc;

use tokio::sync::Notify;

/// Wakes one worker loop.
#[derive(Clone, Default)]
pub struct Wakeup(Arc<Notify>);

impl Wakeup {
    /// Tells the worker there may be work.
    pub fn wake(&self) {
        self.0.notify_one();
    }

    /// Waits until woken (or returns at once if a wake-up is pending).
    pub async fn woken(&self) {
        self.0.notified().await;
    }
}
