//! The event log's retention: a background worker deletes events older than
//! `--event-retention`, a batch at a time, so the log (and the webhook delivery log kept
//! with it) does not grow without bound. A cursor older than what is left is then known
//! to be expired: streams send `reset`, long polls answer 410. The same loop forgets
//! idempotency keys older than `--idempotency-ttl` and deletes expired browser sessions
//! (already refused when presented; deleting them only keeps the table small).

use tokio_util::sync::CancellationToken;

use crate::ops::Heartbeats;
use crate::worker::WorkerState;

/// Events deleted per statement: small enough that a prune never holds the database long.
const BATCH: u32 = 500;

/// Prunes the event log and idempotency keys every `--event-prune-interval` until `cancel`
/// fires. The cutoff is
/// taken from the server's clock, so a test moving a `ManualClock` sees events expire.
pub async fn run_pruner(state: WorkerState, cancel: CancellationToken) {
    let retention_ms = i64::try_from(state.config.event_retention.as_millis()).unwrap_or(i64::MAX);
    let interval = state.config.event_prune_interval;
    loop {
        Heartbeats::beat(&state.heartbeats.event_pruner);
        let cutoff = state.app.now_ms().saturating_sub(retention_ms);
        let events_full = match state.app.store.prune_events(cutoff, BATCH).await {
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
        let keys_full = prune_idempotency_keys(&state).await;
        let sessions_full = prune_sessions(&state).await;
        let full = events_full || keys_full || sessions_full;
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

/// Deletes a batch of idempotency keys older than `--idempotency-ttl`; true when the batch
/// was full (more may be due).
async fn prune_idempotency_keys(state: &WorkerState) -> bool {
    let ttl_ms = i64::try_from(state.config.idempotency_ttl.as_millis()).unwrap_or(i64::MAX);
    let cutoff = state.app.now_ms().saturating_sub(ttl_ms);
    match state.app.store.prune_idempotency_keys(cutoff, BATCH).await {
        Ok(deleted) => {
            if deleted > 0 {
                tracing::debug!(deleted, "pruned idempotency keys");
            }
            deleted >= u64::from(BATCH)
        }
        Err(e) => {
            tracing::error!(error = %e, "pruning idempotency keys failed");
            false
        }
    }
}

/// Deletes a batch of expired browser sessions; true when the batch was full.
async fn prune_sessions(state: &WorkerState) -> bool {
    match state
        .app
        .store
        .prune_sessions(state.app.now_ms(), BATCH)
        .await
    {
        Ok(deleted) => {
            if deleted > 0 {
                tracing::debug!(deleted, "pruned expired sessions");
            }
            deleted >= u64::from(BATCH)
        }
        Err(e) => {
            tracing::error!(error = %e, "pruning expired sessions failed");
            false
        }
    }
}
