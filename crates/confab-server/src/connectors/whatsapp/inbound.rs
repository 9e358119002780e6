//! Meta's webhook events for a WhatsApp number: split into one stored update per message
//! and per status (each keyed so Meta's redeliveries are dropped), then each read into what
//! confab keeps: an incoming message with the media still to fetch, a receipt, or a reason
//! to skip it.

use super::at;
use confab_store::{Ack, NewUpdate, Receipt};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A customer's file, to fetch by media id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaRef {
    /// Meta's media id.
    pub media_id: String,
    /// The name to store it under.
    pub file_name: String,
    /// Its MIME type.
    pub mime_type: String,
}

/// A customer's message, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    /// The `wamid`.
    pub wamid: String,
    /// The customer's `wa_id` (digits): the conversation's `sender_external_id`.
    pub wa_id: String,
    /// Their profile name, when Meta gave one.
    pub name: Option<String>,
    /// Text, caption, or a location as text.
    pub text: String,
    /// Files to fetch.
    pub files: Vec<MediaRef>,
}

/// A status of a message the number sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The `wamid` the send answered.
    pub wamid: String,
    /// What it means for the message.
    pub receipt: Receipt,
}

/// What a stored update is to confab.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// A message to store.
    Message(Incoming),
    /// A receipt to apply.
    Status(Status),
    /// Nothing confab keeps; says what it was.
    Unsupported(String),
}

/// Splits an event into stored updates, one per message and per status of the number
/// `phone_number_id` (changes for another number are left out). Each payload is a `value`
/// in Meta's format holding that one item (with the contacts and metadata it came with).
pub fn split(event: &Value, phone_number_id: &str) -> Vec<NewUpdate> {
    let mut updates = Vec::new();
    let entries = at(event, "/entry")
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    for change in entries
        .iter()
        .filter_map(|e| at(e, "/changes").as_array())
        .flatten()
    {
        let value = at(change, "/value");
        if at(change, "/field").as_str() != Some("messages")
            || at(value, "/metadata/phone_number_id").as_str() != Some(phone_number_id)
        {
            continue;
        }
        for message in at(value, "/messages")
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let wamid = at(message, "/id").as_str().unwrap_or_default();
            let payload = json!({
                "metadata": at(value, "/metadata"),
                "contacts": at(value, "/contacts"),
                "messages": [message],
            });
            updates.push(NewUpdate {
                key: format!("wamsg:{wamid}"),
                payload: payload.to_string(),
            });
        }
        for status in at(value, "/statuses")
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let wamid = at(status, "/id").as_str().unwrap_or_default();
            let kind = at(status, "/status").as_str().unwrap_or_default();
            let payload = json!({"metadata": at(value, "/metadata"), "statuses": [status]});
            updates.push(NewUpdate {
                key: format!("wastatus:{wamid}:{kind}"),
                payload: payload.to_string(),
            });
        }
    }
    updates
}

/// Reads a stored update.
pub fn parse(payload: &str) -> Parsed {
    let Ok(value) = serde_json::from_str::<Value>(payload) else {
        return Parsed::Unsupported("not a WhatsApp webhook value".to_owned());
    };
    if let Some(status) = at(&value, "/statuses").get(0) {
        return status_of(status);
    }
    let Some(message) = at(&value, "/messages").get(0) else {
        return Parsed::Unsupported("neither a message nor a status".to_owned());
    };
    let wa_id = at(message, "/from").as_str().unwrap_or_default().to_owned();
    let name = at(&value, "/contacts")
        .as_array()
        .and_then(|cs| {
            cs.iter()
                .find(|c| at(c, "/wa_id") == wa_id.as_str())
                .or(cs.first())
        })
        .and_then(|c| at(c, "/profile/name").as_str())
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    let kind = at(message, "/type").as_str().unwrap_or_default();
    let mut files = Vec::new();
    let text = match kind {
        "text" => at(message, "/text/body")
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        "image" | "document" | "audio" | "video" | "sticker" => {
            let object = at(message, &format!("/{kind}"));
            if let Some(id) = at(object, "/id").as_str() {
                let mime_type = at(object, "/mime_type")
                    .as_str()
                    .unwrap_or("application/octet-stream")
                    .to_owned();
                let file_name = at(object, "/filename")
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("{kind}.{}", extension(&mime_type)));
                files.push(MediaRef {
                    media_id: id.to_owned(),
                    file_name,
                    mime_type,
                });
            }
            at(object, "/caption")
                .as_str()
                .unwrap_or_default()
                .to_owned()
        }
        "location" => location_text(at(message, "/location")),
        "button" => at(message, "/button/text")
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        "interactive" => {
            let reply = at(message, "/interactive");
            at(reply, "/button_reply/title")
                .as_str()
                .or(at(reply, "/list_reply/title").as_str())
                .unwrap_or_default()
                .to_owned()
        }
        other => return Parsed::Unsupported(format!("a {other} message")),
    };
    if wa_id.is_empty() || (text.is_empty() && files.is_empty()) {
        return Parsed::Unsupported(format!("a {kind} message with nothing confab keeps"));
    }
    // JSON may carry U+0000, which PostgreSQL's text refuses: it would fail the message
    // on one store only, again and again.
    Parsed::Message(Incoming {
        wamid: at(message, "/id").as_str().unwrap_or_default().to_owned(),
        wa_id,
        name: name.map(without_nul),
        text: without_nul(text),
        files: files
            .into_iter()
            .map(|f| MediaRef {
                file_name: without_nul(f.file_name),
                ..f
            })
            .collect(),
    })
}

/// `text` without NUL characters.
fn without_nul(text: String) -> String {
    if text.contains('\0') {
        text.replace('\0', "")
    } else {
        text
    }
}

fn status_of(status: &Value) -> Parsed {
    let wamid = at(status, "/id").as_str().unwrap_or_default().to_owned();
    let receipt = match at(status, "/status").as_str().unwrap_or_default() {
        "sent" => Receipt::Reached(Ack::Sent),
        "delivered" => Receipt::Reached(Ack::Delivered),
        "read" | "played" => Receipt::Reached(Ack::Read),
        "failed" => {
            let error = at(status, "/errors").get(0);
            let code = error
                .and_then(|e| at(e, "/code").as_i64())
                .map_or_else(|| "?".to_owned(), |c| c.to_string());
            let title = error
                .and_then(|e| at(e, "/title").as_str().or(at(e, "/message").as_str()))
                .unwrap_or("no reason given");
            Receipt::Failed {
                reason: format!("WhatsApp reported the message failed: {code} {title}"),
            }
        }
        other => return Parsed::Unsupported(format!("a {other} status")),
    };
    if wamid.is_empty() {
        return Parsed::Unsupported("a status without a message id".to_owned());
    }
    Parsed::Status(Status { wamid, receipt })
}

fn location_text(location: &Value) -> String {
    let lat = at(location, "/latitude").as_f64().unwrap_or_default();
    let lon = at(location, "/longitude").as_f64().unwrap_or_default();
    let mut text = format!("Location: {lat}, {lon}");
    for key in ["name", "address"] {
        if let Some(v) = location[key].as_str().filter(|v| !v.is_empty()) {
            text.push_str(&format!(" ({v})"));
        }
    }
    text
}

/// A file extension for a MIME type (`image/jpeg` → `jpg`).
fn extension(mime_type: &str) -> String {
    let essence = mime_type.split(';').next().unwrap_or_default().trim();
    match essence {
        "image/jpeg" => "jpg".to_owned(),
        "audio/ogg" => "ogg".to_owned(),
        "audio/mpeg" => "mp3".to_owned(),
        _ => mime_guess::get_mime_extensions_str(essence)
            .and_then(|e| e.first())
            .map_or_else(|| "bin".to_owned(), |e| (*e).to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(value: Value) -> Value {
        json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [
            {"field": "messages", "value": value}]}]})
    }

    fn meta() -> Value {
        json!({"display_phone_number": "15550100000", "phone_number_id": "PN1"})
    }

    #[test]
    fn an_event_splits_per_message_and_status_for_its_number_only() {
        let e = event(json!({"messaging_product": "whatsapp", "metadata": meta(),
            "contacts": [{"profile": {"name": "Ann"}, "wa_id": "79250000001"}],
            "messages": [{"from": "79250000001", "id": "wamid.1", "type": "text", "text": {"body": "a"}},
                         {"from": "79250000001", "id": "wamid.2", "type": "text", "text": {"body": "b"}}],
            "statuses": [{"id": "wamid.9", "status": "read", "recipient_id": "79250000001"}]}));
        let keys: Vec<String> = split(&e, "PN1").into_iter().map(|u| u.key).collect();
        assert_eq!(
            keys,
            ["wamsg:wamid.1", "wamsg:wamid.2", "wastatus:wamid.9:read"]
        );
        assert!(split(&e, "PN2").is_empty(), "another number's event");
        assert!(split(&json!({"object": "page"}), "PN1").is_empty());
    }

    #[test]
    fn messages_parse_with_profile_name_caption_and_media() {
        let e = event(json!({"metadata": meta(),
            "contacts": [{"profile": {"name": "Ann"}, "wa_id": "7925"}],
            "messages": [{"from": "7925", "id": "wamid.I", "type": "image",
                          "image": {"id": "M1", "mime_type": "image/jpeg", "caption": "look"}}]}));
        let update = split(&e, "PN1").remove(0);
        let Parsed::Message(m) = parse(&update.payload) else {
            panic!("a message")
        };
        assert_eq!(
            (m.wa_id.as_str(), m.name.as_deref(), m.text.as_str()),
            ("7925", Some("Ann"), "look")
        );
        assert_eq!(
            m.files,
            vec![MediaRef {
                media_id: "M1".into(),
                file_name: "image.jpg".into(),
                mime_type: "image/jpeg".into()
            }]
        );
        let doc = json!({"contacts": [], "messages": [{"from": "7925", "id": "w", "type": "document",
            "document": {"id": "M2", "mime_type": "application/pdf", "filename": "bill.pdf"}}]});
        let Parsed::Message(m) = parse(&doc.to_string()) else {
            panic!("a document")
        };
        assert_eq!(m.files[0].file_name, "bill.pdf");
        assert_eq!(m.name, None);
        let loc = json!({"messages": [{"from": "7925", "id": "w", "type": "location",
            "location": {"latitude": 55.75, "longitude": 37.62, "name": "Office"}}]});
        let Parsed::Message(m) = parse(&loc.to_string()) else {
            panic!("a location")
        };
        assert_eq!(m.text, "Location: 55.75, 37.62 (Office)");
    }

    #[test]
    fn nul_characters_are_dropped() {
        let e = event(json!({"metadata": meta(),
            "contacts": [{"profile": {"name": "A\u{0}nn"}, "wa_id": "7925"}],
            "messages": [{"from": "7925", "id": "wamid.N", "type": "document",
                          "document": {"id": "M2", "mime_type": "application/pdf",
                                       "filename": "a\u{0}.pdf", "caption": "x\u{0}y"}}]}));
        let update = split(&e, "PN1").remove(0);
        let Parsed::Message(m) = parse(&update.payload) else {
            panic!("a message")
        };
        assert_eq!((m.name.as_deref(), m.text.as_str()), (Some("Ann"), "xy"));
        assert_eq!(m.files[0].file_name, "a.pdf");
    }

    #[test]
    fn reactions_and_unknown_kinds_are_skipped() {
        for kind in ["reaction", "unsupported", "system"] {
            let v = json!({"messages": [{"from": "7925", "id": "w", "type": kind}]});
            assert!(
                matches!(parse(&v.to_string()), Parsed::Unsupported(_)),
                "{kind}"
            );
        }
        assert!(matches!(parse("not json"), Parsed::Unsupported(_)));
    }

    #[test]
    fn statuses_map_to_receipts() {
        let s =
            |status: &str| json!({"statuses": [{"id": "wamid.S", "status": status}]}).to_string();
        assert_eq!(
            parse(&s("sent")),
            Parsed::Status(Status {
                wamid: "wamid.S".into(),
                receipt: Receipt::Reached(Ack::Sent)
            })
        );
        assert!(matches!(
            parse(&s("delivered")),
            Parsed::Status(Status {
                receipt: Receipt::Reached(Ack::Delivered),
                ..
            })
        ));
        assert!(matches!(
            parse(&s("read")),
            Parsed::Status(Status {
                receipt: Receipt::Reached(Ack::Read),
                ..
            })
        ));
        let failed = json!({"statuses": [{"id": "wamid.S", "status": "failed",
            "errors": [{"code": 131026, "title": "Message undeliverable"}]}]});
        let Parsed::Status(Status {
            receipt: Receipt::Failed { reason },
            ..
        }) = parse(&failed.to_string())
        else {
            panic!("failed")
        };
        assert!(
            reason.contains("131026") && reason.contains("Message undeliverable"),
            "{reason}"
        );
        assert!(matches!(parse(&s("deleted")), Parsed::Unsupported(_)));
    }
}
