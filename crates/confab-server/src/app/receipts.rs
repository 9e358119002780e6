//! Receipts: a messenger (or the sandbox) reports how far an outgoing message got.

use confab_store::{Ack, Message, Receipt};

use super::App;
use super::error::{AppError, AppResult};

impl App {
    /// Moves the ack of message `message_id` forward to `ack` (a late or repeated receipt
    /// changes nothing). Answers the message as it is now and whether the ack moved.
    pub async fn record_receipt(
        &self,
        company_id: i64,
        conversation_id: i64,
        message_id: i64,
        ack: Ack,
    ) -> AppResult<(Message, bool)> {
        let out = self
            .store
            .advance_ack(company_id, conversation_id, message_id, ack, self.now_ms())
            .await?
            .ok_or(AppError::NotFound("message"))?;
        if out.1 {
            self.webhook_wakeup.wake();
        }
        Ok(out)
    }

    /// Applies a messenger's receipt to the outgoing message of channel `channel_id` it
    /// knows as `external_public_id` (acks forward only; a failure after the send is
    /// final and ends the job not delivered). `None` when no such message is known (yet);
    /// otherwise whether it changed (and was announced).
    pub async fn record_messenger_receipt(
        &self,
        channel_id: i64,
        external_public_id: String,
        receipt: Receipt,
    ) -> AppResult<Option<bool>> {
        let out = self
            .store
            .apply_receipt(channel_id, external_public_id, receipt, self.now_ms())
            .await?;
        let moved = out.map(|(_, moved)| moved);
        if moved == Some(true) {
            self.webhook_wakeup.wake();
        }
        Ok(moved)
    }
}
