//! A direct JSON writer for the wire types that make up long pages: the conversations
//! and messages lists.
//!
//! The derived `Serialize` of each type stays the definition of the wire format (the
//! client parses with it, the OpenAPI schemas and every other answer use it). This writer
//! produces the same bytes for the same value, faster: the keys are written as ready,
//! already escaped bytes instead of going through serde's per-field calls and
//! serde_json's per-byte escaping, and a string that needs no escaping (nearly all) is
//! copied whole after one scan. A string that does need escaping goes through serde_json
//! itself, so the escaping cannot differ. The tests compare the two writers on every
//! field, on strings full of characters that need escaping, and on generated values;
//! each writer destructures its type without `..`, so a new field does not compile until
//! it is written here too.

use serde::Serialize;

use crate::{
    Conversation, ConversationList, Envelope, Message, MessageAttachment, MessageList, Status,
};

/// A wire type that writes its JSON straight into a buffer, byte for byte what
/// `serde_json::to_vec` makes of its `Serialize`.
pub trait WriteJson {
    /// Appends the JSON of `self` to `out`.
    ///
    /// # Errors
    /// Only when a nested `serde_json::Value` cannot be serialised, which a `Value` never
    /// fails to be; the error is passed on rather than assumed away.
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()>;
}

/// The JSON of `value` in a buffer of at least `capacity` bytes (a size hint: a page's
/// body grown by doubling copies itself several times).
///
/// # Errors
/// As [`WriteJson::write_json`].
pub fn to_vec<T: WriteJson>(value: &T, capacity: usize) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(capacity);
    value.write_json(&mut out)?;
    Ok(out)
}

/// Whether `bytes` holds a character JSON requires escaped (a control character, `"`
/// or `\`; serde_json escapes nothing else).
fn needs_escape(bytes: &[u8]) -> bool {
    // A fold without an early exit: the compiler turns it into vector compares over the
    // whole string, far cheaper for a page's short strings than a table walk per byte.
    bytes.iter().fold(false, |any, &b| {
        any | (b < 0x20) | (b == b'"') | (b == b'\\')
    })
}

/// Appends `s` as a JSON string.
fn write_str(out: &mut Vec<u8>, s: &str) -> serde_json::Result<()> {
    if needs_escape(s.as_bytes()) {
        // serde_json's own escaping, so the rare string that needs it is written
        // exactly as the derived `Serialize` would write it.
        return serde_json::to_writer(&mut *out, s);
    }
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
    Ok(())
}

/// Appends `s` as a JSON string, or `null`.
fn write_opt_str(out: &mut Vec<u8>, s: Option<&str>) -> serde_json::Result<()> {
    match s {
        Some(s) => write_str(out, s),
        None => {
            out.extend_from_slice(b"null");
            Ok(())
        }
    }
}

/// Appends an integer (itoa, as serde_json writes integers).
fn write_int<I: itoa::Integer>(out: &mut Vec<u8>, n: I) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Appends an integer, or `null`.
fn write_opt_int(out: &mut Vec<u8>, n: Option<i64>) {
    match n {
        Some(n) => write_int(out, n),
        None => out.extend_from_slice(b"null"),
    }
}

/// Appends `true` or `false`.
fn write_bool(out: &mut Vec<u8>, b: bool) {
    out.extend_from_slice(if b { b"true" } else { b"false" });
}

/// Appends any other serialisable value through serde_json (metadata objects, the
/// interactive part): rare or small, and serde_json's own output by definition.
fn write_serde<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> serde_json::Result<()> {
    serde_json::to_writer(&mut *out, value)
}

/// Appends `[a,b,...]`.
fn write_array<T: WriteJson>(out: &mut Vec<u8>, items: &[T]) -> serde_json::Result<()> {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        item.write_json(out)?;
    }
    out.push(b']');
    Ok(())
}

impl WriteJson for Status {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        // Matched without a wildcard, so a new status word must be written here too.
        out.extend_from_slice(match self {
            Status::Ok => b"\"ok\"",
            Status::Created => b"\"created\"",
            Status::Updated => b"\"updated\"",
            Status::Deleted => b"\"deleted\"",
        });
        Ok(())
    }
}

impl<T: WriteJson> WriteJson for Envelope<T> {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        let Envelope { status, data } = self;
        out.extend_from_slice(b"{\"status\":");
        status.write_json(out)?;
        if let Some(data) = data {
            out.extend_from_slice(b",\"data\":");
            data.write_json(out)?;
        }
        out.push(b'}');
        Ok(())
    }
}

impl WriteJson for Conversation {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        let Conversation {
            external_id,
            name,
            channel_id,
            channel_type,
            created_at,
            created_at_timestamp,
            avatar,
            sender_external_id,
            meta,
            last_message_at,
            last_income_message_at,
            bitrix_block_openlines,
            note,
            assignee_id,
        } = self;
        out.extend_from_slice(b"{\"external_id\":");
        write_int(out, *external_id);
        out.extend_from_slice(b",\"name\":");
        write_str(out, name)?;
        out.extend_from_slice(b",\"channel_id\":");
        write_int(out, *channel_id);
        out.extend_from_slice(b",\"channel_type\":");
        write_str(out, channel_type)?;
        out.extend_from_slice(b",\"created_at\":");
        write_str(out, created_at)?;
        out.extend_from_slice(b",\"created_at_timestamp\":");
        write_int(out, *created_at_timestamp);
        out.extend_from_slice(b",\"avatar\":");
        write_str(out, avatar)?;
        out.extend_from_slice(b",\"sender_external_id\":");
        write_str(out, sender_external_id)?;
        out.extend_from_slice(b",\"meta\":");
        if meta.is_empty() {
            out.extend_from_slice(b"{}");
        } else {
            write_serde(out, meta)?;
        }
        out.extend_from_slice(b",\"last_message_at\":");
        write_int(out, *last_message_at);
        out.extend_from_slice(b",\"last_income_message_at\":");
        write_int(out, *last_income_message_at);
        out.extend_from_slice(b",\"bitrix_block_openlines\":");
        write_bool(out, *bitrix_block_openlines);
        out.extend_from_slice(b",\"note\":");
        write_opt_str(out, note.as_deref())?;
        out.extend_from_slice(b",\"assignee_id\":");
        write_opt_int(out, *assignee_id);
        out.push(b'}');
        Ok(())
    }
}

impl WriteJson for ConversationList {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        let ConversationList {
            conversations,
            next_page,
        } = self;
        out.extend_from_slice(b"{\"conversations\":");
        write_array(out, conversations)?;
        out.extend_from_slice(b",\"next_page\":");
        write_opt_str(out, next_page.as_deref())?;
        out.push(b'}');
        Ok(())
    }
}

impl WriteJson for MessageAttachment {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        let MessageAttachment {
            external_id,
            file_name,
            mime_type,
            size,
            attachment_url,
        } = self;
        out.extend_from_slice(b"{\"external_id\":");
        write_int(out, *external_id);
        out.extend_from_slice(b",\"file_name\":");
        write_str(out, file_name)?;
        out.extend_from_slice(b",\"mime_type\":");
        write_str(out, mime_type)?;
        out.extend_from_slice(b",\"size\":");
        write_int(out, *size);
        out.extend_from_slice(b",\"attachment_url\":");
        write_str(out, attachment_url)?;
        out.push(b'}');
        Ok(())
    }
}

impl WriteJson for Message {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        let Message {
            external_id,
            channel_id,
            channel_type,
            message,
            income,
            created_at,
            created_at_timestamp,
            attachments,
            ack,
            send_to_crm,
            job_id,
            external_public_id,
            interactive,
        } = self;
        out.extend_from_slice(b"{\"external_id\":");
        write_int(out, *external_id);
        out.extend_from_slice(b",\"channel_id\":");
        write_int(out, *channel_id);
        out.extend_from_slice(b",\"channel_type\":");
        write_str(out, channel_type)?;
        out.extend_from_slice(b",\"message\":");
        write_str(out, message)?;
        out.extend_from_slice(b",\"income\":");
        write_bool(out, *income);
        out.extend_from_slice(b",\"created_at\":");
        write_str(out, created_at)?;
        out.extend_from_slice(b",\"created_at_timestamp\":");
        write_int(out, *created_at_timestamp);
        out.extend_from_slice(b",\"attachments\":");
        write_array(out, attachments)?;
        out.extend_from_slice(b",\"ack\":");
        write_int(out, *ack);
        out.extend_from_slice(b",\"send_to_crm\":");
        write_bool(out, *send_to_crm);
        out.extend_from_slice(b",\"job_id\":");
        write_opt_int(out, *job_id);
        out.extend_from_slice(b",\"external_public_id\":");
        write_opt_str(out, external_public_id.as_deref())?;
        // `skip_serializing_if = "Option::is_none"` in the derive.
        if let Some(interactive) = interactive {
            out.extend_from_slice(b",\"interactive\":");
            write_serde(out, interactive)?;
        }
        out.push(b'}');
        Ok(())
    }
}

impl WriteJson for MessageList {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        let MessageList {
            messages,
            next_page,
        } = self;
        out.extend_from_slice(b"{\"messages\":");
        write_array(out, messages)?;
        out.extend_from_slice(b",\"next_page\":");
        write_opt_str(out, next_page.as_deref())?;
        out.push(b'}');
        Ok(())
    }
}
