//! The event log's retention: a background worker deletes events older than
//! `--event-retention`, a batch at a time, so the log (and the webhook delivery log kept
//! with it) does not grow without bound. A cursor older than what is left is then known
//! to be expired: streams send `reset`, long polls answer 410.

use tokio_util::sync::CancellationToken;

use crate::ops::Heartbeats;
use crate::worker::WorkerState;

/// Events deleted per statement: small enough that a prune never holds the database long.
const BATCH: u32 = 500;

/// Prunes the event log every `--event-prune-interval` until `cancel` fires. The cutoff is
/// taken from the server's clock, so a test moving a `ManualClock` sees events expire.
pub async fn run_pruner(state: WorkerState, cancel: CancellationToken) {
    let retention_ms = i64::try_from(state.config.event_retention.as_millis()).unwrap_or(i64::MAX);
    let interval = state.config.event_prune_interval;
    loop {
        Heartbeats::beat(&state.heartbeats.event_pruner);
        let cutoff = state.app.now_ms().saturating_sub(retention_ms);
        let full = match state.app.store.prune_events(cutoff, BATCH).await {
            Ok(deleted) => {
                if deleted > 0 {
                    tracing::debug!(deleted, "pruned the event log");
                }
                deleted >= u64::from(BATCH)
            }
            Err(e) => {
                tracing::error!(error = %e, "pruning the event log failed");
                false
            }
        };
        // A full batch means more may be due: go on at once (a backlog after a long
        // downtime is cleared in one round), unless the server is stopping.
        if full && !cancel.is_cancelled() {
            continue;
        }
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(interval) => {}
        }
    }
}
