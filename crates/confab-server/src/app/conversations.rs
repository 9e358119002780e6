//! Starting conversations and the operators' changes to them.

use confab_store::{Channel, Contact, Conversation, OutgoingText, Posted};

use super::App;
use super::error::{AppError, AppResult};

impl App {
    /// Finds or creates the conversation with `sender` on `channel` and queues `text` to
    /// it (stored with its delivery job in one transaction), then wakes the delivery worker.
    pub async fn start_conversation(
        &self,
        channel: Channel,
        sender: String,
        text: String,
        send_to_crm: bool,
    ) -> AppResult<Posted> {
        if channel.connector == crate::connectors::telegram::NAME {
            return Err(AppError::Invalid {
                field: "provider",
                reason: "a Telegram bot cannot write first: the customer must write to the \
                         bot, then replies go through POST .../conversations/ID/messages"
                    .to_owned(),
            });
        }
        let contact = Contact {
            sender_external_id: sender,
            name: None,
        };
        let text = OutgoingText {
            body: text,
            send_to_crm,
            template: None,
        };
        let posted = self
            .store
            .start_conversation(channel, contact, text, self.now_ms())
            .await?;
        self.delivery_wakeup.wake();
        self.webhook_wakeup.wake();
        Ok(posted)
    }

    /// Sets the operators' note of a conversation.
    pub async fn set_note(
        &self,
        company_id: i64,
        conversation_id: i64,
        note: String,
    ) -> AppResult<()> {
        if !self
            .store
            .set_note(company_id, conversation_id, note)
            .await?
        {
            return Err(AppError::NotFound("conversation"));
        }
        Ok(())
    }

    /// Assigns a conversation to a member of its company, or unassigns it (`None`).
    pub async fn assign(
        &self,
        company_id: i64,
        conversation_id: i64,
        assignee_id: Option<i64>,
    ) -> AppResult<()> {
        if let Some(user_id) = assignee_id {
            let is_member = user_id > 0 && self.store.is_member(company_id, user_id).await?;
            if !is_member {
                return Err(AppError::invalid(
                    "assignee_id",
                    "must be the id of a user who is a member of this company",
                ));
            }
        }
        if !self
            .store
            .set_assignee(company_id, conversation_id, assignee_id, self.now_ms())
            .await?
        {
            return Err(AppError::NotFound("conversation"));
        }
        Ok(())
    }

    /// Sets the Bitrix24 open-lines block flag, or flips it when `enabled` is `None`.
    pub async fn toggle_bitrix_block_openlines(
        &self,
        company_id: i64,
        conversation_id: i64,
        enabled: Option<bool>,
    ) -> AppResult<Conversation> {
        self.store
            .set_bitrix_block_openlines(company_id, conversation_id, enabled)
            .await?
            .ok_or(AppError::NotFound("conversation"))
    }
}
