//! Replies posted into a rig's conversations, reply `k` (text `bench-reply-<k>`) into
//! conversation `k % n`, a few posts at once: the posts are quick, the sends are what the
//! messenger's pacing holds back.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use tokio::sync::Semaphore;

use super::rig::Rig;
use crate::endpoints::TOKEN_HEADER;
use crate::scenarios::stream::percentiles_ms;
use crate::sse::micros_since;

/// The text every reply starts with; its number follows.
pub const REPLY: &str = "bench-reply-";
/// Replies posted at once (the posts are quick; the sends are what is paced).
const POSTING_AT_ONCE: usize = 16;

/// Posts the replies, reply `k` into conversation `k % n`; answers each post's start
/// (µs since the epoch) and whether it was answered 2xx, by number.
pub async fn post(
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

/// When replies reached the messenger, summed up.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timing {
    /// Replies that reached it.
    pub sent: usize,
    /// Sends per second, the first send to the last.
    pub sends_per_sec: f64,
    /// The most sends within any one second.
    pub most_in_one_second: usize,
    /// From the post's start to the send, p50 (ms).
    pub latency_p50_ms: f64,
    /// The same, p99.
    pub latency_p99_ms: f64,
    /// Seconds from the first post to the last send.
    pub seconds: f64,
}

/// The timing of replies posted as `posted` (start µs, ok; by number) that reached the
/// messenger at `at` (µs since the epoch, by number).
pub fn timing(posted: &[(u32, bool)], at: &[Option<u32>]) -> Timing {
    let mut times: Vec<u32> = at.iter().flatten().copied().collect();
    times.sort_unstable();
    let mut latencies: Vec<i64> = posted
        .iter()
        .zip(at)
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
    Timing {
        sent: times.len(),
        sends_per_sec,
        most_in_one_second: most_within(&times, 1_000_000),
        latency_p50_ms,
        latency_p99_ms,
        seconds: f64::from(
            times
                .last()
                .copied()
                .unwrap_or(0)
                .saturating_sub(first_post),
        ) / 1e6,
    }
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
