//! `/healthz`, `/readyz` and `/metrics`: outside `/p1`, for load balancers and Prometheus.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use super::error::ApiError;
use super::reply;
use crate::AppState;

use crate::ops::{self, Heartbeats};

/// `/healthz` alone: the process answers.
pub fn liveness() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz))
}

/// `/readyz` and `/metrics`.
pub fn operations() -> Router<AppState> {
    Router::new()
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// `ok` or `failing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Check {
    /// Works.
    Ok,
    /// Does not.
    Failing,
}

impl Check {
    fn from(ok: bool) -> Self {
        if ok { Check::Ok } else { Check::Failing }
    }
}

/// The `/healthz` answer: `{"status":"ok"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: Check,
}

/// The `/readyz` answer: each part and the whole.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// `ok` when every part is.
    pub status: Check,
    /// The database answers.
    pub database: Check,
    /// The delivery worker went round in the last 30 s.
    pub delivery_worker: Check,
    /// The webhook dispatcher went round in the last 30 s.
    pub webhook_dispatcher: Check,
    /// No write failed for lack of storage in the last 10 s.
    pub storage: Check,
}

/// Liveness: 200 once the server accepts requests.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    operation_id = "healthz",
    security(()),
    responses((status = 200, description = "The process answers", body = Health)),
)]
async fn healthz() -> Response {
    reply::json(&Health { status: Check::Ok })
}

/// Ready when the database answers and both background loops go round.
///
/// With `--admin-listen`, served on that address instead.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    operation_id = "readyz",
    security(()),
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "Not ready: the failing parts say why", body = Readiness),
    ),
)]
async fn readyz(State(state): State<AppState>) -> Response {
    // A load balancer asks often and wants an answer at once: a database that does not
    // answer within a second counts as down.
    let database = tokio::time::timeout(
        std::time::Duration::from_secs(1),
        state.app.store.queue_stats(state.app.now_ms()),
    )
    .await
    .is_ok_and(|stats| stats.is_ok());
    let delivery = Heartbeats::alive(&state.heartbeats.delivery);
    let webhooks = Heartbeats::alive(&state.heartbeats.webhooks);
    let storage = !state.write_health.failing();
    let body = Readiness {
        status: Check::from(database && delivery && webhooks && storage),
        database: Check::from(database),
        delivery_worker: Check::from(delivery),
        webhook_dispatcher: Check::from(webhooks),
        storage: Check::from(storage),
    };
    let mut response = reply::json(&body);
    if body.status != Check::Ok {
        *response.status_mut() = axum::http::StatusCode::SERVICE_UNAVAILABLE;
    }
    response
}

/// Prometheus text: request counts and latencies, and the queues as they are now.
///
/// With `--admin-listen`, served on that address instead.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    operation_id = "metrics",
    security(()),
    responses((
        status = 200,
        description = "Prometheus text exposition format 0.0.4",
        body = String,
        content_type = "text/plain",
    )),
)]
async fn metrics(State(state): State<AppState>) -> Response {
    match state.app.store.queue_stats(state.app.now_ms()).await {
        Ok(stats) => {
            // Gauges are set at scrape time, so they always show the database's truth.
            #[allow(clippy::cast_precision_loss)]
            {
                metrics::gauge!("confab_jobs_pending").set(stats.jobs_pending as f64);
                metrics::gauge!("confab_jobs_oldest_age_seconds")
                    .set(stats.oldest_job_age_ms as f64 / 1000.0);
                metrics::gauge!("confab_webhook_events_pending")
                    .set(stats.webhook_events_pending as f64);
                metrics::gauge!("confab_db_connections_idle").set(stats.db_connections_idle as f64);
                metrics::gauge!("confab_webhook_events_failed")
                    .set(stats.webhook_events_failed as f64);
            }
        }
        Err(e) => return ApiError::from(e).into_response(),
    }
    match state.app.store.intake_stats(state.app.now_ms()).await {
        #[allow(clippy::cast_precision_loss)]
        Ok(intake) => {
            metrics::gauge!("confab_inbound_pending").set(intake.pending as f64);
            metrics::gauge!("confab_inbound_lag_seconds").set(intake.oldest_age_ms as f64 / 1000.0);
            metrics::gauge!("confab_inbound_skipped").set(intake.skipped as f64);
            metrics::gauge!("confab_inbound_failed").set(intake.failed as f64);
        }
        Err(e) => return ApiError::from(e).into_response(),
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        ops::prometheus().render(),
    )
        .into_response()
}
