//! Outbound pacing at Telegram's documented limits (about one message a second to one chat,
//! thirty a second per bot), so confab does not provoke 429s. Per node: several nodes
//! sending for one bot may exceed it, and Telegram's `retry_after` covers that.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// The spacing of messages to one chat: a little over Telegram's one a second, so that no
/// one-second window ever holds two.
const PER_CHAT: Duration = Duration::from_millis(1050);
/// The spacing of a bot's messages: a little under thirty a second, evenly, with no burst
/// (a burst on top of the steady rate drew 429s from a strict one-second window).
const PER_BOT: Duration = Duration::from_millis(34);

/// The limiters of every bot and chat this node sends to.
pub struct Pacing {
    chats: DefaultKeyedRateLimiter<(i64, String)>,
    bots: DefaultKeyedRateLimiter<i64>,
}

impl Default for Pacing {
    fn default() -> Self {
        // One at a time, evenly spaced: a burst of one.
        let quota = |period: Duration| {
            Quota::with_period(period)
                .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
                .allow_burst(NonZeroU32::MIN)
        };
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
        // The bot's slot first: one wasted on a busy chat costs 34 ms, a chat's a second.
        if let Err(not_until) = self.bots.check_key(&channel) {
            return Err(not_until.wait_time_from(now));
        }
        if let Err(not_until) = self.chats.check_key(&key) {
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
        assert!(p.take(2, "42").is_ok(), "another bot is independent");
        std::thread::sleep(Duration::from_millis(40));
        let wait = p.take(1, "42").err().unwrap_or_default();
        assert!(wait > Duration::from_millis(500), "{wait:?}");
        std::thread::sleep(Duration::from_millis(40));
        assert!(
            p.take(1, "43").is_ok(),
            "another chat waits only the bot's spacing"
        );
    }

    #[test]
    fn a_bot_has_no_burst() {
        let p = Pacing::default();
        assert!(p.take(7, "1").is_ok());
        let wait = p.take(7, "2").err().unwrap_or_default();
        assert!(
            wait > Duration::from_millis(20),
            "the next chat waits its turn: {wait:?}"
        );
    }
}
