//! The webhook outbox: which events each change records, with what snapshot and in which
//! order, when the company has a webhook URL, and that nothing is recorded when it has
//! none; `claim_webhook_events` (only each company's oldest pending event, leases,
//! `next_attempt_at`, the limit), `record_webhook_attempt` (delivered, retry at, given
//! up; a stale lease records nothing), `list_webhook_events` paging and
//! `resend_webhook_event` (a copy, last).

use confab_store::{ClaimedEvent, CompanyPatch, Conversation, Event, OutboxEvent, Outcome};
use serde_json::json;

use crate::backend::Backend;
use crate::fixtures::{
    T0, Tenant, ack_read, check_id_paging, contact, conversation, delivered, events_of, given_up,
    hook_url, ids, inbound, incoming, labels_of, message, object, outbound, retry_at,
    state_phone_offline, tenant, text,
};

contract!(
    each_change_records_its_events_in_order,
    nothing_is_queued_for_webhooks_without_a_url,
    only_each_companys_oldest_pending_event_is_claimed,
    attempts_are_recorded_only_under_the_current_lease,
    webhook_events_page_by_id_both_ways,
    resend_queues_a_copy_last,
    claims_carry_the_current_url_and_secret,
);

/// A QR code event of the tenant's channel; `n` tells them apart.
fn qr(t: &Tenant, n: u32) -> Event {
    Event::QrCode {
        channel_id: t.channel.id,
        image_base64: format!("iVBORw0KGgo{n}"),
    }
}

/// Records QR code `n` for the tenant at `now`.
async fn announce(s: &Backend, t: &Tenant, n: u32, now: i64) {
    s.announce(t.company.id, qr(t, n), now)
        .await
        .expect("announce");
}

/// An event as recorded and not yet attempted.
fn fresh_event(
    id: i64,
    company_id: i64,
    conversation_id: Option<i64>,
    event: Event,
    at: i64,
) -> OutboxEvent {
    OutboxEvent {
        id,
        company_id,
        conversation_id,
        label: event.label().to_owned(),
        event,
        state: "pending".to_owned(),
        attempts: 0,
        next_attempt_at_ms: at,
        last_status: None,
        last_error: None,
        created_at_ms: at,
        finished_at_ms: None,
    }
}

/// One event of the company by id.
async fn event(s: &Backend, company_id: i64, id: i64) -> OutboxEvent {
    events_of(s, company_id)
        .await
        .into_iter()
        .find(|e| e.id == id)
        .expect("the event is listed")
}

async fn claim(s: &Backend, now: i64, lease_until: i64, limit: u32) -> Vec<ClaimedEvent> {
    crate::fixtures::settle(s).await;
    s.claim_webhook_events(now, lease_until, limit)
        .await
        .expect("claim events")
}

fn claimed_ids(claimed: &[ClaimedEvent]) -> Vec<i64> {
    claimed.iter().map(|c| c.outbox.id).collect()
}

async fn each_change_records_its_events_in_order(s: &Backend) {
    let t = tenant(s, 1, true).await;
    let cid = t.company.id;
    // (time, conversation, event) of every event expected, in order.
    let mut want: Vec<(i64, Option<i64>, Event)> = Vec::new();

    // A new contact writes: the conversation is new, then the message.
    let p1 = s
        .receive_message(
            t.channel.clone(),
            contact("600", Some("Ivan")),
            incoming("Hi"),
            T0 + 1,
        )
        .await
        .expect("receive");
    let c1 = p1.conversation.id;
    want.push((
        T0 + 1,
        Some(c1),
        Event::ConversationNew {
            // As created: before its first message.
            conversation: Conversation {
                last_message_at_ms: None,
                last_income_message_at_ms: None,
                ..p1.conversation.clone()
            },
        },
    ));
    want.push((
        T0 + 1,
        Some(c1),
        Event::MessageNew {
            conversation: p1.conversation.clone(),
            message: message(s, cid, c1, p1.message_id).await,
        },
    ));

    // The contact comes back with a new name: the update, then the message.
    let p2 = s
        .receive_message(
            t.channel.clone(),
            contact("600", Some("Ivan P.")),
            incoming("New phone"),
            T0 + 2,
        )
        .await
        .expect("receive");
    want.push((
        T0 + 2,
        Some(c1),
        Event::ConversationUpdate {
            // Renamed, before the new message.
            conversation: Conversation {
                name: "Ivan P.".to_owned(),
                ..p1.conversation.clone()
            },
        },
    ));
    want.push((
        T0 + 2,
        Some(c1),
        Event::MessageNew {
            conversation: p2.conversation.clone(),
            message: message(s, cid, c1, p2.message_id).await,
        },
    ));

    // The same name again: the message only.
    let p3 = s
        .receive_message(
            t.channel.clone(),
            contact("600", Some("Ivan P.")),
            incoming("Hello?"),
            T0 + 3,
        )
        .await
        .expect("receive");
    want.push((
        T0 + 3,
        Some(c1),
        Event::MessageNew {
            conversation: p3.conversation.clone(),
            message: message(s, cid, c1, p3.message_id).await,
        },
    ));

    // The company starts a conversation: it is new; its message is not announced until
    // it is sent.
    let p4 = s
        .start_conversation(
            t.channel.clone(),
            contact("601", None),
            text("Hello"),
            T0 + 4,
        )
        .await
        .expect("start");
    let c2 = p4.conversation.id;
    let job_d = p4.job.clone().expect("a job");
    want.push((
        T0 + 4,
        Some(c2),
        Event::ConversationNew {
            conversation: Conversation {
                last_message_at_ms: None,
                ..p4.conversation.clone()
            },
        },
    ));

    // Sending, the operators' fields and channel settings announce nothing by webhook (an
    // assignment is in the event log, for open inboxes: see the events contract tests).
    let job_e = outbound(s, &t, c1, "Reply", T0 + 5).await;
    s.set_note(cid, c1, "note".to_owned()).await.expect("note");
    s.set_assignee(cid, c1, Some(t.user.id), T0 + 5)
        .await
        .expect("assign");

    s.set_bitrix_block_openlines(cid, c1, None)
        .await
        .expect("bitrix");
    s.update_channel_settings(cid, t.channel.id, object(json!({"x": 1})))
        .await
        .expect("settings");

    // Sent: the outgoing message as sent, then the job's result.
    let claimed = s.claim_jobs(T0 + 10, T0 + 1000, 10).await.expect("claim");
    assert_eq!(claimed.len(), 2);
    let (done_d, sent_d) = s
        .finish_job(
            job_d.id,
            T0 + 1000,
            Outcome::Sent {
                external_public_id: "wamid.1".to_owned(),
            },
            T0 + 11,
        )
        .await
        .expect("finish")
        .expect("the lease is held");
    want.push((
        T0 + 11,
        Some(c2),
        Event::MessageNew {
            conversation: conversation(s, cid, c2).await,
            message: sent_d.clone(),
        },
    ));
    want.push((T0 + 11, Some(c2), Event::JobExecuted { job: done_d }));

    // A retry announces nothing; the final failure announces the job.
    s.finish_job(
        job_e.id,
        T0 + 1000,
        Outcome::Retry {
            reason: "timeout".to_owned(),
            at_ms: T0 + 20,
        },
        T0 + 12,
    )
    .await
    .expect("finish")
    .expect("the lease is held");
    s.claim_jobs(T0 + 20, T0 + 2000, 10).await.expect("claim");
    let (done_e, _) = s
        .finish_job(
            job_e.id,
            T0 + 2000,
            Outcome::Failed {
                reason: "blocked".to_owned(),
            },
            T0 + 21,
        )
        .await
        .expect("finish")
        .expect("the lease is held");
    want.push((T0 + 21, Some(c1), Event::JobExecuted { job: done_e }));

    // An ack that moves; one that does not announces nothing.
    s.advance_ack(cid, c2, sent_d.id, ack_read(), T0 + 30)
        .await
        .expect("advance");
    s.advance_ack(cid, c2, sent_d.id, ack_read(), T0 + 31)
        .await
        .expect("advance");
    want.push((
        T0 + 30,
        Some(c2),
        Event::MessageAck {
            conversation: conversation(s, cid, c2).await,
            message_id: sent_d.id,
            ack: ack_read(),
        },
    ));

    // A channel state change, with its system event.
    assert!(
        s.set_channel_state(
            cid,
            t.channel.id,
            "phone_offline".to_owned(),
            state_phone_offline(),
            T0 + 40,
        )
        .await
        .expect("state")
    );
    want.push((
        T0 + 40,
        None,
        Event::System {
            channel_id: t.channel.id,
            event: "phone_offline".to_owned(),
            at_ms: T0 + 40,
        },
    ));

    // An announcement.
    announce(s, &t, 1, T0 + 50).await;
    want.push((T0 + 50, None, qr(&t, 1)));

    // Deleting the channel announces nothing.
    s.delete_channel(cid, t.channel.id, T0 + 60)
        .await
        .expect("delete");

    let got = events_of(s, cid).await;
    assert_eq!(
        got.iter().map(|e| e.label.as_str()).collect::<Vec<_>>(),
        [
            "conversation.new",
            "message.new",
            "conversation.update",
            "message.new",
            "message.new",
            "conversation.new",
            "message.new",
            "job.executed",
            "job.executed",
            "message.ack",
            "system",
            "qr_code.new",
        ]
    );
    assert_eq!(got.len(), want.len());
    for (n, (got, (at, conversation_id, event))) in got.iter().zip(want).enumerate() {
        assert_eq!(
            got,
            &fresh_event(got.id, cid, conversation_id, event, at),
            "event {n}"
        );
    }
    assert!(
        got.windows(2).all(|w| w[0].id < w[1].id),
        "ids grow in order"
    );
}

/// Makes one change of every kind that announces something, in the tenant's company;
/// contact ids start with `prefix`.
async fn every_kind_of_change(s: &Backend, t: &Tenant, prefix: &str, at: i64) {
    let cid = t.company.id;
    let first = s
        .receive_message(
            t.channel.clone(),
            contact(&format!("{prefix}1"), Some("A")),
            incoming("hi"),
            at,
        )
        .await
        .expect("receive");
    s.receive_message(
        t.channel.clone(),
        contact(&format!("{prefix}1"), Some("B")),
        incoming("renamed"),
        at,
    )
    .await
    .expect("receive");
    let started = s
        .start_conversation(
            t.channel.clone(),
            contact(&format!("{prefix}2"), None),
            text("x"),
            at,
        )
        .await
        .expect("start");
    let sent_job = started.job.expect("a job");
    let failed_job = outbound(s, t, first.conversation.id, "y", at).await;
    let claimed = s.claim_jobs(at, at + 1000, 100).await.expect("claim");
    assert!(claimed.len() >= 2);
    let (_, sent) = s
        .finish_job(
            sent_job.id,
            at + 1000,
            Outcome::Sent {
                external_public_id: format!("{prefix}.1"),
            },
            at,
        )
        .await
        .expect("finish")
        .expect("the lease is held");
    s.finish_job(
        failed_job.id,
        at + 1000,
        Outcome::Failed {
            reason: "no".to_owned(),
        },
        at,
    )
    .await
    .expect("finish")
    .expect("the lease is held");
    let (_, changed) = s
        .advance_ack(cid, started.conversation.id, sent.id, ack_read(), at)
        .await
        .expect("advance")
        .expect("the message");
    assert!(changed);
    assert!(
        s.set_channel_state(cid, t.channel.id, "x".to_owned(), state_phone_offline(), at)
            .await
            .expect("state")
    );
    announce(s, t, 1, at).await;
}

async fn nothing_is_queued_for_webhooks_without_a_url(s: &Backend) {
    let t = tenant(s, 1, false).await;
    every_kind_of_change(s, &t, "a", T0).await;
    assert!(events_of(s, t.company.id).await.is_empty());
    crate::fixtures::settle(s).await;
    let stats = s.queue_stats(T0).await.expect("stats");
    assert_eq!(
        (stats.webhook_events_pending, stats.webhook_events_failed),
        (0, 0)
    );
    assert!(claim(s, T0 + 100_000, T0 + 200_000, 10).await.is_empty());

    // From the moment a URL is set, changes are recorded (and not before).
    s.update_company(
        t.company.id,
        CompanyPatch {
            webhook_url: Some(Some(hook_url("late"))),
            ..CompanyPatch::default()
        },
    )
    .await
    .expect("set the URL");
    let posted = inbound(s, &t, "a1", "now you hear me", T0 + 10).await;
    let got = events_of(s, t.company.id).await;
    assert_eq!(
        got,
        vec![fresh_event(
            got[0].id,
            t.company.id,
            Some(posted.conversation.id),
            Event::MessageNew {
                conversation: posted.conversation.clone(),
                message: message(s, t.company.id, posted.conversation.id, posted.message_id).await,
            },
            T0 + 10,
        )]
    );

    // Cleared again: nothing more.
    s.update_company(
        t.company.id,
        CompanyPatch {
            webhook_url: Some(None),
            ..CompanyPatch::default()
        },
    )
    .await
    .expect("clear the URL");
    every_kind_of_change(s, &t, "b", T0 + 20).await;
    assert_eq!(events_of(s, t.company.id).await, got);
    // An explicit resend is queued all the same.
    let copy = s
        .resend_webhook_event(t.company.id, got[0].id, T0 + 30)
        .await
        .expect("resend")
        .expect("the event exists");
    assert_eq!(
        labels_of(s, t.company.id).await,
        ["message.new", "message.new"]
    );
    assert!(copy.id > got[0].id);
}

async fn only_each_companys_oldest_pending_event_is_claimed(s: &Backend) {
    let a = tenant(s, 1, true).await;
    let b = tenant(s, 2, true).await;
    // Interleaved: a1 < b1 < a2 < b2 < a3 by id.
    announce(s, &a, 1, T0).await;
    announce(s, &b, 1, T0 + 1).await;
    announce(s, &a, 2, T0 + 2).await;
    announce(s, &b, 2, T0 + 3).await;
    announce(s, &a, 3, T0 + 4).await;
    let ea = ids(&events_of(s, a.company.id).await, |e| e.id);
    let eb = ids(&events_of(s, b.company.id).await, |e| e.id);
    let (a1, a2, a3) = (ea[0], ea[1], ea[2]);
    let (b1, b2) = (eb[0], eb[1]);

    // Not due before they were recorded.
    assert!(claim(s, T0 - 1, T0 + 1000, 10).await.is_empty());
    // Each company's head, with where it goes.
    let heads = claim(s, T0 + 10, T0 + 1000, 10).await;
    assert_eq!(claimed_ids(&heads), [a1, b1]);
    assert_eq!(
        heads[0],
        ClaimedEvent {
            outbox: OutboxEvent {
                attempts: 1,
                ..fresh_event(a1, a.company.id, None, qr(&a, 1), T0)
            },
            webhook_url: Some(hook_url("company1")),
            webhook_secret: "whsec_company1".to_owned(),
            lease_until: T0 + 1000,
        }
    );
    assert_eq!(heads[1].webhook_url, Some(hook_url("company2")));
    assert_eq!(heads[1].webhook_secret, "whsec_company2");
    assert_eq!(event(s, a.company.id, a1).await, heads[0].outbox);
    // While the heads are leased, the events behind them wait.
    assert!(claim(s, T0 + 10, T0 + 1000, 10).await.is_empty());

    // a1 delivered: a2 is a's head now; b1 is still leased.
    assert!(
        s.record_webhook_attempt(a1, T0 + 1000, delivered(200), T0 + 20)
            .await
            .expect("record")
    );
    assert_eq!(claimed_ids(&claim(s, T0 + 30, T0 + 1000, 10).await), [a2]);
    // a2 to be retried later: neither it nor a3 is claimed before then.
    assert!(
        s.record_webhook_attempt(
            a2,
            T0 + 1000,
            retry_at(Some(500), "HTTP 500", T0 + 5000),
            T0 + 40
        )
        .await
        .expect("record")
    );
    assert!(claim(s, T0 + 999, T0 + 2000, 10).await.is_empty());
    // b1's lease runs out at its time: claimed again, a second attempt.
    let again = claim(s, T0 + 1000, T0 + 2000, 10).await;
    assert_eq!(claimed_ids(&again), [b1]);
    assert_eq!(again[0].outbox.attempts, 2);
    assert!(
        s.record_webhook_attempt(
            b1,
            T0 + 2000,
            given_up(None, "connection refused"),
            T0 + 1001
        )
        .await
        .expect("record")
    );
    // Due again: the limit takes the oldest head first.
    assert_eq!(claimed_ids(&claim(s, T0 + 5000, T0 + 6000, 1).await), [a2]);
    assert_eq!(claimed_ids(&claim(s, T0 + 5000, T0 + 6000, 1).await), [b2]);
    assert!(claim(s, T0 + 5000, T0 + 6000, 10).await.is_empty());
    assert_eq!(event(s, a.company.id, a2).await.attempts, 2);
    for (id, lease) in [(a2, T0 + 6000), (b2, T0 + 6000)] {
        assert!(
            s.record_webhook_attempt(id, lease, delivered(204), T0 + 5001)
                .await
                .expect("record")
        );
    }
    assert_eq!(claimed_ids(&claim(s, T0 + 5002, T0 + 7000, 10).await), [a3]);
}

async fn attempts_are_recorded_only_under_the_current_lease(s: &Backend) {
    let t = tenant(s, 1, true).await;
    let cid = t.company.id;
    announce(s, &t, 1, T0).await;
    announce(s, &t, 2, T0).await;
    announce(s, &t, 3, T0).await;
    let e = ids(&events_of(s, cid).await, |e| e.id);
    let record = |id, lease, attempt, now| async move {
        s.record_webhook_attempt(id, lease, attempt, now)
            .await
            .expect("record")
    };

    claim(s, T0, T0 + 1000, 10).await;
    // A lease that is not the event's records nothing.
    assert!(!record(e[0], T0 + 999, delivered(200), T0 + 1).await);
    assert_eq!(
        event(s, cid, e[0]).await,
        OutboxEvent {
            attempts: 1,
            ..fresh_event(e[0], cid, None, qr(&t, 1), T0)
        }
    );
    // Retry at a time.
    assert!(
        record(
            e[0],
            T0 + 1000,
            retry_at(Some(503), "HTTP 503", T0 + 3000),
            T0 + 2
        )
        .await
    );
    let retrying = OutboxEvent {
        attempts: 1,
        next_attempt_at_ms: T0 + 3000,
        last_status: Some(503),
        last_error: Some("HTTP 503".to_owned()),
        ..fresh_event(e[0], cid, None, qr(&t, 1), T0)
    };
    assert_eq!(event(s, cid, e[0]).await, retrying);
    // The lease went with the attempt.
    assert!(!record(e[0], T0 + 1000, delivered(200), T0 + 3).await);
    assert_eq!(event(s, cid, e[0]).await, retrying);

    // Taken again at its time; a lease that ran out and was taken over is stale.
    claim(s, T0 + 3000, T0 + 4000, 10).await;
    assert!(!record(e[0], T0 + 1000, delivered(200), T0 + 3001).await);
    assert!(record(e[0], T0 + 4000, delivered(200), T0 + 3002).await);
    let done = OutboxEvent {
        state: "delivered".to_owned(),
        attempts: 2,
        next_attempt_at_ms: T0 + 3000,
        last_status: Some(200),
        last_error: None,
        finished_at_ms: Some(T0 + 3002),
        ..retrying
    };
    assert_eq!(event(s, cid, e[0]).await, done);
    // Delivered is final.
    assert!(!record(e[0], T0 + 4000, given_up(None, "late"), T0 + 3003).await);
    assert_eq!(event(s, cid, e[0]).await, done);

    // Given up: failed for good, and the next event is the head.
    claim(s, T0 + 3004, T0 + 5000, 10).await;
    assert!(record(e[1], T0 + 5000, given_up(Some(410), "HTTP 410"), T0 + 3005).await);
    let dropped = OutboxEvent {
        state: "failed".to_owned(),
        attempts: 1,
        last_status: Some(410),
        last_error: Some("HTTP 410".to_owned()),
        finished_at_ms: Some(T0 + 3005),
        ..fresh_event(e[1], cid, None, qr(&t, 2), T0)
    };
    assert_eq!(event(s, cid, e[1]).await, dropped);
    assert!(!record(e[1], T0 + 5000, delivered(200), T0 + 3006).await);
    assert_eq!(
        claimed_ids(&claim(s, T0 + 3007, T0 + 6000, 10).await),
        [e[2]]
    );
    // No such event.
    assert!(!record(999, T0 + 6000, delivered(200), T0 + 3008).await);
}

async fn webhook_events_page_by_id_both_ways(s: &Backend) {
    let a = tenant(s, 1, true).await;
    let b = tenant(s, 2, true).await;
    for n in 0..5 {
        announce(s, &b, n, T0).await;
        announce(s, &a, n, T0 + i64::from(n)).await;
    }
    let all = events_of(s, a.company.id).await;
    assert_eq!(all.len(), 5);
    for (n, e) in (0..).zip(&all) {
        assert_eq!(
            e,
            &fresh_event(e.id, a.company.id, None, qr(&a, n), T0 + i64::from(n))
        );
    }
    let expected = ids(&all, |e| e.id);
    let company_id = a.company.id;
    check_id_paging("webhook events", &expected, |p| async move {
        crate::fixtures::settle(s).await;
        let page = s.list_webhook_events(company_id, p).await.expect("list");
        ids(&page, |e| e.id)
    })
    .await;
}

async fn resend_queues_a_copy_last(s: &Backend) {
    let a = tenant(s, 1, true).await;
    let b = tenant(s, 2, true).await;
    let posted = inbound(s, &a, "100", "hi", T0).await;
    let before = events_of(s, a.company.id).await;
    assert_eq!(before.len(), 2, "conversation.new and message.new");
    let (e1, e2) = (before[0].clone(), before[1].clone());
    claim(s, T0 + 1, T0 + 1000, 10).await;
    assert!(
        s.record_webhook_attempt(e1.id, T0 + 1000, delivered(200), T0 + 2)
            .await
            .expect("record")
    );
    announce(s, &b, 1, T0 + 3).await;

    let copy = s
        .resend_webhook_event(a.company.id, e1.id, T0 + 100)
        .await
        .expect("resend")
        .expect("the event exists");
    assert!(copy.id > e2.id);
    assert_eq!(
        copy,
        fresh_event(
            copy.id,
            a.company.id,
            Some(posted.conversation.id),
            e1.event.clone(),
            T0 + 100
        )
    );
    assert_eq!(copy.label, "conversation.new");
    let after = events_of(s, a.company.id).await;
    assert_eq!(ids(&after, |e| e.id), [e1.id, e2.id, copy.id]);
    assert_eq!(after[2], copy);
    assert_eq!(after[0].state, "delivered", "the original stays as it was");

    // It is delivered in its place: after the events before it.
    assert_eq!(
        claimed_ids(&claim(s, T0 + 100, T0 + 2000, 10).await),
        [e2.id, ids(&events_of(s, b.company.id).await, |e| e.id)[0]]
    );
    assert!(
        s.record_webhook_attempt(e2.id, T0 + 2000, delivered(200), T0 + 101)
            .await
            .expect("record")
    );
    assert_eq!(
        claimed_ids(&claim(s, T0 + 102, T0 + 3000, 10).await),
        [copy.id]
    );

    // No such event, or another company's: nothing queued anywhere.
    let b_events = events_of(s, b.company.id).await;
    let a_events = events_of(s, a.company.id).await;
    assert_eq!(
        s.resend_webhook_event(a.company.id, 999, T0 + 200)
            .await
            .expect("resend"),
        None
    );
    assert_eq!(
        s.resend_webhook_event(a.company.id, b_events[0].id, T0 + 200)
            .await
            .expect("resend"),
        None
    );
    assert_eq!(events_of(s, a.company.id).await, a_events);
    assert_eq!(events_of(s, b.company.id).await, b_events);
}

async fn claims_carry_the_current_url_and_secret(s: &Backend) {
    let t = tenant(s, 1, true).await;
    announce(s, &t, 1, T0).await;
    announce(s, &t, 2, T0).await;
    s.update_company(
        t.company.id,
        CompanyPatch {
            webhook_url: Some(Some(hook_url("moved"))),
            webhook_secret: Some("whsec_new".to_owned()),
            ..CompanyPatch::default()
        },
    )
    .await
    .expect("update");
    let first = claim(s, T0 + 1, T0 + 1000, 10).await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].webhook_url, Some(hook_url("moved")));
    assert_eq!(first[0].webhook_secret, "whsec_new");
    assert!(
        s.record_webhook_attempt(first[0].outbox.id, T0 + 1000, delivered(200), T0 + 2)
            .await
            .expect("record")
    );
    // With the URL gone, a recorded event is still handed out, with nowhere to go.
    s.update_company(
        t.company.id,
        CompanyPatch {
            webhook_url: Some(None),
            ..CompanyPatch::default()
        },
    )
    .await
    .expect("update");
    let second = claim(s, T0 + 3, T0 + 1000, 10).await;
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].outbox.event, qr(&t, 2));
    assert_eq!(second[0].webhook_url, None);
    assert_eq!(second[0].webhook_secret, "whsec_new");
}
