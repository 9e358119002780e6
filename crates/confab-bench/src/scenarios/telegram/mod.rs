//! Telegram through a loopback fake of the Bot API, beside the sandbox inbound path.
//!
//! Two fresh servers, one after the other, each with a company whose webhooks go to a
//! loopback receiver and the company's event stream open: one without `--sandbox`, its
//! Telegram channel polling the fake; one with it, its messages posted to
//! `.../sandbox/inbound`. Each gets the same burst of probe messages over the same chats
//! (the throughput), then a slow trickle (the unloaded latency). Then the Telegram server
//! replies into its chats with the fake's rate limits on (the pacing).

mod inbound;
mod outbound;
mod receiver;
mod rig;

use std::time::{Duration, Instant};

use anyhow::Context as _;
use confab_fakes::telegram::FakeTelegram;

use self::inbound::{Pace, Source};
use self::rig::{Messenger, Rig, Seen};
use super::Ctx;
use crate::dataset::Target;
use crate::procfs;
use crate::report::TelegramReport;
use crate::report::telegram::{InboundFigures, OutboundFigures, Phase};

/// The fake bot's token (the shape BotFather hands out).
const BOT_TOKEN: &str = "700000001:AAbench-token_0123456789abcdefghijk";
/// The fake bot's id.
const BOT_ID: i64 = 700_000_001;
/// How long a fresh Telegram channel may take to start polling.
const POLL_START: Duration = Duration::from_secs(15);

/// Runs the scenario on `target` (a fresh data dir, or the emptied PostgreSQL database).
pub async fn measure(ctx: &Ctx, store: &str, target: &Target) -> anyhow::Result<TelegramReport> {
    let s = &ctx.settings;
    let fake = FakeTelegram::start()
        .await
        .context("starting the Bot API fake")?;
    fake.add_bot(BOT_TOKEN, BOT_ID, "confab_bench_bot");
    let epoch = Instant::now();

    eprintln!(
        "-- telegram: {} messages from {} chats through the Bot API fake",
        s.telegram_messages, s.telegram_chats
    );
    let messenger = Messenger::Telegram {
        api_url: fake.base_url(),
        token: BOT_TOKEN,
    };
    let label = format!("{store}-telegram");
    let rig = Rig::start(ctx, (&label, target), &messenger, probes(ctx), epoch).await?;
    let source = Source::Telegram {
        fake: &fake,
        bot: BOT_TOKEN,
    };
    let result = async {
        wait_for_polling(&fake).await?;
        let runs = inbound_runs(ctx, &rig, &source, epoch).await?;
        eprintln!(
            "-- telegram: {} replies over the chats, the fake's rate limits on",
            s.telegram_replies
        );
        let client = &ctx.client;
        let out =
            outbound::measure(&rig, client, (&fake, BOT_TOKEN), s.telegram_replies, epoch).await?;
        Ok::<_, anyhow::Error>((runs, out))
    }
    .await;
    let seen = rig.stop().await?;
    let (runs, outbound) = result?;
    let telegram = figures(ctx, "Telegram (Bot API fake, getUpdates)", &runs, &seen);
    fake.shutdown();

    eprintln!("-- telegram: the same messages through the sandbox inbound endpoint");
    let label = format!("{store}-telegram-sandbox");
    let rig = Rig::start(
        ctx,
        (&label, target),
        &Messenger::Sandbox,
        probes(ctx),
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
    let result = inbound_runs(ctx, &rig, &source, epoch).await;
    let seen = rig.stop().await?;
    let runs = result?;
    let path = format!(
        "sandbox (POST .../sandbox/inbound, {} in flight)",
        s.load.connections
    );
    let sandbox = figures(ctx, &path, &runs, &seen);
    Ok(report(ctx, telegram, sandbox, outbound))
}

/// Probe messages of one rig: the burst, then the trickle.
fn probes(ctx: &Ctx) -> usize {
    ctx.settings.telegram_messages + ctx.settings.telegram_unloaded
}

/// Waits until the server's poller has called `getUpdates` once, so the burst measures
/// the intake, not the channel's start-up.
async fn wait_for_polling(fake: &FakeTelegram) -> anyhow::Result<()> {
    let deadline = Instant::now() + POLL_START;
    while fake.calls(BOT_TOKEN, "getUpdates") == 0 {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the server did not poll getUpdates within {POLL_START:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

/// The sends of one path and what they cost.
struct Runs {
    burst: Vec<inbound::Sent>,
    burst_pace: Pace,
    burst_drained: bool,
    unloaded: Vec<inbound::Sent>,
    unloaded_pace: Pace,
    unloaded_drained: bool,
    cpu_us_per_message: f64,
}

/// The burst, then the trickle, each waited out until every message is stored and has
/// its webhook (or the drain time passes).
async fn inbound_runs(
    ctx: &Ctx,
    rig: &Rig,
    source: &Source<'_>,
    epoch: Instant,
) -> anyhow::Result<Runs> {
    let s = &ctx.settings;
    let (n, chats) = (s.telegram_messages, s.telegram_chats);
    let pid = rig.server.pid;
    let burst_pace = Pace::Burst(s.load.connections as usize);
    let ticks = procfs::cpu_ticks(pid)?;
    let burst = inbound::send(source, 0..n, chats, burst_pace, epoch).await?;
    let expected = inbound::accepted(&burst);
    let burst_drained = rig.wait_for(expected, s.telegram_drain).await;
    let cpu_secs = procfs::cpu_ticks(pid)?.saturating_sub(ticks) as f64 / ctx.ticks_per_sec as f64;
    let cpu_us_per_message = cpu_secs * 1e6 / n.max(1) as f64;
    eprintln!(
        "   burst: {} of {expected} stored, {} webhooks{}",
        rig.stored.load(std::sync::atomic::Ordering::Relaxed),
        rig.receiver.received(),
        if burst_drained {
            ""
        } else {
            " (drain time out)"
        }
    );
    // Let the webhooks of the burst's other events (conversations, updates) go out first.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let unloaded_pace = Pace::Rate(s.telegram_unloaded_rate);
    let unloaded = inbound::send(
        source,
        n..n + s.telegram_unloaded,
        chats,
        unloaded_pace,
        epoch,
    )
    .await?;
    let expected = expected + inbound::accepted(&unloaded);
    let unloaded_drained = rig.wait_for(expected, s.telegram_drain).await;
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
fn figures(ctx: &Ctx, path: &str, runs: &Runs, seen: &Seen) -> InboundFigures {
    let n = ctx.settings.telegram_messages;
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

fn report(
    ctx: &Ctx,
    telegram: InboundFigures,
    sandbox: InboundFigures,
    outbound: OutboundFigures,
) -> TelegramReport {
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    TelegramReport {
        chats: ctx.settings.telegram_chats,
        stored_ratio: ratio(telegram.burst.stored_per_sec, sandbox.burst.stored_per_sec),
        webhook_ratio: ratio(
            telegram.burst.webhooks_per_sec,
            sandbox.burst.webhooks_per_sec,
        ),
        unloaded_webhook_p50_ratio: ratio(
            telegram.unloaded.webhook_p50_ms,
            sandbox.unloaded.webhook_p50_ms,
        ),
        telegram,
        sandbox,
        outbound,
    }
}
