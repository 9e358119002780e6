//! Every value the suite hands the store, and every comparison of a type that is about to
//! change (providers, channel states, acks, error fields), goes through the helpers here,
//! so a change of the model is a change of this file. Also: the usual setup (a user, a
//! company, a channel) and walkers that check keyset paging in both directions.

use std::fmt::Debug;
use std::future::Future;

use confab_store::{
    Attempt, Channel, Company, Contact, Conversation, Job, Message, MessagePageRequest,
    NewAttachment, NewChannel, NewCompany, NewIncoming, NewOutgoing, OutboxEvent, OutgoingText,
    PageRequest, Posted, StoreError, StoreResult, TokenHash, User,
};
use serde_json::{Map, Value, json};

use crate::backend::Backend;

/// The suite's clock: every time is this plus a few milliseconds.
pub const T0: i64 = 1_700_000_000_000;

// ---- providers, channel states, acks ----

pub use confab_store::{Ack, ChannelState, Provider};

/// WhatsApp.
pub fn whatsapp() -> Provider {
    Provider::Whatsapp
}

/// Telegram bot.
pub fn telegram() -> Provider {
    Provider::Telegram
}

/// Viber.
pub fn viber() -> Provider {
    Provider::Viber
}

/// Facebook Messenger.
pub fn facebook() -> Provider {
    Provider::Facebook
}

/// The state of a new channel.
pub fn state_enabled() -> ChannelState {
    ChannelState::Enabled
}

/// The phone of the channel is offline.
pub fn state_phone_offline() -> ChannelState {
    ChannelState::PhoneOffline
}

/// The channel cannot be reached.
pub fn state_unavailable() -> ChannelState {
    ChannelState::Unavailable
}

/// Stored, not yet sent.
pub fn ack_preparing() -> Ack {
    Ack::Preparing
}

/// Accepted by the messenger.
pub fn ack_sent() -> Ack {
    Ack::Sent
}

/// On the recipient's device (and every incoming message).
pub fn ack_delivered() -> Ack {
    Ack::Delivered
}

/// Read by the recipient.
pub fn ack_read() -> Ack {
    Ack::Read
}

/// A messenger's receipt: the message got as far as `ack`.
pub fn reached(ack: Ack) -> confab_store::Receipt {
    confab_store::Receipt::Reached(ack)
}

/// A messenger's receipt: the message failed after it was accepted.
pub fn failed_receipt(reason: &str) -> confab_store::Receipt {
    confab_store::Receipt::Failed {
        reason: reason.to_owned(),
    }
}

// ---- errors ----

/// The field a refused attachment is reported under.
pub const FIELD_ATTACHMENTS: &str = "attachment";
/// The field a send into a conversation of a deleted channel is reported under.
pub const FIELD_CONVERSATION: &str = "conversation";

/// Asserts `result` is `StoreError::Invalid` about `field`.
#[track_caller]
pub fn assert_invalid<T: Debug>(result: StoreResult<T>, field: &str) {
    match result {
        Err(StoreError::Invalid { field: got, .. }) => {
            assert_eq!(got, field, "Invalid names the wrong field");
        }
        other => panic!("expected Invalid about {field}, got {other:?}"),
    }
}

/// Asserts `result` is `StoreError::NotFound(what)`.
#[track_caller]
pub fn assert_not_found<T: Debug>(result: StoreResult<T>, what: &str) {
    match result {
        Err(StoreError::NotFound(got)) => assert_eq!(got, what),
        other => panic!("expected NotFound({what}), got {other:?}"),
    }
}

/// Asserts `result` is the conflict of a second live channel of a provider.
#[track_caller]
pub fn assert_provider_conflict<T: Debug>(result: StoreResult<T>) {
    match result {
        Err(StoreError::Conflict { what }) => assert_eq!(what, "provider"),
        other => panic!("expected Conflict(provider), got {other:?}"),
    }
}

// ---- values ----

/// The token hash of user number `n`.
pub fn token(n: u8) -> TokenHash {
    [n; 32]
}

/// A company with no webhook URL (so no events are recorded for it).
pub fn new_company(name: &str) -> NewCompany {
    NewCompany {
        name: name.to_owned(),
        phone: None,
        description: None,
        webhook_url: None,
        webhook_secret: format!("whsec_{name}"),
    }
}

/// The webhook URL of the company named `name`.
pub fn hook_url(name: &str) -> String {
    format!("https://hooks.example/{name}")
}

/// A company with a webhook URL: every change is recorded in its outbox.
pub fn hooked_company(name: &str) -> NewCompany {
    NewCompany {
        webhook_url: Some(hook_url(name)),
        ..new_company(name)
    }
}

/// The settings every new channel of the suite starts with.
pub fn channel_settings() -> Map<String, Value> {
    object(json!({"token": "secret-1", "keep": 1}))
}

/// A sandboxed channel of `provider`.
pub fn new_channel(provider: Provider) -> NewChannel {
    NewChannel {
        provider,
        connector: "sandbox".to_owned(),
        settings: channel_settings(),
    }
}

/// A JSON object's map.
pub fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// A contact, with a display name when given.
pub fn contact(id: &str, name: Option<&str>) -> Contact {
    Contact {
        sender_external_id: id.to_owned(),
        name: name.map(str::to_owned),
    }
}

/// The first text of a conversation started by the company.
pub fn text(body: &str) -> OutgoingText {
    OutgoingText {
        body: body.to_owned(),
        send_to_crm: true,
        template: None,
    }
}

/// An incoming text without files.
pub fn incoming(body: &str) -> NewIncoming {
    NewIncoming {
        body: body.to_owned(),
        attachments: Vec::new(),
        source: None,
    }
}

/// An attachment named `name` for `conversation_id`.
pub fn new_attachment(conversation_id: i64, name: &str) -> NewAttachment {
    NewAttachment {
        conversation_id,
        file_name: name.to_owned(),
        mime_type: "image/png".to_owned(),
        size: 1234,
        blob_key: format!("blobs/{name}"),
        source_url: Some(format!("https://files.example/{name}")),
    }
}

/// An outgoing text into `conversation_id` with the given attachments.
pub fn outgoing(conversation_id: i64, body: &str, attachment_ids: Vec<i64>) -> NewOutgoing {
    NewOutgoing {
        conversation_id,
        body: body.to_owned(),
        send_to_crm: true,
        attachment_ids,
        interactive: None,
    }
}

/// A page of an id-ordered list.
pub fn page(after: Option<i64>, descending: bool, limit: u32) -> PageRequest {
    PageRequest {
        after,
        descending,
        limit,
    }
}

/// The whole of an id-ordered list, oldest first (the suite's lists are small).
pub fn everything() -> PageRequest {
    page(None, false, 1000)
}

/// A page of a conversation's messages.
pub fn message_page(after: Option<(i64, i64)>, descending: bool, limit: u32) -> MessagePageRequest {
    MessagePageRequest {
        after,
        descending,
        limit,
    }
}

/// A delivered webhook attempt.
pub fn delivered(status: u16) -> Attempt {
    Attempt {
        status: Some(status),
        error: None,
        delivered: true,
        retry_at_ms: None,
    }
}

/// A failed webhook attempt to try again at `at_ms`.
pub fn retry_at(status: Option<u16>, error: &str, at_ms: i64) -> Attempt {
    Attempt {
        status,
        error: Some(error.to_owned()),
        delivered: false,
        retry_at_ms: Some(at_ms),
    }
}

/// A failed webhook attempt after which the event is dropped.
pub fn given_up(status: Option<u16>, error: &str) -> Attempt {
    Attempt {
        status,
        error: Some(error.to_owned()),
        delivered: false,
        retry_at_ms: None,
    }
}

// ---- setup ----

/// User number `n`, named `user<n>`, with token `token(n)`.
pub async fn user(s: &Backend, n: u8) -> User {
    s.create_user(format!("user{n}"), token(n), T0)
        .await
        .expect("create a user")
}

/// A user with a company and a WhatsApp channel of it.
pub struct Tenant {
    /// The member.
    pub user: User,
    /// Their company.
    pub company: Company,
    /// Its WhatsApp channel.
    pub channel: Channel,
}

/// Tenant number `n` (user `n`, company `company<n>`); `webhooks` gives the company a
/// webhook URL.
pub async fn tenant(s: &Backend, n: u8, webhooks: bool) -> Tenant {
    let user = user(s, n).await;
    let name = format!("company{n}");
    let new = if webhooks {
        hooked_company(&name)
    } else {
        new_company(&name)
    };
    let company = s
        .create_company(user.id, new, T0)
        .await
        .expect("create a company");
    let channel = s
        .create_channel(company.id, new_channel(whatsapp()), T0)
        .await
        .expect("create a channel");
    Tenant {
        user,
        company,
        channel,
    }
}

/// An incoming text from contact `id` on the tenant's channel at `now`.
pub async fn inbound(s: &Backend, t: &Tenant, id: &str, body: &str, now: i64) -> Posted {
    s.receive_message(t.channel.clone(), contact(id, None), incoming(body), now)
        .await
        .expect("receive a message")
}

/// An outgoing text into the tenant's conversation at `now`; its job.
pub async fn outbound(s: &Backend, t: &Tenant, conversation_id: i64, body: &str, now: i64) -> Job {
    s.send_message(
        t.company.id,
        outgoing(conversation_id, body, Vec::new()),
        now,
    )
    .await
    .expect("send a message")
}

/// Every message of a conversation, by (created_at, id).
pub async fn messages_of(s: &Backend, company_id: i64, conversation_id: i64) -> Vec<Message> {
    s.list_messages(company_id, conversation_id, message_page(None, false, 1000))
        .await
        .expect("list messages")
}

/// One message, which must exist.
pub async fn message(s: &Backend, company_id: i64, conversation_id: i64, id: i64) -> Message {
    s.get_message(company_id, conversation_id, id)
        .await
        .expect("get a message")
        .expect("the message exists")
}

/// One conversation, which must exist.
pub async fn conversation(s: &Backend, company_id: i64, id: i64) -> Conversation {
    s.get_conversation(company_id, id)
        .await
        .expect("get a conversation")
        .expect("the conversation exists")
}

/// The company, read back through its member.
pub async fn company(s: &Backend, user_id: i64, company_id: i64) -> Company {
    s.member_company(user_id, company_id)
        .await
        .expect("read the company")
        .expect("the user is a member")
}

/// Every webhook event of the company, oldest first.
pub async fn events_of(s: &Backend, company_id: i64) -> Vec<OutboxEvent> {
    settle(s).await;
    s.list_webhook_events(company_id, everything())
        .await
        .expect("list webhook events")
}

/// Makes every committed event readable (on PostgreSQL, events get their ids, and their
/// webhook deliveries, a moment after commit).
pub async fn settle(s: &Backend) {
    s.sequence_events().await.expect("sequence events");
}

/// The labels of the company's webhook events, oldest first.
pub async fn labels_of(s: &Backend, company_id: i64) -> Vec<String> {
    events_of(s, company_id)
        .await
        .into_iter()
        .map(|e| e.label)
        .collect()
}

/// The ids of `items`.
pub fn ids<T>(items: &[T], id: impl Fn(&T) -> i64) -> Vec<i64> {
    items.iter().map(id).collect()
}

// ---- paging ----

/// Walks an id-ordered list page by page, in both directions and with several page
/// sizes, and checks that it gives exactly `expected` (ascending ids): every page full
/// but the last, none repeated, none skipped. `fetch` reads one page's ids.
pub async fn check_id_paging<F, Fut>(what: &str, expected: &[i64], mut fetch: F)
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Vec<i64>>,
{
    let total = u32::try_from(expected.len()).expect("a small list");
    for limit in [1, 2, 3, total + 1] {
        for descending in [false, true] {
            let mut want = expected.to_vec();
            if descending {
                want.reverse();
            }
            let mut got = Vec::new();
            let mut after = None;
            loop {
                let rows = fetch(page(after, descending, limit)).await;
                let left = want.len() - got.len();
                assert_eq!(
                    rows.len(),
                    left.min(limit as usize),
                    "{what}: page after {after:?} (limit {limit}, descending {descending}) \
                     has the wrong size: {rows:?}"
                );
                let Some(&last) = rows.last() else { break };
                got.extend(rows);
                after = Some(last);
            }
            assert_eq!(
                got, want,
                "{what}: pages of {limit}, descending {descending}"
            );
        }
    }
    // A bound that is not an id of the list still cuts it where it falls.
    if let (Some(&first), Some(&last)) = (expected.first(), expected.last()) {
        let asc = fetch(page(Some(first - 1), false, total + 1)).await;
        assert_eq!(
            asc, expected,
            "{what}: ascending after an id before the first"
        );
        let desc = fetch(page(Some(last + 1_000_000), true, total + 1)).await;
        let mut reversed = expected.to_vec();
        reversed.reverse();
        assert_eq!(
            desc, reversed,
            "{what}: descending after an id past the last"
        );
        let none = fetch(page(Some(last), false, total + 1)).await;
        assert!(
            none.is_empty(),
            "{what}: ascending after the last: {none:?}"
        );
        let none = fetch(page(Some(first), true, total + 1)).await;
        assert!(
            none.is_empty(),
            "{what}: descending after the first: {none:?}"
        );
    }
}

/// Asserts two lists hold the same ids, whatever their order.
#[track_caller]
pub fn assert_same_ids(mut got: Vec<i64>, mut want: Vec<i64>, what: &str) {
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want, "{what}");
}

// ---- real connectors ----

pub use confab_store::{
    Accepted, ClaimedUpdate, CursorAdvance, IntakeStats, NewUpdate, PollLease, UpdateMessage,
    UpdateOutcome, UpdateSource,
};

/// A channel of `provider` delivered by connector `connector`.
pub fn connector_channel(provider: Provider, connector: &str) -> NewChannel {
    NewChannel {
        connector: connector.to_owned(),
        ..new_channel(provider)
    }
}

/// A raw update with key `key`; its payload names the key.
pub fn update(key: &str) -> NewUpdate {
    NewUpdate {
        key: key.to_owned(),
        payload: format!(r#"{{"key":"{key}"}}"#),
    }
}

/// A poller's cursor move.
pub fn cursor(holder: &str, cursor: &str) -> CursorAdvance {
    CursorAdvance {
        holder: holder.to_owned(),
        cursor: cursor.to_owned(),
    }
}

/// The claimed update `update` (under `lease_until`) as the source of a message with
/// messenger id `external_id`, with files still `pending` when given.
pub fn source(
    update_id: i64,
    lease_until: i64,
    external_id: &str,
    pending: Option<&str>,
) -> UpdateSource {
    UpdateSource {
        update_id,
        lease_until,
        external_id: external_id.to_owned(),
        pending: pending.map(str::to_owned),
    }
}

/// An incoming text made from a raw update.
pub fn incoming_from(body: &str, source: UpdateSource) -> NewIncoming {
    NewIncoming {
        source: Some(source),
        ..incoming(body)
    }
}

/// Nothing in the update becomes a message.
pub fn skipped(reason: &str) -> UpdateOutcome {
    UpdateOutcome::Skipped {
        reason: reason.to_owned(),
    }
}

/// The update failed for now; again at `at_ms`.
pub fn retry_update(error: &str, at_ms: i64) -> UpdateOutcome {
    UpdateOutcome::Retry {
        error: error.to_owned(),
        at_ms,
    }
}

/// The update is given up on.
pub fn failed_update(error: &str) -> UpdateOutcome {
    UpdateOutcome::Failed {
        error: error.to_owned(),
    }
}

/// The state a broken channel is left in.
pub fn state_disabled() -> ChannelState {
    ChannelState::Disabled
}

/// Asserts `result` is `StoreError::Refused` about `what`.
#[track_caller]
pub fn assert_refused<T: Debug>(result: StoreResult<T>, what: &str) {
    match result {
        Err(StoreError::Refused { what: got, .. }) => assert_eq!(got, what),
        other => panic!("expected Refused({what}), got {other:?}"),
    }
}

/// The labels of every event in the company's log, oldest first.
pub async fn log_labels(s: &Backend, company_id: i64) -> Vec<String> {
    settle(s).await;
    let query = confab_store::EventQuery {
        after: Some(0),
        limit: 10_000,
        ..confab_store::EventQuery::default()
    };
    s.read_events(company_id, query)
        .await
        .expect("read events")
        .events
        .into_iter()
        .map(|e| e.label)
        .collect()
}
