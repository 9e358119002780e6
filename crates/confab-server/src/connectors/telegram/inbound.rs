//! Turning a stored raw update into what confab keeps: a private chat's message with its
//! text and the files still to download, or a reason to skip it.

use serde::{Deserialize, Serialize};

use super::types::{FileObject, Message, Update};

/// Files larger than this are not offered by the cloud Bot API's `getFile` (20 MB).
pub const GET_FILE_LIMIT: i64 = 20 * 1024 * 1024;

/// A file of a message, to fetch with `getFile`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    /// Telegram's file id.
    pub file_id: String,
    /// The name to store it under.
    pub file_name: String,
    /// Its MIME type.
    pub mime_type: String,
}

/// A private chat's message, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    /// Telegram's message id (unique within the chat).
    pub message_id: i64,
    /// The chat id: the conversation's `sender_external_id`.
    pub chat_id: i64,
    /// The customer's display name, when Telegram gave one.
    pub name: Option<String>,
    /// Text or caption (a location or contact as text).
    pub text: String,
    /// Files to fetch.
    pub files: Vec<FileRef>,
}

/// What an update is to confab.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// A message to store.
    Message(Incoming),
    /// Nothing confab stores; says what it was.
    Unsupported(String),
}

/// The key that makes a redelivered update a no-op: the chat and message ids for a
/// message (the same message can come back under a new `update_id` after a webhook
/// switch), the update id otherwise.
pub fn dedupe_key(update: &serde_json::Value) -> String {
    let message = update.get("message");
    let chat = message
        .and_then(|m| m.get("chat"))
        .and_then(|c| c.get("id"))
        .and_then(serde_json::Value::as_i64);
    let id = message
        .and_then(|m| m.get("message_id"))
        .and_then(serde_json::Value::as_i64);
    match (chat, id) {
        (Some(chat), Some(id)) => format!("msg:{chat}:{id}"),
        _ => format!(
            "update:{}",
            update
                .get("update_id")
                .map(ToString::to_string)
                .unwrap_or_default()
        ),
    }
}

/// Reads a raw update.
pub fn parse(payload: &str) -> Parsed {
    let update: Update = match serde_json::from_str(payload) {
        Ok(u) => u,
        Err(e) => return Parsed::Unsupported(format!("not a Bot API update: {e}")),
    };
    let Some(message) = update.message else {
        return Parsed::Unsupported("an update without a new message".to_owned());
    };
    if message.chat.kind != "private" {
        return Parsed::Unsupported(format!("a message in a {} chat", message.chat.kind));
    }
    let files = files_of(&message);
    let mut text = message
        .text
        .clone()
        .or_else(|| message.caption.clone())
        .unwrap_or_default();
    if let Some(location) = &message.location {
        text = format!("Location: {}, {}", location.latitude, location.longitude);
    }
    if let Some(contact) = &message.contact {
        let name = join_name(&contact.first_name, contact.last_name.as_deref());
        text = format!("Contact: {name} {}", contact.phone_number);
    }
    if text.is_empty() && files.is_empty() {
        return Parsed::Unsupported("a message kind confab does not store".to_owned());
    }
    Parsed::Message(Incoming {
        message_id: message.message_id,
        chat_id: message.chat.id,
        name: display_name(&message),
        text,
        files,
    })
}

fn join_name(first: &str, last: Option<&str>) -> String {
    match last {
        Some(last) if !last.is_empty() => format!("{first} {last}"),
        _ => first.to_owned(),
    }
}

/// First and last name, else the username.
fn display_name(message: &Message) -> Option<String> {
    let chat = &message.chat;
    let first = chat
        .first_name
        .clone()
        .or_else(|| message.from.as_ref().map(|f| f.first_name.clone()))
        .unwrap_or_default();
    let last = chat
        .last_name
        .clone()
        .or_else(|| message.from.as_ref().and_then(|f| f.last_name.clone()));
    let name = join_name(&first, last.as_deref());
    if !name.trim().is_empty() {
        return Some(name.trim().to_owned());
    }
    chat.username
        .clone()
        .or_else(|| message.from.as_ref().and_then(|f| f.username.clone()))
}

fn file_ref(file: &FileObject, default_name: String, default_mime: &str) -> FileRef {
    FileRef {
        file_id: file.file_id.clone(),
        file_name: file.file_name.clone().unwrap_or(default_name),
        mime_type: file
            .mime_type
            .clone()
            .unwrap_or_else(|| default_mime.to_owned()),
    }
}

/// The files of a message: the largest size of a photo, and any other file it carries.
fn files_of(message: &Message) -> Vec<FileRef> {
    let id = message.message_id;
    let mut files = Vec::new();
    if let Some(largest) = message.photo.as_ref().and_then(|sizes| {
        sizes
            .iter()
            .max_by_key(|p| (p.file_size.unwrap_or(0), p.width * p.height))
    }) {
        files.push(FileRef {
            file_id: largest.file_id.clone(),
            file_name: format!("photo_{id}.jpg"),
            mime_type: "image/jpeg".to_owned(),
        });
    }
    let others: [(&Option<FileObject>, &str, &str); 7] = [
        (&message.document, "document", "application/octet-stream"),
        (&message.voice, "voice.ogg", "audio/ogg"),
        (&message.audio, "audio.mp3", "audio/mpeg"),
        (&message.video, "video.mp4", "video/mp4"),
        (&message.video_note, "video_note.mp4", "video/mp4"),
        (&message.animation, "animation.mp4", "video/mp4"),
        (&message.sticker, "sticker.webp", "image/webp"),
    ];
    for (file, name, mime) in others {
        if let Some(file) = file {
            files.push(file_ref(file, format!("{id}_{name}"), mime));
        }
    }
    files
}

#[cfg(test)]
mod tests {
    #![allow(clippy::panic)]
    use super::*;

    fn message(extra: &str) -> String {
        format!(
            r#"{{"update_id":1001,"message":{{"message_id":55,"date":1700000000,
            "from":{{"id":42,"is_bot":false,"first_name":"Ann","username":"ann"}},
            "chat":{{"id":42,"type":"private","first_name":"Ann","last_name":"Lee"}}{extra}}}}}"#
        )
    }

    #[test]
    fn text() {
        let Parsed::Message(m) = parse(&message(r#","text":"hi""#)) else {
            panic!("a message")
        };
        assert_eq!((m.message_id, m.chat_id), (55, 42));
        assert_eq!(m.name.as_deref(), Some("Ann Lee"));
        assert_eq!(m.text, "hi");
        assert!(m.files.is_empty());
    }

    #[test]
    fn photo_takes_the_largest_and_the_caption() {
        let Parsed::Message(m) = parse(&message(
            r#","caption":"look","photo":[{"file_id":"s","file_unique_id":"a","width":90,"height":90,"file_size":100},
            {"file_id":"l","file_unique_id":"c","width":1280,"height":1280,"file_size":90000},
            {"file_id":"m","file_unique_id":"b","width":320,"height":320,"file_size":5000}]"#,
        )) else {
            panic!("a message")
        };
        assert_eq!(m.text, "look");
        assert_eq!(m.files.len(), 1);
        assert_eq!(m.files[0].file_id, "l");
    }

    #[test]
    fn document_keeps_name_and_type() {
        let Parsed::Message(m) = parse(&message(
            r#","document":{"file_id":"d","file_unique_id":"u","file_name":"a.pdf","mime_type":"application/pdf"}"#,
        )) else {
            panic!("a message")
        };
        assert_eq!(m.files[0].file_name, "a.pdf");
        assert_eq!(m.files[0].mime_type, "application/pdf");
    }

    #[test]
    fn skips_what_is_not_a_private_message() {
        assert!(matches!(
            parse(r#"{"update_id":1,"edited_message":{}}"#),
            Parsed::Unsupported(_)
        ));
        let group = r#"{"update_id":2,"message":{"message_id":1,"chat":{"id":-5,"type":"group"},"text":"x"}}"#;
        assert!(matches!(parse(group), Parsed::Unsupported(_)));
        assert!(matches!(parse("not json"), Parsed::Unsupported(_)));
    }

    #[test]
    fn keys() {
        let v: serde_json::Value =
            serde_json::from_str(&message(r#","text":"hi""#)).unwrap_or_default();
        assert_eq!(dedupe_key(&v), "msg:42:55");
        let v = serde_json::json!({"update_id": 7, "callback_query": {}});
        assert_eq!(dedupe_key(&v), "update:7");
    }
}
