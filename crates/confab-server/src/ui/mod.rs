//! The operator's browser pages: logging in and out, and the inbox ([`inbox`]).
//!
//! These are HTML routes, not the p1 API: they are not in the OpenAPI document, they are
//! authenticated by the session cookie alone (and `/p1` by API tokens alone, so the cookie
//! never authorises an API call a cross-site page could make), and every answer carries
//! the headers in [`security_headers`].

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::{get, post};

use crate::AppState;

pub mod answers;
pub mod assets;
pub mod cookies;
pub mod csrf;
pub mod form;
pub mod inbox;
pub mod login;
pub mod login_limit;
pub mod operator;
pub mod pages;
pub mod session;

/// The paths these pages are served at (not API routes; the OpenAPI route-coverage test
/// leaves them out).
pub const ROUTES: &[&str] = &["/", "/login", "/logout", assets::ROUTE];

/// The pages' routes, each answer with the security headers.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(inbox::home))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route(assets::ROUTE, get(assets::serve))
        .merge(inbox::router())
        .layer(axum::middleware::map_response(security_headers))
}

/// The strict policy of every page: scripts, styles and images from this server only (no
/// inline script or style), forms post only here, and no other site may frame a page.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'; form-action 'self'; \
    base-uri 'none'";

/// Adds the pages' security headers; pages are never cached (they show who is logged in
/// and carry CSRF tokens).
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    // Assets say how long they may be kept; everything else is a page or a fragment.
    let cacheable = headers.contains_key(header::CACHE_CONTROL);
    // A download keeps its own, stricter policy (a sandbox).
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !cacheable {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
