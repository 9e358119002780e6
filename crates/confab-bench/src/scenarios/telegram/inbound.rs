//! Inbound probe messages through either path, and what became of them.
//!
//! Probe `seq` carries the text `stream-probe-<seq>` (the marker the event stream reader
//! and the webhook receiver look for) and comes from customer `seq % chats`, so the
//! messages of one run spread evenly over the chats.

use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use confab_fakes::telegram::{Content, Customer, FakeTelegram};
use tokio::sync::Semaphore;

use crate::endpoints::TOKEN_HEADER;
use crate::report::telegram::Phase;
use crate::scenarios::stream::percentiles_ms;
use crate::sse::{NOT_RECEIVED, PROBE, micros_since};

/// The first customer's chat id (Telegram) and contact id (sandbox); the rest follow.
const FIRST_CHAT: i64 = 700_000_001;

/// Where probe messages come from.
pub enum Source<'a> {
    /// A customer writing to the bot: the update is queued in the Bot API fake.
    Telegram {
        /// The fake.
        fake: &'a FakeTelegram,
        /// The bot's token.
        bot: &'a str,
    },
    /// `POST .../sandbox/inbound` on a `--sandbox` server.
    Sandbox {
        /// The bench's client.
        client: &'a reqwest::Client,
        /// The full inbound URL.
        url: String,
        /// The API token.
        token: &'a str,
    },
}

/// How fast the probes go.
#[derive(Debug, Clone, Copy)]
pub enum Pace {
    /// As fast as possible: Telegram's all queued at once, the sandbox's with this many
    /// requests in flight.
    Burst(usize),
    /// At this many per second, each on its own (a slow answer holds nothing back).
    Rate(f64),
}

/// One probe sent: when it left (µs since the epoch) and whether it was accepted.
#[derive(Debug, Clone, Copy)]
pub struct Sent {
    start_us: u32,
    ok: bool,
}

/// The chat (and contact) id of customer `n`.
fn chat_id(n: usize) -> i64 {
    FIRST_CHAT + n as i64
}

/// Sends probes `seqs` from `chats` customers at `pace`; answers them in `seqs` order.
pub async fn send(
    source: &Source<'_>,
    seqs: Range<usize>,
    chats: usize,
    pace: Pace,
    epoch: Instant,
) -> anyhow::Result<Vec<Sent>> {
    let first = seqs.start;
    let mut sent = vec![
        Sent {
            start_us: 0,
            ok: false,
        };
        seqs.len()
    ];
    let mut ticks = match pace {
        Pace::Rate(rate) => {
            let mut t = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(0.001)));
            // A tick the runtime missed is sent at once: the schedule, not the pace, is fixed.
            t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            Some(t)
        }
        Pace::Burst(_) => None,
    };
    let in_flight = match pace {
        Pace::Burst(n) => Some(Arc::new(Semaphore::new(n.max(1)))),
        Pace::Rate(_) => None,
    };
    let mut tasks = tokio::task::JoinSet::new();
    for seq in seqs {
        if let Some(t) = &mut ticks {
            t.tick().await;
        }
        let chat = chat_id(seq % chats.max(1));
        let text = format!("{PROBE}{seq}");
        match source {
            Source::Telegram { fake, bot } => {
                let customer = Customer::new(chat, format!("Customer {chat}"));
                let start_us = micros_since(epoch);
                let ok = fake
                    .customer_sends(bot, &customer, Content::text(text))
                    .is_ok();
                if let Some(slot) = sent.get_mut(seq - first) {
                    *slot = Sent { start_us, ok };
                }
            }
            Source::Sandbox { client, url, token } => {
                let permit = match &in_flight {
                    Some(s) => Some(s.clone().acquire_owned().await?),
                    None => None,
                };
                let request = client.post(url).header(TOKEN_HEADER, *token).form(&[
                    ("sender_external_id", chat.to_string()),
                    ("name", format!("Customer {chat}")),
                    ("message", text),
                ]);
                tasks.spawn(async move {
                    let start_us = micros_since(epoch);
                    let ok = match request.send().await {
                        Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                        Err(_) => false,
                    };
                    drop(permit);
                    (seq, Sent { start_us, ok })
                });
            }
        }
    }
    while let Some(joined) = tasks.join_next().await {
        let (seq, s) = joined.context("an inbound send task panicked")?;
        if let Some(slot) = sent.get_mut(seq - first) {
            *slot = s;
        }
    }
    Ok(sent)
}

/// Accepted sends among `sent`.
pub fn accepted(sent: &[Sent]) -> u64 {
    sent.iter().filter(|s| s.ok).count() as u64
}

/// A phase's figures from its sends and the receipts of the same probes (`stored` and
/// `webhooks` are the slices for its sequence numbers).
pub fn phase(sent: &[Sent], stored: &[u32], webhooks: &[u32], pace: Pace, drained: bool) -> Phase {
    let first_us = sent.iter().map(|s| s.start_us).min().unwrap_or(0);
    let (stored_lat, stored_last) = latencies(sent, stored);
    let (webhook_lat, webhook_last) = latencies(sent, webhooks);
    let per_sec = |n: usize, last: u32| {
        let secs = f64::from(last.saturating_sub(first_us)) / 1e6;
        if secs > 0.0 { n as f64 / secs } else { 0.0 }
    };
    let (stored_n, webhooks_n) = (stored_lat.len(), webhook_lat.len());
    let (mut stored_lat, mut webhook_lat) = (stored_lat, webhook_lat);
    let (stored_p50_ms, stored_p99_ms, _) = percentiles_ms(&mut stored_lat);
    let (webhook_p50_ms, webhook_p99_ms, _) = percentiles_ms(&mut webhook_lat);
    let (concurrency, rate_per_sec) = match pace {
        Pace::Burst(n) => (n, 0.0),
        Pace::Rate(r) => (0, r),
    };
    Phase {
        sent: sent.len(),
        send_errors: sent.iter().filter(|s| !s.ok).count(),
        concurrency,
        rate_per_sec,
        stored: stored_n,
        webhooks: webhooks_n,
        stored_per_sec: per_sec(stored_n, stored_last),
        webhooks_per_sec: per_sec(webhooks_n, webhook_last),
        stored_p50_ms,
        stored_p99_ms,
        webhook_p50_ms,
        webhook_p99_ms,
        drained,
    }
}

/// Send-to-receipt times (µs) of the received probes, and the last receipt.
fn latencies(sent: &[Sent], receipts: &[u32]) -> (Vec<i64>, u32) {
    let mut times = Vec::with_capacity(sent.len());
    let mut last = 0;
    for (s, &r) in sent.iter().zip(receipts) {
        if r == NOT_RECEIVED {
            continue;
        }
        last = last.max(r);
        times.push(i64::from(r) - i64::from(s.start_us));
    }
    (times, last)
}
