//! `GET /`: for now a placeholder that says who is logged in and offers to log out.
//! PLACEHOLDER: the operator inbox replaces this page; only the redirect of visitors who
//! are not logged in is meant to stay.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::session::{self, Found};
use super::{answers, cookies, pages};
use crate::AppState;

/// The home page of a logged-in operator; anyone else is sent to `/login` (a stale
/// session cookie is removed on the way).
pub async fn show(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match session::find(&state, &headers).await {
        Ok(Found::Live(session)) => answers::html(
            StatusCode::OK,
            pages::home(&session.user.name, &session.csrf_token),
        ),
        Ok(Found::Stale) => answers::with_cookie(
            answers::see_other("/login"),
            cookies::clear(cookies::SESSION, "/", cookies::secure(&state.config)),
        ),
        Ok(Found::None) => answers::see_other("/login"),
        Err(e) => answers::store_failed(&e),
    }
}
