//! Inbound probe messages through either path, and what became of them.
//!
//! Probe `seq` carries the text `stream-probe-<seq>` (the marker the event stream reader
//! and the webhook receiver look for). Probes go in batches (one WhatsApp webhook event
//! carries several messages of one customer, as Meta batches them; elsewhere a batch is
//! one message), batch `b` from customer `b % chats`, so a run spreads evenly over the
//! chats.

use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use confab_fakes::telegram::{Content, Customer, FakeTelegram};
use confab_fakes::whatsapp::events::{self, Business, SIGNATURE_HEADER};
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
    /// Meta posting signed webhook events of a WhatsApp Business number to the channel's
    /// `/hooks/whatsapp_business/ID`, `batch` messages of one customer per event while
    /// bursting (one each when paced).
    WhatsApp {
        /// The bench's client.
        client: &'a reqwest::Client,
        /// The channel's webhook URL.
        url: String,
        /// The Meta app's secret that signs the bodies.
        app_secret: &'a str,
        /// The number the events are about.
        business: Business,
        /// Messages per event.
        batch: usize,
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

/// One probe sent: when it left and when it was answered (µs since the epoch), and
/// whether it was accepted. The probes of one batch share these.
#[derive(Debug, Clone, Copy)]
pub struct Sent {
    start_us: u32,
    answered_us: u32,
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
            answered_us: 0,
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
    let batch = match (source, pace) {
        (Source::WhatsApp { batch, .. }, Pace::Burst(_)) => (*batch).max(1),
        _ => 1,
    };
    let mut tasks = tokio::task::JoinSet::new();
    let mut next = seqs.start;
    while next < seqs.end {
        let batch_seqs = next..(next + batch).min(seqs.end);
        next = batch_seqs.end;
        if let Some(t) = &mut ticks {
            t.tick().await;
        }
        let chat = chat_id((batch_seqs.start / batch) % chats.max(1));
        let request = match source {
            Source::Telegram { fake, bot } => {
                let customer = Customer::new(chat, format!("Customer {chat}"));
                for seq in batch_seqs {
                    let start_us = micros_since(epoch);
                    let ok = fake
                        .customer_sends(bot, &customer, Content::text(format!("{PROBE}{seq}")))
                        .is_ok();
                    if let Some(slot) = sent.get_mut(seq - first) {
                        *slot = Sent {
                            start_us,
                            answered_us: start_us,
                            ok,
                        };
                    }
                }
                continue;
            }
            Source::WhatsApp {
                client,
                url,
                app_secret,
                business,
                ..
            } => {
                let messages = batch_seqs
                    .clone()
                    .map(|seq| {
                        events::text(&format!("wamid.bench-in-{seq}"), &format!("{PROBE}{seq}"))
                    })
                    .collect();
                let body =
                    business.messages(&chat.to_string(), &format!("Customer {chat}"), messages);
                let raw = serde_json::to_vec(&body)?;
                client
                    .post(url)
                    .header("content-type", "application/json")
                    .header(SIGNATURE_HEADER, events::signature(app_secret, &raw))
                    .body(raw)
            }
            Source::Sandbox { client, url, token } => {
                client.post(url).header(TOKEN_HEADER, *token).form(&[
                    ("sender_external_id", chat.to_string()),
                    ("name", format!("Customer {chat}")),
                    ("message", format!("{PROBE}{}", batch_seqs.start)),
                ])
            }
        };
        let permit = match &in_flight {
            Some(s) => Some(s.clone().acquire_owned().await?),
            None => None,
        };
        tasks.spawn(async move {
            let start_us = micros_since(epoch);
            let ok = match request.send().await {
                Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                Err(_) => false,
            };
            drop(permit);
            let answered_us = micros_since(epoch);
            (
                batch_seqs,
                Sent {
                    start_us,
                    answered_us,
                    ok,
                },
            )
        });
    }
    while let Some(joined) = tasks.join_next().await {
        let (batch_seqs, s) = joined.context("an inbound send task panicked")?;
        for seq in batch_seqs {
            if let Some(slot) = sent.get_mut(seq - first) {
                *slot = s;
            }
        }
    }
    Ok(sent)
}

/// Accepted requests per second (first send to the last answer) of a path that sends
/// `batch` probes per request.
pub fn accepted_per_sec(sent: &[Sent], batch: usize) -> f64 {
    let first = sent.iter().map(|s| s.start_us).min().unwrap_or(0);
    let last = sent.iter().map(|s| s.answered_us).max().unwrap_or(0);
    let secs = f64::from(last.saturating_sub(first)) / 1e6;
    let requests = accepted(sent) as f64 / batch.max(1) as f64;
    if secs > 0.0 { requests / secs } else { 0.0 }
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
