//! The public values of the Telegram fake: what a customer sends, what a bot sent,
//! and the misbehaviour a test can switch on.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use bytes::Bytes;

/// A Telegram user writing to a bot in a private chat (the chat id is the user id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    /// The user's id, which is also the private chat's id.
    pub chat_id: i64,
    /// `first_name` of the user and of the chat.
    pub first_name: String,
    /// Optional `last_name`.
    pub last_name: Option<String>,
    /// Optional `username` (without `@`).
    pub username: Option<String>,
}

impl Customer {
    /// A customer with only a first name.
    pub fn new(chat_id: i64, first_name: impl Into<String>) -> Self {
        Self {
            chat_id,
            first_name: first_name.into(),
            last_name: None,
            username: None,
        }
    }
}

/// What a customer sends: the content of an incoming `message` update.
#[derive(Debug, Clone)]
pub enum Content {
    /// A text message (`message.text`).
    Text(String),
    /// A photo: `message.photo` is three `PhotoSize`s, smallest first; the largest
    /// downloads `bytes`, the smaller ones some other (thumbnail) bytes.
    Photo {
        /// The full-size image.
        bytes: Bytes,
        /// Optional `caption`.
        caption: Option<String>,
    },
    /// A file (`message.document`).
    Document {
        /// The file's content.
        bytes: Bytes,
        /// `document.file_name`.
        file_name: String,
        /// `document.mime_type`.
        mime_type: String,
        /// Optional `caption`.
        caption: Option<String>,
    },
    /// A voice note (`message.voice`).
    Voice {
        /// The audio.
        bytes: Bytes,
        /// `voice.mime_type`, usually `audio/ogg`.
        mime_type: String,
    },
    /// A music file (`message.audio`).
    Audio {
        /// The audio.
        bytes: Bytes,
        /// Optional `audio.file_name`.
        file_name: Option<String>,
        /// `audio.mime_type`.
        mime_type: String,
        /// Optional `caption`.
        caption: Option<String>,
    },
    /// A video (`message.video`).
    Video {
        /// The video.
        bytes: Bytes,
        /// `video.mime_type`.
        mime_type: String,
        /// Optional `caption`.
        caption: Option<String>,
    },
    /// A sticker (`message.sticker`, a static `.webp`).
    Sticker {
        /// The sticker image.
        bytes: Bytes,
    },
}

impl Content {
    /// A text message.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }
}

/// A failure [`FakeTelegram::fail_next`](super::FakeTelegram::fail_next) makes a call
/// answer instead of its normal result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// 429 `Too Many Requests: retry after N` with `parameters.retry_after`.
    TooManyRequests {
        /// Seconds, in the description and in `parameters.retry_after`.
        retry_after: u64,
    },
    /// 401 `Unauthorized`.
    Unauthorized,
    /// 502 `Bad Gateway`.
    ServerError,
    /// The call waits this long, then answers normally.
    Slow(Duration),
    /// 400 `Bad Request: chat not found`.
    ChatNotFound,
    /// Any other error: `error_code` (also the HTTP status) and `description`.
    Other {
        /// `error_code` and HTTP status.
        code: u16,
        /// `description`, e.g. `Bad Request: message to be replied not found`.
        description: String,
    },
}

/// A file a bot uploaded with multipart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentFile {
    /// The multipart field: `photo`, `document`, `voice`, `audio`, `video` or `sticker`.
    pub field: String,
    /// The part's file name, if it had one.
    pub file_name: Option<String>,
    /// The part's `Content-Type`, if it had one.
    pub mime_type: Option<String>,
    /// The uploaded bytes.
    pub bytes: Bytes,
}

/// A message a bot sent successfully (a `send*` call answered `ok:true`).
#[derive(Debug, Clone)]
pub struct Sent {
    /// The method in its canonical spelling (`sendMessage`, `sendPhoto`, …), whatever
    /// case the client used.
    pub method: String,
    /// The target chat.
    pub chat_id: i64,
    /// `text` for `sendMessage`, `caption` for media.
    pub text: Option<String>,
    /// `parse_mode`, if given.
    pub parse_mode: Option<String>,
    /// `reply_to_message_id` or `reply_parameters.message_id`, if given.
    pub reply_to_message_id: Option<i64>,
    /// The uploaded file, for a multipart upload.
    pub file: Option<SentFile>,
    /// The file field's value when it was a string (a URL or a `file_id`) instead
    /// of an upload.
    pub by_url: Option<String>,
    /// The `message_id` the fake answered with.
    pub message_id: i64,
    /// When the fake accepted the call.
    pub at: Instant,
    /// Every non-file parameter as text (JSON values rendered as JSON).
    pub params: BTreeMap<String, String>,
}

/// The limits enforced by [`FakeTelegram::rate_limits`](super::FakeTelegram::rate_limits),
/// over a sliding window of one second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Messages to one chat per second (Telegram: 1).
    pub per_chat_per_second: usize,
    /// Messages per bot per second (Telegram: 30).
    pub per_bot_per_second: usize,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            per_chat_per_second: 1,
            per_bot_per_second: 30,
        }
    }
}

/// Settings of a [`FakeTelegram`](super::FakeTelegram).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// How long a failed webhook push waits before the next try (default 200 ms).
    pub webhook_retry_delay: Duration,
    /// How long a webhook push may take before it counts as failed (default 10 s).
    pub webhook_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            webhook_retry_delay: Duration::from_millis(200),
            webhook_timeout: Duration::from_secs(10),
        }
    }
}

/// A control call the fake could not do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FakeError {
    /// No bot with this token was added.
    UnknownBot(String),
    /// A raw update must be a JSON object.
    NotAnObject,
}

impl fmt::Display for FakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownBot(token) => write!(f, "no bot with token {token} was added"),
            Self::NotAnObject => f.write_str("a raw update must be a JSON object"),
        }
    }
}

impl std::error::Error for FakeError {}
