//! `GET /p1/companies/{company_id}/events`: the company's event log, the same events the
//! webhooks announce, read live. With `Accept: text/event-stream` it is a Server-Sent
//! Events stream (see [`super::sse`]); otherwise a JSON long poll.
//!
//! Both forms take a cursor (the `Last-Event-ID` header, else `after`), a `types` filter
//! and a `conversation_id` filter; both count under `--max-streams` and are exempt from
//! the request timeout, the concurrency limit and the rate limiter (see `http/mod.rs`): a
//! single 503 or 429 ends a browser's EventSource for good.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use confab_store::{EventBatch, LoggedEvent};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::auth::CompanyScope;
use super::error::{ApiError, ApiResult};
use super::params::Params;
use super::reply;
use super::schemas::{CompanyPath, OkEnvelope};
use crate::AppState;
use crate::app::App;
use crate::stream::reader::{Filter, LABELS, Reader, Woken};

/// The route, as matched (the limits middleware exempts it by this name).
pub const PATH: &str = "/p1/companies/{company_id}/events";

/// The header an EventSource sends its last seen `id:` back in when it reconnects.
pub const LAST_EVENT_ID: &str = "Last-Event-ID";

/// Most events one read (one long poll, one SSE batch) returns.
pub const MAX_LIMIT: u32 = 500;
/// Events a long poll returns when `limit` is not given.
const DEFAULT_LIMIT: u32 = 100;
/// The longest a long poll waits, in seconds: below the usual 30 s of proxies and clients.
const MAX_TIMEOUT_S: u64 = 25;

/// The routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new().route(PATH, get(list))
}

/// Where a reader starts, and which parameter said so (errors about it name that one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// Read events after this id; `None`: start at the head.
    pub after: Option<i64>,
    /// `Last-Event-ID` or `after`.
    pub source: &'static str,
}

/// The cursor of a request: the `Last-Event-ID` header (what an EventSource sends when it
/// reconnects), else `after`, else none.
fn cursor(headers: &HeaderMap, params: &Params) -> ApiResult<Cursor> {
    if let Some(value) = headers.get(LAST_EVENT_ID) {
        let id = value
            .to_str()
            .ok()
            .map(str::trim)
            .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|v| v.parse::<i64>().ok())
            .ok_or_else(|| {
                ApiError::invalid(
                    LAST_EVENT_ID,
                    "must be a non-negative integer: the id of the last event received",
                )
            })?;
        return Ok(Cursor {
            after: Some(id),
            source: LAST_EVENT_ID,
        });
    }
    let after = params.optional_i64("after")?;
    if after.is_some_and(|a| a < 0) {
        return Err(ApiError::invalid_with(
            "after",
            "out_of_range",
            "must be a non-negative integer: an event id or next_after",
        ));
    }
    Ok(Cursor {
        after,
        source: "after",
    })
}

/// The `types` and `conversation_id` filters.
fn filter(params: &Params) -> ApiResult<Filter> {
    let mut labels: Vec<String> = Vec::new();
    if let Some(types) = params.optional_str("types")? {
        for label in types.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if !LABELS.contains(&label) {
                return Err(ApiError::invalid(
                    "types",
                    format!(
                        "{label:?} is not an event type; use a comma-separated list of {}",
                        LABELS.join(", ")
                    ),
                ));
            }
            if !labels.iter().any(|l| l == label) {
                labels.push(label.to_owned());
            }
        }
    }
    let conversation_id = params.optional_i64("conversation_id")?;
    if conversation_id.is_some_and(|id| id < 1) {
        return Err(ApiError::invalid_with(
            "conversation_id",
            "out_of_range",
            "must be a positive conversation id",
        ));
    }
    Ok(Filter {
        labels,
        conversation_id,
    })
}

/// An integer parameter within `min..=max`, or `default`.
fn bounded(params: &Params, name: &str, min: u64, max: u64, default: u64) -> ApiResult<u64> {
    let Some(value) = params.optional_i64(name)? else {
        return Ok(default);
    };
    u64::try_from(value)
        .ok()
        .filter(|v| (min..=max).contains(v))
        .ok_or_else(|| {
            ApiError::invalid_with(
                name,
                "out_of_range",
                format!("must be an integer from {min} to {max}"),
            )
        })
}

/// Whether the client asked for Server-Sent Events.
fn wants_sse(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|range| {
            range
                .split(';')
                .next()
                .is_some_and(|media| media.trim().eq_ignore_ascii_case("text/event-stream"))
        })
}

/// The query parameters of the event log.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Read events after this id (an event's `id`, or `next_after`). Without it (and
    /// without `Last-Event-ID`) reading starts at the newest event: a long poll answers no
    /// events and the head as `next_after`; a stream sends `ready` with the head.
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// Events per long poll answer, 1 to 500 (default 100). A stream reads 500 at a time.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Seconds a long poll waits for an event when there is none yet, 0 to 25 (default 0:
    /// answer at once). Streams ignore it.
    #[param(minimum = 0, maximum = 25)]
    pub timeout: Option<i64>,
    /// Only these event types, comma-separated: `message.new`, `conversation.new`,
    /// `conversation.update`, `conversation.assign` (an assignee set or cleared: in the log
    /// only, never a webhook), `message.ack`, `job.executed`, `qr_code.new`, `system`.
    #[param(example = "message.new,conversation.new")]
    pub types: Option<String>,
    /// Only events about this conversation.
    #[param(minimum = 1)]
    pub conversation_id: Option<i64>,
}

/// One event: its id (the cursor, and the webhook's `webhook-id` as `evt_<id>`), its
/// type, and the exact body its webhook carries.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventItem {
    /// The event id, as a string.
    #[schema(example = "42")]
    pub id: String,
    /// `type.event` of the webhook (`message.new`), or `system`.
    #[schema(example = "message.new")]
    pub event: String,
    /// The webhook body: `{"type":..,"event":..,"data":{..}}`.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// One long poll answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventList {
    /// The events after the cursor, oldest first.
    pub events: Vec<EventItem>,
    /// The cursor to pass as `after` next time; present even when `events` is empty.
    #[schema(example = "42")]
    pub next_after: String,
    /// Whether more events were already there than `limit`: ask again at once.
    pub has_more: bool,
}

/// An event's webhook body, as of now.
pub fn webhook_body(app: &App, event: &LoggedEvent) -> serde_json::Value {
    crate::render::webhook::body(event.company_id, &event.event, app.now_ms())
}

fn event_list(app: &App, batch: EventBatch) -> EventList {
    EventList {
        events: batch
            .events
            .iter()
            .map(|e| EventItem {
                id: e.id.to_string(),
                event: e.label.clone(),
                data: webhook_body(app, e),
            })
            .collect(),
        next_after: batch.next_after.to_string(),
        has_more: batch.has_more,
    }
}

/// The company's events after a cursor: as Server-Sent Events with `Accept:
/// text/event-stream`, otherwise as a JSON long poll.
///
/// **Stream**: first `retry: 3000`; without a cursor `event: ready` with `id:` and
/// `data: {"head":"<id>"}`; then each event as `id: <id>`, `event: <type>`, `data:
/// <webhook body>`; a comment every 15 s; `event: reset` with the head when the cursor is
/// older than `--event-retention` (start over: resync, then read on from the head). A
/// reconnecting EventSource resumes after its `Last-Event-ID`.
///
/// **Long poll**: answers at once when events are there, else waits up to `timeout`
/// seconds for one. Pass `next_after` back as `after`.
#[utoipa::path(
    get,
    path = "/p1/companies/{company_id}/events",
    tag = "events",
    operation_id = "list_events",
    params(
        CompanyPath,
        EventsQuery,
        ("Last-Event-ID" = Option<i64>, Header, minimum = 0,
         description = "The cursor, as an EventSource sends it when it reconnects; wins over `after`"),
    ),
    responses(
        (status = 200, description = "The events after the cursor: the long poll answer, or the \
            event stream (`Accept: text/event-stream`)", content(
            (OkEnvelope<EventList> = "application/json"),
            (String = "text/event-stream"),
        )),
        (status = 410, description = "The cursor is older than `--event-retention`: the events \
            after it are gone (`errors` names `after` with code `cursor_expired`); resync and \
            start again without a cursor", body = confab_wire::ErrorBody),
        (status = 503, description = "`--max-streams` event streams are open, or the server \
            cannot answer now; `Retry-After` says when to retry", body = confab_wire::ErrorBody,
            headers(("Retry-After" = i64, description = "Seconds to wait"))),
    ),
)]
async fn list(
    State(state): State<AppState>,
    scope: CompanyScope,
    headers: HeaderMap,
    params: Params,
) -> ApiResult<Response> {
    let cursor = cursor(&headers, &params)?;
    let filter = filter(&params)?;
    let limit = bounded(
        &params,
        "limit",
        1,
        u64::from(MAX_LIMIT),
        u64::from(DEFAULT_LIMIT),
    )?;
    let timeout = bounded(&params, "timeout", 0, MAX_TIMEOUT_S, 0)?;
    let Some(slot) = state.streams.open() else {
        let mut response = ApiError::Unavailable(format!(
            "{} event streams are open (--max-streams); retry shortly",
            state.config.max_streams
        ))
        .into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return Ok(response);
    };
    let reader = Reader::new(
        state.app.store.clone(),
        scope.id(),
        filter,
        state.streams.closing(),
    );
    if wants_sse(&headers) {
        let tails = state.streams.tails();
        let access = super::sse::StreamAccess::Member(scope.user.id);
        return super::sse::respond(state.app.clone(), reader, cursor.after, slot, tails, access)
            .await;
    }
    let limit = u32::try_from(limit).unwrap_or(DEFAULT_LIMIT);
    let list = long_poll(
        &state.app,
        reader,
        cursor,
        limit,
        Duration::from_secs(timeout),
    )
    .await?;
    drop(slot);
    Ok(reply::ok(list))
}

/// Reads the events after the cursor, waiting up to `timeout` for the first one.
async fn long_poll(
    app: &App,
    mut reader: Reader,
    cursor: Cursor,
    limit: u32,
    timeout: Duration,
) -> ApiResult<EventList> {
    let Some(mut after) = cursor.after else {
        let head = reader.read(None, limit).await?;
        return Ok(event_list(app, head));
    };
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let batch = reader.read(Some(after), limit).await?;
        if batch.expired {
            return Err(ApiError::Gone {
                name: cursor.source.to_owned(),
                code: "cursor_expired",
                detail: format!(
                    "events after {after} are older than the retention (--event-retention) \
                     and gone; resync, then read on from the head ({})",
                    batch.next_after
                ),
            });
        }
        if !batch.events.is_empty() || timeout.is_zero() {
            return Ok(event_list(app, batch));
        }
        // Nothing yet: filtered-out events still move the cursor on.
        after = after.max(batch.next_after);
        match reader.wait(Some(deadline)).await {
            Woken::Changed => {}
            Woken::TimedOut | Woken::Closing => return Ok(event_list(app, batch)),
        }
    }
}
