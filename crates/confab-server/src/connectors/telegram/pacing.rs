//! Outbound pacing at Telegram's documented limits (about one message a second to one chat,
//! thirty a second per bot), so confab does not provoke 429s. Per node: several nodes
//! sending for one bot may exceed it, and Telegram's `retry_after` covers that.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Messages a second to one chat.
const PER_CHAT: u32 = 1;
/// Messages a second per bot.
const PER_BOT: u32 = 30;

/// The limiters of every bot and chat this node sends to.
pub struct Pacing {
    chats: DefaultKeyedRateLimiter<(i64, String)>,
    bots: DefaultKeyedRateLimiter<i64>,
}

impl Default for Pacing {
    fn default() -> Self {
        let quota = |n: u32| Quota::per_second(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        Self {
            chats: RateLimiter::keyed(quota(PER_CHAT)),
            bots: RateLimiter::keyed(quota(PER_BOT)),
        }
    }
}

impl Pacing {
    /// Takes a slot to send one message on `channel` to `chat`, or says how long until
    /// one is free (nothing taken then).
    pub fn take(&self, channel: i64, chat: &str) -> Result<(), Duration> {
        let key = (channel, chat.to_owned());
        let now = DefaultClock::default().now();
        if let Err(not_until) = self.chats.check_key(&key) {
            return Err(not_until.wait_time_from(now));
        }
        if let Err(not_until) = self.bots.check_key(&channel) {
            return Err(not_until.wait_time_from(now));
        }
        Ok(())
    }

    /// Waits for a slot, up to `patience`; past it, answers the wait still needed.
    pub async fn wait(&self, channel: i64, chat: &str, patience: Duration) -> Result<(), Duration> {
        let started = tokio::time::Instant::now();
        loop {
            match self.take(channel, chat) {
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
    fn one_a_second_per_chat() {
        let p = Pacing::default();
        assert!(p.take(1, "42").is_ok());
        let wait = p.take(1, "42").err().unwrap_or_default();
        assert!(wait > Duration::from_millis(500), "{wait:?}");
        assert!(p.take(1, "43").is_ok(), "another chat is independent");
        assert!(p.take(2, "42").is_ok(), "another bot is independent");
    }
}
