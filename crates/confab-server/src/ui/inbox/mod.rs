//! The operator inbox: the conversation list, the open conversation, the composer and the
//! side panel, rendered on the server (maud) and swapped into the page by htmx; a little
//! script of our own (`assets/inbox.js`) follows the company's event stream and asks for
//! the fragments that changed.
//!
//! Every route is under `/c/{company_id}` and needs a live session of a member of that
//! company; state-changing requests also need the session's CSRF token and a same-origin
//! `Origin`.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use confab_store::{Channel, Company, Member, PageRequest};
use std::collections::HashMap;

use super::answers;
use super::operator::{Operator, is_htmx, not_found, session_of};
use crate::AppState;

pub mod actions;
pub mod conversation;
pub mod files;
pub mod list;
pub mod live;
pub mod views;

/// The inbox routes, as matched (for the list of page routes and the limits' exemption of
/// the event stream).
pub const ROUTES: &[&str] = &[
    "/c/{company_id}",
    "/c/{company_id}/list",
    "/c/{company_id}/tabs",
    "/c/{company_id}/rows/{conversation_id}",
    "/c/{company_id}/conversations/{conversation_id}",
    "/c/{company_id}/conversations/{conversation_id}/older",
    "/c/{company_id}/conversations/{conversation_id}/messages",
    "/c/{company_id}/conversations/{conversation_id}/messages/{message_id}",
    "/c/{company_id}/conversations/{conversation_id}/side",
    "/c/{company_id}/conversations/{conversation_id}/assignee",
    "/c/{company_id}/conversations/{conversation_id}/note",
    "/c/{company_id}/files/{attachment_id}",
    live::PATH,
];

/// The inbox's routes.
pub fn router() -> Router<AppState> {
    let c = "/c/{company_id}";
    let conv = "/c/{company_id}/conversations/{conversation_id}";
    Router::new()
        .route(c, get(page))
        .route(&format!("{c}/list"), get(list::list))
        .route(&format!("{c}/tabs"), get(list::tabs))
        .route(&format!("{c}/rows/{{conversation_id}}"), get(list::row))
        .route(conv, get(conversation_page))
        .route(&format!("{conv}/older"), get(conversation::older))
        .route(&format!("{conv}/messages"), post(actions::send))
        .route(
            &format!("{conv}/messages/{{message_id}}"),
            get(conversation::bubble),
        )
        .route(&format!("{conv}/side"), get(conversation::side))
        .route(&format!("{conv}/assignee"), post(actions::assign))
        .route(&format!("{conv}/note"), post(actions::note))
        .route(
            &format!("{c}/files/{{attachment_id}}"),
            get(files::download),
        )
        .route(live::PATH, get(live::stream))
}

/// What the pages show of the company around its conversations: the operator's companies
/// (the switcher), the company's channels (the filter) and members (assignees).
#[derive(Debug, Clone, Default)]
pub struct Directory {
    /// The companies the operator is a member of.
    pub companies: Vec<Company>,
    /// The company's channels.
    pub channels: Vec<Channel>,
    /// The company's members.
    pub members: Vec<Member>,
}

/// The most companies, channels or members a page lists.
const DIRECTORY_LIMIT: u32 = 500;

impl Directory {
    /// Reads the company's members only: all a row or a side panel shows.
    pub async fn members(state: &AppState, op: &Operator) -> Result<Directory, Response> {
        let page = PageRequest {
            after: None,
            descending: false,
            limit: DIRECTORY_LIMIT,
        };
        match state.app.store.list_members(op.company_id(), page).await {
            Ok(members) => Ok(Directory {
                members,
                ..Directory::default()
            }),
            Err(e) => Err(answers::store_failed(&e)),
        }
    }

    /// Reads the company's channels and members (and the operator's companies).
    pub async fn load(state: &AppState, op: &Operator) -> Result<Directory, Response> {
        let page = PageRequest {
            after: None,
            descending: false,
            limit: DIRECTORY_LIMIT,
        };
        let store = &state.app.store;
        let (companies, channels, members) = tokio::join!(
            store.list_companies(op.user_id(), page),
            store.list_channels(op.company_id(), page),
            store.list_members(op.company_id(), page),
        );
        let fail = |e: confab_store::StoreError| answers::store_failed(&e);
        Ok(Directory {
            companies: companies.map_err(fail)?,
            channels: channels.map_err(fail)?,
            members: members.map_err(fail)?,
        })
    }

    /// The name of member `user_id`, if they are one.
    pub fn member_name(&self, user_id: i64) -> Option<&str> {
        self.members
            .iter()
            .find(|m| m.user_id == user_id)
            .map(|m| m.name.as_str())
    }
}

/// A 400 fragment naming the parameter that was wrong.
pub fn bad_param(name: &str, why: &str) -> Response {
    answers::html(
        StatusCode::BAD_REQUEST,
        maud::html! { p.error role="alert" { (name) " " (why) } },
    )
}

/// `GET /`: the operator's first company's inbox (`?company=ID` picks another, as the
/// company switcher does without script); a page that says so when they have none.
pub async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let session = match session_of(&state, &headers).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    if let Some(id) = query.get("company").and_then(|c| c.parse::<i64>().ok()) {
        return answers::see_other_to(&format!("/c/{id}"));
    }
    let page = PageRequest {
        after: None,
        descending: false,
        limit: 1,
    };
    match state.app.store.list_companies(session.user.id, page).await {
        Ok(companies) => match companies.first() {
            Some(company) => answers::see_other_to(&format!("/c/{}", company.id)),
            None => answers::html(
                StatusCode::OK,
                views::no_company(&session.user.name, &session.csrf_token),
            ),
        },
        Err(e) => answers::store_failed(&e),
    }
}

/// `GET /c/{company_id}`: the inbox, with the list the query describes.
pub async fn page(
    State(state): State<AppState>,
    op: Operator,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    whole_page(&state, &op, &query, None).await
}

/// `GET /c/{company_id}/conversations/{conversation_id}`: the conversation's pane for
/// htmx, the whole inbox with it open otherwise (a link opened anew, a reload).
pub async fn conversation_page(
    State(state): State<AppState>,
    op: Operator,
    headers: HeaderMap,
    Path((_, conversation_id)): Path<(i64, i64)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if is_htmx(&headers) {
        return conversation::pane(&state, &op, conversation_id).await;
    }
    whole_page(&state, &op, &query, Some(conversation_id)).await
}

async fn whole_page(
    state: &AppState,
    op: &Operator,
    query: &HashMap<String, String>,
    open: Option<i64>,
) -> Response {
    let params = match list::ListParams::read(query) {
        Ok(p) => p,
        Err((name, why)) => return bad_param(name, &why),
    };
    let directory = match Directory::load(state, op).await {
        Ok(d) => d,
        Err(response) => return response,
    };
    let (rows, more) = match list::load_page(state, op, &params).await {
        Ok(page) => page,
        Err(response) => return response,
    };
    let counts = match state
        .app
        .store
        .count_conversations(op.company_id(), op.user_id(), params.channel)
        .await
    {
        Ok(c) => c,
        Err(e) => return answers::store_failed(&e),
    };
    let pane = match open {
        None => None,
        Some(id) => match conversation::load(state, op, id, None).await {
            Ok(Some(view)) => Some(view),
            Ok(None) => return not_found("conversation"),
            Err(response) => return response,
        },
    };
    answers::html(
        StatusCode::OK,
        views::inbox(op, &directory, &params, &counts, &rows, more, pane.as_ref()),
    )
}
