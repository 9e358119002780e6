//! `/p1/companies/CID/waba_templates`: a company's WhatsApp Business templates, a page at a
//! time; the same over all the caller's companies (the PHP SDK's path loses the company
//! id); and a sync from the messenger on request.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use confab_store::WabaTemplate;
use confab_wire as wire;

use super::auth::{Caller, CompanyScope};
use super::error::{ApiError, ApiResult};
use super::paging::Page;
use super::params::Params;
use super::reply;
use super::schemas::{CompanyPath, OkEnvelope, PageQuery};
use crate::AppState;
use crate::app::templates::SyncError;

/// The routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/p1/companies/{company_id}/waba_templates", get(list))
        .route("/p1/companies/{company_id}/waba_templates/sync", post(sync))
        .route("/p1/companies/waba_templates", get(list_all))
}

/// A template as p1 shows it.
pub fn template_json(t: &WabaTemplate) -> wire::WabaTemplate {
    wire::WabaTemplate {
        id: t.id,
        company_id: t.company_id,
        name: t.name.clone(),
        waba_id: t.waba_id.clone(),
        body: t.body.clone(),
        substitutions_count: t.substitutions_count,
        position: t.position,
        language: t.language.clone(),
        status: t.status.clone(),
    }
}

fn page_of(rows: &[WabaTemplate], next_page: Option<String>) -> wire::WabaTemplateList {
    wire::WabaTemplateList {
        waba_templates: rows.iter().map(template_json).collect(),
        next_page,
    }
}

/// One page of the company's templates.
async fn company_page(state: &AppState, company_id: i64, params: &Params) -> ApiResult<Response> {
    let page = Page::from_params(params, format!("waba_templates:{company_id}"))?;
    let rows = state
        .app
        .store
        .list_templates(company_id, page.request())
        .await?;
    let (rows, next_page) = page.finish(rows, |t| t.id);
    Ok(reply::ok(page_of(&rows, next_page)))
}

/// The company's WhatsApp Business templates (of its whatsapp_business channel, as last
/// synced or seeded), a page at a time by id.
#[utoipa::path(
    get,
    path = "/p1/companies/{company_id}/waba_templates",
    tag = "templates",
    operation_id = "list_waba_templates",
    params(CompanyPath, PageQuery),
    responses((status = 200, description = "One page of the company's templates", body = OkEnvelope<wire::WabaTemplateList>)),
)]
async fn list(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    company_page(&state, scope.id(), &params).await
}

/// The templates of every company the caller is a member of, a page at a time by id (the
/// PHP SDK's `getWabaTemplates` requests this path, having lost the company id).
#[utoipa::path(
    get,
    path = "/p1/companies/waba_templates",
    tag = "templates",
    operation_id = "list_all_waba_templates",
    params(PageQuery),
    responses((status = 200, description = "One page of the templates of all the caller's companies", body = OkEnvelope<wire::WabaTemplateList>)),
)]
async fn list_all(
    State(state): State<AppState>,
    Caller(user): Caller,
    params: Params,
) -> ApiResult<Response> {
    let page = Page::from_params(&params, format!("member_waba_templates:{}", user.id))?;
    let rows = state
        .app
        .store
        .list_member_templates(user.id, page.request())
        .await?;
    let (rows, next_page) = page.finish(rows, |t| t.id);
    Ok(reply::ok(page_of(&rows, next_page)))
}

/// Syncs the templates of the company's whatsapp_business channel from the messenger now
/// (they are also synced when the channel is created and every hour), then answers the
/// first page of the list, as `GET .../waba_templates` with the same paging parameters
/// would. A sandbox channel has nothing to fetch: its seeded templates stay.
#[utoipa::path(
    post,
    path = "/p1/companies/{company_id}/waba_templates/sync",
    tag = "templates",
    operation_id = "sync_waba_templates",
    params(CompanyPath, PageQuery),
    responses(
        (status = 200, description = "The first page of the company's templates after the sync", body = OkEnvelope<wire::WabaTemplateList>),
        (status = 503, description = "The templates cannot be fetched now (no WhatsApp Business connector, or Meta's Graph API failed); nothing changed", body = confab_wire::ErrorBody),
    ),
)]
async fn sync(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    // Refuse bad paging before fetching anything.
    Page::from_params(&params, String::new())?;
    state
        .app
        .sync_company_templates(state.template_source.as_deref(), scope.id())
        .await
        .map_err(|e| match e {
            SyncError::Unavailable(why) => ApiError::Unavailable(why),
            SyncError::App(e) => e.into(),
        })?;
    company_page(&state, scope.id(), &params).await
}
