//! A channel's connection state and the announcements it makes.

use confab_store::{ChannelState, Event};

use super::App;
use super::error::{AppError, AppResult};

impl App {
    /// A channel system event (`phone_offline`, `disabled`, ...) happened: the channel takes
    /// `state` and the company is told.
    pub async fn change_channel_state(
        &self,
        company_id: i64,
        channel_id: i64,
        event: &str,
        state: ChannelState,
    ) -> AppResult<()> {
        if !self
            .store
            .set_channel_state(
                company_id,
                channel_id,
                event.to_owned(),
                state,
                self.now_ms(),
            )
            .await?
        {
            return Err(AppError::NotFound("channel"));
        }
        self.webhook_wakeup.wake();
        Ok(())
    }

    /// Announces a QR code to scan to connect channel `channel_id` (PNG, base64).
    pub async fn announce_qr_code(
        &self,
        company_id: i64,
        channel_id: i64,
        image_base64: String,
    ) -> AppResult<()> {
        let event = Event::QrCode {
            channel_id,
            image_base64,
        };
        self.store
            .announce(company_id, event, self.now_ms())
            .await?;
        self.webhook_wakeup.wake();
        Ok(())
    }
}

impl App {
    /// A messenger refused a channel's credentials for good: the channel becomes
    /// `disabled` with `reason`, the company is told, and its queued messages end not
    /// delivered with that reason. False when the channel is gone already.
    pub async fn break_channel(&self, channel_id: i64, reason: String) -> AppResult<bool> {
        // Deliveries in flight when the token was revoked all see the 401: the first one
        // breaks the channel, the rest find it broken (one `system` event, not one each).
        if let Some((channel, false)) = self.store.channel_by_id(channel_id).await?
            && channel.state == ChannelState::Disabled
        {
            return Ok(true);
        }
        let ended = self
            .store
            .break_channel(channel_id, reason, self.now_ms())
            .await?;
        if let Some(jobs) = ended {
            tracing::warn!(
                channel = channel_id,
                jobs,
                "channel disabled: the messenger refused its credentials"
            );
            self.webhook_wakeup.wake();
        }
        Ok(ended.is_some())
    }
}
