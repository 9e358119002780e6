//! `/p1/companies/CID/webhook_deliveries`: the webhook delivery log, and re-sending.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use confab_store::OutboxEvent;
use confab_wire as wire;

use super::auth::CompanyScope;
use super::error::{ApiError, ApiResult};
use super::paging::Page;
use super::params::Params;
use super::reply;
use super::schemas::{CompanyPath, DeliveryPath, OkEnvelope, PageQuery};
use crate::AppState;
use crate::domain::time::iso_millis;

/// The routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/p1/companies/{company_id}/webhook_deliveries", get(list))
        .route(
            "/p1/companies/{company_id}/webhook_deliveries/{delivery_id}/resend",
            post(resend),
        )
}

/// One log entry: the event, its state and the last attempt's outcome.
fn delivery_json(e: &OutboxEvent) -> wire::WebhookDelivery {
    wire::WebhookDelivery {
        id: e.id,
        event: e.label.clone(),
        conversation_id: e.conversation_id,
        state: e.state.clone(),
        attempts: e.attempts,
        last_status: e.last_status,
        last_error: e.last_error.clone(),
        created_at: iso_millis(e.created_at_ms),
        next_attempt_at: (e.state == "pending").then(|| iso_millis(e.next_attempt_at_ms)),
        finished_at: e.finished_at_ms.map(iso_millis),
    }
}

/// The company's webhook delivery log, a page at a time.
#[utoipa::path(
    get,
    path = "/p1/companies/{company_id}/webhook_deliveries",
    tag = "webhooks",
    operation_id = "list_webhook_deliveries",
    params(CompanyPath, PageQuery),
    responses((status = 200, description = "One page of the log", body = OkEnvelope<wire::WebhookDeliveryList>)),
)]
async fn list(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    let page = Page::from_params(&params, format!("webhook_deliveries:{}", scope.id()))?;
    let rows = state
        .app
        .store
        .list_webhook_events(scope.id(), page.request())
        .await?;
    let (rows, next_page) = page.finish(rows, |e| e.id);
    Ok(reply::ok(wire::WebhookDeliveryList {
        webhook_deliveries: rows.iter().map(delivery_json).collect(),
        next_page,
    }))
}

/// Queues the event again as a new delivery (at the end of the company's queue).
#[utoipa::path(
    post,
    path = "/p1/companies/{company_id}/webhook_deliveries/{delivery_id}/resend",
    tag = "webhooks",
    operation_id = "resend_webhook_delivery",
    params(DeliveryPath),
    responses((status = 200, description = "The new, pending delivery", body = OkEnvelope<wire::WebhookDeliveryData>)),
)]
async fn resend(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    let id = params.path_id("delivery_id", "webhook delivery")?;
    let copy = state
        .app
        .store
        .resend_webhook_event(scope.id(), id, state.app.now_ms())
        .await?
        .ok_or_else(|| ApiError::NotFound("webhook delivery".to_owned()))?;
    state.app.webhook_wakeup.wake();
    Ok(reply::ok(wire::WebhookDeliveryData {
        webhook_delivery: delivery_json(&copy),
    }))
}
