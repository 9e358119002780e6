//! The sandbox connector: a simulated messenger. A message is sent after `latency`, then
//! reaches the contact's device (ack 2) after `latency` again. It fails the way a real
//! messenger does when the channel's phone is offline, the channel is disabled or deleted,
//! or the contact has been made unreachable through the sandbox endpoints.

use std::time::Duration;

use confab_store::{Ack, ChannelState, Claimed, Job, Message, Outcome};

use super::connector::Connector;
use crate::worker::WorkerState;

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

    async fn after_sent(&self, state: &WorkerState, job: &Job, message: &Message) {
        tokio::time::sleep(self.latency).await;
        // The same receipt operation a real messenger's delivery report goes through.
        if let Err(e) = state
            .app
            .record_receipt(
                job.company_id,
                job.conversation_id,
                message.id,
                Ack::Delivered,
            )
            .await
        {
            tracing::error!(job = job.id, error = %e, "sandbox ack failed");
        }
    }
}
