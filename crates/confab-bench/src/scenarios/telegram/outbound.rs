//! Replies to Telegram chats: posted all at once, round robin over the chats the
//! customers opened, so confab's per-bot pacing (30/s), not its per-chat pacing (1/s),
//! sets the rate; the fake enforces Telegram's limits and answers 429 beyond them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use confab_fakes::telegram::FakeTelegram;
use tokio::sync::Semaphore;

use super::rig::Rig;
use crate::api;
use crate::endpoints::TOKEN_HEADER;
use crate::report::telegram::OutboundFigures;
use crate::scenarios::stream::percentiles_ms;
use crate::sse::micros_since;

/// The text every reply starts with; its number follows.
const REPLY: &str = "bench-reply-";
/// Replies posted at once (the posts are quick; the sends are what is paced).
const POSTING_AT_ONCE: usize = 16;
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
    let mut times: Vec<u32> = at.iter().flatten().copied().collect();
    times.sort_unstable();
    let mut latencies: Vec<i64> = posted
        .iter()
        .zip(&at)
        .filter_map(|((start, _), at)| at.map(|a| i64::from(a) - i64::from(*start)))
        .collect();
    let (latency_p50_ms, latency_p99_ms, _) = percentiles_ms(&mut latencies);
    let sends_per_sec = match (times.first(), times.last()) {
        (Some(&first), Some(&last)) if last > first => {
            (times.len() - 1) as f64 * 1e6 / f64::from(last - first)
        }
        _ => 0.0,
    };
    let first_post = posted.iter().map(|p| p.0).min().unwrap_or(0);
    let figures = OutboundFigures {
        replies,
        chats: conversations.len().min(replies),
        post_errors: replies - ok_posts,
        sent: times.len(),
        // Every call either sent one of these replies or was refused: all the chats wrote
        // first, so the fake's only refusal here is 429.
        refused: calls.saturating_sub(times.len()),
        sends_per_sec,
        most_in_one_second: most_within(&times, 1_000_000),
        bot_limit_per_sec: BOT_LIMIT_PER_SEC,
        ratio: sends_per_sec / BOT_LIMIT_PER_SEC,
        latency_p50_ms,
        latency_p99_ms,
        seconds: f64::from(
            times
                .last()
                .copied()
                .unwrap_or(0)
                .saturating_sub(first_post),
        ) / 1e6,
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

/// Posts the replies, reply `k` into conversation `k % n`; answers each post's start
/// (µs since the epoch) and whether it was answered 2xx, by number.
async fn post(
    rig: &Rig,
    client: &reqwest::Client,
    conversations: &[(String, i64)],
    replies: usize,
    epoch: Instant,
) -> anyhow::Result<Vec<(u32, bool)>> {
    let at_once = Arc::new(Semaphore::new(POSTING_AT_ONCE));
    let mut tasks = tokio::task::JoinSet::new();
    for k in 0..replies {
        let conversation = conversations[k % conversations.len()].1;
        let url = format!(
            "{}/p1/companies/{}/conversations/{conversation}/messages",
            rig.base, rig.company
        );
        let request = client
            .post(url)
            .header(TOKEN_HEADER, &rig.token)
            .form(&[("message", format!("{REPLY}{k}"))]);
        let permit = at_once.clone().acquire_owned().await?;
        tasks.spawn(async move {
            let start = micros_since(epoch);
            let ok = match request.send().await {
                Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                Err(_) => false,
            };
            drop(permit);
            (k, start, ok)
        });
    }
    let mut posted = vec![(0, false); replies];
    while let Some(joined) = tasks.join_next().await {
        let (k, start, ok) = joined.context("a reply task panicked")?;
        if let Some(slot) = posted.get_mut(k) {
            *slot = (start, ok);
        }
    }
    Ok(posted)
}

/// The most of the sorted `times` (µs) within any `window` µs.
fn most_within(times: &[u32], window: u32) -> usize {
    let mut most = 0;
    let mut start = 0;
    for (end, &t) in times.iter().enumerate() {
        while times[start] + window <= t {
            start += 1;
        }
        most = most.max(end + 1 - start);
    }
    most
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_busiest_window() {
        assert_eq!(most_within(&[], 1000), 0);
        assert_eq!(most_within(&[0, 10, 999, 1000, 1500], 1000), 3);
        assert_eq!(most_within(&[0, 2000, 4000], 1000), 1);
    }
}
