//! Messages: `list_messages` paging by (created_at, id) both ways, `get_message`,
//! `send_message` (binds the conversation's unsent attachments; refuses any other with
//! `Invalid` and then stores nothing at all) and `advance_ack` (forward only).

use confab_store::{Job, JobState, Message, NewOutgoing};
use serde_json::json;

use crate::backend::Backend;
use crate::fixtures::{
    FIELD_ATTACHMENTS, T0, Tenant, ack_delivered, ack_preparing, ack_read, ack_sent,
    assert_invalid, assert_not_found, conversation, inbound, message, message_page, messages_of,
    new_attachment, outbound, outgoing, tenant, whatsapp,
};

contract!(
    messages_page_by_time_then_id_both_ways,
    get_message_finds_only_its_conversations_messages,
    send_message_binds_the_attachments,
    a_refused_send_stores_nothing,
    racing_sends_bind_an_attachment_once,
    concurrent_sends_each_get_their_own_answer,
    acks_only_move_forward,
    last_messages_are_each_conversations_newest,
);

/// The paging key of a message.
fn key(m: &Message) -> (i64, i64) {
    (m.created_at_ms, m.id)
}

/// Walks a conversation's messages page by page both ways with several page sizes and
/// checks it gives exactly `expected` (keys in ascending order).
async fn check_message_paging(
    s: &Backend,
    t: &Tenant,
    conversation_id: i64,
    expected: &[(i64, i64)],
) {
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
                let rows = s
                    .list_messages(
                        t.company.id,
                        conversation_id,
                        message_page(after, descending, limit),
                    )
                    .await
                    .expect("list messages");
                let left = want.len() - got.len();
                assert_eq!(
                    rows.len(),
                    left.min(limit as usize),
                    "page after {after:?} (limit {limit}, descending {descending}): {rows:?}"
                );
                let Some(last) = rows.last() else { break };
                after = Some(key(last));
                got.extend(rows.iter().map(key));
            }
            assert_eq!(got, want, "pages of {limit}, descending {descending}");
        }
    }
}

async fn messages_page_by_time_then_id_both_ways(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let first = inbound(s, &t, "100", "m0", T0).await;
    let c = first.conversation.id;
    // Created out of time order, with a tie, so (created_at, id) order differs from id
    // order: m0 (T0), mb (T0+10), mc (T0+10), md (T0+20), ma (T0+30), me (T0+40).
    let ma = outbound(s, &t, c, "ma", T0 + 30).await.message_id;
    let mb = inbound(s, &t, "100", "mb", T0 + 10).await.message_id;
    let mc = outbound(s, &t, c, "mc", T0 + 10).await.message_id;
    let md = inbound(s, &t, "100", "md", T0 + 20).await.message_id;
    let me = outbound(s, &t, c, "me", T0 + 40).await.message_id;
    // Another conversation's messages, at the same times, are not in its pages.
    let other = inbound(s, &t, "101", "x", T0 + 10).await.conversation.id;
    outbound(s, &t, other, "y", T0 + 20).await;

    let expected = vec![
        (T0, first.message_id),
        (T0 + 10, mb),
        (T0 + 10, mc),
        (T0 + 20, md),
        (T0 + 30, ma),
        (T0 + 40, me),
    ];
    assert!(mb < mc, "ids grow");
    let all = messages_of(s, t.company.id, c).await;
    assert_eq!(all.iter().map(key).collect::<Vec<_>>(), expected);
    assert_eq!(
        all.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
        ["m0", "mb", "mc", "md", "ma", "me"]
    );
    for m in &all {
        assert_eq!(
            &message(s, t.company.id, c, m.id).await,
            m,
            "page row = get"
        );
    }
    check_message_paging(s, &t, c, &expected).await;

    let page = |after, descending| async move {
        s.list_messages(t.company.id, c, message_page(Some(after), descending, 100))
            .await
            .expect("list")
            .iter()
            .map(|m| m.id)
            .collect::<Vec<_>>()
    };
    // Ties on the time are broken by id, in the list's direction.
    assert_eq!(page((T0 + 10, mb), false).await, [mc, md, ma, me]);
    assert_eq!(page((T0 + 10, mc), true).await, [mb, first.message_id]);
    assert_eq!(page((T0 + 10, mb), true).await, [first.message_id]);
    // A bound between rows cuts the list where it falls.
    assert_eq!(page((T0 + 15, 0), false).await, [md, ma, me]);
    assert_eq!(page((T0 + 15, 0), true).await, [mc, mb, first.message_id]);
    assert_eq!(page((T0 + 40, me), false).await, Vec::<i64>::new());
    assert_eq!(page((T0, first.message_id), true).await, Vec::<i64>::new());
    // An unknown conversation has no messages.
    assert!(
        s.list_messages(t.company.id, 999, message_page(None, false, 10))
            .await
            .expect("list")
            .is_empty()
    );
}

async fn get_message_finds_only_its_conversations_messages(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let a = inbound(s, &t, "100", "a", T0).await;
    let b = inbound(s, &t, "101", "b", T0).await;
    assert_eq!(
        message(s, t.company.id, a.conversation.id, a.message_id)
            .await
            .body,
        "a"
    );
    assert_eq!(
        s.get_message(t.company.id, b.conversation.id, a.message_id)
            .await
            .expect("get"),
        None,
        "a message through another conversation"
    );
    assert_eq!(
        s.get_message(t.company.id, a.conversation.id, 999)
            .await
            .expect("get"),
        None
    );
    assert_eq!(
        s.get_message(t.company.id, 999, a.message_id)
            .await
            .expect("get"),
        None
    );
}

async fn send_message_binds_the_attachments(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let posted = inbound(s, &t, "100", "send me files", T0).await;
    let c = posted.conversation.id;
    let upload = |name: &'static str, now| async move {
        s.create_attachment(t.company.id, new_attachment(c, name), now)
            .await
            .expect("upload")
    };
    let a1 = upload("one.png", T0 + 1).await;
    let a2 = upload("two.png", T0 + 2).await;
    let a3 = upload("three.png", T0 + 3).await;
    let interactive = json!({"type": "button", "buttons": [{"id": "yes", "title": "Yes"}]});

    let job = s
        .send_message(
            t.company.id,
            NewOutgoing {
                conversation_id: c,
                body: "Here you are".to_owned(),
                send_to_crm: false,
                // Named out of upload order; they come back in upload order.
                attachment_ids: vec![a2.id, a1.id],
                interactive: Some(interactive.clone()),
            },
            T0 + 50,
        )
        .await
        .expect("send");
    assert_eq!(
        job,
        Job {
            id: job.id,
            company_id: t.company.id,
            channel_id: t.channel.id,
            channel_type: whatsapp(),
            conversation_id: c,
            message_id: job.message_id,
            state: JobState::TryingDeliver,
            reason: None,
            attempts: 0,
            created_at_ms: T0 + 50,
            executed_at_ms: None,
        }
    );
    assert!(job.message_id > posted.message_id);
    let bound = |a: &confab_store::Attachment| confab_store::Attachment {
        message_id: Some(job.message_id),
        ..a.clone()
    };
    let sent = message(s, t.company.id, c, job.message_id).await;
    assert_eq!(
        sent,
        Message {
            id: job.message_id,
            conversation_id: c,
            channel_id: t.channel.id,
            income: false,
            body: "Here you are".to_owned(),
            ack: ack_preparing(),
            send_to_crm: false,
            created_at_ms: T0 + 50,
            job_id: Some(job.id),
            external_public_id: None,
            interactive: Some(interactive),
            attachments: vec![bound(&a1), bound(&a2)],
        }
    );
    assert_eq!(
        s.get_attachment(t.company.id, a1.id).await.expect("get"),
        Some(bound(&a1))
    );
    assert_eq!(
        s.get_attachment(t.company.id, a3.id).await.expect("get"),
        Some(a3.clone()),
        "an attachment not named stays unsent"
    );
    assert_eq!(
        s.get_job(t.company.id, t.channel.id, job.id)
            .await
            .expect("get job"),
        Some(job)
    );
    // The conversation's last message moved; its last incoming one did not.
    let now = conversation(s, t.company.id, c).await;
    assert_eq!(now.last_message_at_ms, Some(T0 + 50));
    assert_eq!(now.last_income_message_at_ms, Some(T0));

    // A message of attachments only.
    let job = s
        .send_message(t.company.id, outgoing(c, "", vec![a3.id]), T0 + 60)
        .await
        .expect("send");
    let sent = message(s, t.company.id, c, job.message_id).await;
    assert_eq!(sent.body, "");
    assert_eq!(
        sent.attachments,
        vec![confab_store::Attachment {
            message_id: Some(job.message_id),
            ..a3
        }]
    );
}

async fn a_refused_send_stores_nothing(s: &Backend) {
    let a = tenant(s, 1, true).await;
    let b = tenant(s, 2, true).await;
    let c1 = inbound(s, &a, "100", "hi", T0).await.conversation.id;
    let c2 = inbound(s, &a, "101", "hi", T0).await.conversation.id;
    let cb = inbound(s, &b, "100", "hi", T0).await.conversation.id;
    let upload = |company_id, conversation_id, name: &'static str| async move {
        s.create_attachment(company_id, new_attachment(conversation_id, name), T0)
            .await
            .expect("upload")
            .id
    };
    let already_sent = upload(a.company.id, c1, "sent.png").await;
    let sent_job = s
        .send_message(
            a.company.id,
            outgoing(c1, "first", vec![already_sent]),
            T0 + 1,
        )
        .await
        .expect("send");
    let fresh = upload(a.company.id, c1, "fresh.png").await;
    let of_c2 = upload(a.company.id, c2, "c2.png").await;
    let of_b = upload(b.company.id, cb, "b.png").await;

    let snapshot = || async move {
        (
            messages_of(s, a.company.id, c1).await,
            conversation(s, a.company.id, c1).await,
            s.get_attachment(a.company.id, fresh).await.expect("get"),
            s.list_webhook_events(a.company.id, crate::fixtures::everything())
                .await
                .expect("events"),
            s.queue_stats(T0 + 10).await.expect("stats").jobs_pending,
        )
    };
    let before = snapshot().await;
    let before = &before;
    let refuse = |ids: Vec<i64>| async move {
        assert_invalid(
            s.send_message(a.company.id, outgoing(c1, "refused", ids.clone()), T0 + 5)
                .await,
            FIELD_ATTACHMENTS,
        );
        assert_eq!(&snapshot().await, before, "after refusing {ids:?}");
    };
    // A good attachment then one of another conversation: the first is not bound either.
    refuse(vec![fresh, of_c2]).await;
    // One already sent.
    refuse(vec![already_sent]).await;
    // Another company's.
    refuse(vec![of_b]).await;
    // No such attachment.
    refuse(vec![fresh, 999]).await;
    // The same one twice: it is unsent only for the first.
    refuse(vec![fresh, fresh]).await;
    // An unknown conversation.
    assert_not_found(
        s.send_message(a.company.id, outgoing(999, "x", Vec::new()), T0 + 5)
            .await,
        "conversation",
    );
    assert_eq!(&snapshot().await, before);
    // Nor were the others touched.
    assert_eq!(
        s.get_attachment(a.company.id, of_c2)
            .await
            .expect("get")
            .and_then(|x| x.message_id),
        None
    );
    assert_eq!(
        s.get_attachment(b.company.id, of_b)
            .await
            .expect("get")
            .and_then(|x| x.message_id),
        None
    );

    // No job was left behind: only the first send's is there to claim.
    let claimed = s.claim_jobs(T0 + 100, T0 + 1000, 100).await.expect("claim");
    assert_eq!(
        claimed.iter().map(|c| c.job.id).collect::<Vec<_>>(),
        [sent_job.id]
    );

    // And the attachment can still be sent properly.
    let job = s
        .send_message(a.company.id, outgoing(c1, "now", vec![fresh]), T0 + 6)
        .await
        .expect("send");
    assert!(job.message_id > sent_job.message_id);
    let m = message(s, a.company.id, c1, job.message_id).await;
    assert_eq!(m.attachments.len(), 1);
    assert_eq!(m.attachments[0].id, fresh);
}

async fn acks_only_move_forward(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let posted = inbound(s, &t, "100", "hi", T0).await;
    let c = posted.conversation.id;
    let out = outbound(s, &t, c, "hello", T0 + 1).await.message_id;
    assert_eq!(message(s, t.company.id, c, out).await.ack, ack_preparing());

    let advance = |id, ack, now| async move {
        let (m, changed) = s
            .advance_ack(t.company.id, c, id, ack, now)
            .await
            .expect("advance")
            .expect("the message exists");
        assert_eq!(
            m,
            message(s, t.company.id, c, id).await,
            "the message as it is now"
        );
        (m.ack, changed)
    };
    assert_eq!(advance(out, ack_sent(), T0 + 2).await, (ack_sent(), true));
    assert_eq!(advance(out, ack_sent(), T0 + 3).await, (ack_sent(), false));
    assert_eq!(advance(out, ack_read(), T0 + 4).await, (ack_read(), true));
    assert_eq!(
        advance(out, ack_delivered(), T0 + 5).await,
        (ack_read(), false)
    );
    assert_eq!(
        advance(out, ack_preparing(), T0 + 6).await,
        (ack_read(), false)
    );
    // Skipping a step is moving forward too; incoming messages start delivered.
    assert_eq!(
        advance(posted.message_id, ack_read(), T0 + 7).await,
        (ack_read(), true)
    );
    // No such message, or not in this conversation.
    assert_eq!(
        s.advance_ack(t.company.id, c, 999, ack_read(), T0)
            .await
            .expect("advance"),
        None
    );
    let other = inbound(s, &t, "101", "x", T0).await.conversation.id;
    let other_out = outbound(s, &t, other, "y", T0).await.message_id;
    assert_eq!(
        s.advance_ack(t.company.id, c, other_out, ack_read(), T0)
            .await
            .expect("advance"),
        None
    );
    assert_eq!(
        message(s, t.company.id, other, other_out).await.ack,
        ack_preparing()
    );
}

/// `last_messages`: each conversation's newest message by (created_at, id), with its
/// attachments, in the order asked; `None` for a conversation without messages, one of
/// another company, or an unknown id.
async fn last_messages_are_each_conversations_newest(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let other = tenant(s, 2, false).await;
    let a = inbound(s, &t, "100", "first", T0).await.conversation.id;
    let b = inbound(s, &t, "200", "hello", T0).await.conversation.id;
    let theirs = inbound(s, &other, "300", "theirs", T0)
        .await
        .conversation
        .id;
    let file = s
        .create_attachment(t.company.id, new_attachment(a, "pic.png"), T0 + 1)
        .await
        .expect("upload");
    let with_file = s
        .send_message(
            t.company.id,
            outgoing(a, "with a file", vec![file.id]),
            T0 + 5,
        )
        .await
        .expect("send");
    // Same time as the reply, a higher id: the newest by (created_at, id).
    let newest_b = inbound(s, &t, "200", "same time", T0 + 5).await.message_id;
    inbound(s, &t, "200", "earlier", T0 + 4).await;
    let lasts = s
        .last_messages(t.company.id, vec![b, theirs, a, 987_654, b])
        .await
        .expect("last messages");
    let summary: Vec<Option<(i64, String, Vec<String>)>> = lasts
        .iter()
        .map(|m| {
            m.as_ref().map(|m| {
                (
                    m.conversation_id,
                    m.body.clone(),
                    m.attachments.iter().map(|f| f.file_name.clone()).collect(),
                )
            })
        })
        .collect();
    assert_eq!(
        summary,
        [
            Some((b, "same time".to_owned(), vec![])),
            None,
            Some((a, "with a file".to_owned(), vec!["pic.png".to_owned()])),
            None,
            Some((b, "same time".to_owned(), vec![])),
        ]
    );
    assert_eq!(lasts[0].as_ref().map(|m| m.id), Some(newest_b));
    assert_eq!(
        lasts[2].as_ref().map(|m| m.job_id),
        Some(Some(with_file.id))
    );
    assert!(
        s.last_messages(t.company.id, Vec::new())
            .await
            .expect("none")
            .is_empty()
    );
}

async fn racing_sends_bind_an_attachment_once(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let c = inbound(s, &t, "100", "hi", T0).await.conversation.id;
    // Several rounds: the first also opens the pool's connections, so the later ones race
    // on warm connections.
    for round in 0..5 {
        let file = s
            .create_attachment(t.company.id, new_attachment(c, "one.png"), T0)
            .await
            .expect("upload")
            .id;
        let before = messages_of(s, t.company.id, c).await.len();
        let sends = (0..8).map(|n| {
            s.send_message(
                t.company.id,
                outgoing(c, &format!("race {round}.{n}"), vec![file]),
                T0 + 1,
            )
        });
        let outcomes = futures_util::future::join_all(sends).await;
        let won: Vec<Job> = outcomes
            .iter()
            .filter_map(|o| o.as_ref().ok().cloned())
            .collect();
        assert_eq!(won.len(), 1, "round {round}: {outcomes:?}");
        for lost in outcomes.into_iter().filter(Result::is_err) {
            assert_invalid(lost, FIELD_ATTACHMENTS);
        }
        let after = messages_of(s, t.company.id, c).await;
        assert_eq!(
            after.len(),
            before + 1,
            "only the winner's message is stored"
        );
        assert_eq!(
            s.get_attachment(t.company.id, file)
                .await
                .expect("get")
                .and_then(|a| a.message_id),
            Some(won[0].message_id)
        );
    }
}

async fn concurrent_sends_each_get_their_own_answer(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let c1 = inbound(s, &t, "100", "hi", T0).await.conversation.id;
    let c2 = inbound(s, &t, "101", "hi", T0).await.conversation.id;
    // Sent together (PostgreSQL commits such sends in one transaction), refusals among
    // them: each answer is its own, and a refusal spoils nobody else's send.
    let targets: Vec<i64> = (0..24).map(|n| [c1, c2, 999][n % 3]).collect();
    let sends = targets.iter().enumerate().map(|(n, c)| {
        s.send_message(
            t.company.id,
            outgoing(*c, &format!("m{n}"), Vec::new()),
            T0 + 1,
        )
    });
    let outcomes = futures_util::future::join_all(sends).await;
    let mut ids = Vec::new();
    for ((n, c), outcome) in targets.iter().enumerate().zip(outcomes) {
        if *c == 999 {
            assert_not_found(outcome, "conversation");
            continue;
        }
        let job = outcome.expect("send");
        assert_eq!(job.conversation_id, *c);
        let sent = message(s, t.company.id, *c, job.message_id).await;
        assert_eq!(sent.body, format!("m{n}"));
        assert_eq!(sent.job_id, Some(job.id));
        ids.push(job.message_id);
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 16, "every send got a message of its own");
    for c in [c1, c2] {
        assert_eq!(messages_of(s, t.company.id, c).await.len(), 9);
        assert_eq!(
            conversation(s, t.company.id, c).await.last_message_at_ms,
            Some(T0 + 1)
        );
    }
}
