//! The send methods, `getFile` and file downloads.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::messages::{MediaKind, media_object, media_value, unix_now};
use super::params::Params;
use super::routes::Reply;
use super::state::{Bot, Shared, State};
use super::types::{RateLimits, Sent, SentFile};

/// The largest file a bot may upload (other than photos, 10 MB in Telegram, not checked).
const MAX_UPLOAD: usize = 50 * 1024 * 1024;
/// The largest file `getFile` hands out.
const MAX_DOWNLOAD: usize = 20 * 1024 * 1024;
const MAX_TEXT: usize = 4096;
const MAX_CAPTION: usize = 1024;

/// What a send call carries besides the chat.
struct Outgoing {
    method: &'static str,
    fields: Map<String, Value>,
    text: Option<String>,
    file: Option<SentFile>,
    by_url: Option<String>,
    kind: Option<MediaKind>,
}

fn chat_id(params: &Params) -> Result<i64, ApiError> {
    match params.str("chat_id") {
        None => Err(ApiError::bad_request("chat_id is empty")),
        Some(raw) if raw.trim().is_empty() => Err(ApiError::bad_request("chat_id is empty")),
        // `@channelusername` and other non-numeric ids: no such chat in the fake.
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|_| ApiError::bad_request("chat not found")),
    }
}

fn reply_to(params: &Params) -> Result<Option<i64>, ApiError> {
    if let Some(id) = params.i64("reply_to_message_id")? {
        return Ok(Some(id));
    }
    Ok(params
        .json("reply_parameters")
        .and_then(|p| p.get("message_id").and_then(Value::as_i64)))
}

fn parse_mode(params: &Params) -> Result<Option<String>, ApiError> {
    let mode = params.str("parse_mode").filter(|m| !m.is_empty());
    match mode.as_deref() {
        None | Some("HTML" | "Markdown" | "MarkdownV2") => Ok(mode),
        Some(other) => Err(ApiError::bad_request(format!(
            "unsupported parse_mode \"{other}\""
        ))),
    }
}

/// `sendMessage {chat_id, text, parse_mode?, reply_to_message_id?, …}`.
pub(crate) fn send_message(
    shared: &Shared,
    token: &str,
    params: &Params,
) -> Result<Reply, ApiError> {
    let chat = chat_id(params)?;
    let text = params.str("text").unwrap_or_default();
    if text.trim().is_empty() {
        return Err(ApiError::bad_request("message text is empty"));
    }
    if text.chars().count() > MAX_TEXT {
        return Err(ApiError::bad_request("message is too long"));
    }
    let mut fields = Map::new();
    fields.insert("text".into(), json!(text));
    let outgoing = Outgoing {
        method: "sendMessage",
        fields,
        text: Some(text),
        file: None,
        by_url: None,
        kind: None,
    };
    deliver(shared, token, chat, params, outgoing)
}

/// `sendPhoto`, `sendDocument`, `sendVoice`, `sendAudio`, `sendVideo`, `sendSticker`.
pub(crate) fn send_media(
    shared: &Shared,
    token: &str,
    kind: MediaKind,
    params: &Params,
) -> Result<Reply, ApiError> {
    let chat = chat_id(params)?;
    let field = kind.field();
    let (file, by_url) = match (params.upload(field), params.str(field)) {
        (Some(upload), _) => {
            if upload.bytes.len() > MAX_UPLOAD {
                return Err(ApiError::too_large());
            }
            if upload.bytes.is_empty() {
                return Err(ApiError::bad_request("file must be non-empty"));
            }
            let file = SentFile {
                field: field.to_owned(),
                file_name: upload.file_name.clone(),
                mime_type: upload.mime_type.clone(),
                bytes: upload.bytes.clone(),
            };
            (Some(file), None)
        }
        (None, Some(reference)) if !reference.is_empty() => (None, Some(reference)),
        _ => {
            return Err(ApiError::bad_request(format!(
                "there is no {field} in the request"
            )));
        }
    };
    let caption = params
        .str("caption")
        .filter(|c| !c.is_empty() && kind.has_caption());
    if caption
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_CAPTION)
    {
        return Err(ApiError::bad_request("message caption is too long"));
    }
    let mut fields = Map::new();
    if let Some(caption) = &caption {
        fields.insert("caption".into(), json!(caption));
    }
    let outgoing = Outgoing {
        method: kind.method(),
        fields,
        text: caption,
        file,
        by_url,
        kind: Some(kind),
    };
    deliver(shared, token, chat, params, outgoing)
}

/// Seconds until the oldest send in the window leaves it, or `None` when there is room.
fn window_full(
    recent: &mut std::collections::VecDeque<Instant>,
    limit: usize,
    now: Instant,
) -> Option<u64> {
    let window = Duration::from_secs(1);
    while recent
        .front()
        .is_some_and(|t| now.duration_since(*t) >= window)
    {
        recent.pop_front();
    }
    if recent.len() < limit.max(1) {
        return None;
    }
    let oldest = recent.front().copied().unwrap_or(now);
    let left = window.saturating_sub(now.duration_since(oldest));
    Some(left.as_secs_f64().ceil().max(1.0) as u64)
}

fn check_rate(bot: &mut Bot, chat: i64, limits: RateLimits, now: Instant) -> Result<(), ApiError> {
    if let Some(wait) = window_full(&mut bot.recent_sends, limits.per_bot_per_second, now) {
        return Err(ApiError::too_many_requests(wait));
    }
    let recent = &mut bot.chats.entry(chat).or_default().recent_sends;
    if let Some(wait) = window_full(recent, limits.per_chat_per_second, now) {
        return Err(ApiError::too_many_requests(wait));
    }
    Ok(())
}

/// Checks the chat and the rate limits, then records the message and answers it.
fn deliver(
    shared: &Shared,
    token: &str,
    chat_id: i64,
    params: &Params,
    out: Outgoing,
) -> Result<Reply, ApiError> {
    let reply_to_message_id = reply_to(params)?;
    let parse_mode = parse_mode(params)?;
    let mut guard = shared.lock();
    let State {
        bots,
        files,
        allow_unknown_chats,
        rate_limits,
        ..
    } = &mut *guard;
    let bot = match bots.get_mut(token) {
        Some(bot) if !bot.revoked => bot,
        _ => return Err(ApiError::unauthorized()),
    };
    match bot.chats.get(&chat_id) {
        Some(chat) if chat.blocked => {
            return Err(ApiError::forbidden("bot was blocked by the user"));
        }
        Some(chat) if chat.deactivated => return Err(ApiError::forbidden("user is deactivated")),
        Some(chat) if chat.known => {}
        _ if *allow_unknown_chats => {}
        _ => {
            return Err(ApiError::forbidden(
                "bot can't initiate conversation with a user",
            ));
        }
    }
    let now = Instant::now();
    if let Some(limits) = *rate_limits {
        check_rate(bot, chat_id, limits, now)?;
    }

    let mut fields = out.fields;
    if let Some(kind) = out.kind {
        let media = match (&out.file, &out.by_url) {
            (Some(file), _) => media_value(
                files,
                token,
                kind,
                file.bytes.clone(),
                file.file_name.as_deref(),
                file.mime_type.as_deref(),
            ),
            // A file_id sent again is that file; a URL becomes an empty placeholder.
            (None, Some(reference)) => match files.by_id(token, reference).cloned() {
                Some(known) => media_object(kind, &known, None, None),
                None => media_value(files, token, kind, bytes::Bytes::new(), None, None),
            },
            (None, None) => Value::Null,
        };
        fields.insert(kind.field().into(), media);
    }

    let bot_user = bot.user();
    let chat = bot.chats.entry(chat_id).or_default();
    chat.known = true;
    let message_id = chat.next_message_id();
    let mut message = Map::new();
    message.insert("message_id".into(), json!(message_id));
    message.insert("from".into(), bot_user);
    message.insert("chat".into(), chat.info_or_default(chat_id));
    message.insert("date".into(), json!(unix_now()));
    if let Some(reply) = reply_to_message_id {
        message.insert(
            "reply_to_message".into(),
            json!({ "message_id": reply, "chat": chat.info_or_default(chat_id), "date": unix_now() }),
        );
    }
    message.extend(fields);
    if rate_limits.is_some() {
        chat.recent_sends.push_back(now);
        bot.recent_sends.push_back(now);
    }
    bot.sent.push(Sent {
        method: out.method.to_owned(),
        chat_id,
        text: out.text,
        parse_mode,
        reply_to_message_id,
        file: out.file,
        by_url: out.by_url,
        message_id,
        at: now,
        params: params.to_text_map(),
    });
    drop(guard);
    shared.sent_tx.send_modify(|n| *n = n.wrapping_add(1));
    Ok(Reply::new(Value::Object(message)))
}

/// `getFile {file_id}`.
pub(crate) fn get_file(shared: &Shared, token: &str, params: &Params) -> Result<Reply, ApiError> {
    let file_id = params.str("file_id").unwrap_or_default();
    let mut state = shared.lock();
    state.bot(token)?;
    let file = state
        .files
        .by_id(token, &file_id)
        .ok_or_else(|| ApiError::bad_request("invalid file_id"))?;
    if file.bytes.len() > MAX_DOWNLOAD {
        return Err(ApiError::bad_request("file is too big"));
    }
    Ok(Reply::new(json!({
        "file_id": file.file_id,
        "file_unique_id": file.unique_id,
        "file_size": file.bytes.len(),
        "file_path": file.path,
    })))
}

/// `GET /file/bot<token>/<file_path>`: the bytes, 404 when unknown, 500 while
/// `fail_downloads` lasts.
pub(crate) fn download(shared: &Shared, token: &str, path: &str) -> Response {
    let mut state = shared.lock();
    if state.fail_downloads > 0 {
        state.fail_downloads -= 1;
        return ApiError::new(500, "Internal Server Error").into_response();
    }
    if state.bot(token).is_err() {
        return ApiError::unauthorized().into_response();
    }
    match state.files.by_path(token, path) {
        Some(file) => (
            StatusCode::OK,
            [(CONTENT_TYPE, "application/octet-stream")],
            file.bytes.clone(),
        )
            .into_response(),
        None => ApiError::not_found().into_response(),
    }
}
