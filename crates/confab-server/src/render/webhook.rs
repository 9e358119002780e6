//! The JSON bodies of Pact's webhooks, rendered from the outbox's event snapshots exactly
//! in the documented shapes.

use confab_store::{Conversation, Event, JobState, Message};
use serde_json::{Value, json};

use crate::domain::channel_events;
use crate::domain::time::{unix_seconds, utc_words};

/// The `data` of the conversation events: unlike REST, `avatar_url` (absolute or null), no
/// `meta`, `created_at` in the `... UTC` form and `last_*` null when unknown.
fn conversation_data(c: &Conversation) -> Value {
    json!({
        "external_id": c.id,
        "name": c.name,
        "avatar_url": c.avatar,
        "channel_id": c.channel_id,
        "channel_type": c.channel_type,
        "created_at": utc_words(c.created_at_ms),
        "created_at_timestamp": unix_seconds(c.created_at_ms),
        "last_message_at": c.last_message_at_ms.map(unix_seconds),
        "last_income_message_at": c.last_income_message_at_ms.map(unix_seconds),
        "sender_external_id": c.sender_external_id,
    })
}

fn message_data(company_id: i64, c: &Conversation, m: &Message) -> Value {
    let rest = super::message(company_id, c, m.clone());
    let mut data = json!({
        "external_id": m.id,
        "external_public_id": m.external_public_id,
        "channel_id": m.channel_id,
        "channel_type": c.channel_type,
        "channel": {"id": m.channel_id, "type": c.channel_type},
        "conversation_id": c.id,
        "message": m.body,
        "location": {},
        "income": m.income,
        "created_at": utc_words(m.created_at_ms),
        "created_at_timestamp": unix_seconds(m.created_at_ms),
        "ack": m.ack,
        "attachments": rest.attachments,
    });
    // `job_id` only for asynchronous sends, as the docs say.
    if let (Some(job_id), Some(object)) = (m.job_id, data.as_object_mut()) {
        object.insert("job_id".to_owned(), json!(job_id));
    }
    data
}

/// The webhook body of an event of `company_id`; `now_ms` is when the call is made.
pub fn body(company_id: i64, event: &Event, now_ms: i64) -> Value {
    match event {
        Event::ConversationNew { conversation } => json!({
            "type": "conversation", "event": "new", "data": conversation_data(conversation),
        }),
        Event::ConversationUpdate { conversation } => json!({
            "type": "conversation", "event": "update", "data": conversation_data(conversation),
        }),
        Event::ConversationAssign { conversation } => {
            let mut data = conversation_data(conversation);
            if let Some(fields) = data.as_object_mut() {
                fields.insert("assignee_id".to_owned(), json!(conversation.assignee_id));
            }
            json!({"type": "conversation", "event": "assign", "data": data})
        }
        Event::MessageNew {
            conversation,
            message,
        } => json!({
            "type": "message", "event": "new",
            "data": message_data(company_id, conversation, message),
        }),
        Event::MessageAck {
            conversation,
            message_id,
            ack,
        } => json!({
            "type": "message", "event": "ack",
            "data": {
                "external_id": message_id,
                "channel": {"id": conversation.channel_id, "type": conversation.channel_type},
                "conversation_id": conversation.id,
                "ack": ack,
            },
        }),
        Event::JobExecuted { job } => {
            let delivered = job.state == JobState::Delivered;
            let mut data = json!({
                "id": job.id,
                "result": if delivered { "DELIVERED" } else { "NOT DELIVERED" },
                "message_id": delivered.then_some(job.message_id),
                "date": unix_seconds(job.executed_at_ms.unwrap_or(job.created_at_ms)),
            });
            if !delivered && let Some(object) = data.as_object_mut() {
                object.insert(
                    "reason".to_owned(),
                    json!(job.reason.clone().unwrap_or_default()),
                );
            }
            json!({"type": "job", "event": "executed", "data": data})
        }
        Event::QrCode {
            channel_id,
            image_base64,
        } => json!({
            "type": "qr_code", "event": "new", "company_id": company_id,
            "channel_id": channel_id, "data": image_base64,
        }),
        Event::System {
            channel_id,
            event,
            at_ms,
        } => {
            let known = channel_events::parse(event);
            json!({
                "type": "system",
                "severity": known.map_or("critical", |e| e.severity),
                "data": {
                    "message": known.map_or(event.as_str(), |e| e.message),
                    "date": utc_words(*at_ms),
                    "date_timestamp": unix_seconds(*at_ms),
                    "timestamp": unix_seconds(now_ms),
                    "details": {"entity": "channel", "entity_id": channel_id},
                },
            })
        }
    }
}
