//! The parts of Bot API objects confab reads. Unknown fields are ignored, so newer Bot API
//! versions keep parsing.

use serde::Deserialize;

/// A user or bot (`getMe`, `message.from`).
#[derive(Debug, Clone, Deserialize)]
pub struct User {
    /// Telegram's id.
    pub id: i64,
    /// First name.
    #[serde(default)]
    pub first_name: String,
    /// Last name.
    pub last_name: Option<String>,
    /// `@username` without the `@`.
    pub username: Option<String>,
}

/// A chat.
#[derive(Debug, Clone, Deserialize)]
pub struct Chat {
    /// Chat id (a private chat's equals the user's id).
    pub id: i64,
    /// `private`, `group`, `supergroup` or `channel`.
    #[serde(rename = "type")]
    pub kind: String,
    /// First name (private chats).
    pub first_name: Option<String>,
    /// Last name (private chats).
    pub last_name: Option<String>,
    /// Username.
    pub username: Option<String>,
}

/// One size of a photo.
#[derive(Debug, Clone, Deserialize)]
pub struct PhotoSize {
    /// For `getFile`.
    pub file_id: String,
    /// Width in pixels.
    #[serde(default)]
    pub width: i64,
    /// Height in pixels.
    #[serde(default)]
    pub height: i64,
    /// Size in bytes.
    pub file_size: Option<i64>,
}

/// A document, voice note, audio, video or sticker: a file with optional name and type.
#[derive(Debug, Clone, Deserialize)]
pub struct FileObject {
    /// For `getFile`.
    pub file_id: String,
    /// Original name.
    pub file_name: Option<String>,
    /// MIME type.
    pub mime_type: Option<String>,
    /// Size in bytes.
    pub file_size: Option<i64>,
}

/// A message (only the kinds confab turns into conversation messages).
#[derive(Debug, Clone, Deserialize)]
pub struct Message {
    /// Unique within the chat.
    pub message_id: i64,
    /// Sender.
    pub from: Option<User>,
    /// The chat.
    pub chat: Chat,
    /// Unix seconds.
    #[serde(default)]
    pub date: i64,
    /// Text.
    pub text: Option<String>,
    /// Caption of a file.
    pub caption: Option<String>,
    /// Sizes of a photo, smallest first.
    pub photo: Option<Vec<PhotoSize>>,
    /// A general file.
    pub document: Option<FileObject>,
    /// A voice note.
    pub voice: Option<FileObject>,
    /// A music file.
    pub audio: Option<FileObject>,
    /// A video.
    pub video: Option<FileObject>,
    /// A video note (round video).
    pub video_note: Option<FileObject>,
    /// An animation (GIF).
    pub animation: Option<FileObject>,
    /// A sticker.
    pub sticker: Option<FileObject>,
    /// A shared location.
    pub location: Option<Location>,
    /// A shared contact.
    pub contact: Option<SharedContact>,
}

/// A point on the map.
#[derive(Debug, Clone, Deserialize)]
pub struct Location {
    /// Latitude.
    pub latitude: f64,
    /// Longitude.
    pub longitude: f64,
}

/// A phone contact shared in a chat.
#[derive(Debug, Clone, Deserialize)]
pub struct SharedContact {
    /// Phone number.
    pub phone_number: String,
    /// First name.
    #[serde(default)]
    pub first_name: String,
    /// Last name.
    pub last_name: Option<String>,
}

/// An update; only `message` becomes a conversation message.
#[derive(Debug, Clone, Deserialize)]
pub struct Update {
    /// Increasing id; `getUpdates` confirms by it.
    pub update_id: i64,
    /// A new message.
    pub message: Option<Message>,
}

/// `getFile`'s answer.
#[derive(Debug, Clone, Deserialize)]
pub struct File {
    /// Where to download it from (`/file/bot<token>/<file_path>`).
    pub file_path: Option<String>,
    /// Size in bytes.
    pub file_size: Option<i64>,
}

/// A sent message's answer: only its id matters.
#[derive(Debug, Clone, Deserialize)]
pub struct SentMessage {
    /// The id Telegram gave it.
    pub message_id: i64,
}
