//! Sending an outgoing message: text by `sendMessage`, files by multipart `sendPhoto` /
//! `sendDocument` (never by URL: Telegram's fetch of URLs fails in ways Chatwoot's users
//! know well), one call per file, the text as the first file's caption when it fits.

use confab_store::{Attachment, Claimed};
use reqwest::multipart::{Form, Part};
use serde_json::json;

use super::Telegram;
use super::api::Failure;
use super::types::SentMessage;

/// The longest caption Telegram takes.
const MAX_CAPTION: usize = 1024;
/// Photos up to this size go by `sendPhoto` (Telegram's multipart photo limit).
const MAX_PHOTO: i64 = 10 * 1024 * 1024;

impl Telegram {
    /// Sends the claimed message to its chat; answers the id of the first message
    /// Telegram created for it.
    pub(super) async fn send(&self, token: &str, job: &Claimed) -> Result<i64, Failure> {
        let chat = job.conversation.sender_external_id.as_str();
        let message = &job.message;
        let text = message.body.as_str();
        let files = &message.attachments;
        let caption_fits = text.chars().count() <= MAX_CAPTION;
        let mut first = None;
        if !text.is_empty() && (files.is_empty() || !caption_fits) {
            let sent: SentMessage = self
                .api
                .call(
                    token,
                    "sendMessage",
                    &json!({"chat_id": chat, "text": text}),
                )
                .await?;
            first = Some(sent.message_id);
        }
        for (i, file) in files.iter().enumerate() {
            let caption = (i == 0 && first.is_none() && !text.is_empty()).then_some(text);
            let id = self.send_file(token, chat, file, caption).await?;
            first.get_or_insert(id);
        }
        first.ok_or_else(|| Failure::Api {
            code: 400,
            description: "the message has neither text nor files".to_owned(),
            retry_after: None,
        })
    }

    async fn send_file(
        &self,
        token: &str,
        chat: &str,
        file: &Attachment,
        caption: Option<&str>,
    ) -> Result<i64, Failure> {
        let bytes = self
            .app
            .blobs
            .read_all(&file.blob_key)
            .await
            .map_err(|e| Failure::Transport(format!("reading the attachment failed: {e}")))?;
        let photo =
            matches!(file.mime_type.as_str(), "image/jpeg" | "image/png") && file.size <= MAX_PHOTO;
        let (method, field) = if photo {
            ("sendPhoto", "photo")
        } else {
            ("sendDocument", "document")
        };
        let named = |bytes| Part::stream(bytes).file_name(file.file_name.clone());
        // A type reqwest cannot parse is sent without one rather than not at all.
        let part = named(bytes.clone())
            .mime_str(&file.mime_type)
            .unwrap_or_else(|_| named(bytes));
        let mut form = Form::new()
            .text("chat_id", chat.to_owned())
            .part(field, part);
        if let Some(caption) = caption {
            form = form.text("caption", caption.to_owned());
        }
        let sent: SentMessage = self.api.upload(token, method, form).await?;
        Ok(sent.message_id)
    }
}
