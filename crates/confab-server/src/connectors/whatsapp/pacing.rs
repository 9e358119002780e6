//! Outbound pacing at Meta's documented limits: a number's throughput (80 messages a second
//! by default) and the pair limit (about one message every 6 seconds to one recipient;
//! Meta lets a short burst through and penalises a sustained rate). Per node, keyed per
//! channel and per recipient, so one chatty recipient waits alone while others go on.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// The spacing of a number's messages: a little under 80 a second.
const PER_NUMBER: Duration = Duration::from_millis(13);
/// The pair limit: one message per 6 seconds to one recipient, on average.
const PER_RECIPIENT: Duration = Duration::from_secs(6);
/// How many messages to one recipient may go at once before the 6-second spacing applies
/// (Meta tolerates bursts well below its 45 in 6 seconds).
const RECIPIENT_BURST: u32 = 5;
/// Every this many slots, recipients whose limiter is back to full are forgotten, so the
/// map holds the recently messaged, not everyone ever messaged.
const PRUNE_EVERY: u64 = 1024;

/// The limiters of every number and recipient this node sends to.
pub struct Pacing {
    recipients: DefaultKeyedRateLimiter<(i64, String)>,
    numbers: DefaultKeyedRateLimiter<i64>,
    taken: AtomicU64,
}

impl Default for Pacing {
    fn default() -> Self {
        let quota = |period: Duration, burst: u32| {
            Quota::with_period(period)
                .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
                .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN))
        };
        Self {
            recipients: RateLimiter::keyed(quota(PER_RECIPIENT, RECIPIENT_BURST)),
            numbers: RateLimiter::keyed(quota(PER_NUMBER, 1)),
            taken: AtomicU64::new(0),
        }
    }
}

impl Pacing {
    /// Takes a slot to send one message on `channel` to `to`, or says how long until one
    /// is free. The number's slot is taken first: one wasted on a recipient who must wait
    /// costs others 13 ms, while a recipient's slot wasted on a busy number would cost
    /// that recipient seconds.
    pub fn take(&self, channel: i64, to: &str) -> Result<(), Duration> {
        let key = (channel, to.to_owned());
        let now = DefaultClock::default().now();
        if let Err(not_until) = self.numbers.check_key(&channel) {
            return Err(not_until.wait_time_from(now));
        }
        if let Err(not_until) = self.recipients.check_key(&key) {
            return Err(not_until.wait_time_from(now));
        }
        if self.taken.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.recipients.retain_recent();
            self.recipients.shrink_to_fit();
        }
        Ok(())
    }

    /// Waits for a slot, up to `patience`; past it, answers the wait still needed.
    pub async fn wait(&self, channel: i64, to: &str, patience: Duration) -> Result<(), Duration> {
        let started = tokio::time::Instant::now();
        loop {
            match self.take(channel, to) {
                Ok(()) => return Ok(()),
                Err(wait) if started.elapsed() + wait <= patience => tokio::time::sleep(wait).await,
                Err(wait) => return Err(wait),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recipient_gets_a_short_burst_then_waits_seconds() {
        let p = Pacing::default();
        for _ in 0..RECIPIENT_BURST {
            // The number's spacing is milliseconds: wait it out.
            while let Err(w) = p.take(1, "791") {
                assert!(w < Duration::from_millis(100), "{w:?}");
                std::thread::sleep(w);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
        let wait = p.take(1, "791").err().unwrap_or_default();
        assert!(wait > Duration::from_secs(4), "{wait:?}");
        std::thread::sleep(Duration::from_millis(20));
        assert!(p.take(1, "792").is_ok(), "another recipient goes on");
        assert!(p.take(2, "791").is_ok(), "another number is independent");
    }

    #[test]
    fn a_number_has_no_burst() {
        let p = Pacing::default();
        assert!(p.take(7, "1").is_ok());
        let wait = p.take(7, "2").err().unwrap_or_default();
        assert!(wait > Duration::from_millis(5), "{wait:?}");
    }
}
