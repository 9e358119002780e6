//! The logged-in operator of an inbox request, and the company of its path they work in.
//!
//! Anyone not logged in is sent to `/login` (an htmx request is told with `HX-Redirect`,
//! since it would otherwise swap the login page into a corner of the inbox); a company the
//! operator is not a member of is the same 404 as one that does not exist.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use confab_store::Company;

use super::session::{self, BrowserSession, Found};
use super::{answers, cookies, pages};
use crate::AppState;

/// Whether the request was made by htmx (it swaps the answer into the page).
pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

/// The answer to a request without a live session: to the login page.
pub fn to_login(state: &AppState, headers: &HeaderMap, stale: bool) -> Response {
    let mut response = if is_htmx(headers) {
        let mut r = answers::html(
            StatusCode::UNAUTHORIZED,
            pages::refused("Logged out", "Your session has ended. Log in again."),
        );
        r.headers_mut()
            .insert("hx-redirect", HeaderValue::from_static("/login"));
        r
    } else {
        answers::see_other("/login")
    };
    if stale {
        response = answers::with_cookie(
            response,
            cookies::clear(cookies::SESSION, "/", cookies::secure(&state.config)),
        );
    }
    response
}

/// The request's live session, or the answer that sends the browser to log in.
pub async fn session_of(state: &AppState, headers: &HeaderMap) -> Result<BrowserSession, Response> {
    match session::find(state, headers).await {
        Ok(Found::Live(session)) => Ok(session),
        Ok(Found::Stale) => Err(to_login(state, headers, true)),
        Ok(Found::None) => Err(to_login(state, headers, false)),
        Err(e) => Err(answers::store_failed(&e)),
    }
}

/// A logged-in operator and the company of the `{company_id}` path segment, which they
/// are a member of.
#[derive(Debug, Clone)]
pub struct Operator {
    /// The session (its user, and the CSRF token its forms carry).
    pub session: BrowserSession,
    /// The company, as the operator's membership reads it.
    pub company: Company,
}

impl Operator {
    /// The company id.
    pub fn company_id(&self) -> i64 {
        self.company.id
    }

    /// The operator's user id.
    pub fn user_id(&self) -> i64 {
        self.session.user.id
    }
}

/// A 404 page: no such company (or conversation) for this operator.
pub fn not_found(what: &str) -> Response {
    answers::html(
        StatusCode::NOT_FOUND,
        pages::refused("Not found", &format!("There is no such {what} here.")),
    )
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session = session_of(state, &parts.headers).await?;
        let company_id = Path::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .ok()
            .and_then(|Path(segments)| {
                segments
                    .into_iter()
                    .find(|(k, _)| k == "company_id")
                    .and_then(|(_, v)| v.parse::<i64>().ok())
            })
            .filter(|id| *id > 0)
            .ok_or_else(|| not_found("company"))?;
        match state
            .app
            .store
            .member_company(session.user.id, company_id)
            .await
        {
            Ok(Some(company)) => Ok(Operator { session, company }),
            Ok(None) => Err(not_found("company")),
            Err(e) => Err(answers::store_failed(&e)),
        }
    }
}
