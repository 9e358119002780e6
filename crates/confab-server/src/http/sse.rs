//! The Server-Sent Events form of the event log (`Accept: text/event-stream`).
//!
//! The wire format, which clients are written against:
//! - first `retry: 3000`;
//! - without a cursor, `event: ready`, `id: <head>`, `data: {"head":"<head>"}`;
//! - each event `id: <id>`, `event: <type>`, `data: <its webhook body, compact JSON>`;
//! - a cursor older than the retention: `event: reset`, `id: <head>`, `data:
//!   {"head":"<head>"}`, and the stream goes on from the head;
//! - a `:` comment every 15 s when nothing else was sent.
//!
//! The stream is polled by the connection itself (no task of its own), so it ends as soon
//! as the client goes away; it also ends when the server begins to shut down, and after a
//! failed read (the client reconnects with its `Last-Event-ID` and loses nothing).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderValue;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use confab_store::EventBatch;

use super::error::ApiResult;
use super::events::{MAX_LIMIT, webhook_body};
use crate::app::App;
use crate::stream::StreamSlot;
use crate::stream::reader::{Reader, Woken};

/// How long a client waits before it reconnects.
const RETRY: Duration = Duration::from_millis(3000);
/// How often a quiet stream sends a comment, so proxies do not cut it.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// One open stream: where it is in the log, and what is ready to send.
struct Feed {
    app: Arc<App>,
    reader: Reader,
    /// The last event id sent (or skipped by the filters).
    cursor: i64,
    /// Events read but not yet sent.
    queue: VecDeque<Event>,
    /// The last read found everything there was: wait for the signal before reading again.
    caught_up: bool,
    /// Held while the stream is open.
    _slot: StreamSlot,
}

/// `ready` or `reset`: the head, as `id:` (so the client holds a cursor at once) and data.
fn head_event(name: &str, head: i64) -> Event {
    Event::default()
        .event(name)
        .id(head.to_string())
        .data(serde_json::json!({ "head": head.to_string() }).to_string())
}

impl Feed {
    /// Queues what a read found, and moves the cursor past it.
    fn take(&mut self, batch: EventBatch) {
        if batch.expired {
            self.queue.push_back(head_event("reset", batch.next_after));
        }
        for event in &batch.events {
            self.queue.push_back(
                Event::default()
                    .id(event.id.to_string())
                    .event(&event.label)
                    // `Value`'s Display is compact JSON: one `data:` line.
                    .data(webhook_body(&self.app, event).to_string()),
            );
        }
        self.cursor = batch.next_after;
        self.caught_up = !batch.has_more;
    }

    /// The next thing to send, or `None` when the stream ends.
    async fn next(mut self) -> Option<(Result<Event, Infallible>, Self)> {
        loop {
            if let Some(event) = self.queue.pop_front() {
                return Some((Ok(event), self));
            }
            if self.caught_up && self.reader.wait(None).await != Woken::Changed {
                return None;
            }
            if self.reader.closing() {
                return None;
            }
            match self.reader.read(Some(self.cursor), MAX_LIMIT).await {
                Ok(batch) => self.take(batch),
                Err(e) => {
                    tracing::warn!(error = %e, "reading events for a stream failed; ending it");
                    return None;
                }
            }
        }
    }
}

/// Starts a stream after `after` (or at the head). The first read happens before the
/// answer, so a failing store is a 500 rather than a stream that ends at once.
pub async fn respond(
    app: Arc<App>,
    mut reader: Reader,
    after: Option<i64>,
    slot: StreamSlot,
) -> ApiResult<Response> {
    let first = reader.read(after, MAX_LIMIT).await?;
    let mut feed = Feed {
        app,
        reader,
        cursor: first.next_after,
        queue: VecDeque::from([Event::default().retry(RETRY)]),
        caught_up: false,
        _slot: slot,
    };
    if after.is_none() {
        feed.queue.push_back(head_event("ready", first.next_after));
        feed.caught_up = true;
    } else {
        feed.take(first);
    }
    let stream = futures_util::stream::unfold(feed, Feed::next);
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response();
    // nginx buffers answers by default, which would hold events back.
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}
