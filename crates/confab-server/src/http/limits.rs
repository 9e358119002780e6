//! Request limits that protect the server as a whole: how many requests run at once and
//! how long one may take. Multipart uploads have a pool and a deadline of their own: a
//! large file on a slow link may rightly take minutes, but slow uploads must never take
//! the slots every other request needs.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use super::error::ApiError;
use crate::Config;

/// The shared limits of a server.
#[derive(Clone)]
pub struct Limits {
    in_flight: Arc<Semaphore>,
    timeout: Duration,
    uploads: Arc<Semaphore>,
    upload_timeout: Duration,
}

impl Limits {
    /// `max_concurrent` requests at once, each answered within `timeout`; uploads as
    /// generous as the defaults (256 at once, 10 minutes each).
    pub fn new(max_concurrent: u32, timeout: Duration) -> Self {
        Self {
            in_flight: Arc::new(Semaphore::new(max_concurrent as usize)),
            timeout,
            uploads: Arc::new(Semaphore::new(256)),
            upload_timeout: Duration::from_secs(600),
        }
    }

    /// The limits `config` sets: `--max-concurrent-requests`, `--request-timeout`,
    /// `--max-concurrent-uploads` and `--upload-timeout`.
    pub fn from_config(config: &Config) -> Self {
        Self {
            uploads: Arc::new(Semaphore::new(config.max_concurrent_uploads as usize)),
            upload_timeout: config.upload_timeout,
            ..Self::new(config.max_concurrent_requests, config.request_timeout)
        }
    }
}

fn busy(message: String) -> Response {
    let mut response = ApiError::Unavailable(message).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// Whether a request is a multipart upload.
fn is_upload(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .get(..10)
                .is_some_and(|p| p.eq_ignore_ascii_case("multipart/"))
        })
}

/// Refuses a request when too many run, and cuts one that takes too long. A multipart
/// upload takes a slot of the upload pool instead (`--max-concurrent-uploads`) and is cut
/// after `--upload-timeout` with 408. `inner` answers the request.
pub async fn enforce<F, Fut>(limits: &Limits, req: Request, inner: F) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Response>,
{
    if is_upload(&req) {
        let Ok(_permit) = limits.uploads.clone().try_acquire_owned() else {
            return busy(
                "the server is receiving as many uploads as it may (--max-concurrent-uploads); \
                 retry shortly"
                    .to_owned(),
            );
        };
        return match tokio::time::timeout(limits.upload_timeout, inner(req)).await {
            Ok(response) => response,
            Err(_) => {
                let mut response = ApiError::BadRequest(format!(
                    "the upload took longer than {} s (--upload-timeout)",
                    limits.upload_timeout.as_secs_f64()
                ))
                .into_response();
                *response.status_mut() = StatusCode::REQUEST_TIMEOUT;
                // The rest of the body is not read: the connection cannot carry another
                // request.
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
                response
            }
        };
    }
    let Ok(_permit) = limits.in_flight.clone().try_acquire_owned() else {
        return busy("the server is handling as many requests as it may; retry shortly".to_owned());
    };
    match tokio::time::timeout(limits.timeout, inner(req)).await {
        Ok(response) => response,
        Err(_) => busy(format!(
            "the request took longer than {} s (--request-timeout)",
            limits.timeout.as_secs_f64()
        )),
    }
}
