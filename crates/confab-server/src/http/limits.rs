//! Request limits that protect the server as a whole: how many requests run at once and
//! how long one may take.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use super::error::ApiError;

/// The shared limits of a server.
#[derive(Clone)]
pub struct Limits {
    in_flight: Arc<Semaphore>,
    timeout: Duration,
}

impl Limits {
    /// `max_concurrent` requests at once, each answered within `timeout`.
    pub fn new(max_concurrent: u32, timeout: Duration) -> Self {
        Self {
            in_flight: Arc::new(Semaphore::new(max_concurrent as usize)),
            timeout,
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

/// Refuses a request when too many run, and cuts one that takes too long. Multipart
/// uploads are not timed: a large file on a slow link may rightly take long. `inner`
/// answers the request.
pub async fn enforce<F, Fut>(limits: &Limits, req: Request, inner: F) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Response>,
{
    let Ok(_permit) = limits.in_flight.clone().try_acquire_owned() else {
        return busy("the server is handling as many requests as it may; retry shortly".to_owned());
    };
    let upload = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/")
        });
    if upload {
        return inner(req).await;
    }
    match tokio::time::timeout(limits.timeout, inner(req)).await {
        Ok(response) => response,
        Err(_) => busy(format!(
            "the request took longer than {} s (--request-timeout)",
            limits.timeout.as_secs_f64()
        )),
    }
}
