//! The sandbox connector: a simulated messenger. A message is sent after `latency`, then
//! reaches the contact's device (ack 2) after `latency` again. It fails the way a real
//! messenger does when the channel's phone is offline, the channel is disabled or deleted,
//! or the contact has been made unreachable through the sandbox endpoints.

use std::time::Duration;

use confab_store::{ACK_DELIVERED, Claimed, Job, Message, Outcome};

use super::connector::Connector;
use crate::AppState;

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
    match channel.state.as_str() {
        "phone_offline" => return Some("phone offline".to_owned()),
        "unavailable" => return Some("the channel is unavailable".to_owned()),
        "disabled" => return Some("the channel is disabled".to_owned()),
        _ => {}
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

    async fn after_sent(&self, state: &AppState, job: &Job, message: &Message) {
        tokio::time::sleep(self.latency).await;
        if let Err(e) = state
            .store
            .advance_ack(
                job.company_id,
                job.conversation_id,
                message.id,
                ACK_DELIVERED,
                crate::domain::time::now_ms(),
            )
            .await
        {
            tracing::error!(job = job.id, error = %e, "sandbox ack failed");
        }
    }
}
