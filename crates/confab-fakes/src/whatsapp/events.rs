//! Webhook events as Meta sends them to a WhatsApp Business app: bodies built in Meta's
//! format, and [`post`] that signs them the way Meta does (`X-Hub-Signature-256:
//! sha256=<hex HMAC-SHA256(app secret, raw body)>`). Tests compose the order: statuses out
//! of order, skipped, duplicated or failed after sent are just bodies posted in that order.

use super::set;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::routes::hex;

/// The header Meta signs webhook bodies in.
pub const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";

/// The number an event is about.
#[derive(Debug, Clone)]
pub struct Business {
    /// The WABA (`entry[].id`).
    pub waba_id: String,
    /// `metadata.phone_number_id`.
    pub phone_number_id: String,
}

impl Business {
    /// A business number.
    pub fn new(waba_id: &str, phone_number_id: &str) -> Self {
        Self {
            waba_id: waba_id.to_owned(),
            phone_number_id: phone_number_id.to_owned(),
        }
    }

    /// The envelope around one `value` of the `messages` field.
    pub fn event(&self, value: Value) -> Value {
        let mut value = value;
        set(&mut value, "messaging_product", json!("whatsapp"));
        let metadata = json!({
            "display_phone_number": "15550100000",
            "phone_number_id": self.phone_number_id,
        });
        set(&mut value, "metadata", metadata);
        json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": self.waba_id, "changes": [{"field": "messages", "value": value}]}],
        })
    }

    /// Customer `wa_id` (profile `name`) sends `messages` (each a message object without
    /// `from`, filled in here).
    pub fn messages(&self, wa_id: &str, name: &str, messages: Vec<Value>) -> Value {
        let messages: Vec<Value> = messages
            .into_iter()
            .map(|mut m| {
                set(&mut m, "from", json!(wa_id));
                m
            })
            .collect();
        self.event(json!({
            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
            "messages": messages,
        }))
    }

    /// Statuses of messages this number sent.
    pub fn statuses(&self, statuses: Vec<Value>) -> Value {
        self.event(json!({ "statuses": statuses }))
    }
}

/// A text message object.
pub fn text(wamid: &str, body: &str) -> Value {
    json!({"id": wamid, "timestamp": "1733300000", "type": "text", "text": {"body": body}})
}

/// A media message object (`image`, `document`, `audio`, `video`, `sticker`).
pub fn media(
    wamid: &str,
    kind: &str,
    media_id: &str,
    mime_type: &str,
    caption: Option<&str>,
    filename: Option<&str>,
) -> Value {
    let mut object = json!({"id": media_id, "mime_type": mime_type, "sha256": "fake"});
    if let Some(c) = caption {
        set(&mut object, "caption", json!(c));
    }
    if let Some(f) = filename {
        set(&mut object, "filename", json!(f));
    }
    json!({"id": wamid, "timestamp": "1733300000", "type": kind, kind: object})
}

/// A location message object.
pub fn location(wamid: &str, latitude: f64, longitude: f64, name: Option<&str>) -> Value {
    let mut loc = json!({"latitude": latitude, "longitude": longitude});
    if let Some(n) = name {
        set(&mut loc, "name", json!(n));
    }
    json!({"id": wamid, "timestamp": "1733300000", "type": "location", "location": loc})
}

/// A reaction message object.
pub fn reaction(wamid: &str, to_wamid: &str, emoji: &str) -> Value {
    json!({"id": wamid, "timestamp": "1733300000", "type": "reaction",
           "reaction": {"message_id": to_wamid, "emoji": emoji}})
}

/// A status object: `status` is `sent`, `delivered` or `read`.
pub fn status(wamid: &str, status: &str, recipient: &str) -> Value {
    let mut s = json!({"id": wamid, "status": status, "timestamp": "1733300001", "recipient_id": recipient});
    if status == "sent" {
        set(
            &mut s,
            "conversation",
            json!({"id": "CONVERSATION_ID", "origin": {"type": "service"}}),
        );
        set(
            &mut s,
            "pricing",
            json!({"billable": true, "pricing_model": "CBP", "category": "service"}),
        );
    }
    s
}

/// A `failed` status with Meta's error.
pub fn failed(wamid: &str, recipient: &str, code: i64, title: &str) -> Value {
    json!({"id": wamid, "status": "failed", "timestamp": "1733300002", "recipient_id": recipient,
           "errors": [{"code": code, "title": title, "message": title,
                       "error_data": {"details": title}}]})
}

/// `sha256=<hex HMAC-SHA256(app_secret, body)>`.
pub fn signature(app_secret: &str, body: &[u8]) -> String {
    // HMAC takes a key of any length.
    let mut mac = match Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex(&mac.finalize().into_bytes()))
}

/// Posts `body` to `url` as Meta does, signed with `app_secret`; answers the HTTP status.
///
/// # Errors
/// When the request cannot be made.
pub async fn post(url: &str, app_secret: &str, body: &Value) -> Result<u16, reqwest::Error> {
    let raw = serde_json::to_vec(body).unwrap_or_default();
    post_raw(url, &signature(app_secret, &raw), raw).await
}

/// Posts raw bytes with the given signature header (a forged or missing one for tests).
///
/// # Errors
/// When the request cannot be made.
pub async fn post_raw(url: &str, signature: &str, raw: Vec<u8>) -> Result<u16, reqwest::Error> {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header(SIGNATURE_HEADER, signature)
        .body(raw)
        .send()
        .await?;
    Ok(response.status().as_u16())
}
