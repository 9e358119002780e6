//! `GET /c/{company_id}/events`: the company's event stream for the inbox, authenticated
//! by the session cookie (an EventSource cannot send headers), in the same Server-Sent
//! Events form as `/p1/companies/{company_id}/events` (see `http/sse.rs`): the browser
//! resumes after its `Last-Event-ID` when it reconnects, and the script resyncs on a
//! `reset`. The stream ends within seconds of the session's end (logout, expiry, a new
//! password) or the operator's removal from the company.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::http::events::LAST_EVENT_ID;
use crate::http::sse::StreamAccess;
use crate::stream::reader::{Filter, Reader};
use crate::ui::operator::Operator;

/// The route, as matched (the limits middleware exempts it, as the API's stream).
pub const PATH: &str = "/c/{company_id}/events";

/// The cursor: `Last-Event-ID` (a reconnecting EventSource), else `after` (the script
/// reopening a stream the browser gave up on), else none (start at the head).
fn cursor(
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Result<Option<i64>, &'static str> {
    let raw = match headers.get(LAST_EVENT_ID) {
        Some(value) => Some((value.to_str().unwrap_or("x").trim(), LAST_EVENT_ID)),
        None => query.get("after").map(|a| (a.trim(), "after")),
    };
    match raw {
        None | Some(("", "after")) => Ok(None),
        Some((value, name)) => value
            .parse::<i64>()
            .ok()
            .filter(|id| *id >= 0)
            .map(Some)
            .ok_or(name),
    }
}

/// Opens the stream.
pub async fn stream(
    State(state): State<AppState>,
    op: Operator,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let after = match cursor(&headers, &query) {
        Ok(after) => after,
        Err(name) => {
            return super::bad_param(name, "must be the id of the last event received");
        }
    };
    let Some(slot) = state.streams.open() else {
        let mut response =
            (StatusCode::SERVICE_UNAVAILABLE, "too many event streams").into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    };
    let reader = Reader::new(
        state.app.store.clone(),
        op.company_id(),
        Filter::default(),
        state.streams.closing(),
    );
    match crate::http::sse::respond(
        state.app.clone(),
        reader,
        after,
        slot,
        state.streams.tails(),
        StreamAccess::Session {
            user_id: op.user_id(),
            session: op.session.id_hash,
        },
    )
    .await
    {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_comes_from_the_header_then_the_query() {
        let mut headers = HeaderMap::new();
        let mut query = HashMap::new();
        assert_eq!(cursor(&headers, &query), Ok(None));
        query.insert("after".to_owned(), "7".to_owned());
        assert_eq!(cursor(&headers, &query), Ok(Some(7)));
        headers.insert(LAST_EVENT_ID, HeaderValue::from_static("9"));
        assert_eq!(cursor(&headers, &query), Ok(Some(9)));
        headers.insert(LAST_EVENT_ID, HeaderValue::from_static("-1"));
        assert_eq!(cursor(&headers, &query), Err(LAST_EVENT_ID));
        headers.clear();
        query.insert("after".to_owned(), "x".to_owned());
        assert_eq!(cursor(&headers, &query), Err("after"));
    }
}
