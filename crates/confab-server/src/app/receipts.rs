//! Receipts: a messenger (or the sandbox) reports how far an outgoing message got.

use confab_store::{Ack, Message};

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
}
