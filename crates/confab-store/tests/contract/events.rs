//! The event log: `read_events` (every event recorded, with or without a webhook URL, in id
//! order, by cursor, with filters, per company), `prune_events` (oldest first, in batches,
//! cursors behind it expired), `event_signal` (changes once new events are readable), and
//! on PostgreSQL the sequencer (a late commit is never skipped, writers do not wait).

use confab_store::{EventBatch, EventQuery, LoggedEvent, StoreError};

use crate::backend::Backend;
use crate::fixtures::{T0, events_of, inbound, settle, tenant};

contract!(
    every_event_is_logged_with_or_without_a_webhook_url,
    an_assignment_is_logged_but_is_no_webhook,
    reads_page_by_cursor_in_id_order,
    filters_skip_what_they_do_not_match,
    no_cursor_reads_nothing_and_gives_the_head,
    companies_read_only_their_own_events,
    resent_copies_are_not_in_the_log,
    pruning_deletes_the_oldest_in_batches_and_expires_older_cursors,
    the_signal_changes_when_events_are_readable,
);

fn query(after: i64, limit: u32) -> EventQuery {
    EventQuery {
        after: Some(after),
        limit,
        ..EventQuery::default()
    }
}

async fn read(s: &Backend, company_id: i64, q: EventQuery) -> EventBatch {
    settle(s).await;
    s.read_events(company_id, q).await.expect("read events")
}

fn labels(events: &[LoggedEvent]) -> Vec<&str> {
    events.iter().map(|e| e.label.as_str()).collect()
}

fn ids(events: &[LoggedEvent]) -> Vec<i64> {
    events.iter().map(|e| e.id).collect()
}

async fn every_event_is_logged_with_or_without_a_webhook_url(s: &Backend) {
    let quiet = tenant(s, 1, false).await;
    let hooked = tenant(s, 2, true).await;
    for t in [&quiet, &hooked] {
        inbound(s, t, "600", "one", T0 + 1).await;
        inbound(s, t, "600", "two", T0 + 2).await;
    }
    let q = read(s, quiet.company.id, query(0, 100)).await;
    assert_eq!(
        labels(&q.events),
        ["conversation.new", "message.new", "message.new"]
    );
    assert!(q.events.iter().all(|e| e.company_id == quiet.company.id));
    assert_eq!(q.events[0].created_at_ms, T0 + 1);
    assert_eq!(q.events[2].created_at_ms, T0 + 2);
    // Only the company with a URL queues webhook deliveries, for the same events.
    assert!(events_of(s, quiet.company.id).await.is_empty());
    let h = read(s, hooked.company.id, query(0, 100)).await;
    let delivered: Vec<i64> = events_of(s, hooked.company.id)
        .await
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(delivered, ids(&h.events), "webhook ids are the log's ids");
}

async fn an_assignment_is_logged_but_is_no_webhook(s: &Backend) {
    let t = tenant(s, 1, true).await;
    let cid = t.company.id;
    let c = inbound(s, &t, "600", "one", T0 + 1).await.conversation.id;
    assert!(
        s.set_assignee(cid, c, Some(t.user.id), T0 + 2)
            .await
            .expect("assign")
    );
    assert!(
        s.set_assignee(cid, c, None, T0 + 3)
            .await
            .expect("unassign")
    );
    assert!(
        !s.set_assignee(cid, c + 100, None, T0 + 4)
            .await
            .expect("no such conversation")
    );
    let log = read(s, cid, query(0, 100)).await;
    assert_eq!(
        labels(&log.events),
        [
            "conversation.new",
            "message.new",
            "conversation.assign",
            "conversation.assign"
        ]
    );
    let assignees: Vec<Option<i64>> = log.events[2..]
        .iter()
        .map(|e| match &e.event {
            confab_store::Event::ConversationAssign { conversation } => conversation.assignee_id,
            other => panic!("not an assignment: {other:?}"),
        })
        .collect();
    assert_eq!(assignees, [Some(t.user.id), None]);
    assert_eq!(
        (log.events[2].created_at_ms, log.events[2].conversation_id),
        (T0 + 2, Some(c))
    );
    // The company has a webhook URL, yet only the Pact events are queued for it.
    let hooks: Vec<String> = events_of(s, cid)
        .await
        .into_iter()
        .map(|e| e.label)
        .collect();
    assert_eq!(hooks, ["conversation.new", "message.new"]);
}

async fn reads_page_by_cursor_in_id_order(s: &Backend) {
    let t = tenant(s, 1, false).await;
    for n in 0..7 {
        inbound(s, &t, "600", &format!("m{n}"), T0 + n).await;
    }
    // 8 events: conversation.new, then 7 messages.
    let mut seen = Vec::new();
    let mut after = 0;
    let mut pages = 0;
    loop {
        let page = read(s, t.company.id, query(after, 3)).await;
        assert!(!page.expired);
        assert!(page.events.len() <= 3);
        seen.extend(ids(&page.events));
        after = page.next_after;
        pages += 1;
        if !page.has_more {
            break;
        }
        assert_eq!(Some(after), page.events.last().map(|e| e.id));
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 8);
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    // Past the end: nothing, and the cursor stays put (or moves only forward).
    let end = read(s, t.company.id, query(after, 3)).await;
    assert!(end.events.is_empty() && !end.has_more);
    assert!(end.next_after >= after);
    // A later event is read from the same cursor.
    inbound(s, &t, "600", "late", T0 + 100).await;
    let late = read(s, t.company.id, query(end.next_after, 3)).await;
    assert_eq!(labels(&late.events), ["message.new"]);
    assert!(late.events[0].id > *seen.last().expect("seen"));
}

async fn filters_skip_what_they_do_not_match(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let a = inbound(s, &t, "600", "a1", T0 + 1).await.conversation.id;
    let b = inbound(s, &t, "700", "b1", T0 + 2).await.conversation.id;
    inbound(s, &t, "600", "a2", T0 + 3).await;
    let only_new = read(
        s,
        t.company.id,
        EventQuery {
            labels: vec!["conversation.new".to_owned()],
            ..query(0, 100)
        },
    )
    .await;
    assert_eq!(labels(&only_new.events), ["conversation.new"; 2]);
    let of_a = read(
        s,
        t.company.id,
        EventQuery {
            conversation_id: Some(a),
            ..query(0, 100)
        },
    )
    .await;
    assert_eq!(
        labels(&of_a.events),
        ["conversation.new", "message.new", "message.new"]
    );
    assert!(of_a.events.iter().all(|e| e.conversation_id == Some(a)));
    // Both filters, and a cursor past what they skip: nothing left for b after its news.
    let b_messages = read(
        s,
        t.company.id,
        EventQuery {
            labels: vec!["message.new".to_owned(), "message.ack".to_owned()],
            conversation_id: Some(b),
            ..query(0, 100)
        },
    )
    .await;
    assert_eq!(labels(&b_messages.events), ["message.new"]);
    let all = read(s, t.company.id, query(0, 100)).await;
    assert_eq!(
        b_messages.next_after, all.next_after,
        "skipped events are passed"
    );
}

async fn no_cursor_reads_nothing_and_gives_the_head(s: &Backend) {
    let t = tenant(s, 1, false).await;
    inbound(s, &t, "600", "one", T0 + 1).await;
    let at_head = read(
        s,
        t.company.id,
        EventQuery {
            after: None,
            limit: 100,
            ..EventQuery::default()
        },
    )
    .await;
    assert!(at_head.events.is_empty() && !at_head.expired && !at_head.has_more);
    let all = read(s, t.company.id, query(0, 100)).await;
    assert_eq!(Some(at_head.next_after), all.events.last().map(|e| e.id));
    inbound(s, &t, "600", "two", T0 + 2).await;
    let next = read(s, t.company.id, query(at_head.next_after, 100)).await;
    assert_eq!(labels(&next.events), ["message.new"]);
}

async fn companies_read_only_their_own_events(s: &Backend) {
    let a = tenant(s, 1, true).await;
    let b = tenant(s, 2, true).await;
    inbound(s, &a, "600", "for a", T0 + 1).await;
    inbound(s, &b, "600", "for b", T0 + 2).await;
    inbound(s, &a, "600", "for a again", T0 + 3).await;
    let of_a = read(s, a.company.id, query(0, 100)).await;
    assert_eq!(of_a.events.len(), 3);
    assert!(of_a.events.iter().all(|e| e.company_id == a.company.id));
    let of_b = read(s, b.company.id, query(0, 100)).await;
    assert_eq!(of_b.events.len(), 2);
    assert!(of_b.events.iter().all(|e| e.company_id == b.company.id));
    match s
        .read_events(a.company.id + b.company.id + 1000, query(0, 10))
        .await
    {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("an unknown company's log: {other:?}"),
    }
}

async fn resent_copies_are_not_in_the_log(s: &Backend) {
    let t = tenant(s, 1, true).await;
    inbound(s, &t, "600", "one", T0 + 1).await;
    let before = read(s, t.company.id, query(0, 100)).await;
    let first = events_of(s, t.company.id).await[0].id;
    let copy = s
        .resend_webhook_event(t.company.id, first, T0 + 5)
        .await
        .expect("resend")
        .expect("the event exists");
    assert!(copy.id > before.next_after, "the copy goes last");
    assert_eq!(events_of(s, t.company.id).await.len(), 3);
    let after = read(s, t.company.id, query(0, 100)).await;
    assert_eq!(ids(&after.events), ids(&before.events));
}

async fn pruning_deletes_the_oldest_in_batches_and_expires_older_cursors(s: &Backend) {
    let a = tenant(s, 1, true).await;
    let b = tenant(s, 2, false).await;
    for n in 0..5 {
        inbound(s, &a, "600", &format!("old{n}"), T0 + n).await;
    }
    inbound(s, &b, "600", "old b", T0 + 2).await;
    for n in 0..3 {
        inbound(s, &a, "600", &format!("new{n}"), T0 + 1000 + n).await;
    }
    settle(s).await;
    let all_a = read(s, a.company.id, query(0, 100)).await;
    assert_eq!(all_a.events.len(), 9);
    let old_a: Vec<i64> = all_a
        .events
        .iter()
        .filter(|e| e.created_at_ms < T0 + 1000)
        .map(|e| e.id)
        .collect();
    assert_eq!(old_a.len(), 6);
    // 8 old events in all (6 of a, 2 of b), pruned 3 at a time.
    let mut rounds = Vec::new();
    loop {
        let n = s.prune_events(T0 + 1000, 3).await.expect("prune");
        rounds.push(n);
        if n < 3 {
            break;
        }
    }
    assert_eq!(rounds, [3, 3, 2, 0][..rounds.len()].to_vec());
    assert_eq!(rounds.iter().sum::<u64>(), 8);
    let left = read(s, a.company.id, query(0, 100));
    let left = left.await;
    assert!(left.expired, "a cursor before pruned events is expired");
    assert!(left.events.is_empty());
    // From the last pruned event on, the cursor is good and reads what is left.
    let last_pruned = *old_a.last().expect("old");
    let rest = read(s, a.company.id, query(last_pruned, 100)).await;
    assert!(!rest.expired);
    assert_eq!(rest.events.len(), 3);
    assert!(rest.events.iter().all(|e| e.created_at_ms >= T0 + 1000));
    // The webhook delivery log lost the pruned events too.
    assert_eq!(events_of(s, a.company.id).await.len(), 3);
    // Company b's log is empty now, and its old cursor expired.
    let reset = read(s, b.company.id, query(0, 100)).await;
    assert!(reset.expired);
    // The head it is sent to is a good cursor, even with every event pruned.
    while s.prune_events(T0 + 10_000, 100).await.expect("prune") > 0 {}
    for t in [&a, &b] {
        let head = read(s, t.company.id, EventQuery::default())
            .await
            .next_after;
        let from_head = read(s, t.company.id, query(head, 100)).await;
        assert!(
            !from_head.expired,
            "the head of an emptied log is not expired"
        );
        assert!(from_head.events.is_empty());
    }
    inbound(s, &b, "600", "after the purge", T0 + 20_000).await;
    let head = read(s, b.company.id, EventQuery::default())
        .await
        .next_after;
    let next = read(s, b.company.id, query(reset.next_after, 100)).await;
    assert!(!next.expired);
    assert_eq!(labels(&next.events), ["message.new"]);
    assert_eq!(next.next_after, head);
}

async fn the_signal_changes_when_events_are_readable(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let mut signal = s.event_signal();
    signal.borrow_and_update();
    inbound(s, &t, "600", "one", T0 + 1).await;
    // No settle: the backend makes the event readable by itself and says so.
    tokio::time::timeout(std::time::Duration::from_secs(5), signal.changed())
        .await
        .expect("the signal changes within 5 s")
        .expect("the store is alive");
    let mut got = Vec::new();
    for _ in 0..50 {
        got = s
            .read_events(t.company.id, query(0, 10))
            .await
            .expect("read")
            .events;
        if got.len() == 2 {
            break;
        }
        signal.changed().await.ok();
    }
    assert_eq!(labels(&got), ["conversation.new", "message.new"]);
}
