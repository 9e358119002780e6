//! The delivery pipeline: a worker claims due jobs from the database with a lease, hands
//! each to its channel's connector and records the outcome. Nothing lives only in memory:
//! a job interrupted by a crash is claimed again once its lease expires, and finishing
//! needs the lease, so a job is finished once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use confab_store::{Claimed, Outcome};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::worker::WorkerState;

pub mod connector;
pub mod registry;
pub mod sandbox;

/// How often the worker looks for due jobs when nothing woke it.
const POLL: Duration = Duration::from_millis(500);
/// How long shutdown waits for deliveries in flight.
const DRAIN: Duration = Duration::from_secs(10);

/// Outcomes a messenger already gave that could not be recorded yet (the database refused
/// the write: a full disk, an outage). While one waits here its job is never handed to a
/// messenger again: if this node claims it anew, it records the outcome instead.
#[derive(Clone, Default)]
struct Unrecorded(Arc<Mutex<HashMap<i64, Outcome>>>);

impl Unrecorded {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Outcome>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// How long a job of a channel already at its share of the slots waits before it is
/// claimed again.
const DEFER: Duration = Duration::from_secs(1);

/// Deliveries in flight per channel on this node: no channel may hold more than half the
/// slots, so one slow or hanging messenger account cannot stall the others.
#[derive(Clone, Default)]
struct PerChannel(Arc<Mutex<HashMap<i64, usize>>>);

impl PerChannel {
    /// Takes a slot of `channel` unless it already has `cap`.
    fn take(&self, channel: i64, cap: usize) -> bool {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = map.entry(channel).or_default();
        if *n >= cap {
            return false;
        }
        *n += 1;
        true
    }

    fn give_back(&self, channel: i64) {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = map.get_mut(&channel) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&channel);
            }
        }
    }
}

/// Runs the worker until `cancel` fires, then waits (bounded) for deliveries in flight.
pub async fn run_worker(state: WorkerState, cancel: CancellationToken) {
    let unrecorded = Unrecorded::default();
    let per_channel = PerChannel::default();
    let concurrency = state.config.delivery_concurrency.max(1);
    let channel_cap = usize::try_from(concurrency / 2).unwrap_or(1).max(1);
    let permits = Arc::new(Semaphore::new(concurrency as usize));
    let lease = i64::try_from(state.config.job_lease.as_millis()).unwrap_or(i64::MAX);
    let mut tasks = JoinSet::new();
    loop {
        crate::ops::Heartbeats::beat(&state.heartbeats.delivery);
        while tasks.try_join_next().is_some() {}
        let free = u32::try_from(permits.available_permits()).unwrap_or(0);
        let mut claimed = Vec::new();
        if free > 0 {
            let now = state.app.now_ms();
            match state
                .app
                .store
                .claim_jobs(now, now.saturating_add(lease), free)
                .await
            {
                Ok(jobs) => claimed = jobs,
                Err(e) => tracing::error!(error = %e, "claiming delivery jobs failed"),
            }
        }
        let mut got_work = false;
        for job in claimed {
            let channel = job.job.channel_id;
            if !per_channel.take(channel, channel_cap) {
                // Handed back untried: claims move on to other channels' jobs meanwhile.
                let run_after = state.app.now_ms().saturating_add(millis(DEFER));
                if let Err(e) = state
                    .app
                    .store
                    .defer_job(job.job.id, job.lease_until, run_after)
                    .await
                {
                    tracing::warn!(job = job.job.id, error = %e, "deferring a delivery failed; its lease will expire");
                }
                continue;
            }
            got_work = true;
            let Ok(permit) = permits.clone().acquire_owned().await else {
                per_channel.give_back(channel);
                break;
            };
            let state = state.clone();
            let unrecorded = unrecorded.clone();
            let per_channel = per_channel.clone();
            tasks.spawn(async move {
                let waiting = unrecorded.lock().get(&job.job.id).cloned();
                match waiting {
                    Some(outcome) => {
                        record(&state, &job, outcome, job.lease_until, &unrecorded).await
                    }
                    None => deliver(&state, job, &unrecorded).await,
                }
                per_channel.give_back(channel);
                drop(permit);
                state.app.delivery_wakeup.wake();
            });
        }
        if got_work && permits.available_permits() > 0 {
            continue;
        }
        tokio::select! {
            () = cancel.cancelled() => break,
            () = state.app.delivery_wakeup.woken() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
    if tokio::time::timeout(DRAIN, async { while tasks.join_next().await.is_some() {} })
        .await
        .is_err()
    {
        tracing::warn!("deliveries still running at shutdown; their leases will expire");
    }
}

/// Runs the connector's delivery while renewing the job's lease, so a delivery that takes
/// longer than the lease is not claimed again (and sent twice) while it still runs. A
/// crashed server stops renewing, so its jobs are picked up once the lease expires.
/// Returns the outcome and the lease the job is held under now.
async fn deliver_keeping_lease(
    state: &WorkerState,
    connector: &dyn connector::Connector,
    claimed: &Claimed,
) -> (Outcome, i64) {
    let lease = state.config.job_lease;
    let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
    let every = (lease / 3).max(Duration::from_millis(5));
    let mut lease_until = claimed.lease_until;
    let delivery = connector.deliver(claimed);
    tokio::pin!(delivery);
    loop {
        tokio::select! {
            outcome = &mut delivery => return (outcome, lease_until),
            () = tokio::time::sleep(every) => {
                let next = state.app.now_ms().saturating_add(lease_ms);
                match state.app.store.renew_lease(claimed.job.id, lease_until, next).await {
                    Ok(true) => lease_until = next,
                    Ok(false) => tracing::warn!(job = claimed.job.id, "delivery lost its lease"),
                    Err(e) => tracing::error!(job = claimed.job.id, error = %e, "renewing a delivery lease failed"),
                }
            }
        }
    }
}

/// Delivers one claimed job and records the outcome.
async fn deliver(state: &WorkerState, claimed: Claimed, unrecorded: &Unrecorded) {
    let connector = registry::for_channel(state, &claimed.channel.0);
    let (outcome, lease_until) = deliver_keeping_lease(state, connector.as_ref(), &claimed).await;
    let result = match &outcome {
        Outcome::Sent { .. } => "sent",
        Outcome::Failed { .. } => "not_delivered",
        Outcome::Retry { .. } => "retry",
    };
    metrics::counter!(
        "confab_deliveries_total",
        "provider" => claimed.channel.0.provider.as_str(),
        "connector" => claimed.channel.0.connector.clone(),
        "outcome" => result,
    )
    .increment(1);
    record(state, &claimed, outcome, lease_until, unrecorded).await;
}

/// Records a delivery's outcome, trying again (and keeping the job's lease) for as long as
/// the database refuses: a messenger that accepted a message must not be handed it again
/// because its answer could not be written down.
async fn record(
    state: &WorkerState,
    claimed: &Claimed,
    outcome: Outcome,
    mut lease_until: i64,
    unrecorded: &Unrecorded,
) {
    let job_id = claimed.job.id;
    let lease_ms = i64::try_from(state.config.job_lease.as_millis()).unwrap_or(i64::MAX);
    let mut delay = Duration::from_millis(250);
    loop {
        match state
            .app
            .finish_delivery(job_id, lease_until, outcome.clone())
            .await
        {
            Ok(Some((job, _))) => {
                unrecorded.lock().remove(&job_id);
                tracing::info!(job = job.id, state = %job.state, "delivery finished");
                return;
            }
            Ok(None) => {
                // Taken over; if by this node, the new claim records the waiting outcome.
                if !unrecorded.lock().contains_key(&job_id) {
                    tracing::warn!(job = job_id, "delivery finished after its lease expired");
                }
                return;
            }
            Err(e) => {
                let first = unrecorded.lock().insert(job_id, outcome.clone()).is_none();
                if first {
                    tracing::error!(job = job_id, error = %e, "recording a delivery failed; retrying");
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
                let next = state.app.now_ms().saturating_add(lease_ms);
                if let Ok(true) = state.app.store.renew_lease(job_id, lease_until, next).await {
                    lease_until = next;
                }
            }
        }
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
