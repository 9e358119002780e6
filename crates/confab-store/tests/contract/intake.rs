//! Real connectors: raw updates (`accept_updates` deduplicated per channel key, the poll
//! lease and cursor, `claim_updates`/`finish_update`, a message made from an update with
//! `receive_message` and its files bound by `attach_update_files`), channel health
//! (`last_inbound_at`, `last_error`, `break_channel`), the channel readers workers use
//! (`channel_by_id`, `connector_channels`, `all_channels`), `replace_channel_settings` and
//! `intake_stats`.

use std::collections::BTreeSet;

use confab_store::{JobState, Outcome};

use crate::backend::Backend;
use crate::fixtures::{
    Accepted, ClaimedUpdate, IntakeStats, PollLease, T0, Tenant, UpdateMessage, assert_not_found,
    assert_refused, connector_channel, contact, cursor, everything, failed_update, inbound,
    incoming_from, log_labels, message, messages_of, new_attachment, object, outbound,
    retry_update, skipped, source, state_disabled, state_enabled, telegram, tenant, update, viber,
    whatsapp,
};

contract!(
    updates_are_stored_once_per_key_of_a_channel,
    a_cursor_moves_only_under_a_running_poll_lease,
    poll_leases_are_taken_over_only_after_they_expire,
    claimed_updates_are_skipped_retried_or_failed_once,
    concurrent_claims_never_share_an_update,
    a_channel_under_a_live_lease_is_passed_over,
    a_message_from_an_update_finishes_it_in_one_transaction,
    a_message_from_a_lost_update_is_refused_and_writes_nothing,
    files_fetched_later_are_bound_to_the_message,
    a_broken_channel_is_disabled_and_its_queued_jobs_end,
    channel_health_reads_back_everywhere,
    channels_by_id_by_connector_and_all,
    channel_settings_are_replaced_whole,
    intake_stats_count_the_pipeline,
);

async fn accept(s: &Backend, channel_id: i64, keys: &[&str], now: i64) -> Accepted {
    let updates = keys.iter().map(|k| update(k)).collect();
    s.accept_updates(channel_id, updates, None, now)
        .await
        .expect("accept updates")
}

async fn claim(s: &Backend, now: i64, lease_until: i64, limit: u32) -> Vec<ClaimedUpdate> {
    s.claim_updates(now, lease_until, limit)
        .await
        .expect("claim updates")
}

fn payloads(claimed: &[ClaimedUpdate]) -> Vec<&str> {
    claimed.iter().map(|u| u.payload.as_str()).collect()
}

fn keyed(key: &str) -> String {
    update(key).payload
}

async fn stats(s: &Backend, now: i64) -> IntakeStats {
    s.intake_stats(now).await.expect("intake stats")
}

async fn counts(s: &Backend, t: &Tenant) -> (usize, usize, usize) {
    let conversations = s
        .list_conversations(t.company.id, everything())
        .await
        .expect("list conversations");
    let mut messages = 0;
    for c in &conversations {
        messages += messages_of(s, t.company.id, c.id).await.len();
    }
    let events = log_labels(s, t.company.id).await.len();
    (conversations.len(), messages, events)
}

async fn updates_are_stored_once_per_key_of_a_channel(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let other = s
        .create_channel(t.company.id, connector_channel(telegram(), "telegram"), T0)
        .await
        .expect("create");
    assert_eq!(
        accept(s, t.channel.id, &["a", "a", "b"], T0 + 1).await,
        Accepted {
            stored: 2,
            duplicates: 1
        },
        "a key twice in one batch is stored once"
    );
    assert_eq!(
        accept(s, t.channel.id, &["b", "c"], T0 + 2).await,
        Accepted {
            stored: 1,
            duplicates: 1
        },
        "a key of an earlier batch is a redelivery"
    );
    // The same key on another channel is another update.
    assert_eq!(
        accept(s, other.id, &["a"], T0 + 3).await,
        Accepted {
            stored: 1,
            duplicates: 0
        }
    );
    assert_eq!(
        accept(s, t.channel.id, &[], T0 + 4).await,
        Accepted::default()
    );
    assert_not_found(
        s.accept_updates(999, vec![update("z")], None, T0).await,
        "channel",
    );

    let claimed = claim(s, T0 + 10, T0 + 1000, 10).await;
    assert_eq!(
        payloads(&claimed),
        [keyed("a"), keyed("b"), keyed("c"), keyed("a")]
    );
    let channel = by_id(s, t.channel.id).await;
    assert_eq!(
        channel.0.last_inbound_at_ms,
        Some(T0 + 2),
        "an empty batch sets nothing"
    );
    assert_eq!(claimed[0].channel, channel);
    assert_eq!(claimed[3].channel, by_id(s, other.id).await);
    for (u, received) in claimed.iter().zip([T0 + 1, T0 + 1, T0 + 2, T0 + 3]) {
        assert_eq!(u.attempts, 0);
        assert_eq!(u.lease_until, T0 + 1000);
        assert_eq!(u.received_at_ms, received);
        assert_eq!((u.message, u.pending.as_deref()), (None, None));
    }
}

async fn by_id(s: &Backend, channel_id: i64) -> (confab_store::Channel, bool) {
    s.channel_by_id(channel_id)
        .await
        .expect("channel by id")
        .expect("the channel exists")
}

async fn lease(
    s: &Backend,
    channel_id: i64,
    holder: &str,
    now: i64,
    until: i64,
) -> Option<PollLease> {
    s.lease_poll(channel_id, holder, now, until)
        .await
        .expect("lease poll")
}

async fn a_cursor_moves_only_under_a_running_poll_lease(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let ch = t.channel.id;
    assert_eq!(
        lease(s, ch, "node-a", T0, T0 + 1000).await,
        Some(PollLease {
            lease_until: T0 + 1000,
            cursor: None
        })
    );
    // Another node's cursor: refused, nothing stored.
    assert_refused(
        s.accept_updates(ch, vec![update("x")], Some(cursor("node-b", "9")), T0 + 1)
            .await,
        "poll_lease",
    );
    // The holder's: stored with the cursor.
    assert_eq!(
        s.accept_updates(ch, vec![update("a")], Some(cursor("node-a", "5")), T0 + 2)
            .await
            .expect("accept"),
        Accepted {
            stored: 1,
            duplicates: 0
        }
    );
    // The cursor moves even when the batch is empty.
    s.accept_updates(ch, Vec::new(), Some(cursor("node-a", "6")), T0 + 3)
        .await
        .expect("accept nothing");
    assert_eq!(
        lease(s, ch, "node-a", T0 + 4, T0 + 2000).await,
        Some(PollLease {
            lease_until: T0 + 2000,
            cursor: Some("6".to_owned())
        }),
        "renewed, with the cursor"
    );
    // The holder's own lease, once expired: refused.
    assert_refused(
        s.accept_updates(
            ch,
            vec![update("y")],
            Some(cursor("node-a", "7")),
            T0 + 2000,
        )
        .await,
        "poll_lease",
    );
    let claimed = claim(s, T0 + 3000, T0 + 4000, 10).await;
    assert_eq!(
        payloads(&claimed),
        [keyed("a")],
        "only the held batch was stored"
    );
    assert_eq!(
        lease(s, ch, "node-a", T0 + 3000, T0 + 4000)
            .await
            .and_then(|l| l.cursor),
        Some("6".to_owned()),
        "a refused batch moves no cursor"
    );
    // Without a cursor (a webhook), no lease is needed.
    assert_eq!(accept(s, ch, &["w"], T0 + 3001).await.stored, 1);
}

async fn poll_leases_are_taken_over_only_after_they_expire(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let ch = t.channel.id;
    assert!(lease(s, ch, "a", T0, T0 + 100).await.is_some());
    assert_eq!(
        lease(s, ch, "b", T0 + 99, T0 + 200).await,
        None,
        "held by a"
    );
    assert!(
        lease(s, ch, "a", T0 + 99, T0 + 150).await.is_some(),
        "a renews"
    );
    assert_eq!(lease(s, ch, "b", T0 + 149, T0 + 200).await, None);
    // Expired: b takes it over, and a is out.
    assert_eq!(
        lease(s, ch, "b", T0 + 150, T0 + 300).await,
        Some(PollLease {
            lease_until: T0 + 300,
            cursor: None
        })
    );
    assert_eq!(lease(s, ch, "a", T0 + 151, T0 + 400).await, None);
    // Releasing a lease one does not hold changes nothing.
    s.release_poll(ch, "a").await.expect("release");
    assert_eq!(lease(s, ch, "a", T0 + 152, T0 + 400).await, None);
    // The holder's release frees it at once.
    s.release_poll(ch, "b").await.expect("release");
    assert!(lease(s, ch, "a", T0 + 153, T0 + 400).await.is_some());
    // No lease on a deleted or unknown channel.
    assert!(
        s.delete_channel(t.company.id, ch, T0 + 154)
            .await
            .expect("delete")
    );
    assert_eq!(lease(s, ch, "a", T0 + 155, T0 + 500).await, None);
    assert_eq!(lease(s, 999, "a", T0, T0 + 500).await, None);
    s.release_poll(999, "a").await.expect("release unknown");
}

async fn claimed_updates_are_skipped_retried_or_failed_once(s: &Backend) {
    let t = tenant(s, 1, false).await;
    accept(s, t.channel.id, &["1", "2", "3"], T0).await;
    let lease1 = T0 + 1000;
    let claimed = claim(s, T0, lease1, 10).await;
    assert_eq!(payloads(&claimed), [keyed("1"), keyed("2"), keyed("3")]);
    let ids: Vec<i64> = claimed.iter().map(|u| u.id).collect();
    assert!(
        claim(s, T0 + 999, T0 + 2000, 10).await.is_empty(),
        "all leased"
    );

    let finish = |id, lease_until, outcome, now| async move {
        s.finish_update(id, lease_until, outcome, now)
            .await
            .expect("finish update")
    };
    assert!(
        !finish(ids[0], T0 + 5, skipped("sticker"), T0 + 1).await,
        "wrong lease"
    );
    assert!(finish(ids[0], lease1, skipped("sticker"), T0 + 1).await);
    assert!(finish(ids[1], lease1, retry_update("timeout", T0 + 500), T0 + 1).await);
    assert!(finish(ids[2], lease1, failed_update("bad json"), T0 + 1).await);
    for id in &ids {
        assert!(
            !finish(*id, lease1, failed_update("again"), T0 + 2).await,
            "finished once"
        );
    }
    assert_eq!(
        stats(s, T0 + 10).await,
        IntakeStats {
            pending: 1,
            oldest_age_ms: 10,
            skipped: 1,
            failed: 1
        }
    );

    // The retried one comes back at its time, with the attempt counted.
    assert!(
        claim(s, T0 + 499, T0 + 2000, 10).await.is_empty(),
        "not due yet"
    );
    let again = claim(s, T0 + 500, T0 + 600, 10).await;
    assert_eq!(
        again.iter().map(|u| (u.id, u.attempts)).collect::<Vec<_>>(),
        [(ids[1], 1)]
    );
    // Its lease expires: claimed again; the first claimer finishes nothing.
    let third = claim(s, T0 + 600, T0 + 700, 10).await;
    assert_eq!(third.iter().map(|u| u.id).collect::<Vec<_>>(), [ids[1]]);
    assert!(!finish(ids[1], T0 + 600, skipped("late"), T0 + 650).await);
    assert!(finish(ids[1], T0 + 700, skipped("in time"), T0 + 650).await);
    assert!(claim(s, T0 + 10_000, T0 + 20_000, 10).await.is_empty());
    assert_eq!(
        stats(s, T0 + 10_000).await,
        IntakeStats {
            pending: 0,
            oldest_age_ms: 0,
            skipped: 2,
            failed: 1
        }
    );
}

async fn concurrent_claims_never_share_an_update(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let u = tenant(s, 2, false).await;
    let keys: Vec<String> = (0..20).map(|i| format!("k{i}")).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    assert_eq!(accept(s, t.channel.id, &keys, T0).await.stored, 20);
    assert_eq!(accept(s, u.channel.id, &keys, T0).await.stored, 20);
    let claims = (0..8).map(|_| s.claim_updates(T0 + 1, T0 + 1000, 7));
    let mut seen = BTreeSet::new();
    let mut holders = BTreeSet::new();
    let mut pending = Vec::new();
    for claimed in futures_util::future::join_all(claims).await {
        let claimed = claimed.expect("claim");
        for u in &claimed {
            assert!(seen.insert(u.id), "update {} handed out twice", u.id);
        }
        // A channel is worked by one claimer at a time (that keeps its order).
        let channels: BTreeSet<i64> = claimed.iter().map(|u| u.channel.0.id).collect();
        for channel in channels {
            assert!(
                holders.insert(channel),
                "channel {channel} claimed twice at once"
            );
        }
        pending.extend(claimed);
    }
    // Whatever the racing claims passed over comes once the claimed are finished.
    while !pending.is_empty() {
        for u in pending.drain(..) {
            assert!(
                s.finish_update(u.id, u.lease_until, skipped("done"), T0 + 2)
                    .await
                    .expect("finish")
            );
        }
        for u in claim(s, T0 + 2, T0 + 1000, 100).await {
            assert!(seen.insert(u.id), "update {} handed out twice", u.id);
            pending.push(u);
        }
    }
    assert_eq!(seen.len(), 40);
}

async fn a_channel_under_a_live_lease_is_passed_over(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let u = tenant(s, 2, false).await;
    accept(s, t.channel.id, &["a0", "a1", "a2", "a3"], T0).await;
    accept(s, u.channel.id, &["b0", "b1"], T0).await;
    let first = claim(s, T0 + 1, T0 + 100, 2).await;
    assert_eq!(payloads(&first), [keyed("a0"), keyed("a1")]);
    // a2 and a3 wait: were they claimed now, they could become messages before a0, a1.
    let second = claim(s, T0 + 2, T0 + 100, 10).await;
    assert_eq!(payloads(&second), [keyed("b0"), keyed("b1")]);
    assert!(claim(s, T0 + 3, T0 + 100, 10).await.is_empty());
    // One of the channel's updates still leased is enough to hold the rest back.
    assert!(
        s.finish_update(first[0].id, first[0].lease_until, skipped("done"), T0 + 4)
            .await
            .expect("finish")
    );
    assert!(claim(s, T0 + 5, T0 + 100, 10).await.is_empty());
    assert!(
        s.finish_update(first[1].id, first[1].lease_until, skipped("done"), T0 + 6)
            .await
            .expect("finish")
    );
    let third = claim(s, T0 + 7, T0 + 200, 10).await;
    assert_eq!(payloads(&third), [keyed("a2"), keyed("a3")]);
    // A lease that ran out (its node died) holds nothing back: the updates are taken over.
    let b1 = second.iter().map(|u| u.id).collect::<BTreeSet<_>>();
    let taken = claim(s, T0 + 101, T0 + 300, 10).await;
    assert_eq!(taken.iter().map(|u| u.id).collect::<BTreeSet<_>>(), b1);
}

async fn a_message_from_an_update_finishes_it_in_one_transaction(s: &Backend) {
    let t = tenant(s, 1, false).await;
    accept(s, t.channel.id, &["m1"], T0).await;
    let u = claim(s, T0, T0 + 1000, 10).await.remove(0);
    let posted = s
        .receive_message(
            t.channel.clone(),
            contact("100", Some("Ivan")),
            incoming_from("hello", source(u.id, u.lease_until, "tg-1", None)),
            T0 + 5,
        )
        .await
        .expect("receive");
    let m = message(s, t.company.id, posted.conversation.id, posted.message_id).await;
    assert_eq!(m.external_public_id.as_deref(), Some("tg-1"));
    assert_eq!(m.body, "hello");
    assert!(m.income);
    // Done: nothing to claim, nothing pending, and the worker's lease finishes nothing.
    assert!(claim(s, T0 + 5000, T0 + 6000, 10).await.is_empty());
    assert_eq!(stats(s, T0 + 5000).await, IntakeStats::default());
    assert!(
        !s.finish_update(u.id, u.lease_until, failed_update("x"), T0 + 6)
            .await
            .expect("finish")
    );
    // The same source again (a worker retrying its call) makes nothing twice.
    let before = counts(s, &t).await;
    assert_refused(
        s.receive_message(
            t.channel.clone(),
            contact("100", None),
            incoming_from("hello", source(u.id, u.lease_until, "tg-1", None)),
            T0 + 7,
        )
        .await,
        "update",
    );
    assert_eq!(counts(s, &t).await, before);
    // Without a source nothing changes: no messenger id.
    let plain = inbound(s, &t, "100", "plain", T0 + 8).await;
    let m = message(s, t.company.id, plain.conversation.id, plain.message_id).await;
    assert_eq!(m.external_public_id, None);
}

async fn a_message_from_a_lost_update_is_refused_and_writes_nothing(s: &Backend) {
    let t = tenant(s, 1, false).await;
    // A known contact, so a message in their conversation would show too.
    inbound(s, &t, "100", "earlier", T0).await;
    accept(s, t.channel.id, &["m1", "m2"], T0).await;
    let first = claim(s, T0, T0 + 100, 10).await;
    assert_eq!(first.len(), 2);
    // Both leases run out and another worker claims them again.
    let second = claim(s, T0 + 100, T0 + 1000, 10).await;
    assert_eq!(second.len(), 2);
    let before = counts(s, &t).await;
    for (u, who) in first.iter().zip(["100", "200"]) {
        assert_refused(
            s.receive_message(
                t.channel.clone(),
                contact(who, Some("New Name")),
                incoming_from("late", source(u.id, u.lease_until, "tg-x", None)),
                T0 + 150,
            )
            .await,
            "update",
        );
    }
    assert_eq!(
        counts(s, &t).await,
        before,
        "no conversation, message or event"
    );
    // The name of the known contact did not change either.
    let conversations = s
        .list_conversations(t.company.id, everything())
        .await
        .expect("list");
    assert_eq!(conversations.len(), 1);
    assert_eq!(conversations[0].name, "100");
    // The current holder still can.
    for u in &second {
        s.receive_message(
            t.channel.clone(),
            contact("200", None),
            incoming_from(
                "in time",
                source(u.id, u.lease_until, &format!("tg-{}", u.id), None),
            ),
            T0 + 160,
        )
        .await
        .expect("receive");
    }
    assert_eq!(stats(s, T0 + 200).await.pending, 0);
}

async fn files_fetched_later_are_bound_to_the_message(s: &Backend) {
    let t = tenant(s, 1, false).await;
    accept(s, t.channel.id, &["photo", "other"], T0).await;
    let claimed = claim(s, T0, T0 + 1000, 10).await;
    let (u, other) = (&claimed[0], &claimed[1]);
    // No message yet: nothing to bind files to.
    assert!(
        !s.attach_update_files(
            other.id,
            other.lease_until,
            vec![new_attachment(0, "x.png")],
            None,
            T0 + 1
        )
        .await
        .expect("attach")
    );
    let pending = r#"["file-1"]"#;
    let posted = s
        .receive_message(
            t.channel.clone(),
            contact("100", None),
            incoming_from("", source(u.id, u.lease_until, "tg-7", Some(pending))),
            T0 + 10,
        )
        .await
        .expect("receive");
    let (c, m) = (posted.conversation.id, posted.message_id);
    assert!(message(s, t.company.id, c, m).await.attachments.is_empty());
    // The message released the lease: the old one binds nothing.
    assert!(
        !s.attach_update_files(u.id, u.lease_until, Vec::new(), None, T0 + 11)
            .await
            .expect("attach")
    );
    assert_eq!(
        stats(s, T0 + 20).await.pending,
        2,
        "still pending for its files"
    );
    // Claimable again at once, with its message and what is left to fetch.
    let again = claim(s, T0 + 10, T0 + 2000, 10).await;
    assert_eq!(
        again.len(),
        1,
        "the other update is still leased: {again:?}"
    );
    let again = &again[0];
    assert_eq!(again.id, u.id);
    assert_eq!(
        again.message,
        Some(UpdateMessage {
            conversation_id: c,
            message_id: m
        })
    );
    assert_eq!(again.pending.as_deref(), Some(pending));
    assert_eq!(again.attempts, 0);
    // The file names another conversation; it is bound to the update's message anyway.
    assert!(
        s.attach_update_files(
            u.id,
            again.lease_until,
            vec![new_attachment(424_242, "photo.jpg")],
            None,
            T0 + 20
        )
        .await
        .expect("attach")
    );
    let m = message(s, t.company.id, c, m).await;
    assert_eq!(m.attachments.len(), 1);
    let a = &m.attachments[0];
    assert_eq!(
        (
            a.conversation_id,
            a.message_id,
            a.company_id,
            a.file_name.as_str()
        ),
        (c, Some(m.id), t.company.id, "photo.jpg")
    );
    // Done now.
    assert!(
        !s.attach_update_files(u.id, again.lease_until, Vec::new(), None, T0 + 21)
            .await
            .expect("attach")
    );
    assert!(
        claim(s, T0 + 5000, T0 + 6000, 10)
            .await
            .iter()
            .all(|x| x.id != u.id)
    );
}

async fn a_broken_channel_is_disabled_and_its_queued_jobs_end(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let c = inbound(s, &t, "100", "hi", T0).await.conversation.id;
    let held = outbound(s, &t, c, "1", T0 + 1).await;
    let claimed = s.claim_jobs(T0 + 1, T0 + 10_000, 1).await.expect("claim");
    assert_eq!(claimed[0].job.id, held.id);
    let queued = [
        outbound(s, &t, c, "2", T0 + 2).await,
        outbound(s, &t, c, "3", T0 + 3).await,
    ];
    let labels_before = log_labels(s, t.company.id).await;

    assert_eq!(
        s.break_channel(t.channel.id, "token revoked".to_owned(), T0 + 100)
            .await
            .expect("break"),
        Some(2)
    );
    let channel = s
        .get_channel(t.company.id, t.channel.id)
        .await
        .expect("get")
        .expect("still live");
    assert_eq!(channel.state, state_disabled());
    assert_eq!(channel.last_error.as_deref(), Some("token revoked"));
    for job in &queued {
        let job = s
            .get_job(t.company.id, t.channel.id, job.id)
            .await
            .expect("get job")
            .expect("job");
        assert_eq!(
            (
                job.state,
                job.reason.as_deref(),
                job.executed_at_ms,
                job.attempts
            ),
            (
                JobState::NotDelivered,
                Some("token revoked"),
                Some(T0 + 100),
                0
            )
        );
    }
    let held_now = s
        .get_job(t.company.id, t.channel.id, held.id)
        .await
        .expect("get job")
        .expect("job");
    assert_eq!(
        held_now.state,
        JobState::TryingDeliver,
        "its worker holds it"
    );
    let labels = log_labels(s, t.company.id).await;
    assert_eq!(
        labels[labels_before.len()..],
        ["system", "job.executed", "job.executed"]
    );
    // The worker finishes its job as usual.
    assert!(
        s.finish_job(
            held.id,
            T0 + 10_000,
            Outcome::Failed {
                reason: "disabled".to_owned()
            },
            T0 + 200
        )
        .await
        .expect("finish")
        .is_some()
    );
    // Broken again: nothing left to end; a deleted or unknown channel is not broken.
    assert_eq!(
        s.break_channel(t.channel.id, "again".to_owned(), T0 + 300)
            .await
            .expect("break"),
        Some(0)
    );
    assert!(
        s.delete_channel(t.company.id, t.channel.id, T0 + 400)
            .await
            .expect("delete")
    );
    assert_eq!(
        s.break_channel(t.channel.id, "x".to_owned(), T0 + 500)
            .await
            .expect("break"),
        None
    );
    assert_eq!(
        s.break_channel(999, "x".to_owned(), T0 + 500)
            .await
            .expect("break"),
        None
    );
}

async fn channel_health_reads_back_everywhere(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let ch = t.channel.id;
    assert_eq!(
        (t.channel.last_inbound_at_ms, t.channel.last_error.clone()),
        (None, None)
    );
    accept(s, ch, &["a"], T0 + 5).await;
    s.set_channel_error(ch, Some("429 too many requests".to_owned()))
        .await
        .expect("set error");
    let health = |c: &confab_store::Channel| (c.last_inbound_at_ms, c.last_error.clone());
    let want = (Some(T0 + 5), Some("429 too many requests".to_owned()));
    let got = s
        .get_channel(t.company.id, ch)
        .await
        .expect("get")
        .expect("channel");
    assert_eq!(health(&got), want);
    assert_eq!(got.state, state_enabled());
    let listed = s
        .list_channels(t.company.id, everything())
        .await
        .expect("list");
    assert_eq!(health(&listed[0]), want);
    let by_provider = s
        .channel_by_provider(t.company.id, whatsapp())
        .await
        .expect("by provider")
        .expect("channel");
    assert_eq!(health(&by_provider), want);
    assert_eq!(health(&by_id(s, ch).await.0), want);
    // The delivery claim carries it too.
    let c = inbound(s, &t, "100", "hi", T0).await.conversation.id;
    outbound(s, &t, c, "out", T0).await;
    let claimed = s.claim_jobs(T0, T0 + 100, 1).await.expect("claim");
    assert_eq!(health(&claimed[0].channel.0), want);
    // Cleared when the connector works again.
    s.set_channel_error(ch, None).await.expect("clear error");
    assert_eq!(health(&by_id(s, ch).await.0), (Some(T0 + 5), None));
    assert_not_found(s.set_channel_error(999, None).await, "channel");
}

async fn channels_by_id_by_connector_and_all(s: &Backend) {
    let a = tenant(s, 1, false).await;
    let b = tenant(s, 2, false).await;
    let new = |company_id, provider, connector: &'static str| async move {
        s.create_channel(company_id, connector_channel(provider, connector), T0)
            .await
            .expect("create")
    };
    let tg_a = new(a.company.id, telegram(), "telegram").await;
    let tg_b = new(b.company.id, telegram(), "telegram").await;
    let viber_a = new(a.company.id, viber(), "viber").await;
    let tg_gone = s
        .create_channel(b.company.id, connector_channel(viber(), "telegram"), T0)
        .await
        .expect("create");
    assert!(
        s.delete_channel(b.company.id, tg_gone.id, T0 + 1)
            .await
            .expect("delete")
    );

    // By id, whichever company; deleted ones say so.
    assert_eq!(by_id(s, tg_b.id).await, (tg_b.clone(), false));
    assert_eq!(by_id(s, tg_gone.id).await, (tg_gone.clone(), true));
    assert_eq!(s.channel_by_id(999).await.expect("by id"), None);

    let of = |connector: &'static str, after, limit| async move {
        s.connector_channels(connector, after, limit)
            .await
            .expect("connector channels")
            .into_iter()
            .map(|c| c.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(of("telegram", 0, 10).await, [tg_a.id, tg_b.id]);
    assert_eq!(of("telegram", 0, 1).await, [tg_a.id]);
    assert_eq!(of("telegram", tg_a.id, 10).await, [tg_b.id]);
    assert_eq!(of("telegram", tg_b.id, 10).await, Vec::<i64>::new());
    assert_eq!(of("viber", 0, 10).await, [viber_a.id]);
    assert_eq!(of("sandbox", 0, 10).await, [a.channel.id, b.channel.id]);
    assert_eq!(of("nobody", 0, 10).await, Vec::<i64>::new());

    let all = |after, limit| async move {
        s.all_channels(after, limit)
            .await
            .expect("all channels")
            .into_iter()
            .map(|c| c.id)
            .collect::<Vec<_>>()
    };
    let every = vec![
        a.channel.id,
        b.channel.id,
        tg_a.id,
        tg_b.id,
        viber_a.id,
        tg_gone.id,
    ];
    assert_eq!(all(0, 100).await, every);
    assert_eq!(all(0, 2).await, every[..2]);
    assert_eq!(all(every[1], 3).await, every[2..5]);
    assert_eq!(all(every[4], 3).await, every[5..]);
}

async fn channel_settings_are_replaced_whole(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let events_before = log_labels(s, t.company.id).await;
    let settings = object(serde_json::json!({"token": "enc:v1:abc"}));
    s.replace_channel_settings(t.channel.id, settings.clone())
        .await
        .expect("replace");
    let got = s
        .get_channel(t.company.id, t.channel.id)
        .await
        .expect("get")
        .expect("channel");
    assert_eq!(got.settings, settings, "no key of the old settings is kept");
    // Deleted channels too.
    assert!(
        s.delete_channel(t.company.id, t.channel.id, T0 + 1)
            .await
            .expect("delete")
    );
    let again = object(serde_json::json!({"token": "enc:v2:def", "n": 2}));
    s.replace_channel_settings(t.channel.id, again.clone())
        .await
        .expect("replace a deleted channel's");
    assert_eq!(by_id(s, t.channel.id).await.0.settings, again);
    assert_not_found(
        s.replace_channel_settings(999, again.clone()).await,
        "channel",
    );
    assert_eq!(
        log_labels(s, t.company.id).await,
        events_before,
        "no events"
    );
}

async fn intake_stats_count_the_pipeline(s: &Backend) {
    let t = tenant(s, 1, false).await;
    assert_eq!(stats(s, T0).await, IntakeStats::default());
    accept(s, t.channel.id, &["1", "2"], T0).await;
    accept(s, t.channel.id, &["3"], T0 + 50).await;
    assert_eq!(
        stats(s, T0 + 100).await,
        IntakeStats {
            pending: 3,
            oldest_age_ms: 100,
            skipped: 0,
            failed: 0
        }
    );
    let claimed = claim(s, T0 + 100, T0 + 1000, 2).await;
    assert_eq!(claimed.len(), 2);
    assert!(
        s.finish_update(claimed[0].id, T0 + 1000, skipped("sticker"), T0 + 101)
            .await
            .expect("finish")
    );
    assert!(
        s.finish_update(claimed[1].id, T0 + 1000, failed_update("bad"), T0 + 101)
            .await
            .expect("finish")
    );
    assert_eq!(
        stats(s, T0 + 200).await,
        IntakeStats {
            pending: 1,
            oldest_age_ms: 150,
            skipped: 1,
            failed: 1
        }
    );
}
