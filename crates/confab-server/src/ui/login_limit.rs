//! The login rate limit: attempts per login name and per client address, so a password
//! cannot be guessed quickly against one operator, nor many operators guessed from one
//! address. Past either, `POST /login` is answered 429 with `Retry-After`, before the
//! password is checked (so a refused guess costs no argon2 hash either).
//!
//! Every attempt counts, not only failures: governor's buckets cannot be peeked at
//! without taking from them, and an operator rarely logs in five times in a quarter of an
//! hour. The limits are per server process (several nodes each allow as much).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};

/// Attempts per name at once; then one more every [`NAME_PERIOD`] (5 per 15 minutes).
pub const NAME_BURST: u32 = 5;
/// How often a name gets one more attempt.
pub const NAME_PERIOD: Duration = Duration::from_secs(180);
/// Attempts per client address at once; then one more every [`ADDRESS_PERIOD`] (20 per
/// 15 minutes).
pub const ADDRESS_BURST: u32 = 20;
/// How often an address gets one more attempt.
pub const ADDRESS_PERIOD: Duration = Duration::from_secs(45);

/// Past this many remembered keys, the full buckets are forgotten (they hold no state
/// worth keeping), so made-up names cannot grow the maps without bound.
const RETAIN_ABOVE: usize = 10_000;

/// The buckets of login attempts by name and by address.
pub struct LoginLimiter {
    by_name: DefaultKeyedRateLimiter<[u8; 32]>,
    by_address: DefaultKeyedRateLimiter<IpAddr>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self::new()
    }
}

impl LoginLimiter {
    /// The limits above.
    pub fn new() -> Self {
        Self {
            by_name: RateLimiter::keyed(quota(NAME_PERIOD, NAME_BURST)),
            by_address: RateLimiter::keyed(quota(ADDRESS_PERIOD, ADDRESS_BURST)),
        }
    }

    /// Takes one attempt of `name` from `address`; `Err(wait)` when either is spent, with
    /// how long until the next attempt is allowed.
    ///
    /// # Errors
    /// When the address or the name has no attempt left.
    pub fn attempt(&self, name: &str, address: Option<IpAddr>) -> Result<(), Duration> {
        if self.by_name.len() > RETAIN_ABOVE {
            self.by_name.retain_recent();
        }
        if self.by_address.len() > RETAIN_ABOVE {
            self.by_address.retain_recent();
        }
        if let Some(address) = address {
            self.by_address
                .check_key(&address)
                .map_err(|not_until| not_until.wait_time_from(self.by_address.clock().now()))?;
        }
        // Names are kept hashed (as typed, case-folded): what people typed as a login
        // name, sometimes a password, is not held in memory.
        let key: [u8; 32] = Sha256::digest(name.to_lowercase().as_bytes()).into();
        self.by_name
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(self.by_name.clock().now()))
    }
}

/// `burst` at once, then one every `period`.
fn quota(period: Duration, burst: u32) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_has_five_attempts_then_waits() {
        let limiter = LoginLimiter::new();
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        for _ in 0..NAME_BURST {
            assert!(limiter.attempt("alice", Some(a)).is_ok());
        }
        let wait = limiter.attempt("Alice", Some(b)).expect_err("spent");
        assert!(
            wait > Duration::from_secs(60) && wait <= NAME_PERIOD,
            "{wait:?}"
        );
        assert!(limiter.attempt("bob", Some(a)).is_ok());
    }

    #[test]
    fn an_address_has_twenty_attempts_over_all_names() {
        let limiter = LoginLimiter::new();
        let a: IpAddr = [10, 0, 0, 1].into();
        for n in 0..ADDRESS_BURST {
            assert!(limiter.attempt(&format!("user{n}"), Some(a)).is_ok());
        }
        assert!(limiter.attempt("another", Some(a)).is_err());
        assert!(
            limiter
                .attempt("another", Some([10, 0, 0, 2].into()))
                .is_ok()
        );
    }
}
