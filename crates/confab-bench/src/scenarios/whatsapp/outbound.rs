//! Replies to the WhatsApp customers: posted round robin over the conversations the
//! customers opened, at most five per customer (the per-recipient burst), so confab's
//! pacing of the number (one message per 13 ms) sets the rate.
//!
//! The fake does not stamp its sends, so a watcher notes when each one is first seen
//! (a wake-up per accepted send, so the times are the fake's within a scheduler tick).

use std::time::{Duration, Instant};

use confab_fakes::whatsapp::FakeWhatsApp;

use crate::api;
use crate::report::telegram::OutboundFigures;
use crate::scenarios::messenger::replies::{self, REPLY, post};
use crate::scenarios::messenger::rig::Rig;
use crate::sse::micros_since;

/// The number's pace in confab (one message per 13 ms), under Meta's 80 messages/s.
const NUMBER_PACE_PER_SEC: f64 = 1000.0 / 13.0;
/// Time beyond the paced minimum that the sends may take before the run gives up
/// (confab sends to WhatsApp well under the number's pace today).
const DRAIN_SLACK: Duration = Duration::from_secs(120);

/// A reply as Meta accepted it: its wamid and recipient.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// The `wamid` the fake answered.
    pub wamid: String,
    /// The customer's `wa_id`.
    pub to: String,
}

/// Posts `replies` replies over the rig's conversations and measures what reached the
/// fake; answers the figures and the replies Meta accepted.
pub async fn measure(
    rig: &Rig,
    client: &reqwest::Client,
    fake: &FakeWhatsApp,
    replies: usize,
    epoch: Instant,
) -> anyhow::Result<(OutboundFigures, Vec<Accepted>)> {
    let conversations = api::conversations(client, &rig.base, &rig.token, rig.company).await?;
    anyhow::ensure!(
        !conversations.is_empty(),
        "no WhatsApp conversation to reply to"
    );
    let sent_before = fake.sent().len();
    let attempts_before = fake.send_attempts();
    let drain = Duration::from_secs_f64(replies as f64 / NUMBER_PACE_PER_SEC) + DRAIN_SLACK;
    let (posted, seen_at) = tokio::join!(
        post(rig, client, &conversations, replies, epoch),
        watch(fake, sent_before, replies, drain, epoch)
    );
    let posted = posted?;
    let ok_posts = posted.iter().filter(|p| p.1).count();
    let sent = fake.sent();
    let mut at: Vec<Option<u32>> = vec![None; replies];
    let mut accepted = Vec::with_capacity(replies);
    for (s, seen) in sent.iter().skip(sent_before).zip(&seen_at) {
        let number = s
            .body
            .pointer("/text/body")
            .and_then(|b| b.as_str())
            .and_then(|t| t.strip_prefix(REPLY))
            .and_then(|n| n.parse::<usize>().ok());
        if let Some(slot) = number.and_then(|n| at.get_mut(n)) {
            *slot = Some(*seen);
            accepted.push(Accepted {
                wamid: s.wamid.clone(),
                to: s.to().to_owned(),
            });
        }
    }
    let t = replies::timing(&posted, &at);
    let attempts = fake.send_attempts().saturating_sub(attempts_before);
    let figures = OutboundFigures {
        replies,
        chats: conversations.len().min(replies),
        post_errors: replies - ok_posts,
        sent: t.sent,
        // The fake refuses only what a test queues; any refusal here is a bug.
        refused: usize::try_from(attempts)
            .unwrap_or(usize::MAX)
            .saturating_sub(t.sent),
        sends_per_sec: t.sends_per_sec,
        most_in_one_second: t.most_in_one_second,
        bot_limit_per_sec: NUMBER_PACE_PER_SEC,
        ratio: t.sends_per_sec / NUMBER_PACE_PER_SEC,
        latency_p50_ms: t.latency_p50_ms,
        latency_p99_ms: t.latency_p99_ms,
        seconds: t.seconds,
    };
    eprintln!(
        "   {} of {} replies sent at {:.1}/s ({:.2} of the number's pace), at most {} in one \
         second, {} refused; post → sent p50 {:.0} ms p99 {:.0} ms",
        figures.sent,
        figures.replies,
        figures.sends_per_sec,
        figures.ratio,
        figures.most_in_one_second,
        figures.refused,
        figures.latency_p50_ms,
        figures.latency_p99_ms
    );
    Ok((figures, accepted))
}

/// When each send after the first `before` was first seen (µs since the epoch), in the
/// fake's order, until `n` were or `drain` passed.
async fn watch(
    fake: &FakeWhatsApp,
    before: usize,
    n: usize,
    drain: Duration,
    epoch: Instant,
) -> Vec<u32> {
    let deadline = Instant::now() + drain;
    let mut seen_at = Vec::with_capacity(n);
    while seen_at.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let count = fake.wait_sent(before + seen_at.len() + 1, left).await.len();
        let now = micros_since(epoch);
        seen_at.resize(count.saturating_sub(before).max(seen_at.len()), now);
    }
    seen_at
}
