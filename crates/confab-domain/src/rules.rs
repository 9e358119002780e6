//! What a change causes: the acks a message starts with or moves to, the state a delivery
//! leaves its job in, and the events each change announces. Written once here, pure, and
//! called by every store backend inside the transaction of the change, so the backends
//! persist the same consequences and cannot drift (the store contract suite checks each
//! backend's code path reaches these rules).

use crate::model::{Conversation, Event, Job, Message, Outcome};
use confab_wire::{Ack, JobState};

/// The ack of a message a contact sent: it has reached us, so it is delivered.
pub const INBOUND_ACK: Ack = Ack::Delivered;

/// The ack of an outgoing message when it is stored: it waits for its delivery job.
pub const OUTGOING_ACK: Ack = Ack::Preparing;

/// The ack a message reaches when the messenger accepts it (never lowered: a receipt that
/// arrived first wins).
pub const SENT_ACK: Ack = Ack::Sent;

/// Whether a message at `current` moves to `to`: acks only move forward, so a late or
/// repeated receipt changes nothing.
pub fn ack_advances(current: Ack, to: Ack) -> bool {
    to > current
}

/// The ack a messenger's receipt moves an accepted outgoing message at `current` to, if
/// any. Acks only move forward (read may come without delivered; delivered after read
/// changes nothing). A failure reported after the send wins over `sent`/`delivered`/`read`
/// and takes the message to [`Ack::Preparing`] (-1, "may never be delivered"); a message
/// that is sent and at -1 has failed, and that is final: a late `delivered` after `failed`
/// (seen on multi-device users) does not revive it.
pub fn receipt_moves(current: Ack, receipt: &crate::model::Receipt) -> Option<Ack> {
    use crate::model::Receipt;
    match receipt {
        Receipt::Failed { .. } => (current != Ack::Preparing).then_some(Ack::Preparing),
        Receipt::Reached(_) if current == Ack::Preparing => None,
        Receipt::Reached(to) => ack_advances(current, *to).then_some(*to),
    }
}

/// Whether a company's events are queued for webhook delivery: only when it has somewhere
/// to send them (a webhook URL). Every event is recorded in the event log either way.
pub fn delivers_webhooks(company_has_webhook_url: bool) -> bool {
    company_has_webhook_url
}

/// How a found-or-created conversation came out of an incoming or outgoing first message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// The contact is new: the conversation was created.
    Created,
    /// The contact was known and gave a new display name.
    Renamed,
    /// The contact was known, nothing about them changed.
    Unchanged,
}

/// The events of finding or creating a conversation: `conversation` as it is at that
/// moment, before any message of the same change.
pub fn on_conversation_found(found: Found, conversation: &Conversation) -> Vec<Event> {
    match found {
        Found::Created => vec![Event::ConversationNew {
            conversation: conversation.clone(),
        }],
        Found::Renamed => vec![Event::ConversationUpdate {
            conversation: conversation.clone(),
        }],
        Found::Unchanged => Vec::new(),
    }
}

/// The events of an incoming message stored in `conversation` (as it is after it).
pub fn on_inbound(conversation: &Conversation, message: &Message) -> Vec<Event> {
    vec![Event::MessageNew {
        conversation: conversation.clone(),
        message: message.clone(),
    }]
}

/// The events of a receipt: one `message.ack` when the ack moved, none for a receipt that
/// changed nothing.
pub fn on_receipt(
    conversation: &Conversation,
    message_id: i64,
    ack: Ack,
    moved: bool,
) -> Vec<Event> {
    if !moved {
        return Vec::new();
    }
    vec![Event::MessageAck {
        conversation: conversation.clone(),
        message_id,
        ack,
    }]
}

/// What recording a delivery outcome does to its job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobUpdate<'a> {
    /// The job's state afterwards.
    pub state: JobState,
    /// Why it failed (or failed this time, while retrying).
    pub reason: Option<&'a str>,
    /// When it is due again, for a retry.
    pub run_after: Option<i64>,
    /// When it reached its final state.
    pub executed_at: Option<i64>,
    /// Whether the message was accepted: its ack moves to [`SENT_ACK`] and it keeps the
    /// messenger's id.
    pub sent: bool,
}

/// What a connector's `outcome`, recorded at `now_ms`, does to the job.
pub fn job_after(outcome: &Outcome, now_ms: i64) -> JobUpdate<'_> {
    let (state, reason, run_after) = match outcome {
        Outcome::Sent { .. } => (JobState::Delivered, None, None),
        Outcome::Failed { reason } => (JobState::NotDelivered, Some(reason.as_str()), None),
        Outcome::Retry { reason, at_ms } => {
            (JobState::TryingDeliver, Some(reason.as_str()), Some(*at_ms))
        }
    };
    JobUpdate {
        state,
        reason,
        run_after,
        executed_at: state.is_final().then_some(now_ms),
        sent: matches!(outcome, Outcome::Sent { .. }),
    }
}

/// The events of a recorded delivery: the message once it is sent (in its conversation as
/// it is now, when that is known), then the job once it is final. A retry announces nothing.
pub fn on_delivery(
    job: &Job,
    message: &Message,
    conversation: Option<&Conversation>,
    sent: bool,
) -> Vec<Event> {
    let mut events = Vec::new();
    if sent && let Some(conversation) = conversation {
        events.push(Event::MessageNew {
            conversation: conversation.clone(),
            message: message.clone(),
        });
    }
    if job.state.is_final() {
        events.push(Event::JobExecuted { job: job.clone() });
    }
    events
}

/// The connector that simulates every messenger (`--sandbox`).
pub const SANDBOX_CONNECTOR: &str = "sandbox";

/// The receipt that follows a send through a channel of `connector` without a messenger
/// to report it: the sandbox's contact device receives every sent message, so a send
/// records a due [`Ack::Delivered`] beside it (a [`DueReceipt`](crate::model::DueReceipt),
/// applied after the sandbox latency). Real messengers report their own receipts.
pub fn due_receipt_after_send(connector: &str, sent: bool) -> Option<Ack> {
    (sent && connector == SANDBOX_CONNECTOR).then_some(Ack::Delivered)
}

/// Why a member cannot stop being an admin (be demoted or removed), if they cannot: a
/// company always keeps one. `other_admins` counts the company's admins besides them.
pub fn refuse_losing_last_admin(
    role: crate::model::Role,
    name: &str,
    other_admins: usize,
) -> Option<String> {
    (role == crate::model::Role::Admin && other_admins == 0)
        .then(|| format!("{name} is the company's last admin; make another member admin first"))
}

/// The events of a conversation left without an assignee because its assignee was removed
/// from the company: the same as any unassignment ([`on_assigned`]).
pub fn on_unassigned(conversation: &Conversation) -> Vec<Event> {
    on_assigned(conversation)
}

/// The events of a conversation whose assignee was set or cleared (`conversation` as it is
/// now): one `conversation.assign`, so every open inbox moves it between its tabs. Pact
/// announces no such change by webhook, so it only goes to the log.
pub fn on_assigned(conversation: &Conversation) -> Vec<Event> {
    vec![Event::ConversationAssign {
        conversation: conversation.clone(),
    }]
}

/// The events of a channel system event `event` at `at_ms` (its state already changed).
pub fn on_channel_event(channel_id: i64, event: &str, at_ms: i64) -> Vec<Event> {
    vec![Event::System {
        channel_id,
        event: event.to_owned(),
        at_ms,
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_wire::Provider;

    fn conversation() -> Conversation {
        Conversation {
            id: 7,
            company_id: 1,
            channel_id: 2,
            channel_type: Provider::Whatsapp,
            sender_external_id: "79250000001".to_owned(),
            name: "Ivan".to_owned(),
            avatar: None,
            meta: serde_json::Map::new(),
            note: None,
            assignee_id: None,
            bitrix_block_openlines: false,
            last_message_at_ms: None,
            last_income_message_at_ms: None,
            created_at_ms: 1,
        }
    }

    fn message(income: bool, ack: Ack) -> Message {
        Message {
            id: 3,
            conversation_id: 7,
            channel_id: 2,
            income,
            body: "hi".to_owned(),
            ack,
            send_to_crm: true,
            created_at_ms: 1,
            job_id: None,
            external_public_id: None,
            interactive: None,
            attachments: Vec::new(),
        }
    }

    fn job(state: JobState) -> Job {
        Job {
            id: 5,
            company_id: 1,
            channel_id: 2,
            channel_type: Provider::Whatsapp,
            conversation_id: 7,
            message_id: 3,
            state,
            reason: None,
            attempts: 1,
            created_at_ms: 1,
            executed_at_ms: None,
        }
    }

    fn labels(events: &[Event]) -> Vec<&'static str> {
        events.iter().map(Event::label).collect()
    }

    #[test]
    fn acks_start_where_the_message_is_and_only_move_forward() {
        assert_eq!(INBOUND_ACK, Ack::Delivered);
        assert_eq!(OUTGOING_ACK, Ack::Preparing);
        assert!(ack_advances(Ack::Sent, Ack::Delivered));
        assert!(!ack_advances(Ack::Read, Ack::Delivered));
        assert!(!ack_advances(Ack::Delivered, Ack::Delivered));
    }

    #[test]
    fn a_company_keeps_its_last_admin() {
        use crate::model::Role;
        assert!(refuse_losing_last_admin(Role::Admin, "ann", 0).is_some_and(|r| r.contains("ann")));
        assert_eq!(refuse_losing_last_admin(Role::Admin, "ann", 1), None);
        assert_eq!(refuse_losing_last_admin(Role::Agent, "bob", 0), None);
    }

    #[test]
    fn events_are_queued_for_webhooks_only_for_companies_with_a_webhook() {
        assert!(delivers_webhooks(true));
        assert!(!delivers_webhooks(false));
    }

    #[test]
    fn finding_a_conversation_announces_creation_and_renames_only() {
        let c = conversation();
        assert_eq!(
            labels(&on_conversation_found(Found::Created, &c)),
            ["conversation.new"]
        );
        assert_eq!(
            labels(&on_conversation_found(Found::Renamed, &c)),
            ["conversation.update"]
        );
        assert!(on_conversation_found(Found::Unchanged, &c).is_empty());
        assert_eq!(
            labels(&on_inbound(&c, &message(true, INBOUND_ACK))),
            ["message.new"]
        );
    }

    #[test]
    fn a_receipt_is_announced_only_when_it_moved_the_ack() {
        let c = conversation();
        assert_eq!(labels(&on_receipt(&c, 3, Ack::Read, true)), ["message.ack"]);
        assert!(on_receipt(&c, 3, Ack::Read, false).is_empty());
    }

    #[test]
    fn each_outcome_leaves_its_job_and_events() {
        let sent = Outcome::Sent {
            external_public_id: "x".to_owned(),
        };
        let update = job_after(&sent, 10);
        assert_eq!(
            (update.state, update.executed_at, update.sent),
            (JobState::Delivered, Some(10), true)
        );
        let failed = Outcome::Failed {
            reason: "blocked".to_owned(),
        };
        let update = job_after(&failed, 10);
        assert_eq!(
            (update.state, update.reason, update.sent),
            (JobState::NotDelivered, Some("blocked"), false)
        );
        let retry = Outcome::Retry {
            reason: "429".to_owned(),
            at_ms: 99,
        };
        let update = job_after(&retry, 10);
        assert_eq!(
            (update.state, update.run_after, update.executed_at),
            (JobState::TryingDeliver, Some(99), None)
        );

        let c = conversation();
        let m = message(false, SENT_ACK);
        assert_eq!(
            labels(&on_delivery(&job(JobState::Delivered), &m, Some(&c), true)),
            ["message.new", "job.executed"]
        );
        assert_eq!(
            labels(&on_delivery(
                &job(JobState::NotDelivered),
                &m,
                Some(&c),
                false
            )),
            ["job.executed"]
        );
        assert!(on_delivery(&job(JobState::TryingDeliver), &m, Some(&c), false).is_empty());
        assert_eq!(labels(&on_channel_event(2, "phone_offline", 5)), ["system"]);
    }

    #[test]
    fn only_a_sandbox_send_leaves_a_due_device_receipt() {
        assert_eq!(
            due_receipt_after_send(SANDBOX_CONNECTOR, true),
            Some(Ack::Delivered)
        );
        assert_eq!(due_receipt_after_send(SANDBOX_CONNECTOR, false), None);
        assert_eq!(due_receipt_after_send("telegram", true), None);
    }

    #[test]
    fn receipts_only_move_forward_and_failure_is_final() {
        use crate::model::Receipt;
        let reached = Receipt::Reached;
        let failed = Receipt::Failed {
            reason: "131026 Message undeliverable".to_owned(),
        };
        assert_eq!(
            receipt_moves(Ack::Sent, &reached(Ack::Delivered)),
            Some(Ack::Delivered)
        );
        assert_eq!(
            receipt_moves(Ack::Sent, &reached(Ack::Read)),
            Some(Ack::Read),
            "delivered may be skipped"
        );
        assert_eq!(
            receipt_moves(Ack::Read, &reached(Ack::Delivered)),
            None,
            "never back"
        );
        assert_eq!(
            receipt_moves(Ack::Sent, &reached(Ack::Sent)),
            None,
            "a duplicate"
        );
        assert_eq!(
            receipt_moves(Ack::Sent, &failed),
            Some(Ack::Preparing),
            "failed after sent"
        );
        assert_eq!(receipt_moves(Ack::Read, &failed), Some(Ack::Preparing));
        assert_eq!(
            receipt_moves(Ack::Preparing, &failed),
            None,
            "already failed"
        );
        assert_eq!(
            receipt_moves(Ack::Preparing, &reached(Ack::Delivered)),
            None,
            "failure is final"
        );
    }
}
