//! A lean Server-Sent Events reader for the stream scenario: a thousand of them share the
//! bench's process (and the server's two cores), so each only splits lines, counts
//! events, checks that ids rise, and notes when each probe message arrived. No JSON is
//! parsed: a probe is found by its marker in the `data:` line.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::sync::{oneshot, watch};

use crate::endpoints::TOKEN_HEADER;

/// The text every probe message starts with; its sequence number follows.
pub const PROBE: &str = "stream-probe-";

/// No receipt yet (receipts are µs since the run's epoch).
pub const NOT_RECEIVED: u32 = u32::MAX;

/// What one stream saw.
#[derive(Debug, Default)]
pub struct StreamStats {
    /// Events after `ready` (any type).
    pub events: u64,
    /// `message.new` events among them.
    pub message_new: u64,
    /// Keep-alive comments.
    pub comments: u64,
    /// Ids that were not above the one before.
    pub out_of_order: u64,
    /// Probes received more than once.
    pub duplicates: u64,
    /// Bytes of the body received.
    pub bytes: u64,
    /// When each probe arrived (µs since the epoch), by sequence number.
    pub receipts: Vec<u32>,
    /// `ready` came: the stream opened.
    pub opened: bool,
    /// Why the stream ended before it was told to stop, if it did.
    pub ended: Option<String>,
}

/// Where a reader connects and what it shares with the run.
#[derive(Clone)]
pub struct Target {
    /// The streams' own client (no overall timeout).
    pub client: reqwest::Client,
    /// The full URL of the event stream.
    pub url: String,
    /// The API token.
    pub token: String,
    /// The run's clock origin.
    pub epoch: Instant,
    /// Probes that will be sent (the receipts table's size).
    pub probes: usize,
    /// Probe receipts of all streams together (for the run to see when all arrived).
    pub received: Arc<AtomicU64>,
}

/// A client for many long-lived loopback streams: a connect timeout, none overall.
pub fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .connect_timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(0)
        .build()?)
}

/// One stream's reading state between chunks.
struct Lines<'a> {
    target: &'a Target,
    stats: StreamStats,
    /// A line cut by the chunk boundary.
    partial: Vec<u8>,
    last_id: i64,
    /// `ready` (or `reset`) came.
    ready: bool,
}

impl Lines<'_> {
    fn line(&mut self, line: &[u8], now_us: u32) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(rest) = line.strip_prefix(b"data:") {
            if let Some(seq) = probe_seq(rest)
                && let Some(slot) = self.stats.receipts.get_mut(seq)
            {
                if *slot == NOT_RECEIVED {
                    *slot = now_us;
                    self.target.received.fetch_add(1, Ordering::Relaxed);
                } else {
                    self.stats.duplicates += 1;
                }
            }
        } else if let Some(rest) = line.strip_prefix(b"event:") {
            let name = trim(rest);
            if name == b"ready" || name == b"reset" {
                self.ready = true;
            } else {
                self.stats.events += 1;
                if name == b"message.new" {
                    self.stats.message_new += 1;
                }
            }
        } else if let Some(rest) = line.strip_prefix(b"id:") {
            let id = std::str::from_utf8(trim(rest))
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
                .unwrap_or(-1);
            if id <= self.last_id {
                self.stats.out_of_order += 1;
            }
            self.last_id = self.last_id.max(id);
        } else if line.starts_with(b":") {
            self.stats.comments += 1;
        }
    }

    fn chunk(&mut self, chunk: &[u8], now_us: u32) {
        self.stats.bytes += chunk.len() as u64;
        let mut rest = chunk;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            let (line, after) = rest.split_at(end);
            if self.partial.is_empty() {
                self.line(line, now_us);
            } else {
                let mut whole = std::mem::take(&mut self.partial);
                whole.extend_from_slice(line);
                self.line(&whole, now_us);
            }
            rest = after.get(1..).unwrap_or_default();
        }
        self.partial.extend_from_slice(rest);
    }
}

fn trim(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

/// The sequence number of a probe in a `data:` line, if it carries one.
fn probe_seq(data: &[u8]) -> Option<usize> {
    let marker = PROBE.as_bytes();
    let at = data.windows(marker.len()).position(|w| w == marker)?;
    let digits = data.get(at + marker.len()..)?;
    let end = digits
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len());
    std::str::from_utf8(digits.get(..end)?).ok()?.parse().ok()
}

/// Reads one stream until `stop` turns true: says on `opened` when `ready` came (or why
/// the stream could not open), then counts what follows.
pub async fn read(
    target: Target,
    opened: oneshot::Sender<Result<(), String>>,
    mut stop: watch::Receiver<bool>,
) -> StreamStats {
    let mut lines = Lines {
        stats: StreamStats {
            receipts: vec![NOT_RECEIVED; target.probes],
            ..StreamStats::default()
        },
        target: &target,
        partial: Vec::new(),
        last_id: -1,
        ready: false,
    };
    let mut opened = Some(opened);
    let result: anyhow::Result<()> = async {
        let mut response = target
            .client
            .get(&target.url)
            .header(TOKEN_HEADER, &target.token)
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .send()
            .await
            .context("connecting")?;
        let status = response.status();
        anyhow::ensure!(
            status.is_success(),
            "{status}: {}",
            response.text().await.unwrap_or_default()
        );
        loop {
            let chunk = tokio::select! {
                chunk = response.chunk() => chunk.context("reading")?,
                _ = stop.wait_for(|s| *s) => return Ok(()),
            };
            let Some(chunk) = chunk else {
                anyhow::bail!("the server ended the stream");
            };
            let now_us = micros_since(target.epoch);
            lines.chunk(&chunk, now_us);
            if lines.ready
                && let Some(tx) = opened.take()
            {
                let _ = tx.send(Ok(()));
            }
        }
    }
    .await;
    let mut stats = lines.stats;
    stats.opened = lines.ready;
    if let Err(e) = result {
        let why = format!("{e:#}");
        if let Some(tx) = opened.take() {
            let _ = tx.send(Err(why.clone()));
        }
        stats.ended = Some(why);
    }
    stats
}

/// µs from `epoch` to now, saturating below [`NOT_RECEIVED`] (71 minutes).
pub fn micros_since(epoch: Instant) -> u32 {
    u32::try_from(epoch.elapsed().as_micros())
        .unwrap_or(NOT_RECEIVED - 1)
        .min(NOT_RECEIVED - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(probes: usize) -> Target {
        Target {
            client: reqwest::Client::new(),
            url: String::new(),
            token: String::new(),
            epoch: Instant::now(),
            probes,
            received: Arc::new(AtomicU64::new(0)),
        }
    }

    #[test]
    fn counts_events_across_chunk_boundaries() {
        let t = target(3);
        let mut lines = Lines {
            target: &t,
            stats: StreamStats {
                receipts: vec![NOT_RECEIVED; 3],
                ..StreamStats::default()
            },
            partial: Vec::new(),
            last_id: -1,
            ready: false,
        };
        let body = "retry: 3000\n\nevent: ready\nid: 7\ndata: {\"head\":\"7\"}\n\n\
                    id: 8\nevent: message.new\ndata: {\"data\":{\"message\":\"stream-probe-2\"}}\n\n\
                    : keep-alive\n\n\
                    id: 9\nevent: conversation.update\ndata: {}\n\n\
                    id: 9\nevent: message.new\ndata: {\"data\":{\"message\":\"stream-probe-2\"}}\n\n";
        let bytes = body.as_bytes();
        for (i, piece) in bytes.chunks(5).enumerate() {
            lines.chunk(piece, i as u32);
        }
        assert!(lines.ready);
        let s = lines.stats;
        assert_eq!((s.events, s.message_new, s.comments), (3, 2, 1));
        assert_eq!((s.out_of_order, s.duplicates), (1, 1));
        assert_eq!(s.receipts[0], NOT_RECEIVED);
        assert_ne!(s.receipts[2], NOT_RECEIVED);
        assert_eq!(t.received.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn finds_probe_numbers() {
        assert_eq!(probe_seq(b" {\"message\":\"stream-probe-42\"}"), Some(42));
        assert_eq!(probe_seq(b" {\"message\":\"hello\"}"), None);
    }
}
