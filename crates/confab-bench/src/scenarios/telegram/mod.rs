//! Telegram through a loopback fake of the Bot API, beside the sandbox inbound path.
//!
//! Two fresh servers, one after the other, each with a company whose webhooks go to a
//! loopback receiver and the company's event stream open: one without `--sandbox`, its
//! Telegram channel polling the fake; one with it, its messages posted to
//! `.../sandbox/inbound`. Each gets the same burst of probe messages over the same chats
//! (the throughput), then a slow trickle (the unloaded latency). Then the Telegram server
//! replies into its chats with the fake's rate limits on (the pacing).

mod outbound;

use std::time::{Duration, Instant};

use anyhow::Context as _;
use confab_fakes::telegram::FakeTelegram;

use super::Ctx;
use super::messenger::inbound::Source;
use super::messenger::rig::{Messenger, Rig};
use super::messenger::runs::{self, Plan};
use crate::dataset::Target;
use crate::report::TelegramReport;
use crate::report::telegram::{InboundFigures, OutboundFigures};

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
    let plan = Plan::of(ctx);

    eprintln!(
        "-- telegram: {} messages from {} chats through the Bot API fake",
        s.telegram_messages, s.telegram_chats
    );
    let messenger = Messenger::Telegram {
        api_url: fake.base_url(),
        token: BOT_TOKEN,
    };
    let label = format!("{store}-telegram");
    let rig = Rig::start(ctx, (&label, target), &messenger, plan.probes(), epoch).await?;
    let source = Source::Telegram {
        fake: &fake,
        bot: BOT_TOKEN,
    };
    let result = async {
        wait_for_polling(&fake).await?;
        let runs = runs::inbound_runs(ctx, &plan, &rig, &source, epoch).await?;
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
    let telegram = runs::figures(&plan, "Telegram (Bot API fake, getUpdates)", &runs, &seen);
    fake.shutdown();

    eprintln!("-- telegram: the same messages through the sandbox inbound endpoint");
    let label = format!("{store}-telegram-sandbox");
    let sandbox = runs::sandbox(ctx, &plan, (&label, target), epoch).await?;
    Ok(report(ctx, telegram, sandbox, outbound))
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
