//! The HTTP API: one module per resource, merged here.

use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::trace::TraceLayer;

pub mod accept;
pub mod attachments;
pub mod auth;
pub mod channel_signin;
pub mod channels;
pub mod companies;
pub mod conversation_filters;
pub mod conversations;
pub mod error;
pub mod events;
pub mod health;
pub mod hooks;
pub mod idempotency;
pub mod inputs;
pub mod instagram_pages;
pub mod jobs;
pub mod limits;
pub mod members;
pub mod messages;
pub mod openapi;
pub mod paging;
pub mod params;
pub mod rate_limit;
pub mod reply;
pub mod roles;
pub mod sandbox;
pub mod schemas;
pub mod scope;
pub mod service_messages;
pub mod sse;
pub mod waba_templates;
pub mod webhook_deliveries;
pub mod whatsapp_hooks;
pub mod write_first;

use crate::AppState;
use error::ApiError;

/// The whole application router, with its state, before path normalisation. `/readyz`
/// and `/metrics` are in it unless they are served on `--admin-listen`.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(companies::router())
        .merge(channels::router())
        .merge(conversations::router())
        .merge(attachments::router())
        .merge(messages::router())
        .merge(jobs::router())
        .merge(webhook_deliveries::router())
        .merge(members::router())
        .merge(write_first::router())
        .merge(sandbox::router())
        .merge(channel_signin::router())
        .merge(instagram_pages::router())
        .merge(service_messages::router())
        .merge(waba_templates::router())
        // Inside `negotiate`: a 406 is answered before a key is claimed, and a replay is
        // negotiated as its first answer was.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idempotency::guard,
        ))
        .layer(axum::middleware::from_fn(accept::negotiate))
        .layer(axum::middleware::from_fn_with_state(
            state.limiter.clone(),
            rate_limit::limit,
        ));
    let mut app = Router::new()
        .merge(health::liveness())
        .merge(openapi::router())
        .route(crate::render::MISSING_AVATAR, get(missing_avatar))
        // Outside `api`: event streams are exempt from the rate limiter.
        .merge(events::router())
        // Outside `api`: messengers carry no API token, and their bursts are not a client's.
        .merge(hooks::router())
        .merge(whatsapp_hooks::router())
        // Outside `api`: the operator's pages are authenticated by their session cookie,
        // never by an API token, and answer HTML.
        .merge(crate::ui::router())
        .merge(api);
    if state.config.admin_listen.is_none() {
        app = app.merge(health::operations());
    }
    app.fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            (
                limits::Limits::from_config(&state.config),
                state.write_health.clone(),
            ),
            around,
        ))
        .layer(
            // The span names the matched route, never the raw URI: a query string may
            // carry `private_api_token`.
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let route = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or("unmatched", MatchedPath::as_str);
                    tracing::debug_span!("request", method = %req.method(), route)
                })
                // One line per request at debug (as tower-http does by default): at
                // info it cost a formatted write to stderr on every request.
                .on_response(|res: &Response, latency: Duration, _span: &tracing::Span| {
                    tracing::debug!(status = res.status().as_u16(), ?latency, "answered");
                }),
        )
        .with_state(state)
}

/// Around every request, outermost first: metrics and the limits. One middleware rather
/// than two, because each layer clones the boxed router and boxes a future per request.
/// (The webhook dispatcher is woken by the operations that record events, in `app/`.)
///
/// Event streams are exempt from the limits: they stay open for minutes to hours, and a
/// single 503 ends a browser's EventSource for good. `--max-streams` bounds them instead.
async fn around(
    axum::extract::State((limits, writes)): axum::extract::State<(
        limits::Limits,
        std::sync::Arc<crate::ops::WriteHealth>,
    )>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let stream = req.extensions().get::<MatchedPath>().is_some_and(|path| {
        path.as_str() == events::PATH || path.as_str() == crate::ui::inbox::live::PATH
    });
    let response = crate::ops::record(req, |req| async move {
        if stream {
            next.run(req).await
        } else {
            limits::enforce(&limits, req, |req| next.run(req)).await
        }
    })
    .await;
    if response.status() == axum::http::StatusCode::INSUFFICIENT_STORAGE {
        writes.storage_full();
    }
    response
}

/// A 1x1 transparent PNG, so the placeholder `avatar` of every conversation resolves.
pub(crate) const MISSING_AVATAR_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

/// The placeholder avatar of contacts without one: a 1x1 transparent PNG.
#[utoipa::path(
    get,
    path = "/avatars/original/missing.png",
    tag = "operations",
    operation_id = "missing_avatar",
    security(()),
    responses((status = 200, description = "A 1x1 transparent PNG", body = inline(schemas::Binary), content_type = "image/png")),
)]
async fn missing_avatar() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "image/png")],
        MISSING_AVATAR_PNG,
    )
        .into_response()
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

/// The admin router for `--admin-listen`: health, readiness and metrics only.
pub fn admin_router(state: AppState) -> Router {
    Router::new()
        .merge(health::liveness())
        .merge(health::operations())
        .fallback(not_found)
        .with_state(state)
}
