//! `/p1/companies/CID/events`: a company's events as they happen (confab only), as a
//! Server-Sent Events stream that resumes by itself ([`Client::events`]) or by JSON long
//! polling ([`Client::poll_events`]).
//!
//! The events are the webhook events: the same ids (a webhook's `webhook-id` is
//! `evt_<id>`), the same bodies, in the same order, so a consumer can take either or both
//! and deduplicate by id.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::stream::{self, BoxStream};
use futures_util::{Stream, StreamExt};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, Response, StatusCode};
use serde::Deserialize;
use serde_json::Value;

use crate::Client;
use crate::error::{Error, Result};
use crate::retry;

/// How long the stream waits before reconnecting until the server says otherwise with
/// `retry:` (confab says 3 s).
const DEFAULT_RECONNECT: Duration = Duration::from_secs(3);

/// The longest wait between two reconnection attempts while the server stays away.
const MAX_RECONNECT: Duration = Duration::from_secs(30);

/// How much longer than the server's poll `timeout` a long poll may take before the client
/// gives up on it.
const POLL_GRACE: Duration = Duration::from_secs(30);

/// The longest SSE line kept (a webhook body is far smaller): a longer one ends the
/// connection, which is then resumed.
const MAX_LINE: usize = 16 * 1024 * 1024;

/// One event of a company: a webhook event with its id.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Event {
    /// The event's id, the cursor to resume after it (today a decimal number; treat it as
    /// opaque). Its webhook went out with `webhook-id: evt_<id>`.
    pub id: String,
    /// What happened: `message.new`, `message.ack`, `conversation.new`,
    /// `conversation.update`, `conversation.assign` (log only, never a webhook),
    /// `job.executed`, `qr_code.new` or `system`.
    pub event: String,
    /// The webhook body, exactly as the webhook carries it
    /// (`{"type":"message","event":"new","data":{...}}`).
    pub data: Value,
    /// The body's text as the server sent it (SSE only), so it can be passed on byte for
    /// byte.
    #[serde(skip)]
    raw: Option<String>,
}

impl Event {
    /// The body as the server sent it (the same bytes the webhook carries), for forwarding
    /// or signature checks.
    pub fn body(&self) -> Vec<u8> {
        match &self.raw {
            Some(raw) => raw.as_bytes().to_vec(),
            None => serde_json::to_vec(&self.data).unwrap_or_default(),
        }
    }

    /// The `webhook-id` its webhook carries: `evt_<id>`.
    pub fn webhook_id(&self) -> String {
        format!("evt_{}", self.id)
    }
}

/// What an event stream ([`Client::events`]) yields.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StreamEvent {
    /// The stream started with no cursor: it goes on from `head`, the id of the newest
    /// event so far (older events are not sent).
    Ready {
        /// The newest event's id when the stream started.
        head: String,
    },
    /// An event, in order, each once.
    Event(Event),
    /// The cursor was older than the server keeps events: events between it and `head`
    /// are gone, and the stream goes on after `head`. Resynchronise what you keep (list
    /// the conversations and messages again).
    Reset {
        /// The newest event's id when the stream resumed.
        head: String,
    },
    /// The connection broke off (or the server was unavailable); the stream reconnects by
    /// itself after `retry_in` and resumes after the last event seen, so nothing is
    /// missed. For display only: nothing needs doing.
    Reconnecting {
        /// Why the connection ended.
        reason: String,
        /// When the stream tries again.
        retry_in: Duration,
    },
}

/// Which events a stream or a poll asks for, and from where: for [`Client::events_with`]
/// and [`Client::poll_events_with`].
///
/// ```
/// use confab_client::EventOptions;
///
/// let options = EventOptions::new()
///     .after(41)
///     .types(["message.new", "message.ack"])
///     .conversation(7);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventOptions {
    /// Start after this event id; `None` starts at the newest event (the stream) or the
    /// oldest kept (a poll).
    pub after: Option<String>,
    /// Only these event labels (`message.new`, ...); empty for all.
    pub types: Vec<String>,
    /// Only the events of this conversation.
    pub conversation_id: Option<i64>,
}

impl EventOptions {
    /// All events, from now on.
    pub fn new() -> Self {
        Self::default()
    }

    /// Start after event `id`.
    #[must_use]
    pub fn after(mut self, id: impl ToString) -> Self {
        self.after = Some(id.to_string());
        self
    }

    /// Only events with these labels (`message.new`, `conversation.update`, ...).
    #[must_use]
    pub fn types<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.types = types.into_iter().map(Into::into).collect();
        self
    }

    /// Only the events of conversation `id`.
    #[must_use]
    pub fn conversation(mut self, id: i64) -> Self {
        self.conversation_id = Some(id);
        self
    }

    /// The filters as query parameters (the cursor goes separately).
    fn filters(&self) -> Vec<(&'static str, String)> {
        let mut query = Vec::new();
        if !self.types.is_empty() {
            query.push(("types", self.types.join(",")));
        }
        if let Some(id) = self.conversation_id {
            query.push(("conversation_id", id.to_string()));
        }
        query
    }
}

/// One answer of a long poll ([`Client::poll_events`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct EventBatch {
    /// The events after the cursor, oldest first (empty when none came within the timeout).
    pub events: Vec<Event>,
    /// The cursor for the next poll (always present, also when `events` is empty).
    pub next_after: String,
    /// Whether more events are waiting: poll again at once.
    #[serde(default)]
    pub has_more: bool,
}

impl Client {
    /// The events of company `company_id` as they happen, over Server-Sent Events (confab
    /// only): after event `after`, or from now on when `None`.
    ///
    /// The stream reconnects by itself when the connection breaks or the server restarts
    /// (after the delay the server sets with `retry:`, longer while it stays away) and
    /// resumes after the last event it yielded, so every event comes once, in order. It
    /// ends only after an error that another attempt would not cure (a bad token, an
    /// unknown company, a refused parameter), which it yields last.
    ///
    /// ```no_run
    /// use confab_client::StreamEvent;
    /// use futures_util::StreamExt;
    ///
    /// # async fn run(client: confab_client::Client) -> Result<(), confab_client::Error> {
    /// let mut events = client.events(1, None);
    /// while let Some(item) = events.next().await {
    ///     match item? {
    ///         StreamEvent::Event(e) => println!("{} {} {}", e.id, e.event, e.data),
    ///         StreamEvent::Reset { head } => println!("missed events up to {head}: resync"),
    ///         _ => {}
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn events(&self, company_id: i64, after: Option<i64>) -> EventStream {
        let mut options = EventOptions::new();
        options.after = after.map(|id| id.to_string());
        self.events_with(company_id, options)
    }

    /// [`Client::events`] with filters ([`EventOptions`]).
    ///
    /// ```no_run
    /// use confab_client::{EventOptions, StreamEvent};
    /// use futures_util::StreamExt;
    ///
    /// # async fn run(client: confab_client::Client) -> Result<(), confab_client::Error> {
    /// let options = EventOptions::new().types(["message.new"]).conversation(7);
    /// let mut events = client.events_with(1, options);
    /// while let Some(StreamEvent::Event(e)) = events.next().await.transpose()? {
    ///     println!("{}", e.data["data"]["message"]);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn events_with(&self, company_id: i64, options: EventOptions) -> EventStream {
        let state = StreamState {
            client: self.clone(),
            path: format!("companies/{company_id}/events"),
            cursor: options.after.clone(),
            options,
            response: None,
            parser: Parser::default(),
            queue: VecDeque::new(),
            reconnect: DEFAULT_RECONNECT,
            failures: 0,
            wait: None,
            done: false,
        };
        let inner = stream::unfold(state, |mut state| async move {
            let item = state.next().await?;
            Some((item, state))
        })
        .boxed();
        EventStream { inner }
    }

    /// One long poll of company `company_id`'s events (confab only): the events after
    /// `after` (or the oldest kept), at most `limit` (1..500); when there are none yet the
    /// server waits up to `timeout` (at most 25 s) for one.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// # async fn run(client: confab_client::Client) -> Result<(), confab_client::Error> {
    /// let mut after = None;
    /// loop {
    ///     let batch = client.poll_events(1, after, 100, Duration::from_secs(25)).await?;
    ///     for e in &batch.events {
    ///         println!("{} {}", e.id, e.event);
    ///     }
    ///     after = batch.next_after.parse().ok();
    /// }
    /// # }
    /// ```
    ///
    /// # Errors
    /// A 410 ([`Error::is_cursor_expired`]) when `after` is older than the server keeps
    /// events: resynchronise, then poll without a cursor. A 400 naming a refused parameter.
    pub async fn poll_events(
        &self,
        company_id: i64,
        after: Option<i64>,
        limit: u32,
        timeout: Duration,
    ) -> Result<EventBatch> {
        let mut options = EventOptions::new();
        options.after = after.map(|id| id.to_string());
        self.poll_events_with(company_id, &options, limit, timeout)
            .await
    }

    /// [`Client::poll_events`] with filters ([`EventOptions`]).
    ///
    /// # Errors
    /// As [`Client::poll_events`].
    pub async fn poll_events_with(
        &self,
        company_id: i64,
        options: &EventOptions,
        limit: u32,
        timeout: Duration,
    ) -> Result<EventBatch> {
        let mut query = options.filters();
        if let Some(after) = &options.after {
            query.push(("after", after.clone()));
        }
        query.push(("limit", limit.to_string()));
        query.push(("timeout", timeout.as_secs().to_string()));
        let request = self
            .request(Method::GET, &format!("companies/{company_id}/events"))?
            .query(&query)
            .timeout(timeout.saturating_add(POLL_GRACE));
        self.data(request).await
    }
}

impl Error {
    /// Whether a poll's cursor was older than the server keeps events (HTTP 410).
    pub fn is_cursor_expired(&self) -> bool {
        self.status() == Some(410)
    }
}

/// A company's events as they happen: made by [`Client::events`]. A
/// [`futures_util::Stream`] of [`StreamEvent`]s that reconnects by itself.
pub struct EventStream {
    inner: BoxStream<'static, Result<StreamEvent>>,
}

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream").finish_non_exhaustive()
    }
}

impl Stream for EventStream {
    type Item = Result<StreamEvent>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

/// The stream's state between two items.
struct StreamState {
    client: Client,
    path: String,
    options: EventOptions,
    /// The id of the last event (or head) seen: sent as `Last-Event-ID` on reconnection.
    cursor: Option<String>,
    /// The open connection, if any.
    response: Option<Response>,
    parser: Parser,
    /// Items parsed but not yet yielded.
    queue: VecDeque<Result<StreamEvent>>,
    /// The server's `retry:`.
    reconnect: Duration,
    /// Connection attempts that failed in a row.
    failures: u32,
    /// Wait this long before the next connection attempt.
    wait: Option<Duration>,
    done: bool,
}

/// What one connection attempt came to.
enum Connected {
    Open(Response),
    /// Try again after this long, for this reason.
    Retry(Option<Duration>, String),
    /// Give up with this error.
    Fatal(Error),
    /// The server asked the client to stop (204).
    Stop,
}

impl StreamState {
    async fn next(&mut self) -> Option<Result<StreamEvent>> {
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Some(item);
            }
            if self.done {
                return None;
            }
            let Some(response) = self.response.as_mut() else {
                if let Some(wait) = self.wait.take() {
                    tokio::time::sleep(wait).await;
                }
                match self.connect().await {
                    Connected::Open(response) => {
                        self.response = Some(response);
                        self.parser = Parser::default();
                    }
                    Connected::Retry(asked, reason) => {
                        let retry_in = self.backoff(asked);
                        return Some(Ok(self.disconnected(reason, retry_in)));
                    }
                    Connected::Fatal(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                    Connected::Stop => {
                        self.done = true;
                        return None;
                    }
                }
                continue;
            };
            match response.chunk().await {
                Ok(Some(bytes)) => {
                    self.failures = 0;
                    if let Err(reason) = self.parser.feed(&bytes) {
                        self.response = None;
                        let retry_in = self.backoff(None);
                        return Some(Ok(self.disconnected(reason, retry_in)));
                    }
                    while let Some(frame) = self.parser.frames.pop_front() {
                        self.dispatch(frame);
                    }
                }
                Ok(None) => {
                    self.response = None;
                    let retry_in = self.backoff(None);
                    return Some(Ok(
                        self.disconnected("the server closed the stream".to_owned(), retry_in)
                    ));
                }
                Err(e) => {
                    self.response = None;
                    let retry_in = self.backoff(None);
                    return Some(Ok(self.disconnected(e.to_string(), retry_in)));
                }
            }
        }
    }

    /// Schedules the next attempt after a failure and returns how long it waits: the
    /// server's `retry:` (or what it asked for in `Retry-After`), doubled for each further
    /// failure in a row, at most [`MAX_RECONNECT`].
    fn backoff(&mut self, asked: Option<Duration>) -> Duration {
        let base = asked.unwrap_or(self.reconnect);
        let factor = 2u32.saturating_pow(self.failures.min(5));
        let wait = base.saturating_mul(factor).min(MAX_RECONNECT.max(base));
        self.failures = self.failures.saturating_add(1);
        self.wait = Some(wait);
        wait
    }

    fn disconnected(&self, reason: String, retry_in: Duration) -> StreamEvent {
        StreamEvent::Reconnecting { reason, retry_in }
    }

    async fn connect(&self) -> Connected {
        let url = match self.client.url(&self.path) {
            Ok(url) => url,
            Err(e) => return Connected::Fatal(e),
        };
        let mut request = self
            .client
            .transfer(Method::GET, url)
            .header(ACCEPT, "text/event-stream")
            .query(&self.options.filters());
        if let Some(cursor) = &self.cursor {
            match HeaderValue::from_str(cursor) {
                Ok(value) => request = request.header("Last-Event-ID", value),
                Err(_) => {
                    return Connected::Fatal(Error::Config(format!(
                        "event id {cursor:?} is not a valid header value"
                    )));
                }
            }
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) if e.is_builder() => return Connected::Fatal(Error::Transport(e)),
            Err(e) => return Connected::Retry(None, e.to_string()),
        };
        let status = response.status();
        if status == StatusCode::NO_CONTENT {
            return Connected::Stop;
        }
        if status.is_success() {
            let is_sse = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim_start().starts_with("text/event-stream"));
            if is_sse {
                return Connected::Open(response);
            }
            let body = response.bytes().await.unwrap_or_default();
            return Connected::Fatal(Error::decode(
                status.as_u16(),
                "the answer is not an event stream (text/event-stream)",
                &body,
            ));
        }
        if retry::retryable_status(status) || status.is_server_error() {
            let asked = retry::retry_after(response.headers());
            return Connected::Retry(asked, format!("the server answered HTTP {status}"));
        }
        let body = response.bytes().await.unwrap_or_default();
        Connected::Fatal(Error::from_answer(status.as_u16(), &body))
    }

    /// Turns one parsed SSE message into what the consumer sees, and moves the cursor.
    fn dispatch(&mut self, frame: Frame) {
        if let Some(retry) = frame.retry {
            self.reconnect = retry;
        }
        let Some(data) = frame.data else {
            return;
        };
        let head = || -> Option<String> {
            #[derive(Deserialize)]
            struct Head {
                head: Value,
            }
            let parsed: Head = serde_json::from_str(&data).ok()?;
            match parsed.head {
                Value::String(s) => Some(s),
                other => Some(other.to_string()),
            }
        };
        match frame.event.as_deref().unwrap_or("message") {
            "ready" => {
                let head = frame.id.clone().or_else(head).unwrap_or_default();
                self.cursor = Some(head.clone());
                self.queue.push_back(Ok(StreamEvent::Ready { head }));
            }
            "reset" => {
                let head = frame.id.clone().or_else(head).unwrap_or_default();
                self.cursor = Some(head.clone());
                self.queue.push_back(Ok(StreamEvent::Reset { head }));
            }
            label => {
                let Some(id) = frame.id else {
                    self.queue.push_back(Err(Error::decode(
                        200,
                        format!("a {label} event without an id"),
                        data.as_bytes(),
                    )));
                    return;
                };
                // Resumption never repeats an event; should a server do so anyway, the
                // consumer still sees each once.
                if let (Some(seen), Ok(new)) = (
                    self.cursor.as_deref().and_then(|c| c.parse::<i64>().ok()),
                    id.parse::<i64>(),
                ) && new <= seen
                {
                    return;
                }
                self.cursor = Some(id.clone());
                match serde_json::from_str::<Value>(&data) {
                    Ok(value) => self.queue.push_back(Ok(StreamEvent::Event(Event {
                        id,
                        event: label.to_owned(),
                        data: value,
                        raw: Some(data),
                    }))),
                    Err(e) => self.queue.push_back(Err(Error::decode(
                        200,
                        format!("event {id}: {e}"),
                        data.as_bytes(),
                    ))),
                }
            }
        }
    }
}

/// One SSE message: the fields that came before the blank line that ends it.
#[derive(Debug, Default, PartialEq)]
struct Frame {
    id: Option<String>,
    event: Option<String>,
    /// `None` when the message had no `data:` line (only `retry:`, say).
    data: Option<String>,
    retry: Option<Duration>,
}

/// An incremental parser of the `text/event-stream` format (WHATWG HTML §9.2.6).
#[derive(Debug, Default)]
struct Parser {
    /// Bytes of a line not yet ended.
    line: Vec<u8>,
    /// The last chunk ended in `\r`: a `\n` starting the next belongs to it.
    after_cr: bool,
    /// Whether the first line is still to come (a BOM is dropped from it).
    started: bool,
    current: Frame,
    frames: VecDeque<Frame>,
}

impl Parser {
    /// Feeds bytes; complete messages are appended to `frames`.
    fn feed(&mut self, bytes: &[u8]) -> std::result::Result<(), String> {
        for &byte in bytes {
            if self.after_cr {
                self.after_cr = false;
                if byte == b'\n' {
                    continue;
                }
            }
            match byte {
                b'\n' => self.end_line(),
                b'\r' => {
                    self.after_cr = true;
                    self.end_line();
                }
                _ => {
                    if self.line.len() >= MAX_LINE {
                        return Err("an event-stream line is too long".to_owned());
                    }
                    self.line.push(byte);
                }
            }
        }
        Ok(())
    }

    fn end_line(&mut self) {
        let bytes = std::mem::take(&mut self.line);
        let mut line = String::from_utf8_lossy(&bytes).into_owned();
        if !self.started {
            self.started = true;
            if let Some(rest) = line.strip_prefix('\u{feff}') {
                line = rest.to_owned();
            }
        }
        if line.is_empty() {
            let frame = std::mem::take(&mut self.current);
            if frame.data.is_some() || frame.retry.is_some() {
                self.frames.push_back(frame);
            }
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_str(), ""),
        };
        match field {
            "data" => match &mut self.current.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.current.data = Some(value.to_owned()),
            },
            "event" => self.current.event = Some(value.to_owned()),
            "id" if !value.contains('\0') => self.current.id = Some(value.to_owned()),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                if let Ok(ms) = value.parse::<u64>() {
                    self.current.retry = Some(Duration::from_millis(ms));
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(chunks: &[&str]) -> Vec<Frame> {
        let mut parser = Parser::default();
        for chunk in chunks {
            parser.feed(chunk.as_bytes()).unwrap();
        }
        parser.frames.into_iter().collect()
    }

    #[test]
    fn parses_confab_stream_split_anywhere() {
        let text = "retry: 3000\n\nevent: ready\nid: 5\ndata: {\"head\":\"5\"}\n\n: keep-alive\n\n\
                    id: 6\nevent: message.new\ndata: {\"type\":\"message\"}\n\n";
        let whole = parse(&[text]);
        assert_eq!(whole.len(), 3);
        assert_eq!(whole[0].retry, Some(Duration::from_millis(3000)));
        assert_eq!(whole[1].event.as_deref(), Some("ready"));
        assert_eq!(whole[1].id.as_deref(), Some("5"));
        assert_eq!(whole[2].data.as_deref(), Some("{\"type\":\"message\"}"));
        for split in 0..text.len() {
            let (a, b) = text.split_at(split);
            assert_eq!(parse(&[a, b]), whole, "split at {split}");
        }
    }

    #[test]
    fn crlf_cr_multiline_data_and_bom() {
        let frames = parse(&["\u{feff}data: a\r\ndata:b\r", "\nid: 1\r\r", "data\n\n"]);
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0].data.as_deref(), Some("a\nb"));
        assert_eq!(frames[0].id.as_deref(), Some("1"));
        assert_eq!(frames[1].data.as_deref(), Some(""));
    }

    #[test]
    fn dispatch_moves_the_cursor_and_drops_repeats() {
        let mut state = StreamState {
            client: Client::new("http://127.0.0.1:1", "t").unwrap(),
            path: String::new(),
            options: EventOptions::new(),
            cursor: None,
            response: None,
            parser: Parser::default(),
            queue: VecDeque::new(),
            reconnect: DEFAULT_RECONNECT,
            failures: 0,
            wait: None,
            done: false,
        };
        for frame in parse(&[
            "event: ready\nid: 4\ndata: {\"head\":\"4\"}\n\n",
            "id: 5\nevent: message.new\ndata: {\"a\":1}\n\n",
            "id: 5\nevent: message.new\ndata: {\"a\":1}\n\n",
            "event: reset\nid: 9\ndata: {\"head\":\"9\"}\n\n",
        ]) {
            state.dispatch(frame);
        }
        let items: Vec<StreamEvent> = state.queue.drain(..).map(|i| i.unwrap()).collect();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0], StreamEvent::Ready { head: "4".into() });
        match &items[1] {
            StreamEvent::Event(e) => {
                assert_eq!((e.id.as_str(), e.event.as_str()), ("5", "message.new"));
                assert_eq!(e.body(), b"{\"a\":1}");
                assert_eq!(e.webhook_id(), "evt_5");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(items[2], StreamEvent::Reset { head: "9".into() });
        assert_eq!(state.cursor.as_deref(), Some("9"));
    }
}
