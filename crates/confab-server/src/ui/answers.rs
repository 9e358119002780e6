//! The pages' answers: HTML with a status, redirects, and refusals (HTML too, never the
//! API's JSON errors).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use confab_store::StoreError;
use maud::Markup;

use super::pages;

/// `markup` as an HTML answer with `status`.
pub fn html(status: StatusCode, markup: Markup) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        markup.into_string(),
    )
        .into_response()
}

/// A 303 to `location` (a path of this server): after a form post, the browser GETs it.
pub fn see_other(location: &'static str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, HeaderValue::from_static(location))],
    )
        .into_response()
}

/// A 303 to a path of this server built at run time.
pub fn see_other_to(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response(),
        Err(_) => see_other("/"),
    }
}

/// A 403 for a request without its CSRF token, or from another site. It says no more than
/// that, so a forger learns nothing.
pub fn forbidden() -> Response {
    html(
        StatusCode::FORBIDDEN,
        pages::refused(
            "Request refused",
            "This form has expired or was sent from another site. Go back, reload the \
             page and try again.",
        ),
    )
}

/// A 500 (503 when the database is out of reach) for a store failure, logged here.
pub fn store_failed(error: &StoreError) -> Response {
    tracing::error!(error = %error, "a page could not read or write the store");
    let status = if error.trouble().is_some() {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    html(
        status,
        pages::refused(
            "Something went wrong",
            "The server could not complete this request. Try again in a moment.",
        ),
    )
}

/// Adds a `Set-Cookie` header to `response`.
pub fn with_cookie(mut response: Response, cookie: HeaderValue) -> Response {
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}
