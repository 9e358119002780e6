//! Replies to Telegram chats: posted all at once, round robin over the chats the
//! customers opened, so confab's per-bot pacing (30/s), not its per-chat pacing (1/s),
//! sets the rate; the fake enforces Telegram's limits and answers 429 beyond them.

use std::time::{Duration, Instant};

use confab_fakes::telegram::FakeTelegram;

use crate::api;
use crate::report::telegram::OutboundFigures;
use crate::scenarios::messenger::replies::{self, REPLY, post};
use crate::scenarios::messenger::rig::Rig;

/// Telegram's documented limit per bot, which confab paces to.
const BOT_LIMIT_PER_SEC: f64 = 30.0;
/// Time beyond the paced minimum that the sends may take before the run gives up.
const DRAIN_SLACK: Duration = Duration::from_secs(30);

/// Posts `replies` replies over the rig's conversations with the fake's rate limits on,
/// and measures what reached the fake.
pub async fn measure(
    rig: &Rig,
    client: &reqwest::Client,
    (fake, bot): (&FakeTelegram, &str),
    replies: usize,
    epoch: Instant,
) -> anyhow::Result<OutboundFigures> {
    let conversations = api::conversations(client, &rig.base, &rig.token, rig.company).await?;
    anyhow::ensure!(
        !conversations.is_empty(),
        "no Telegram conversation to reply to"
    );
    fake.rate_limits(true);
    let result = run(rig, client, (fake, bot), &conversations, replies, epoch).await;
    fake.rate_limits(false);
    result
}

async fn run(
    rig: &Rig,
    client: &reqwest::Client,
    (fake, bot): (&FakeTelegram, &str),
    conversations: &[(String, i64)],
    replies: usize,
    epoch: Instant,
) -> anyhow::Result<OutboundFigures> {
    let calls_before = fake.calls(bot, "sendMessage");
    let sent_before = fake.sent(bot).len();
    let posted = post(rig, client, conversations, replies, epoch).await?;
    let ok_posts = posted.iter().filter(|p| p.1).count();
    let drain = Duration::from_secs_f64(replies as f64 / BOT_LIMIT_PER_SEC) + DRAIN_SLACK;
    let sent = fake.wait_sent(bot, sent_before + ok_posts, drain).await;
    let calls = fake.calls(bot, "sendMessage").saturating_sub(calls_before);
    // When each reply reached the fake (µs since the epoch), by number.
    let mut at: Vec<Option<u32>> = vec![None; replies];
    for s in sent.iter().skip(sent_before) {
        let number = s
            .text
            .as_deref()
            .and_then(|t| t.strip_prefix(REPLY))
            .and_then(|n| n.parse::<usize>().ok());
        if let Some(slot) = number.and_then(|n| at.get_mut(n)) {
            let us = s.at.saturating_duration_since(epoch).as_micros();
            *slot = Some(u32::try_from(us).unwrap_or(u32::MAX));
        }
    }
    let t = replies::timing(&posted, &at);
    let figures = OutboundFigures {
        replies,
        chats: conversations.len().min(replies),
        post_errors: replies - ok_posts,
        sent: t.sent,
        // Every call either sent one of these replies or was refused: all the chats wrote
        // first, so the fake's only refusal here is 429.
        refused: calls.saturating_sub(t.sent),
        sends_per_sec: t.sends_per_sec,
        most_in_one_second: t.most_in_one_second,
        bot_limit_per_sec: BOT_LIMIT_PER_SEC,
        ratio: t.sends_per_sec / BOT_LIMIT_PER_SEC,
        latency_p50_ms: t.latency_p50_ms,
        latency_p99_ms: t.latency_p99_ms,
        seconds: t.seconds,
    };
    eprintln!(
        "   {} of {} replies sent at {:.1}/s ({:.2} of the bot limit), at most {} in one \
         second, {} refused with 429; post → sent p50 {:.0} ms p99 {:.0} ms",
        figures.sent,
        figures.replies,
        figures.sends_per_sec,
        figures.ratio,
        figures.most_in_one_second,
        figures.refused,
        figures.latency_p50_ms,
        figures.latency_p99_ms
    );
    Ok(figures)
}
