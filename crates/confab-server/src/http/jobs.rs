//! `GET /p1/companies/CID/channels/CHID/jobs/ID`: a delivery job.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use confab_wire as wire;

use super::auth::CompanyScope;
use super::error::{ApiError, ApiResult};
use super::params::Params;
use super::reply;
use super::schemas::{JobPath, OkEnvelope};
use crate::AppState;
use crate::render;

/// The routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/p1/companies/{company_id}/channels/{channel_id}/jobs/{job_id}",
        get(show),
    )
}

/// A delivery job: `trying_deliver`, `delivered` (`message_id` set) or `not_delivered`
/// (`details.reason`).
#[utoipa::path(
    get,
    path = "/p1/companies/{company_id}/channels/{channel_id}/jobs/{job_id}",
    tag = "jobs",
    operation_id = "get_job",
    params(JobPath),
    responses((status = 200, description = "The job", body = OkEnvelope<wire::Job>)),
)]
async fn show(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    // Jobs of deleted channels stay readable, so the channel is not required to be live.
    let channel_id = params.path_id("channel_id", "job")?;
    let job_id = params.path_id("job_id", "job")?;
    let job = state
        .app
        .store
        .get_job(scope.id(), channel_id, job_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("job".to_owned()))?;
    Ok(reply::ok(render::job(&job)))
}
