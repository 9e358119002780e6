//! The intake worker: processes stored raw updates from messengers as leased jobs, like
//! deliveries. An update whose processing crashed is claimed again once its lease expires;
//! a message is stored in the same transaction that marks its update done, so an update
//! becomes at most one message.
//!
//! Updates of one channel are processed one after another, in the order they were
//! stored (a customer's photo that takes a while to download must not land after the
//! text they sent next); different channels go in parallel.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use confab_store::{ClaimedUpdate, UpdateOutcome};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

use super::Connectors;
use crate::worker::WorkerState;

/// How often the worker looks for due updates when nothing woke it.
const POLL: Duration = Duration::from_millis(500);
/// Updates in flight at once (claimed and not yet finished).
const CONCURRENCY: usize = 8;
/// A channel's lane is closed after this long without updates.
const LANE_IDLE: Duration = Duration::from_secs(60);

/// One channel's queue, worked through by its own task.
struct Lane {
    queue: mpsc::UnboundedSender<(ClaimedUpdate, OwnedSemaphorePermit)>,
    last_used: Instant,
}

/// Runs the worker until `cancel` fires, then waits (bounded) for updates in flight.
pub async fn run_intake(
    state: WorkerState,
    connectors: Arc<Connectors>,
    cancel: CancellationToken,
) {
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let lease = i64::try_from(state.config.job_lease.as_millis()).unwrap_or(i64::MAX);
    let mut lanes: HashMap<i64, Lane> = HashMap::new();
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        crate::ops::Heartbeats::beat(&state.heartbeats.intake);
        while tasks.try_join_next().is_some() {}
        lanes.retain(|_, lane| lane.last_used.elapsed() < LANE_IDLE && !lane.queue.is_closed());
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
            let channel = update.channel.0.id;
            let lane = lanes.entry(channel).or_insert_with(|| {
                let (queue, rx) = mpsc::unbounded_channel();
                tasks.spawn(work_lane(state.clone(), connectors.clone(), rx));
                Lane {
                    queue,
                    last_used: Instant::now(),
                }
            });
            lane.last_used = Instant::now();
            if let Err(mpsc::error::SendError((update, permit))) = lane.queue.send((update, permit))
            {
                // The lane's task is gone (it panicked): a new lane takes the update.
                let (queue, rx) = mpsc::unbounded_channel();
                tasks.spawn(work_lane(state.clone(), connectors.clone(), rx));
                let _ = queue.send((update, permit));
                lanes.insert(
                    channel,
                    Lane {
                        queue,
                        last_used: Instant::now(),
                    },
                );
            }
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
    // Closing the lanes lets each finish what it holds and end.
    lanes.clear();
    if tokio::time::timeout(Duration::from_secs(10), async {
        while tasks.join_next().await.is_some() {}
    })
    .await
    .is_err()
    {
        tracing::warn!("inbound updates still processing at shutdown; their leases will expire");
    }
}

/// Processes one channel's updates in the order they come.
async fn work_lane(
    state: WorkerState,
    connectors: Arc<Connectors>,
    mut rx: mpsc::UnboundedReceiver<(ClaimedUpdate, OwnedSemaphorePermit)>,
) {
    while let Some((update, permit)) = rx.recv().await {
        process(&state, &connectors, update).await;
        drop(permit);
        state.app.intake_wakeup.wake();
    }
}

async fn process(state: &WorkerState, connectors: &Connectors, update: ClaimedUpdate) {
    let outcome = match update.channel.0.connector.as_str() {
        super::telegram::NAME => connectors.telegram.process(&update).await,
        super::whatsapp::NAME => connectors.whatsapp.process(&update).await,
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
