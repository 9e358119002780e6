//! `/p1/companies/CID/members`: a company's team. Everyone in it may list it (the assignee
//! picker needs names and ids, never tokens); admins add, re-role and remove members.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, put};
use confab_store::Role;
use confab_wire as wire;
use utoipa::IntoParams;

use super::auth::CompanyScope;
use super::error::{ApiError, ApiResult};
use super::paging::Page;
use super::params::Params;
use super::reply;
use super::schemas::{CompanyPath, OkEnvelope, PageQuery};
use crate::AppState;
use crate::domain::time::iso_millis;

/// The routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/p1/companies/{company_id}/members", get(list).post(add))
        .route(
            "/p1/companies/{company_id}/members/{user_id}",
            put(set_role).delete(remove),
        )
}

/// `{company_id}` and `{user_id}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct MemberPath {
    /// A company the caller is a member of (any other id is a 404).
    #[param(minimum = 1, example = 1)]
    pub company_id: i64,
    /// A member of the company.
    #[param(minimum = 1, example = 1)]
    pub user_id: i64,
}

fn member_json(m: &confab_store::Member) -> wire::Member {
    wire::Member {
        user_id: m.user_id,
        name: m.name.clone(),
        role: m.role,
        added_at: iso_millis(m.added_at_ms),
    }
}

/// The required `role` parameter.
fn role_param(params: &Params) -> ApiResult<Role> {
    let role = params
        .optional_str("role")?
        .ok_or_else(|| ApiError::missing("role"))?;
    Role::parse(&role).ok_or_else(|| ApiError::invalid("role", "must be admin or agent"))
}

/// The company's members, a page at a time, by user id.
#[utoipa::path(
    get,
    path = "/p1/companies/{company_id}/members",
    tag = "members",
    operation_id = "list_members",
    params(CompanyPath, PageQuery),
    responses((status = 200, description = "One page of members", body = OkEnvelope<wire::MemberList>)),
)]
async fn list(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    let page = Page::from_params(&params, format!("members:{}", scope.id()))?;
    let rows = state
        .app
        .store
        .list_members(scope.id(), page.request())
        .await?;
    let (rows, next_page) = page.finish(rows, |m| m.user_id);
    Ok(reply::ok(wire::MemberList {
        members: rows.iter().map(member_json).collect(),
        next_page,
    }))
}

/// Adds an existing user to the company with a role (admins only).
#[utoipa::path(
    post,
    path = "/p1/companies/{company_id}/members",
    tag = "members",
    operation_id = "add_member",
    params(CompanyPath),
    request_body(content(
        (wire::requests::NewMember = "application/x-www-form-urlencoded"),
        (wire::requests::NewMember = "application/json"),
    )),
    responses((status = 200, description = "The new member", body = OkEnvelope<wire::MemberData>)),
)]
async fn add(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    let user_id = params
        .optional_i64("user_id")?
        .ok_or_else(|| ApiError::missing("user_id"))?;
    if user_id < 1 {
        return Err(ApiError::invalid("user_id", "must be a user's id"));
    }
    let role = role_param(&params)?;
    let member = state.app.add_member(scope.id(), user_id, role).await?;
    Ok(reply::ok(wire::MemberData {
        member: member_json(&member),
    }))
}

/// Changes a member's role (admins only); demoting the last admin is a 409.
#[utoipa::path(
    put,
    path = "/p1/companies/{company_id}/members/{user_id}",
    tag = "members",
    operation_id = "set_member_role",
    params(MemberPath),
    request_body(content(
        (wire::requests::MemberRole = "application/x-www-form-urlencoded"),
        (wire::requests::MemberRole = "application/json"),
    )),
    responses(
        (status = 200, description = "The member with the new role", body = OkEnvelope<wire::MemberData>),
        (status = 409, description = "The member is the company's last admin", body = wire::ErrorBody),
    ),
)]
async fn set_role(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    let user_id = params.path_id("user_id", "member")?;
    let role = role_param(&params)?;
    let member = state.app.set_member_role(scope.id(), user_id, role).await?;
    Ok(reply::ok(wire::MemberData {
        member: member_json(&member),
    }))
}

/// Removes a member (admins only): their conversations become unassigned, their token no
/// longer reaches the company. Removing the last admin is a 409.
#[utoipa::path(
    delete,
    path = "/p1/companies/{company_id}/members/{user_id}",
    tag = "members",
    operation_id = "remove_member",
    params(MemberPath),
    responses(
        (status = 200, description = "The removed member, as they were", body = OkEnvelope<wire::MemberData>),
        (status = 409, description = "The member is the company's last admin", body = wire::ErrorBody),
    ),
)]
async fn remove(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    let user_id = params.path_id("user_id", "member")?;
    let member = state.app.remove_member(scope.id(), user_id).await?;
    Ok(reply::ok(wire::MemberData {
        member: member_json(&member),
    }))
}
