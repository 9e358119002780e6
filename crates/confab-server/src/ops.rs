//! Operations: Prometheus metrics and liveness of the background workers.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::response::Response;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// A background loop counts as alive when it reported within this long.
pub const STALE_AFTER_MS: i64 = 30_000;

/// When each background loop last went round, in ms of the process's monotonic time (0:
/// not yet). Monotonic rather than the server's clock: liveness is about time that really
/// passed, and a test moving the clock must not make the workers look stalled.
#[derive(Debug, Default)]
pub struct Heartbeats {
    /// The delivery worker.
    pub delivery: AtomicI64,
    /// The webhook dispatcher.
    pub webhooks: AtomicI64,
    /// The intake worker (inbound updates from messengers).
    pub intake: AtomicI64,
    /// The event log's pruner (it goes round every `--event-prune-interval`, so it is
    /// not part of readiness).
    pub event_pruner: AtomicI64,
}

impl Heartbeats {
    /// Records a round of a loop.
    pub fn beat(slot: &AtomicI64) {
        slot.store(monotonic_ms(), Ordering::Relaxed);
    }

    /// Whether the loop behind `slot` went round recently.
    pub fn alive(slot: &AtomicI64) -> bool {
        let last = slot.load(Ordering::Relaxed);
        last > 0 && monotonic_ms() - last < STALE_AFTER_MS
    }
}

/// Milliseconds since the process first asked, from 1 (so 0 keeps meaning "never").
fn monotonic_ms() -> i64 {
    static START: OnceLock<Instant> = OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    i64::try_from(start.elapsed().as_millis())
        .unwrap_or(i64::MAX)
        .saturating_add(1)
}

/// Whether writes are failing for lack of space, for `/readyz`: set by every request
/// answered 507, forgotten once none has been for [`WRITES_FAILING_FOR_MS`].
#[derive(Debug, Default)]
pub struct WriteHealth {
    last_storage_full: AtomicI64,
}

/// How long one storage-full failure keeps `/readyz` failing.
pub const WRITES_FAILING_FOR_MS: i64 = 10_000;

impl WriteHealth {
    /// Records a write refused because storage is full.
    pub fn storage_full(&self) {
        self.last_storage_full
            .store(monotonic_ms(), Ordering::Relaxed);
        metrics::counter!("confab_storage_full_total").increment(1);
    }

    /// Whether a write failed for lack of space recently.
    pub fn failing(&self) -> bool {
        let last = self.last_storage_full.load(Ordering::Relaxed);
        last > 0 && monotonic_ms() - last < WRITES_FAILING_FOR_MS
    }
}

/// Shared liveness, cloned into the state.
pub type SharedHeartbeats = Arc<Heartbeats>;

/// The process's Prometheus recorder. The `metrics` facade has one global recorder per
/// process, so every server in a process (as in the tests) reports into the same one.
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&[
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
            ])
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let handle = recorder.handle();
        // Fails only if another recorder was installed first; ours then just stays empty.
        metrics::set_global_recorder(recorder).ok();
        handle
    })
}

/// The metric handles of one route on one worker thread.
struct RouteMetrics {
    duration: metrics::Histogram,
    /// Request counters by method and status; a route sees only a few of each.
    requests: Vec<(&'static str, u16, metrics::Counter)>,
}

thread_local! {
    /// Handles by route, so an answered request neither builds label strings nor looks
    /// its series up in the recorder's registry. Routes, methods and statuses are all
    /// bounded, so this stays small.
    static ROUTES: RefCell<HashMap<String, RouteMetrics>> = RefCell::default();
}

/// The method as a label: the standard ones by name, any other as `other`, so a client
/// inventing methods cannot grow the number of series without bound.
fn method_label(method: &Method) -> &'static str {
    const STANDARD: [Method; 9] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::HEAD,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    const NAMES: [&str; 9] = [
        "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT", "TRACE",
    ];
    STANDARD
        .iter()
        .zip(NAMES)
        .find(|(m, _)| *m == method)
        .map_or("other", |(_, name)| name)
}

/// Counts every request by route and status, and times it; `inner` answers it.
pub async fn record<F, Fut>(req: Request, inner: F) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Response>,
{
    let route = req.extensions().get::<MatchedPath>().cloned();
    let method = method_label(req.method());
    let started = Instant::now();
    let response = inner(req).await;
    let status = response.status().as_u16();
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    ROUTES.with_borrow_mut(|routes| {
        if !routes.contains_key(route) {
            let duration = metrics::histogram!(
                "confab_http_request_duration_seconds", "route" => route.to_owned()
            );
            routes.insert(
                route.to_owned(),
                RouteMetrics {
                    duration,
                    requests: Vec::new(),
                },
            );
        }
        let Some(metrics) = routes.get_mut(route) else {
            return;
        };
        metrics.duration.record(started.elapsed().as_secs_f64());
        match metrics
            .requests
            .iter()
            .find(|(m, s, _)| *m == method && *s == status)
        {
            Some((_, _, counter)) => counter.increment(1),
            None => {
                let counter = metrics::counter!(
                    "confab_http_requests_total",
                    "method" => method,
                    "route" => route.to_owned(),
                    "status" => status.to_string()
                );
                counter.increment(1);
                metrics.requests.push((method, status, counter));
            }
        }
    });
    response
}
