//! The sandbox connector: a simulated messenger. A message is sent after `latency`, then
//! reaches the contact's device (ack 2) after `latency` again. It fails the way a real
//! messenger does when the channel's phone is offline, the channel is disabled or deleted,
//! or the contact has been made unreachable through the sandbox endpoints.
//!
//! The second step is as durable as the first: recording a sandbox send also records its
//! device receipt as due (`rules::due_receipt_after_send`, in the same transaction), and
//! [`run_device_receipts`] applies it `latency` after the send, under a lease, through the
//! receipt operation. A restart in between only postpones it.

use std::time::Duration;

use confab_store::{ChannelState, Claimed, DueReceipt, Outcome};
use tokio_util::sync::CancellationToken;

use super::connector::Connector;
use crate::worker::WorkerState;

/// Due receipts claimed at a time.
const RECEIPT_BATCH: u32 = 64;

/// The simulated messenger.
pub struct SandboxConnector {
    /// How long each step takes.
    pub latency: Duration,
}

/// Why the simulated messenger refuses a message, if it does.
pub fn refusal(job: &Claimed) -> Option<String> {
    let (channel, deleted) = &job.channel;
    if *deleted {
        return Some("the channel has been deleted".to_owned());
    }
    match channel.state {
        ChannelState::PhoneOffline => return Some("phone offline".to_owned()),
        ChannelState::Unavailable => return Some("the channel is unavailable".to_owned()),
        ChannelState::Disabled => return Some("the channel is disabled".to_owned()),
        ChannelState::PendingAuthorization => {
            return Some(
                "the channel's account is not signed in yet (request_code, then confirm)"
                    .to_owned(),
            );
        }
        ChannelState::Enabled => {}
    }
    job.contact_unreachable.then(|| {
        format!(
            "contact {} does not exist on {} or cannot be reached",
            job.conversation.sender_external_id, channel.provider
        )
    })
}

#[async_trait::async_trait]
impl Connector for SandboxConnector {
    async fn deliver(&self, job: &Claimed) -> Outcome {
        tokio::time::sleep(self.latency).await;
        match refusal(job) {
            Some(reason) => Outcome::Failed { reason },
            None => Outcome::Sent {
                external_public_id: format!("sandbox-{}", job.message.id),
            },
        }
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Runs the sandbox's second step until `cancel` fires: applies each device receipt a send
/// left due once `--sandbox-latency` has passed since the send (by the app's clock).
pub async fn run_device_receipts(state: WorkerState, cancel: CancellationToken) {
    let latency = state.config.sandbox_latency;
    let lease = millis(state.config.job_lease).max(1_000);
    // Without --sandbox only channels of an earlier sandbox run can leave receipts due.
    let poll = if state.config.sandbox {
        (latency / 4).clamp(Duration::from_millis(10), Duration::from_millis(250))
    } else {
        Duration::from_secs(1)
    };
    loop {
        let now = state.app.now_ms();
        let claimed = match state
            .app
            .store
            .claim_due_receipts(
                now.saturating_sub(millis(latency)),
                now,
                now.saturating_add(lease),
                RECEIPT_BATCH,
            )
            .await
        {
            Ok(claimed) => claimed,
            Err(e) => {
                tracing::error!(error = %e, "claiming sandbox device receipts failed");
                Vec::new()
            }
        };
        let full = claimed.len() >= RECEIPT_BATCH as usize;
        // Side by side, so they share commits; each one is a single receipt.
        futures_util::future::join_all(claimed.into_iter().map(|r| apply(&state, r))).await;
        if full {
            continue;
        }
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(poll) => {}
        }
    }
}

/// Applies one claimed device receipt through the same receipt operation a real
/// messenger's delivery report goes through, then removes it. Applied twice (a crash
/// between the two steps), it changes nothing the second time.
async fn apply(state: &WorkerState, receipt: DueReceipt) {
    match state
        .app
        .record_receipt(
            receipt.company_id,
            receipt.conversation_id,
            receipt.message_id,
            receipt.ack,
        )
        .await
    {
        Ok(_) => {}
        // The message is gone: nothing will ever take this receipt.
        Err(crate::app::error::AppError::NotFound(_)) => {
            tracing::warn!(
                message = receipt.message_id,
                "sandbox receipt for a missing message"
            );
        }
        Err(e) => {
            // Kept: claimed again once its lease expires.
            tracing::error!(message = receipt.message_id, error = %e, "sandbox ack failed");
            return;
        }
    }
    match state
        .app
        .store
        .complete_due_receipt(receipt.id, receipt.lease_until)
        .await
    {
        Ok(true) => {}
        Ok(false) => tracing::warn!(receipt = receipt.id, "sandbox receipt outlived its lease"),
        Err(e) => {
            tracing::error!(receipt = receipt.id, error = %e, "completing a sandbox receipt failed")
        }
    }
}
