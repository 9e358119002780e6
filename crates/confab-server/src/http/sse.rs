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

use tokio::time::Instant;

use axum::http::HeaderValue;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use confab_store::EventBatch;
use tokio::sync::broadcast::error::RecvError;

use super::error::ApiResult;
use super::events::{MAX_LIMIT, webhook_body};
use crate::app::App;
use crate::stream::StreamSlot;
use crate::stream::reader::{Filter, Reader};
use crate::stream::tail::{Chunk, SharedEvent, Subscription, Tails};

/// How long a client waits before it reconnects.
const RETRY: Duration = Duration::from_millis(3000);
/// How often a quiet stream sends a comment, so proxies do not cut it.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How often a stream checks that its caller is still a member of the company.
const MEMBERSHIP_CHECK: Duration = Duration::from_secs(10);

/// Who reads a stream, as checked again while it is open.
#[derive(Debug, Clone, Copy)]
pub enum StreamAccess {
    /// An API token's user: while a member of the company.
    Member(i64),
    /// An operator's browser: while the session lives and the user is a member.
    Session {
        /// The session's user.
        user_id: i64,
        /// The stored hash of the session id.
        session: confab_store::TokenHash,
    },
}

/// One open stream: where it is in the log, and what is ready to send.
struct Feed {
    app: Arc<App>,
    reader: Reader,
    /// The company's tail: new events, read and rendered once for every stream.
    tail: Subscription,
    /// The last event id sent (or skipped by the filters).
    cursor: i64,
    /// Events read but not yet sent.
    queue: VecDeque<Event>,
    /// Whether the stream has everything up to the tail: then it takes the tail's chunks;
    /// otherwise it reads the store itself (a resume, a reset, a chunk it missed).
    caught_up: bool,
    /// Who the stream is for, checked again every [`MEMBERSHIP_CHECK`]: a member removed
    /// from the company loses their open streams too, and an operator their stream when
    /// their session ends.
    access: StreamAccess,
    /// When membership is checked next.
    next_check: Instant,
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

/// An event of the log; `body` is compact JSON, so one `data:` line.
fn event(id: i64, label: &str, body: String) -> Event {
    Event::default().id(id.to_string()).event(label).data(body)
}

/// What a stream at `cursor` takes of `chunk`: the events after the cursor that pass the
/// filter, and its new cursor; `None` when the chunk starts after the cursor, so events
/// between the two may be missing.
fn past_cursor<'c>(
    cursor: i64,
    filter: &Filter,
    chunk: &'c Chunk,
) -> Option<(Vec<&'c SharedEvent>, i64)> {
    if chunk.after > cursor {
        return None;
    }
    let events = chunk
        .events
        .iter()
        .filter(|e| e.id > cursor && filter.matches(&e.label, e.conversation_id))
        .collect();
    Some((events, cursor.max(chunk.next_after)))
}

impl Feed {
    /// Queues what a read of the store found, and moves the cursor past it.
    fn take(&mut self, batch: EventBatch) {
        if batch.expired {
            self.queue.push_back(head_event("reset", batch.next_after));
        }
        for e in &batch.events {
            let body = webhook_body(&self.app, e).to_string();
            self.queue.push_back(event(e.id, &e.label, body));
        }
        self.cursor = batch.next_after;
        self.caught_up = !batch.has_more;
    }

    /// Queues what a chunk of the tail holds past the cursor; false when the chunk starts
    /// after the cursor (something between may be missing: read the store).
    fn take_chunk(&mut self, chunk: &Chunk) -> bool {
        let Some((events, next)) = past_cursor(self.cursor, self.reader.filter(), chunk) else {
            return false;
        };
        for e in events {
            self.queue.push_back(event(e.id, &e.label, e.body.clone()));
        }
        self.cursor = next;
        true
    }

    /// Whether the caller may still read the stream (a failing store ends the stream too:
    /// the client reconnects and is checked again).
    async fn still_a_member(&mut self) -> bool {
        self.next_check = Instant::now() + MEMBERSHIP_CHECK;
        let company_id = self.reader.company_id();
        let store = &self.app.store;
        let allowed = match self.access {
            StreamAccess::Member(user_id) => store.is_member(company_id, user_id).await,
            StreamAccess::Session { user_id, session } => {
                match store.session(session, self.app.now_ms()).await {
                    Ok(Some(live)) if live.user.id == user_id => {
                        store.is_member(company_id, user_id).await
                    }
                    Ok(_) => Ok(false),
                    Err(e) => Err(e),
                }
            }
        };
        match allowed {
            Ok(allowed) => allowed,
            Err(e) => {
                tracing::warn!(error = %e, "checking a stream's membership failed; ending it");
                false
            }
        }
    }

    /// The next thing to send, or `None` when the stream ends.
    async fn next(mut self) -> Option<(Result<Event, Infallible>, Self)> {
        loop {
            if let Some(event) = self.queue.pop_front() {
                return Some((Ok(event), self));
            }
            if self.reader.closing() {
                return None;
            }
            if !self.caught_up {
                match self.reader.read(Some(self.cursor), MAX_LIMIT).await {
                    Ok(batch) => self.take(batch),
                    Err(e) => {
                        tracing::warn!(error = %e, "reading events for a stream failed; ending it");
                        return None;
                    }
                }
                continue;
            }
            let closing = self.reader.closing_token().clone();
            let chunk = tokio::select! {
                () = closing.cancelled() => return None,
                () = tokio::time::sleep_until(self.next_check) => {
                    if !self.still_a_member().await {
                        return None;
                    }
                    continue;
                }
                chunk = self.tail.chunks.recv() => chunk,
            };
            match chunk {
                // A chunk that does not start at the cursor was read before the stream's
                // own read (which covers it) or after a gap: the store settles which.
                Ok(chunk) => self.caught_up = self.take_chunk(&chunk),
                Err(RecvError::Lagged(_)) => self.caught_up = false,
                Err(RecvError::Closed) => return None,
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
    tails: &Tails,
    access: StreamAccess,
) -> ApiResult<Response> {
    // Subscribed before the first read: whatever the tail publishes from now on reaches
    // this stream, and whatever it published before is in the read.
    let tail = tails.subscribe(&app, reader.company_id(), reader.closing_token());
    let first = reader.read(after, MAX_LIMIT).await?;
    let mut feed = Feed {
        app,
        reader,
        tail,
        cursor: first.next_after,
        queue: VecDeque::from([Event::default().retry(RETRY)]),
        caught_up: false,
        access,
        next_check: Instant::now() + MEMBERSHIP_CHECK,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn shared(id: i64, label: &str, conversation_id: Option<i64>) -> SharedEvent {
        SharedEvent {
            id,
            label: label.to_owned(),
            conversation_id,
            body: format!("{{\"id\":{id}}}"),
        }
    }

    fn chunk(after: i64, next_after: i64) -> Chunk {
        Chunk {
            after,
            next_after,
            events: vec![
                shared(11, "conversation.new", Some(1)),
                shared(12, "message.new", Some(1)),
                shared(14, "message.new", Some(2)),
            ],
        }
    }

    fn ids(taken: &[&SharedEvent]) -> Vec<i64> {
        taken.iter().map(|e| e.id).collect()
    }

    #[test]
    fn a_stream_takes_what_is_past_its_cursor_and_its_filter() {
        let all = Filter::default();
        let (c10, c9) = (chunk(10, 15), chunk(9, 15));
        let (taken, next) = past_cursor(10, &all, &c10).expect("contiguous");
        assert_eq!((ids(&taken), next), (vec![11, 12, 14], 15));
        // A stream that read part of the chunk itself takes only the rest.
        let (taken, next) = past_cursor(12, &all, &c10).expect("overlapping");
        assert_eq!((ids(&taken), next), (vec![14], 15));
        // A stream already past the chunk takes nothing and stays where it is.
        let (taken, next) = past_cursor(20, &all, &c10).expect("behind it");
        assert_eq!((ids(&taken), next), (vec![], 20));
        let messages_of_1 = Filter {
            labels: vec!["message.new".to_owned()],
            conversation_id: Some(1),
        };
        let (taken, next) = past_cursor(10, &messages_of_1, &c9).expect("filtered");
        assert_eq!((ids(&taken), next), (vec![12], 15));
    }

    #[test]
    fn a_chunk_after_the_cursor_sends_the_stream_to_the_store() {
        assert!(past_cursor(9, &Filter::default(), &chunk(10, 15)).is_none());
    }
}
