//! Operations: Prometheus metrics and liveness of the background workers.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::domain::time::now_ms;

/// A background loop counts as alive when it reported within this long.
pub const STALE_AFTER_MS: i64 = 30_000;

/// When each background loop last went round, unix ms (0: not yet).
#[derive(Debug, Default)]
pub struct Heartbeats {
    /// The delivery worker.
    pub delivery: AtomicI64,
    /// The webhook dispatcher.
    pub webhooks: AtomicI64,
}

impl Heartbeats {
    /// Records a round of a loop.
    pub fn beat(slot: &AtomicI64) {
        slot.store(now_ms(), Ordering::Relaxed);
    }

    /// Whether the loop behind `slot` went round recently.
    pub fn alive(slot: &AtomicI64) -> bool {
        now_ms() - slot.load(Ordering::Relaxed) < STALE_AFTER_MS
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

/// Counts every request by route and status, and times it.
pub async fn record(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().to_string();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("confab_http_requests_total", "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("confab_http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}
