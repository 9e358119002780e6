//! The HTTP API: one module per resource, merged here.

use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::trace::TraceLayer;

pub mod attachments;
pub mod auth;
pub mod channels;
pub mod companies;
pub mod conversations;
pub mod error;
pub mod paging;
pub mod params;
pub mod reply;
pub mod sandbox;

use crate::AppState;
use error::ApiError;

/// The whole application router, with its state, before path normalisation.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .merge(companies::router())
        .merge(channels::router())
        .merge(conversations::router())
        .merge(attachments::router())
        .merge(sandbox::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(
            // The span names the matched route, never the raw URI: a query string may
            // carry `private_api_token`.
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let route = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or("unmatched", MatchedPath::as_str);
                    tracing::info_span!("request", method = %req.method(), route)
                })
                .on_response(|res: &Response, latency: Duration, _span: &tracing::Span| {
                    tracing::info!(status = res.status().as_u16(), ?latency, "answered");
                }),
        )
        .with_state(state)
}

async fn healthz() -> Response {
    reply::json(&serde_json::json!({ "status": "ok" }))
}

async fn not_found() -> Response {
    ApiError::NotFound("route".to_owned()).into_response()
}

async fn method_not_allowed() -> Response {
    ApiError::MethodNotAllowed.into_response()
}

/// Collapses runs of `/` and drops one trailing `/`, as the Pact SDKs build paths like
/// `/p1//companies` (PHP) and `/p1/companies/` (Python). Routing happens after this.
pub fn normalize_path(mut req: Request) -> Request {
    let uri = req.uri();
    let path = uri.path();
    if !path.contains("//") && (path.len() <= 1 || !path.ends_with('/')) {
        return req;
    }
    let mut clean = String::with_capacity(path.len());
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        clean.push('/');
        clean.push_str(segment);
    }
    if clean.is_empty() {
        clean.push('/');
    }
    if let Some(query) = uri.query() {
        clean.push('?');
        clean.push_str(query);
    }
    let mut parts = uri.clone().into_parts();
    if let Ok(pq) = clean.parse() {
        parts.path_and_query = Some(pq);
        if let Ok(new_uri) = Uri::from_parts(parts) {
            *req.uri_mut() = new_uri;
        }
    }
    req
}
