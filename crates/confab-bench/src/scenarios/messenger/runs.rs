//! One inbound path measured on its rig: a burst of probe messages for the throughput,
//! then a slow trickle for the unloaded latency, each waited out until every message is
//! stored and has its webhook; and the path's figures from what the rig saw.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::inbound::{self, Pace, Source};
use super::rig::{Messenger, Rig, Seen};
use crate::dataset::Target;
use crate::procfs;
use crate::report::telegram::{InboundFigures, Phase};
use crate::scenarios::Ctx;

/// How many probes, from how many customers, how fast.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Probes of the burst.
    pub messages: usize,
    /// Customers (chats) they come from.
    pub chats: usize,
    /// Probes of the trickle after it.
    pub unloaded: usize,
    /// The trickle's rate per second.
    pub unloaded_rate: f64,
    /// Longest wait for every probe to be stored and have its webhook.
    pub drain: Duration,
}

impl Plan {
    /// The run's settings: the same probes for every messenger, so their figures sit
    /// side by side.
    pub fn of(ctx: &Ctx) -> Self {
        let s = &ctx.settings;
        Self {
            messages: s.telegram_messages,
            chats: s.telegram_chats,
            unloaded: s.telegram_unloaded,
            unloaded_rate: s.telegram_unloaded_rate,
            drain: s.telegram_drain,
        }
    }

    /// Probes of one rig: the burst, then the trickle.
    pub fn probes(&self) -> usize {
        self.messages + self.unloaded
    }
}

/// The sends of one path and what they cost.
pub struct Runs {
    /// The burst's sends, by sequence.
    pub burst: Vec<inbound::Sent>,
    burst_pace: Pace,
    burst_drained: bool,
    unloaded: Vec<inbound::Sent>,
    unloaded_pace: Pace,
    unloaded_drained: bool,
    cpu_us_per_message: f64,
}

/// The burst, then the trickle, each waited out until every message is stored and has
/// its webhook (or the drain time passes).
pub async fn inbound_runs(
    ctx: &Ctx,
    plan: &Plan,
    rig: &Rig,
    source: &Source<'_>,
    epoch: Instant,
) -> anyhow::Result<Runs> {
    let n = plan.messages;
    let pid = rig.server.pid;
    let burst_pace = Pace::Burst(ctx.settings.load.connections as usize);
    let ticks = procfs::cpu_ticks(pid)?;
    let burst = inbound::send(source, 0..n, plan.chats, burst_pace, epoch).await?;
    let expected = inbound::accepted(&burst);
    let burst_drained = rig.wait_for(expected, plan.drain).await;
    let cpu_secs = procfs::cpu_ticks(pid)?.saturating_sub(ticks) as f64 / ctx.ticks_per_sec as f64;
    let cpu_us_per_message = cpu_secs * 1e6 / n.max(1) as f64;
    eprintln!(
        "   burst: {} of {expected} stored, {} webhooks{}",
        rig.stored.load(Ordering::Relaxed),
        rig.receiver.received(),
        if burst_drained {
            ""
        } else {
            " (drain time out)"
        }
    );
    // Let the webhooks of the burst's other events (conversations, updates) go out first.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let unloaded_pace = Pace::Rate(plan.unloaded_rate);
    let unloaded = inbound::send(
        source,
        n..n + plan.unloaded,
        plan.chats,
        unloaded_pace,
        epoch,
    )
    .await?;
    let expected = expected + inbound::accepted(&unloaded);
    let unloaded_drained = rig.wait_for(expected, plan.drain).await;
    Ok(Runs {
        burst,
        burst_pace,
        burst_drained,
        unloaded,
        unloaded_pace,
        unloaded_drained,
        cpu_us_per_message,
    })
}

/// One path's figures from its sends and what its rig saw.
pub fn figures(plan: &Plan, path: &str, runs: &Runs, seen: &Seen) -> InboundFigures {
    let n = plan.messages;
    let split = |v: &[u32]| {
        let (burst, rest) = v.split_at(n.min(v.len()));
        (burst.to_vec(), rest.to_vec())
    };
    let (stored_burst, stored_rest) = split(&seen.stored);
    let (hooks_burst, hooks_rest) = split(&seen.webhooks);
    let burst = inbound::phase(
        &runs.burst,
        &stored_burst,
        &hooks_burst,
        runs.burst_pace,
        runs.burst_drained,
    );
    let unloaded = inbound::phase(
        &runs.unloaded,
        &stored_rest,
        &hooks_rest,
        runs.unloaded_pace,
        runs.unloaded_drained,
    );
    log_phase(path, &burst, &unloaded);
    InboundFigures {
        path: path.to_owned(),
        burst,
        unloaded,
        cpu_us_per_message: runs.cpu_us_per_message,
        duplicate_stored: seen.duplicate_stored,
        duplicate_webhooks: seen.duplicate_webhooks,
    }
}

fn log_phase(path: &str, burst: &Phase, unloaded: &Phase) {
    eprintln!(
        "   {path}: {:.0} stored/s, {:.0} webhooks/s; to webhook p50 {:.1} ms p99 {:.1} ms; \
         unloaded to webhook p50 {:.1} ms",
        burst.stored_per_sec,
        burst.webhooks_per_sec,
        burst.webhook_p50_ms,
        burst.webhook_p99_ms,
        unloaded.webhook_p50_ms
    );
}

/// The plan's probes through `POST .../sandbox/inbound` on a fresh `--sandbox` server
/// (`label` names its data dir), the path the messenger's is measured beside.
pub async fn sandbox(
    ctx: &Ctx,
    plan: &Plan,
    (label, target): (&str, &Target),
    epoch: Instant,
) -> anyhow::Result<InboundFigures> {
    let rig = Rig::start(
        ctx,
        (label, target),
        &Messenger::Sandbox,
        plan.probes(),
        epoch,
    )
    .await?;
    let source = Source::Sandbox {
        client: &ctx.client,
        url: format!(
            "{}/p1/companies/{}/channels/{}/sandbox/inbound",
            rig.base, rig.company, rig.channel
        ),
        token: &rig.token,
    };
    let result = inbound_runs(ctx, plan, &rig, &source, epoch).await;
    let seen = rig.stop().await?;
    let runs = result?;
    let path = format!(
        "sandbox (POST .../sandbox/inbound, {} in flight)",
        ctx.settings.load.connections
    );
    Ok(figures(plan, &path, &runs, &seen))
}
