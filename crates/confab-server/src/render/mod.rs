//! The wire forms of stored rows, in one place for every layer that answers or announces
//! them: the REST answers here (`confab-wire` types) for the HTTP handlers, and the
//! webhook bodies in [`webhook`] for the dispatcher.

pub mod webhook;

use confab_store::{Conversation, Job, JobState, Message};
use confab_wire as wire;

use crate::domain::time::{iso_millis, unix_seconds};

/// The placeholder avatar of the Pact docs, for contacts without one.
pub const MISSING_AVATAR: &str = "/avatars/original/missing.png";

/// Where an attachment is downloaded from (with the API token).
pub fn attachment_url(company_id: i64, conversation_id: i64, attachment_id: i64) -> String {
    format!(
        "/p1/companies/{company_id}/conversations/{conversation_id}/attachments/{attachment_id}"
    )
}

/// The wire form of a conversation: every field of the seed's examples, never null.
pub fn conversation(c: Conversation) -> wire::Conversation {
    // By value: a page of 50 moves its strings instead of copying them.
    wire::Conversation {
        external_id: c.id,
        name: c.name,
        channel_id: c.channel_id,
        channel_type: c.channel_type.as_str().to_owned(),
        created_at: iso_millis(c.created_at_ms),
        created_at_timestamp: unix_seconds(c.created_at_ms),
        avatar: c.avatar.unwrap_or_else(|| MISSING_AVATAR.to_owned()),
        sender_external_id: c.sender_external_id,
        meta: c.meta,
        last_message_at: c.last_message_at_ms.map_or(0, unix_seconds),
        last_income_message_at: c.last_income_message_at_ms.map_or(0, unix_seconds),
        bitrix_block_openlines: c.bitrix_block_openlines,
        note: c.note,
        assignee_id: c.assignee_id,
    }
}

/// The wire form of a message of `conversation`.
pub fn message(company_id: i64, conversation: &Conversation, m: Message) -> wire::Message {
    // By value: a page of 50 moves its bodies instead of copying them.
    wire::Message {
        external_id: m.id,
        channel_id: m.channel_id,
        channel_type: conversation.channel_type.as_str().to_owned(),
        message: m.body,
        income: m.income,
        created_at: iso_millis(m.created_at_ms),
        created_at_timestamp: unix_seconds(m.created_at_ms),
        attachments: m
            .attachments
            .into_iter()
            .map(|a| wire::MessageAttachment {
                external_id: a.id,
                file_name: a.file_name,
                mime_type: a.mime_type,
                size: a.size,
                attachment_url: attachment_url(company_id, a.conversation_id, a.id),
            })
            .collect(),
        ack: m.ack.as_i32(),
        send_to_crm: m.send_to_crm,
        job_id: m.job_id,
        external_public_id: m.external_public_id,
        interactive: m.interactive,
    }
}

/// The documented job object. `message_id` stays `null` until the message is delivered,
/// which tells clients the delivery is asynchronous.
pub fn job(job: &Job) -> wire::Job {
    let details = match job.state {
        JobState::TryingDeliver => None,
        JobState::Delivered => Some(wire::JobDetails {
            result: "DELIVERED".to_owned(),
            reason: None,
        }),
        JobState::NotDelivered => Some(wire::JobDetails {
            result: "NOT DELIVERED".to_owned(),
            reason: Some(job.reason.clone().unwrap_or_default()),
        }),
    };
    wire::Job {
        id: job.id,
        company_id: job.company_id,
        channel: wire::JobChannel {
            id: job.channel_id,
            kind: job.channel_type.as_str().to_owned(),
        },
        conversation_id: job.conversation_id,
        state: job.state.as_str().to_owned(),
        message_id: (job.state == JobState::Delivered).then_some(job.message_id),
        details,
        created_at: unix_seconds(job.created_at_ms),
    }
}
