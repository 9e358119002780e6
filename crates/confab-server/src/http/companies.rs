//! `/p1/companies`: list, create, update (and read one, an extension).

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use confab_store::{CompanyPatch, NewCompany};
use confab_wire::limits::{
    MAX_COMPANY_NAME_CHARS, MAX_COMPANY_PHONE_CHARS, MAX_DESCRIPTION_CHARS, MAX_URL_CHARS,
};
use confab_wire::{self as wire, ExternalId, Status};

use super::auth::{Caller, CompanyScope};
use super::error::{ApiError, ApiResult};
use super::paging::Page;
use super::params::Params;
use super::reply;
use super::schemas::{CompanyPath, CreatedEnvelope, OkEnvelope, PageQuery, UpdatedEnvelope};
use crate::AppState;

use crate::net::parse_http_url;
use crate::webhooks;

/// The routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/p1/companies", get(list).post(create))
        .route("/p1/companies/{company_id}", get(show).put(update))
        .route(
            "/p1/companies/{company_id}/webhook_secret/rotate",
            axum::routing::post(rotate_secret),
        )
}

fn company_json(c: &confab_store::Company) -> wire::Company {
    wire::Company {
        external_id: c.id,
        name: c.name.clone(),
        phone: c.phone.clone(),
        description: c.description.clone(),
        webhook_url: c.webhook_url.clone(),
    }
}

/// The caller's companies, a page at a time.
#[utoipa::path(
    get,
    path = "/p1/companies",
    tag = "companies",
    operation_id = "list_companies",
    params(PageQuery),
    responses((status = 200, description = "One page of the caller's companies", body = OkEnvelope<wire::CompanyList>)),
)]
async fn list(
    State(state): State<AppState>,
    Caller(user): Caller,
    params: Params,
) -> ApiResult<Response> {
    let page = Page::from_params(&params, format!("companies:{}", user.id))?;
    let rows = state
        .app
        .store
        .list_companies(user.id, page.request())
        .await?;
    let (rows, next_page) = page.finish(rows, |c| c.id);
    Ok(reply::ok(wire::CompanyList {
        companies: rows.iter().map(company_json).collect(),
        next_page,
    }))
}

/// One company, with the secret its webhooks are signed with (members only; a confab
/// extension).
#[utoipa::path(
    get,
    path = "/p1/companies/{company_id}",
    tag = "companies",
    operation_id = "get_company",
    params(CompanyPath),
    responses((status = 200, description = "The company", body = OkEnvelope<wire::CompanyData>)),
)]
async fn show(scope: CompanyScope) -> ApiResult<Response> {
    let c = &scope.company;
    Ok(reply::ok(wire::CompanyData {
        company: wire::CompanyDetails {
            external_id: c.id,
            name: c.name.clone(),
            phone: c.phone.clone(),
            description: c.description.clone(),
            webhook_url: c.webhook_url.clone(),
            webhook_secret: c.webhook_secret.clone(),
        },
    }))
}

/// Replaces the webhook signing secret; the new one is answered here (and by `show`).
#[utoipa::path(
    post,
    path = "/p1/companies/{company_id}/webhook_secret/rotate",
    tag = "webhooks",
    operation_id = "rotate_webhook_secret",
    params(CompanyPath),
    responses((status = 200, description = "The new secret; the old one signs nothing more", body = OkEnvelope<wire::WebhookSecret>)),
)]
async fn rotate_secret(State(state): State<AppState>, scope: CompanyScope) -> ApiResult<Response> {
    let secret = crate::domain::token::webhook_secret();
    let patch = CompanyPatch {
        webhook_secret: Some(secret.clone()),
        ..CompanyPatch::default()
    };
    state.app.store.update_company(scope.id(), patch).await?;
    Ok(reply::ok(wire::WebhookSecret {
        webhook_secret: secret,
    }))
}

/// An optional free-text field: absent stays `None`; an empty string means "none".
fn optional_text(params: &Params, name: &str, max: usize) -> ApiResult<Option<Option<String>>> {
    Ok(params
        .optional_str_max(name, max)?
        .map(|v| Some(v).filter(|v| !v.trim().is_empty())))
}

/// `webhook_url`: absent, empty (clear), or an http(s) URL.
fn webhook_url(params: &Params) -> ApiResult<Option<Option<String>>> {
    let Some(url) = optional_text(params, "webhook_url", MAX_URL_CHARS)? else {
        return Ok(None);
    };
    if let Some(text) = &url {
        parse_http_url(text).map_err(|why| ApiError::invalid("webhook_url", why))?;
    }
    Ok(Some(url))
}

/// Creates a company; the caller becomes its member. A `webhook_url` is tested first.
#[utoipa::path(
    post,
    path = "/p1/companies",
    tag = "companies",
    operation_id = "create_company",
    request_body(content(
        (wire::requests::NewCompany = "application/x-www-form-urlencoded"),
        (wire::requests::NewCompany = "application/json"),
    )),
    responses((status = 200, description = "The new company's id", body = CreatedEnvelope<ExternalId>)),
)]
async fn create(
    State(state): State<AppState>,
    Caller(user): Caller,
    params: Params,
) -> ApiResult<Response> {
    let name = params.required_text("name", MAX_COMPANY_NAME_CHARS)?;
    let secret = crate::domain::token::webhook_secret();
    let company = NewCompany {
        name,
        phone: optional_text(&params, "phone", MAX_COMPANY_PHONE_CHARS)?.flatten(),
        description: optional_text(&params, "description", MAX_DESCRIPTION_CHARS)?.flatten(),
        webhook_url: webhook_url(&params)?.flatten(),
        webhook_secret: secret.clone(),
    };
    if let Some(url) = &company.webhook_url {
        webhooks::ping(&state.app, url, &secret)
            .await
            .map_err(|why| ApiError::invalid("webhook_url", why))?;
    }
    let company = state
        .app
        .store
        .create_company(user.id, company, state.app.now_ms())
        .await?;
    Ok(reply::envelope(
        Status::Created,
        ExternalId {
            external_id: company.id,
        },
    ))
}

/// Changes the fields given.
#[utoipa::path(
    put,
    path = "/p1/companies/{company_id}",
    tag = "companies",
    operation_id = "update_company",
    params(CompanyPath),
    request_body(content(
        (wire::requests::CompanyUpdate = "application/x-www-form-urlencoded"),
        (wire::requests::CompanyUpdate = "application/json"),
    )),
    responses((status = 200, description = "The company's id", body = UpdatedEnvelope<ExternalId>)),
)]
async fn update(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    let name = match params.optional_str_max("name", MAX_COMPANY_NAME_CHARS)? {
        Some(n) if n.trim().is_empty() => {
            return Err(ApiError::invalid("name", "must not be blank"));
        }
        other => other,
    };
    let patch = CompanyPatch {
        name,
        phone: optional_text(&params, "phone", MAX_COMPANY_PHONE_CHARS)?,
        description: optional_text(&params, "description", MAX_DESCRIPTION_CHARS)?,
        webhook_url: webhook_url(&params)?,
        hidden: params.optional_bool("hidden")?,
        webhook_secret: None,
    };
    if let Some(Some(url)) = &patch.webhook_url {
        webhooks::ping(&state.app, url, &scope.company.webhook_secret)
            .await
            .map_err(|why| ApiError::invalid("webhook_url", why))?;
    }
    state.app.store.update_company(scope.id(), patch).await?;
    Ok(reply::envelope(
        Status::Updated,
        ExternalId {
            external_id: scope.id(),
        },
    ))
}
