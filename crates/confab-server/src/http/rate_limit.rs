//! Per-token limits: each API token gets `--rate-limit` requests a second with a burst of
//! `--rate-burst`, and at most `--max-requests-per-token` in flight at once (so one token's
//! slow uploads or requests cannot take every slot); past either, 429 with `Retry-After`.
//! Requests without a token share one bucket (they are refused with 401 anyway, but
//! cheaply and boundedly).

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};

use super::auth::{TOKEN_HEADER, TOKEN_QUERY};
use super::error::ApiError;

/// The per-token limits shared by all requests of a server: the rate (`--rate-limit`,
/// `--rate-burst`) and the requests in flight at once (`--max-requests-per-token`).
#[derive(Clone, Default)]
pub struct Limiter {
    rate: Option<Arc<DefaultKeyedRateLimiter<[u8; 32]>>>,
    in_flight: Option<Arc<InFlight>>,
}

impl Limiter {
    /// A limiter of `per_second` with `burst` (no rate limit when `per_second` is 0), and
    /// at most `max_in_flight` requests at once per token (no cap when 0).
    pub fn new(per_second: u32, burst: u32, max_in_flight: u32) -> Self {
        let rate = NonZeroU32::new(per_second).map(|rate| {
            let burst = NonZeroU32::new(burst.max(per_second)).unwrap_or(rate);
            let quota = Quota::per_second(rate).allow_burst(burst);
            Arc::new(RateLimiter::keyed(quota))
        });
        let in_flight = (max_in_flight > 0).then(|| {
            Arc::new(InFlight {
                max: max_in_flight,
                counts: Mutex::new(HashMap::new()),
            })
        });
        Limiter { rate, in_flight }
    }
}

/// The requests each token has in flight.
struct InFlight {
    max: u32,
    counts: Mutex<HashMap<[u8; 32], u32>>,
}

impl InFlight {
    fn counts(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], u32>> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A slot for one more request of `bucket`, or `None` when it has `max` in flight.
    fn enter(self: &Arc<Self>, bucket: [u8; 32]) -> Option<Slot> {
        let mut counts = self.counts();
        let count = counts.entry(bucket).or_insert(0);
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(Slot {
            in_flight: self.clone(),
            bucket,
        })
    }
}

/// One request of a token in flight, until dropped.
struct Slot {
    in_flight: Arc<InFlight>,
    bucket: [u8; 32],
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.in_flight.counts();
        if let Some(count) = counts.get_mut(&self.bucket) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.bucket);
            }
        }
    }
}

/// The bucket of a request: a hash of its token (so tokens are not kept in memory).
fn bucket(req: &Request) -> [u8; 32] {
    let token = req
        .headers()
        .get(TOKEN_HEADER)
        .map(|v| v.as_bytes().to_vec())
        .or_else(|| {
            let query = req.uri().query()?;
            form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == TOKEN_QUERY)
                .map(|(_, v)| v.as_bytes().to_vec())
        })
        .unwrap_or_default();
    Sha256::digest(&token).into()
}

/// The middleware: the rate first (a refused request costs no slot), then the slots.
pub async fn limit(State(limiter): State<Limiter>, req: Request, next: Next) -> Response {
    if limiter.rate.is_none() && limiter.in_flight.is_none() {
        return next.run(req).await;
    }
    let bucket = bucket(&req);
    if let Some(rate) = &limiter.rate
        && let Err(not_until) = rate.check_key(&bucket)
    {
        // The limiter's own clock: making a new one runs CPUID, which in a VM traps to
        // the hypervisor and made every refused request dearer than an answered one.
        let wait = not_until.wait_time_from(rate.clock().now());
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        return too_many(
            format!("too many requests for this token; retry in {seconds} s"),
            seconds,
        );
    }
    let _slot = match &limiter.in_flight {
        Some(in_flight) => match in_flight.enter(bucket) {
            Some(slot) => Some(slot),
            None => {
                metrics::counter!("confab_token_concurrency_refused_total").increment(1);
                return too_many(
                    format!(
                        "this token already has {} requests in flight \
                         (--max-requests-per-token); retry when one finishes",
                        in_flight.max
                    ),
                    1,
                );
            }
        },
        None => None,
    };
    next.run(req).await
}

/// A 429 with `Retry-After: seconds` (at least 1).
fn too_many(message: String, seconds: u64) -> Response {
    let mut response = ApiError::TooManyRequests(message).into_response();
    if let Ok(value) = HeaderValue::from_str(&seconds.max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}
