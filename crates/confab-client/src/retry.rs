//! When a failed call is tried again, and after how long.
//!
//! Every write to the API (POST, PUT, DELETE, PATCH) carries a fresh `Idempotency-Key`,
//! the same on each of its retries: the server carries a keyed request out once and
//! answers its retries from the first execution, so writes are retried as safely as reads.
//! Calls are retried on 429, 502 and 503 answers and on connection errors, with
//! exponential backoff (with jitter), or after the `Retry-After` seconds the server asks
//! for; keyed calls also after a timeout (the first attempt may have been carried out:
//! the key makes the retry answer it) and on a 409 with `Retry-After` (the first attempt
//! is still running).

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};

/// The request header that makes a write idempotent.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// A new random key: 32 hex characters (128 bits), never reused for another call.
pub fn fresh_key() -> HeaderValue {
    let key: String = rand::random::<[u8; 16]>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    // Hex digits are always a valid header value.
    HeaderValue::from_str(&key).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// Whether calls with this method change something (and so carry an idempotency key).
pub fn is_write(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::DELETE | Method::PATCH
    )
}

/// The longest `Retry-After` honoured; a server asking for more gets its error returned at
/// once, so that no call sleeps for minutes unasked.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// How often and how patiently idempotent calls are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; `0` turns retrying off.
    pub max_retries: u32,
    /// The wait before the first retry; it doubles for each further one.
    pub initial_backoff: Duration,
    /// The longest wait between two attempts (without `Retry-After`).
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// The backoff before retry number `retry` (0 for the first), without jitter:
    /// `initial_backoff * 2^retry`, at most `max_backoff`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = 2u32.checked_pow(retry).unwrap_or(u32::MAX);
        self.initial_backoff
            .checked_mul(factor)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }

    /// The wait before retry number `retry` after an answer with `status` and `headers`,
    /// or `None` when that answer is final; `keyed` when the call has an idempotency key.
    pub(crate) fn after_answer(
        &self,
        retry: u32,
        keyed: bool,
        status: StatusCode,
        headers: &HeaderMap,
    ) -> Option<Duration> {
        // A 409 with Retry-After: the first attempt of this key is still running; its
        // answer will be replayed.
        let in_flight =
            keyed && status == StatusCode::CONFLICT && headers.contains_key(RETRY_AFTER);
        if !retryable_status(status) && !in_flight {
            return None;
        }
        match retry_after(headers) {
            Some(wait) if wait > MAX_RETRY_AFTER => None,
            Some(wait) => Some(wait),
            None => Some(jitter(self.backoff(retry))),
        }
    }

    /// The wait before retry number `retry` after a transport error, or `None` when the
    /// error is not worth another attempt.
    pub(crate) fn after_error(
        &self,
        retry: u32,
        keyed: bool,
        error: &reqwest::Error,
    ) -> Option<Duration> {
        // A keyed call that timed out may have been carried out: its retry gets that
        // answer rather than doing it again.
        (retryable_error(error) || (keyed && error.is_timeout()))
            .then(|| jitter(self.backoff(retry)))
    }
}

/// Whether calls with this method may be sent twice with the effect of once.
pub fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

/// 429 Too Many Requests, 502 Bad Gateway, 503 Service Unavailable.
pub fn retryable_status(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE
    )
}

/// Connection refused or reset, or closed before an answer; not timeouts (the server may
/// still be working on the request) and not errors of a body already being received.
fn retryable_error(error: &reqwest::Error) -> bool {
    !error.is_timeout() && (error.is_connect() || error.is_request())
}

/// `Retry-After` in seconds (the HTTP-date form is ignored: backoff applies then).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Between half and all of `wait`, so that clients that failed together do not all come
/// back at the same instant.
fn jitter(wait: Duration) -> Duration {
    wait.mul_f64(0.5 + rand::random::<f64>() / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy {
            max_retries: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(750),
        };
        let waits: Vec<u128> = (0..6).map(|n| policy.backoff(n).as_millis()).collect();
        assert_eq!(waits, vec![100, 200, 400, 750, 750, 750]);
        assert_eq!(policy.backoff(u32::MAX), Duration::from_millis(750));
    }

    #[test]
    fn retry_after_seconds_win_and_long_ones_give_up() {
        let policy = RetryPolicy::default();
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "2".parse().expect("header"));
        assert_eq!(
            policy.after_answer(0, false, StatusCode::TOO_MANY_REQUESTS, &headers),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            policy.after_answer(0, false, StatusCode::BAD_REQUEST, &headers),
            None
        );
        headers.insert(RETRY_AFTER, "3600".parse().expect("header"));
        assert_eq!(
            policy.after_answer(0, false, StatusCode::SERVICE_UNAVAILABLE, &headers),
            None
        );
        headers.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().expect("header"),
        );
        let wait = policy
            .after_answer(1, false, StatusCode::BAD_GATEWAY, &headers)
            .expect("backoff applies");
        assert!(wait >= Duration::from_millis(200) && wait <= Duration::from_millis(400));
    }

    #[test]
    fn only_idempotent_methods() {
        assert!(is_idempotent(&Method::GET));
        assert!(is_idempotent(&Method::PUT));
        assert!(is_idempotent(&Method::DELETE));
        assert!(!is_idempotent(&Method::POST));
        assert!(!is_idempotent(&Method::PATCH));
    }
}
