//! Sending an outgoing message: text by `POST /<phone_number_id>/messages`; files uploaded
//! to `/<phone_number_id>/media` first and sent by media id (Meta calls `link` not
//! recommended), the text as the first file's caption where WhatsApp takes one.

use super::set;
use confab_store::{Attachment, Claimed, TemplateSend};
use serde_json::{Value, json};

use super::WhatsApp;
use super::api::Failure;

/// The longest caption WhatsApp takes.
const MAX_CAPTION: usize = 1024;

/// What one WhatsApp message carries: each kind is one body shape of `/messages`
/// (a template send is another kind of the same call).
#[derive(Debug, Clone, PartialEq)]
pub enum MessageKind {
    /// `type: text`.
    Text {
        /// `text.body`.
        body: String,
    },
    /// `type: image|document|audio|video` by an uploaded media id.
    Media {
        /// `image`, `document`, `audio` or `video`.
        kind: &'static str,
        /// The uploaded media id.
        media_id: String,
        /// `caption` (not for audio).
        caption: Option<String>,
        /// `filename` (documents keep their name).
        filename: Option<String>,
    },
    /// `type: template`: an approved template, its body parameters in placeholder order.
    Template(TemplateSend),
}

impl MessageKind {
    /// The JSON body of `POST /<phone_number_id>/messages` to `to`.
    pub fn body(&self, to: &str) -> Value {
        let mut body = json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
        });
        match self {
            Self::Text { body: text } => {
                set(&mut body, "type", json!("text"));
                set(
                    &mut body,
                    "text",
                    json!({"preview_url": false, "body": text}),
                );
            }
            Self::Media {
                kind,
                media_id,
                caption,
                filename,
            } => {
                let mut object = json!({ "id": media_id });
                if let Some(c) = caption {
                    set(&mut object, "caption", json!(c));
                }
                if let Some(f) = filename {
                    set(&mut object, "filename", json!(f));
                }
                set(&mut body, "type", json!(kind));
                set(&mut body, kind, object);
            }
            Self::Template(send) => {
                set(&mut body, "type", json!("template"));
                set(&mut body, "template", template_object(send));
            }
        }
        body
    }
}

/// The `template` object of a template send: name, language and, when it has any, the
/// body's parameters as text (named placeholders carry their `parameter_name`, which
/// Meta requires for templates with named parameters).
fn template_object(send: &TemplateSend) -> Value {
    let mut template = json!({
        "name": send.name,
        "language": {"code": send.language},
    });
    if !send.parameters.is_empty() {
        let parameters: Vec<Value> = send
            .parameters
            .iter()
            .zip(
                send.placeholders
                    .iter()
                    .map(Some)
                    .chain(std::iter::repeat(None)),
            )
            .map(|(text, placeholder)| {
                let mut parameter = json!({"type": "text", "text": text});
                if let Some(name) = placeholder.filter(|p| !p.bytes().all(|b| b.is_ascii_digit())) {
                    set(&mut parameter, "parameter_name", json!(name));
                }
                parameter
            })
            .collect();
        set(
            &mut template,
            "components",
            json!([{"type": "body", "parameters": parameters}]),
        );
    }
    template
}

/// The WhatsApp message type a file goes as (by Meta's supported types and sizes).
pub fn media_kind(mime_type: &str, size: i64) -> &'static str {
    const MB: i64 = 1024 * 1024;
    let essence = mime_type.split(';').next().unwrap_or_default().trim();
    match essence {
        "image/jpeg" | "image/png" if size <= 5 * MB => "image",
        "video/mp4" | "video/3gpp" if size <= 16 * MB => "video",
        "audio/aac" | "audio/amr" | "audio/mpeg" | "audio/mp4" | "audio/ogg" if size <= 16 * MB => {
            "audio"
        }
        _ => "document",
    }
}

impl WhatsApp {
    /// Sends the claimed message to its contact; answers the `wamid` of the first message
    /// WhatsApp created for it.
    pub(super) async fn send(
        &self,
        token: &str,
        phone_number_id: &str,
        job: &Claimed,
    ) -> Result<String, Failure> {
        let to = job.conversation.sender_external_id.as_str();
        if let Some(template) = &job.template {
            // The stored text is the rendered body, for people; Meta renders its own.
            let kind = MessageKind::Template(template.clone());
            return self.post(token, phone_number_id, to, &kind).await;
        }
        let text = job.message.body.as_str();
        let files = &job.message.attachments;
        let first_takes_caption = files.first().is_some_and(|f| {
            media_kind(&f.mime_type, f.size) != "audio" && text.chars().count() <= MAX_CAPTION
        });
        // Every upload first: a failure there leaves nothing sent, so the whole job may
        // be tried again without the customer getting any part twice.
        let mut parts = Vec::with_capacity(files.len() + 1);
        if !text.is_empty() && !first_takes_caption {
            parts.push(MessageKind::Text {
                body: text.to_owned(),
            });
        }
        for (i, file) in files.iter().enumerate() {
            let caption =
                (i == 0 && first_takes_caption && !text.is_empty()).then(|| text.to_owned());
            parts.push(self.upload(token, phone_number_id, file, caption).await?);
        }
        let mut parts = parts.iter();
        let Some(first) = parts.next() else {
            return Err(Failure::Api {
                status: 400,
                code: None,
                message: "the message has neither text nor files".to_owned(),
            });
        };
        let wamid = self.post(token, phone_number_id, to, first).await?;
        for part in parts {
            // Once a part reached the customer the job is sent: trying it all again would
            // send that part twice. A later part's failure is logged, not retried.
            if let Err(failure) = self.post(token, phone_number_id, to, part).await {
                tracing::warn!(
                    job = job.job.id,
                    error = %failure,
                    "a later part of a WhatsApp message was refused; the first part was sent"
                );
            }
        }
        Ok(wamid)
    }

    async fn post(
        &self,
        token: &str,
        phone_number_id: &str,
        to: &str,
        kind: &MessageKind,
    ) -> Result<String, Failure> {
        self.api
            .send_message(token, phone_number_id, &kind.body(to))
            .await
    }

    /// Uploads a file; answers the message that sends it.
    async fn upload(
        &self,
        token: &str,
        phone_number_id: &str,
        file: &Attachment,
        caption: Option<String>,
    ) -> Result<MessageKind, Failure> {
        let bytes = self
            .app
            .blobs
            .read_all(&file.blob_key)
            .await
            .map_err(|e| Failure::Transport(format!("reading the attachment failed: {e}")))?;
        let kind = media_kind(&file.mime_type, file.size);
        let media_id = self
            .api
            .upload_media(
                token,
                phone_number_id,
                bytes,
                &file.mime_type,
                &file.file_name,
            )
            .await?;
        Ok(MessageKind::Media {
            kind,
            media_id,
            caption: if kind == "audio" { None } else { caption },
            filename: (kind == "document").then(|| file.file_name.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_metas() {
        let text = MessageKind::Text { body: "hi".into() }.body("79250000001");
        assert_eq!(
            text,
            json!({"messaging_product": "whatsapp", "recipient_type": "individual",
                   "to": "79250000001", "type": "text", "text": {"preview_url": false, "body": "hi"}})
        );
        let doc = MessageKind::Media {
            kind: "document",
            media_id: "77".into(),
            caption: Some("the bill".into()),
            filename: Some("bill.pdf".into()),
        }
        .body("7");
        assert_eq!(doc["type"], "document");
        assert_eq!(
            doc["document"],
            json!({"id": "77", "caption": "the bill", "filename": "bill.pdf"})
        );
    }

    #[test]
    fn template_bodies_are_metas() {
        let numbered = TemplateSend {
            name: "order".into(),
            language: "en_US".into(),
            parameters: vec!["Ann".into(), "42".into()],
            placeholders: vec!["1".into(), "2".into()],
        };
        assert_eq!(
            MessageKind::Template(numbered).body("7")["template"],
            json!({"name": "order", "language": {"code": "en_US"}, "components": [
                {"type": "body", "parameters": [
                    {"type": "text", "text": "Ann"}, {"type": "text", "text": "42"}]}]})
        );
        let named = TemplateSend {
            name: "hi".into(),
            language: "ru".into(),
            parameters: vec!["Иван".into()],
            placeholders: vec!["first_name".into()],
        };
        assert_eq!(
            MessageKind::Template(named).body("7")["template"]["components"][0]["parameters"][0],
            json!({"type": "text", "text": "Иван", "parameter_name": "first_name"})
        );
        let bare = TemplateSend {
            name: "hello_world".into(),
            language: "en_US".into(),
            parameters: vec![],
            placeholders: vec![],
        };
        let body = MessageKind::Template(bare).body("7");
        assert_eq!(body["type"], "template");
        assert!(body["template"].get("components").is_none());
    }

    #[test]
    fn kinds_by_type_and_size() {
        assert_eq!(media_kind("image/png", 1000), "image");
        assert_eq!(media_kind("image/png", 6 * 1024 * 1024), "document");
        assert_eq!(media_kind("image/gif", 10), "document");
        assert_eq!(media_kind("audio/ogg; codecs=opus", 10), "audio");
        assert_eq!(media_kind("video/mp4", 10), "video");
        assert_eq!(media_kind("application/pdf", 10), "document");
    }
}
