//! The one source of the current time. Everything that needs "now" (message times, job
//! leases, webhook retry delays, page-token and session expiry) asks the server's
//! [`Clock`], so tests can move time instead of sleeping. Clippy's `disallowed-methods`
//! keeps the wall clock from being read anywhere else.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Tells the time, in unix milliseconds.
pub trait Clock: Send + Sync + 'static {
    /// The current time in unix milliseconds.
    fn now_ms(&self) -> i64;
}

/// The time a server shares between its parts.
pub type SharedClock = Arc<dyn Clock>;

/// The wall clock: what a real server runs on.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        // The one place the wall clock is read.
        #[allow(clippy::disallowed_methods)]
        let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
        i64::try_from(nanos / 1_000_000).unwrap_or(i64::MAX)
    }
}

/// A clock that runs with the wall clock plus an offset a test can move forward (a
/// webhook retry due in a minute, a lease that expires), so time-dependent behaviour is
/// tested without waiting for it.
#[derive(Debug, Default, Clone)]
pub struct ManualClock {
    offset_ms: Arc<AtomicI64>,
}

impl ManualClock {
    /// A clock that starts at the wall clock's time.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: std::time::Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        SystemClock
            .now_ms()
            .saturating_add(self.offset_ms.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_manual_clock_moves_when_told() {
        let clock = ManualClock::new();
        let before = clock.now_ms();
        clock.advance(Duration::from_secs(60));
        let after = clock.now_ms();
        assert!(after - before >= 60_000, "{before} -> {after}");
        assert!(after - before < 70_000, "{before} -> {after}");
        assert!(SystemClock.now_ms() > 1_700_000_000_000);
    }
}
