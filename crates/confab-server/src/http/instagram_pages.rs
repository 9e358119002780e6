//! `enable_page_instagram`: the second step of an `instagram_business` channel, choosing
//! the Instagram business account (a page of the creation answer) and how far back to
//! synchronise. Pact leaves its method undocumented: GET, POST and PUT all work.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use confab_wire::signin::InstagramPage;
use confab_wire::{ExternalId, Provider};
use serde_json::{Map, Value};

use super::auth::CompanyScope;
use super::error::{ApiError, ApiResult};
use super::params::Params;
use super::reply;
use super::schemas::{ChannelPath, OkEnvelope};
use super::scope::scoped_channel;
use crate::AppState;

/// The `sync_period` values Pact names.
const SYNC_PERIODS: &[&str] = &["day", "week", "month", "all"];

/// The routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/p1/companies/{company_id}/channels/{channel_id}/enable_page_instagram",
        get(enable_get).post(enable_post).put(enable_put),
    )
}

/// Enables page `page_id` (a positive integer) on the channel with `sync_period` (`day`,
/// `week`, `month` or `all`); both are stored as channel settings.
async fn enable(state: AppState, scope: CompanyScope, params: Params) -> ApiResult<Response> {
    let channel = scoped_channel(&state, &scope, &params).await?;
    if channel.provider != Provider::InstagramBusiness {
        return Err(ApiError::invalid(
            "channel_id",
            format!(
                "is a {} channel; enable_page_instagram is for instagram_business channels",
                channel.provider
            ),
        ));
    }
    let page_id = params.optional_i64("page_id")?.ok_or_else(|| {
        ApiError::missing("page_id")
            .with_detail("is required: the id of a page of the channel's creation answer")
    })?;
    if page_id < 1 {
        return Err(ApiError::invalid_with(
            "page_id",
            "out_of_range",
            "must be a positive page id",
        ));
    }
    let period = params.optional_str_max("sync_period", 16)?.ok_or_else(|| {
        ApiError::missing("sync_period").with_detail("is required: day, week, month or all")
    })?;
    if !SYNC_PERIODS.contains(&period.as_str()) {
        return Err(ApiError::invalid(
            "sync_period",
            "must be day, week, month or all",
        ));
    }
    let mut settings = Map::new();
    settings.insert("page_id".to_owned(), Value::from(page_id));
    settings.insert("sync_period".to_owned(), Value::from(period));
    if !state
        .app
        .store
        .update_channel_settings(scope.id(), channel.id, settings)
        .await?
    {
        return Err(ApiError::NotFound("channel".to_owned()));
    }
    Ok(reply::ok(ExternalId {
        external_id: channel.id,
    }))
}

/// [`enable`] by POST, as the digest recommends.
#[utoipa::path(
    post,
    path = "/p1/companies/{company_id}/channels/{channel_id}/enable_page_instagram",
    tag = "channels",
    operation_id = "enable_page_instagram",
    params(ChannelPath),
    request_body(content(
        (InstagramPage = "application/x-www-form-urlencoded"),
        (InstagramPage = "application/json"),
    )),
    responses((status = 200, description = "The channel's id", body = OkEnvelope<ExternalId>)),
)]
async fn enable_post(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    enable(state, scope, params).await
}

/// [`enable`] by GET, parameters in the query (as Pact's docs write the URL).
#[utoipa::path(
    get,
    path = "/p1/companies/{company_id}/channels/{channel_id}/enable_page_instagram",
    tag = "channels",
    operation_id = "enable_page_instagram_get",
    params(ChannelPath, ("page_id" = i64, Query, description = "The page"), ("sync_period" = String, Query, description = "day, week, month or all")),
    responses((status = 200, description = "The channel's id", body = OkEnvelope<ExternalId>)),
)]
async fn enable_get(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    enable(state, scope, params).await
}

/// [`enable`] by PUT.
#[utoipa::path(
    put,
    path = "/p1/companies/{company_id}/channels/{channel_id}/enable_page_instagram",
    tag = "channels",
    operation_id = "enable_page_instagram_put",
    params(ChannelPath),
    request_body(content(
        (InstagramPage = "application/x-www-form-urlencoded"),
        (InstagramPage = "application/json"),
    )),
    responses((status = 200, description = "The channel's id", body = OkEnvelope<ExternalId>)),
)]
async fn enable_put(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    enable(state, scope, params).await
}
