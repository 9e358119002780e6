//! Sending messages and uploading the files they carry.

use confab_store::{Attachment, Conversation, Job, NewOutgoing, Provider, StoreError};
use serde_json::Value;

use super::App;
use super::error::{AppError, AppResult};
use super::files::{FileSource, blob_key};
use crate::domain::outgoing::{check_interactive, max_attachments};

/// An outgoing message as an operator or an integration writes it.
#[derive(Debug, Clone, Default)]
pub struct OutgoingDraft {
    /// The text (may be empty when attachments are given).
    pub body: String,
    /// Attachments uploaded into the conversation and not yet sent; a repeated id means
    /// the same file once.
    pub attachment_ids: Vec<i64>,
    /// The WhatsApp Business interactive part, as given.
    pub interactive: Option<Value>,
    /// Whether the message is synced to CRM integrations.
    pub send_to_crm: bool,
}

impl App {
    /// Stores an outgoing message in `conversation` with its delivery job (one
    /// transaction), wakes the delivery worker and answers the job.
    pub async fn send_message(
        &self,
        company_id: i64,
        conversation: &Conversation,
        draft: OutgoingDraft,
    ) -> AppResult<Job> {
        let provider = conversation.channel_type;
        let mut attachment_ids = draft.attachment_ids;
        let mut seen = std::collections::HashSet::new();
        attachment_ids.retain(|id| seen.insert(*id));
        if draft.body.trim().is_empty() && attachment_ids.is_empty() {
            return Err(AppError::Missing {
                field: "message",
                detail: "is required: give a message text, attachments_ids, or both".to_owned(),
            });
        }
        if attachment_ids.len() > max_attachments(provider) {
            return Err(AppError::invalid(
                "attachments_ids",
                format!(
                    "{provider} takes at most {} attachment(s) per message",
                    max_attachments(provider)
                ),
            ));
        }
        let interactive = match draft.interactive {
            None => None,
            Some(_) if provider != Provider::WhatsappBusiness => {
                return Err(AppError::invalid(
                    "interactive",
                    "is available only on whatsapp_business channels",
                ));
            }
            Some(value) => Some(
                check_interactive(&value).map_err(|why| AppError::invalid("interactive", why))?,
            ),
        };
        let message = NewOutgoing {
            conversation_id: conversation.id,
            body: draft.body,
            send_to_crm: draft.send_to_crm,
            attachment_ids,
            interactive,
        };
        let job = self
            .store
            .send_message(company_id, message, self.now_ms())
            .await
            .map_err(|e| match e {
                // The store speaks of attachments; the caller gave them as attachments_ids.
                StoreError::Invalid {
                    field: "attachment",
                    reason,
                } => AppError::Invalid {
                    field: "attachments_ids",
                    reason,
                },
                other => other.into(),
            })?;
        self.delivery_wakeup.wake();
        Ok(job)
    }

    /// Stores a file an operator uploads into a conversation, to be sent with a message.
    pub async fn upload_attachment(
        &self,
        company_id: i64,
        conversation_id: i64,
        source: FileSource,
    ) -> AppResult<Attachment> {
        let key = blob_key(company_id, conversation_id);
        let stored = self
            .store_file(source, key.clone(), conversation_id)
            .await?;
        match self
            .store
            .create_attachment(company_id, stored, self.now_ms())
            .await
        {
            Ok(attachment) => Ok(attachment),
            Err(e) => {
                self.forget_blobs([key]).await;
                Err(e.into())
            }
        }
    }
}
