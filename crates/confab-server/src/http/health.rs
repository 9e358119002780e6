//! `/healthz`, `/readyz` and `/metrics`: outside `/p1`, for load balancers and Prometheus.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::error::ApiError;
use super::reply;
use crate::AppState;
use crate::domain::time::now_ms;
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

async fn healthz() -> Response {
    reply::json(&json!({ "status": "ok" }))
}

/// Ready when the database answers and both background loops go round.
async fn readyz(State(state): State<AppState>) -> Response {
    let database = state.store.queue_stats(now_ms()).await;
    let delivery = Heartbeats::alive(&state.heartbeats.delivery);
    let webhooks = Heartbeats::alive(&state.heartbeats.webhooks);
    let word = |ok: bool| if ok { "ok" } else { "failing" };
    let body = json!({
        "status": word(database.is_ok() && delivery && webhooks),
        "database": word(database.is_ok()),
        "delivery_worker": word(delivery),
        "webhook_dispatcher": word(webhooks),
    });
    let mut response = reply::json(&body);
    if body["status"] != "ok" {
        *response.status_mut() = axum::http::StatusCode::SERVICE_UNAVAILABLE;
    }
    response
}

/// Prometheus text: request counts and latencies, and the queues as they are now.
async fn metrics(State(state): State<AppState>) -> Response {
    match state.store.queue_stats(now_ms()).await {
        Ok(stats) => {
            // Gauges are set at scrape time, so they always show the database's truth.
            #[allow(clippy::cast_precision_loss)]
            {
                metrics::gauge!("confab_jobs_pending").set(stats.jobs_pending as f64);
                metrics::gauge!("confab_jobs_oldest_age_seconds")
                    .set(stats.oldest_job_age_ms as f64 / 1000.0);
                metrics::gauge!("confab_webhook_events_pending")
                    .set(stats.webhook_events_pending as f64);
                metrics::gauge!("confab_webhook_events_failed")
                    .set(stats.webhook_events_failed as f64);
            }
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
