//! Builders of the Bot API's `Message`, `User`, `Chat` and media objects.

use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::state::{FileStore, StoredFile};
use super::types::{Content, Customer};

/// The current Unix time in seconds, for `date`.
#[allow(clippy::disallowed_methods)] // a fake messenger stamps real time, like Telegram
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

/// The kinds of media a bot can send and a customer can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MediaKind {
    Photo,
    Document,
    Voice,
    Audio,
    Video,
    Sticker,
}

impl MediaKind {
    /// The send method for a lowercased method name.
    pub fn from_method(lowercase: &str) -> Option<Self> {
        Some(match lowercase {
            "sendphoto" => Self::Photo,
            "senddocument" => Self::Document,
            "sendvoice" => Self::Voice,
            "sendaudio" => Self::Audio,
            "sendvideo" => Self::Video,
            "sendsticker" => Self::Sticker,
            _ => return None,
        })
    }

    /// The file field of the send method, and the key of the media in a `Message`.
    pub fn field(self) -> &'static str {
        match self {
            Self::Photo => "photo",
            Self::Document => "document",
            Self::Voice => "voice",
            Self::Audio => "audio",
            Self::Video => "video",
            Self::Sticker => "sticker",
        }
    }

    /// The send method's canonical name.
    pub fn method(self) -> &'static str {
        match self {
            Self::Photo => "sendPhoto",
            Self::Document => "sendDocument",
            Self::Voice => "sendVoice",
            Self::Audio => "sendAudio",
            Self::Video => "sendVideo",
            Self::Sticker => "sendSticker",
        }
    }

    /// Whether the media may carry a caption.
    pub fn has_caption(self) -> bool {
        !matches!(self, Self::Sticker)
    }

    fn dir_and_ext(self) -> (&'static str, &'static str) {
        match self {
            Self::Photo => ("photos", "jpg"),
            Self::Document => ("documents", "bin"),
            Self::Voice => ("voice", "oga"),
            Self::Audio => ("music", "mp3"),
            Self::Video => ("videos", "mp4"),
            Self::Sticker => ("stickers", "webp"),
        }
    }
}

/// Stores the bytes and builds the media value of a `Message` (for a photo, the array
/// of three `PhotoSize`s, smallest first, the largest being `bytes`).
pub(crate) fn media_value(
    files: &mut FileStore,
    owner: &str,
    kind: MediaKind,
    bytes: Bytes,
    file_name: Option<&str>,
    mime_type: Option<&str>,
) -> Value {
    let (dir, default_ext) = kind.dir_and_ext();
    let ext = file_name
        .and_then(|name| name.rsplit_once('.'))
        .map(|(_, ext)| ext)
        .filter(|ext| !ext.is_empty() && ext.len() <= 8)
        .unwrap_or(default_ext);
    if kind == MediaKind::Photo {
        let mut sizes = Vec::new();
        for (side, bytes) in [
            (90, Bytes::from_static(b"fake thumbnail 90x90")),
            (320, Bytes::from_static(b"fake thumbnail 320x320")),
            (1280, bytes),
        ] {
            let file = files.store(owner, dir, ext, bytes);
            let mut size = file.fields();
            size.insert("width".into(), json!(side));
            size.insert("height".into(), json!(side));
            sizes.push(Value::Object(size));
        }
        return Value::Array(sizes);
    }
    let file = files.store(owner, dir, ext, bytes);
    media_object(kind, &file, file_name, mime_type)
}

/// The media object of an already stored file (a `file_id` sent again).
pub(crate) fn media_object(
    kind: MediaKind,
    file: &StoredFile,
    file_name: Option<&str>,
    mime_type: Option<&str>,
) -> Value {
    let mut map: Map<String, Value> = Map::new();
    match kind {
        MediaKind::Photo => {
            let mut size = file.fields();
            size.insert("width".into(), json!(1280));
            size.insert("height".into(), json!(1280));
            return json!([size]);
        }
        MediaKind::Voice | MediaKind::Audio => {
            map.insert("duration".into(), json!(1));
        }
        MediaKind::Video => {
            map.insert("width".into(), json!(640));
            map.insert("height".into(), json!(360));
            map.insert("duration".into(), json!(1));
        }
        MediaKind::Sticker => {
            map.insert("width".into(), json!(512));
            map.insert("height".into(), json!(512));
            map.insert("is_animated".into(), json!(false));
            map.insert("is_video".into(), json!(false));
            map.insert("type".into(), json!("regular"));
        }
        MediaKind::Document => {}
    }
    if let Some(name) = file_name {
        map.insert("file_name".into(), json!(name));
    }
    if let Some(mime) = mime_type {
        map.insert("mime_type".into(), json!(mime));
    }
    map.extend(file.fields());
    Value::Object(map)
}

/// The customer's `User` object.
pub(crate) fn customer_user(customer: &Customer) -> Value {
    let mut user = json!({
        "id": customer.chat_id,
        "is_bot": false,
        "first_name": customer.first_name,
        "language_code": "en",
    });
    add_names(&mut user, customer);
    user
}

/// The customer's private `Chat` object.
pub(crate) fn customer_chat(customer: &Customer) -> Value {
    let mut chat = json!({
        "id": customer.chat_id,
        "first_name": customer.first_name,
        "type": "private",
    });
    add_names(&mut chat, customer);
    chat
}

fn add_names(value: &mut Value, customer: &Customer) {
    if let Value::Object(map) = value {
        if let Some(last) = &customer.last_name {
            map.insert("last_name".into(), json!(last));
        }
        if let Some(username) = &customer.username {
            map.insert("username".into(), json!(username));
        }
    }
}

/// The fields a customer's content adds to a `Message`.
pub(crate) fn content_fields(
    files: &mut FileStore,
    owner: &str,
    content: Content,
) -> Map<String, Value> {
    let mut map = Map::new();
    let (kind, bytes, file_name, mime, caption) = match content {
        Content::Text(text) => {
            map.insert("text".into(), json!(text));
            return map;
        }
        Content::Photo { bytes, caption } => (MediaKind::Photo, bytes, None, None, caption),
        Content::Document {
            bytes,
            file_name,
            mime_type,
            caption,
        } => (
            MediaKind::Document,
            bytes,
            Some(file_name),
            Some(mime_type),
            caption,
        ),
        Content::Voice { bytes, mime_type } => {
            (MediaKind::Voice, bytes, None, Some(mime_type), None)
        }
        Content::Audio {
            bytes,
            file_name,
            mime_type,
            caption,
        } => (MediaKind::Audio, bytes, file_name, Some(mime_type), caption),
        Content::Video {
            bytes,
            mime_type,
            caption,
        } => (MediaKind::Video, bytes, None, Some(mime_type), caption),
        Content::Sticker { bytes } => (MediaKind::Sticker, bytes, None, None, None),
    };
    let media = media_value(
        files,
        owner,
        kind,
        bytes,
        file_name.as_deref(),
        mime.as_deref(),
    );
    map.insert(kind.field().into(), media);
    if let Some(caption) = caption {
        map.insert("caption".into(), json!(caption));
    }
    map
}
