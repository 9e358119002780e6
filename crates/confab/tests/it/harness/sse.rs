//! A small Server-Sent Events reader: opens a stream with reqwest and parses its bytes
//! into frames (the lines up to a blank line), as an EventSource would, keeping comments
//! so keep-alives can be seen.

use std::pin::Pin;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use reqwest::RequestBuilder;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// One frame of a stream: the fields up to a blank line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseFrame {
    /// `id:`.
    pub id: Option<String>,
    /// `event:`.
    pub event: Option<String>,
    /// The `data:` lines, joined with `\n`.
    pub data: Option<String>,
    /// `retry:`.
    pub retry: Option<String>,
    /// `:` comment lines, without the colon.
    pub comments: Vec<String>,
}

impl SseFrame {
    /// A frame of comments only: a keep-alive.
    pub fn is_keep_alive(&self) -> bool {
        !self.comments.is_empty()
            && self.id.is_none()
            && self.event.is_none()
            && self.data.is_none()
            && self.retry.is_none()
    }

    /// `data` as JSON (panics if there is none, or it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(self.data.as_deref().expect("a data field")).expect("JSON data")
    }

    /// `id` as an integer.
    pub fn id_num(&self) -> i64 {
        self.id
            .as_deref()
            .expect("an id")
            .parse()
            .expect("a numeric id")
    }
}

type Bytes = Pin<Box<dyn Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>;

/// An open event stream.
pub struct SseStream {
    /// The answer's headers.
    pub headers: HeaderMap,
    body: Bytes,
    buffer: Vec<u8>,
    frame: SseFrame,
    ended: bool,
}

/// What [`SseStream::open`] got instead of a stream: (status, JSON body).
pub type Refused = (u16, Value);

impl SseStream {
    /// Sends `request` with `Accept: text/event-stream`; a 200 is a stream, anything else
    /// comes back as its status and JSON body.
    pub async fn open(request: RequestBuilder) -> Result<Self, Refused> {
        let response = request
            .header("Accept", "text/event-stream")
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        if status != 200 {
            let text = response.text().await.unwrap_or_default();
            return Err((status, serde_json::from_str(&text).unwrap_or(Value::Null)));
        }
        Ok(Self {
            headers: response.headers().clone(),
            body: Box::pin(response.bytes_stream()),
            buffer: Vec::new(),
            frame: SseFrame::default(),
            ended: false,
        })
    }

    /// The next frame within `within`; `None` when none came in time or the stream ended.
    pub async fn next_within(&mut self, within: Duration) -> Option<SseFrame> {
        tokio::time::timeout(within, self.next_frame())
            .await
            .ok()
            .flatten()
    }

    /// The next frame that is not a keep-alive, within `within` in all.
    pub async fn next_event(&mut self, within: Duration) -> Option<SseFrame> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let frame = self.next_within(left).await?;
            if !frame.is_keep_alive() {
                return Some(frame);
            }
        }
    }

    /// Whether the server ended the stream (read to its end within `within`).
    pub async fn ends_within(&mut self, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if self.next_within(left).await.is_none() {
                return self.ended;
            }
        }
    }

    async fn next_frame(&mut self) -> Option<SseFrame> {
        loop {
            while let Some(end) = self.buffer.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buffer.drain(..=end).collect();
                let line = String::from_utf8_lossy(&line);
                let line = line.trim_end_matches(['\n', '\r']);
                if line.is_empty() {
                    let frame = std::mem::take(&mut self.frame);
                    if frame != SseFrame::default() {
                        return Some(frame);
                    }
                    continue;
                }
                self.field(line);
            }
            if self.ended {
                return None;
            }
            match self.body.next().await {
                Some(Ok(chunk)) => self.buffer.extend_from_slice(&chunk),
                Some(Err(_)) | None => {
                    self.ended = true;
                    return None;
                }
            }
        }
    }

    fn field(&mut self, line: &str) {
        if let Some(comment) = line.strip_prefix(':') {
            self.frame.comments.push(comment.trim_start().to_owned());
            return;
        }
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value).to_owned();
        match name {
            "id" => self.frame.id = Some(value),
            "event" => self.frame.event = Some(value),
            "retry" => self.frame.retry = Some(value),
            "data" => {
                self.frame.data = Some(match self.frame.data.take() {
                    Some(before) => format!("{before}\n{value}"),
                    None => value,
                })
            }
            _ => {}
        }
    }
}
