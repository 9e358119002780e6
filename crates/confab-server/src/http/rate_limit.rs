//! Per-token rate limiting: each API token gets `--rate-limit` requests a second with a
//! burst of `--rate-burst`; past that, 429 with `Retry-After`. Requests without a token
//! share one bucket (they are refused with 401 anyway, but cheaply and boundedly).

use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};

use super::auth::{TOKEN_HEADER, TOKEN_QUERY};
use super::error::ApiError;

/// The limiter shared by all requests of a server.
#[derive(Clone)]
pub struct Limiter(Arc<DefaultKeyedRateLimiter<[u8; 32]>>);

impl Limiter {
    /// A limiter of `per_second` with `burst`, or `None` when `per_second` is 0 (off).
    pub fn new(per_second: u32, burst: u32) -> Option<Self> {
        let rate = NonZeroU32::new(per_second)?;
        let burst = NonZeroU32::new(burst.max(per_second)).unwrap_or(rate);
        let quota = Quota::per_second(rate).allow_burst(burst);
        Some(Limiter(Arc::new(RateLimiter::keyed(quota))))
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

/// The middleware.
pub async fn limit(State(limiter): State<Option<Limiter>>, req: Request, next: Next) -> Response {
    let Some(Limiter(limiter)) = limiter else {
        return next.run(req).await;
    };
    match limiter.check_key(&bucket(&req)) {
        Ok(()) => next.run(req).await,
        Err(not_until) => {
            // The limiter's own clock: making a new one runs CPUID, which in a VM traps to
            // the hypervisor and made every refused request dearer than an answered one.
            let wait = not_until.wait_time_from(limiter.clock().now());
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let mut response = ApiError::TooManyRequests(format!(
                "too many requests for this token; retry in {seconds} s"
            ))
            .into_response();
            if let Ok(value) = HeaderValue::from_str(&seconds.max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
    }
}
