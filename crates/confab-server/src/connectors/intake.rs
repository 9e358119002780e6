//! The intake worker: processes stored raw updates from messengers as leased jobs, like
//! deliveries. An update whose processing crashed is claimed again once its lease expires;
//! a message is stored in the same transaction that marks its update done, so an update
//! becomes at most one message.

use std::sync::Arc;
use std::time::Duration;

use confab_store::{ClaimedUpdate, UpdateOutcome};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::Connectors;
use crate::worker::WorkerState;

/// How often the worker looks for due updates when nothing woke it.
const POLL: Duration = Duration::from_millis(500);
/// Updates processed at once.
const CONCURRENCY: usize = 8;

/// Runs the worker until `cancel` fires, then waits (bounded) for updates in flight.
pub async fn run_intake(
    state: WorkerState,
    connectors: Arc<Connectors>,
    cancel: CancellationToken,
) {
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let lease = i64::try_from(state.config.job_lease.as_millis()).unwrap_or(i64::MAX);
    let mut tasks = JoinSet::new();
    loop {
        crate::ops::Heartbeats::beat(&state.heartbeats.intake);
        while tasks.try_join_next().is_some() {}
        let free = u32::try_from(permits.available_permits()).unwrap_or(0);
        let mut claimed = Vec::new();
        if free > 0 {
            let now = state.app.now_ms();
            match state
                .app
                .store
                .claim_updates(now, now.saturating_add(lease), free)
                .await
            {
                Ok(updates) => claimed = updates,
                Err(e) => tracing::error!(error = %e, "claiming inbound updates failed"),
            }
        }
        let got_work = !claimed.is_empty();
        for update in claimed {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            let state = state.clone();
            let connectors = connectors.clone();
            tasks.spawn(async move {
                process(&state, &connectors, update).await;
                drop(permit);
                state.app.intake_wakeup.wake();
            });
        }
        if got_work && permits.available_permits() > 0 {
            continue;
        }
        tokio::select! {
            () = cancel.cancelled() => break,
            () = state.app.intake_wakeup.woken() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
    if tokio::time::timeout(Duration::from_secs(10), async {
        while tasks.join_next().await.is_some() {}
    })
    .await
    .is_err()
    {
        tracing::warn!("inbound updates still processing at shutdown; their leases will expire");
    }
}

async fn process(state: &WorkerState, connectors: &Connectors, update: ClaimedUpdate) {
    let outcome = match update.channel.0.connector.as_str() {
        super::telegram::NAME => connectors.telegram.process(&update).await,
        other => Some(UpdateOutcome::Failed {
            error: format!("no connector named {other} processes updates"),
        }),
    };
    let Some(outcome) = outcome else { return };
    if let UpdateOutcome::Failed { error } = &outcome {
        tracing::warn!(update = update.id, error = %error, "an inbound update was given up");
    }
    if let Err(e) = state
        .app
        .store
        .finish_update(update.id, update.lease_until, outcome, state.app.now_ms())
        .await
    {
        tracing::error!(update = update.id, error = %e, "recording an inbound update failed");
    }
}
