//! Delivery jobs: `get_job`, `claim_jobs` (due by `run_after`, in (run_after, id) order,
//! up to the limit, never while leased), `renew_lease` (only with the current lease) and
//! `finish_job` with each outcome (job state, reason, `executed_at`, the message's ack and
//! messenger id; a stale lease finishes nothing; a retried job comes back at its time).

use confab_store::{Claimed, Job, JobState, Message, Outcome};

use crate::backend::Backend;
use crate::fixtures::{
    T0, ack_preparing, ack_read, ack_sent, assert_same_ids, conversation, inbound, message,
    new_channel, outbound, telegram, tenant,
};

contract!(
    get_job_needs_its_company_and_channel,
    claims_take_due_jobs_by_run_after_then_id_up_to_the_limit,
    a_claim_carries_what_delivery_needs,
    a_deferred_job_waits_untried_behind_other_due_jobs,
    a_leased_job_is_claimed_again_only_after_its_lease,
    a_sent_job_is_delivered_and_its_message_acked,
    a_failed_job_is_not_delivered_for_good,
    a_retried_job_is_claimable_again_at_its_time,
    a_job_of_a_deleted_channel_is_still_claimed,
);

/// Sent by the messenger as `id`.
fn sent(id: &str) -> Outcome {
    Outcome::Sent {
        external_public_id: id.to_owned(),
    }
}

/// Refused for good.
fn failed(reason: &str) -> Outcome {
    Outcome::Failed {
        reason: reason.to_owned(),
    }
}

/// Failed for now; again at `at_ms`.
fn retry(reason: &str, at_ms: i64) -> Outcome {
    Outcome::Retry {
        reason: reason.to_owned(),
        at_ms,
    }
}

/// The ids of claimed jobs, in the order given.
fn claimed_ids(claimed: &[Claimed]) -> Vec<i64> {
    claimed.iter().map(|c| c.job.id).collect()
}

async fn claim(s: &Backend, now: i64, lease_until: i64, limit: u32) -> Vec<Claimed> {
    s.claim_jobs(now, lease_until, limit).await.expect("claim")
}

async fn finish(
    s: &Backend,
    job_id: i64,
    lease_until: i64,
    outcome: Outcome,
    now: i64,
) -> Option<(Job, Message)> {
    s.finish_job(job_id, lease_until, outcome, now)
        .await
        .expect("finish")
}

async fn get_job_needs_its_company_and_channel(s: &Backend) {
    let a = tenant(s, 1, false).await;
    let b = tenant(s, 2, false).await;
    let c = inbound(s, &a, "100", "hi", T0).await.conversation.id;
    let job = outbound(s, &a, c, "hello", T0 + 1).await;
    let other_channel = s
        .create_channel(a.company.id, new_channel(telegram()), T0)
        .await
        .expect("create");
    let get = |company_id, channel_id, job_id| async move {
        s.get_job(company_id, channel_id, job_id)
            .await
            .expect("get job")
    };
    assert_eq!(
        get(a.company.id, a.channel.id, job.id).await,
        Some(job.clone())
    );
    assert_eq!(get(a.company.id, other_channel.id, job.id).await, None);
    assert_eq!(get(b.company.id, a.channel.id, job.id).await, None);
    assert_eq!(get(b.company.id, b.channel.id, job.id).await, None);
    assert_eq!(get(a.company.id, a.channel.id, 999).await, None);
}

async fn claims_take_due_jobs_by_run_after_then_id_up_to_the_limit(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let c = inbound(s, &t, "100", "hi", T0).await.conversation.id;
    // Created (so due) out of id order: j2 and j3 at T0+10, j1 at T0+20, j4 at T0+30.
    let j1 = outbound(s, &t, c, "1", T0 + 20).await.id;
    let j2 = outbound(s, &t, c, "2", T0 + 10).await.id;
    let j3 = outbound(s, &t, c, "3", T0 + 10).await.id;
    let j4 = outbound(s, &t, c, "4", T0 + 30).await.id;
    let lease = T0 + 10_000;

    assert!(
        claim(s, T0 + 9, lease, 10).await.is_empty(),
        "nothing due yet"
    );
    // Due at T0+10: j2 and j3; the limit takes the lower id first.
    assert_eq!(claimed_ids(&claim(s, T0 + 10, lease, 1).await), [j2]);
    assert_eq!(claimed_ids(&claim(s, T0 + 10, lease, 10).await), [j3]);
    // Later, the earliest due first, whatever the ids.
    assert_eq!(claimed_ids(&claim(s, T0 + 100, lease, 1).await), [j1]);
    assert_eq!(claimed_ids(&claim(s, T0 + 100, lease, 1).await), [j4]);
    assert!(claim(s, T0 + 100, lease, 10).await.is_empty(), "all leased");
    // A limit of 0 claims nothing.
    assert!(claim(s, lease + 1, lease + 2, 0).await.is_empty());
    // Once the leases run out, all four at once (limit permitting).
    let again = claim(s, lease, lease + 10_000, 3).await;
    assert_same_ids(
        claimed_ids(&again),
        vec![j2, j3, j1],
        "the three earliest due",
    );
    let rest = claim(s, lease, lease + 10_000, 3).await;
    assert_eq!(claimed_ids(&rest), [j4]);
    for c in again.iter().chain(&rest) {
        assert_eq!(c.job.attempts, 2, "claimed twice: {c:?}");
        assert_eq!(c.lease_until, lease + 10_000);
    }
}

async fn a_claim_carries_what_delivery_needs(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let posted = inbound(s, &t, "100", "hi", T0).await;
    let c = posted.conversation.id;
    let job = outbound(s, &t, c, "hello", T0 + 1).await;
    let claimed = claim(s, T0 + 2, T0 + 1000, 10).await;
    assert_eq!(
        claimed,
        vec![Claimed {
            job: Job {
                attempts: 1,
                ..job.clone()
            },
            lease_until: T0 + 1000,
            channel: (t.channel.clone(), false),
            conversation: conversation(s, t.company.id, c).await,
            message: message(s, t.company.id, c, job.message_id).await,
            contact_unreachable: false,
            template: None,
        }]
    );
    // The claim counts as an attempt in the job as read back too.
    assert_eq!(
        s.get_job(t.company.id, t.channel.id, job.id)
            .await
            .expect("get job")
            .map(|j| (j.state, j.attempts)),
        Some((JobState::TryingDeliver, 1))
    );
}

async fn a_deferred_job_waits_untried_behind_other_due_jobs(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let c = inbound(s, &t, "100", "hi", T0).await.conversation.id;
    let first = outbound(s, &t, c, "one", T0).await;
    let second = outbound(s, &t, c, "two", T0 + 1).await;
    let claimed = claim(s, T0 + 10, T0 + 1000, 1).await;
    assert_eq!(claimed_ids(&claimed), [first.id]);
    // Only with the current lease.
    assert!(
        !s.defer_job(first.id, T0 + 5, T0 + 500)
            .await
            .expect("defer")
    );
    assert!(
        s.defer_job(first.id, T0 + 1000, T0 + 500)
            .await
            .expect("defer")
    );
    // The next claim takes the other due job; the deferred one is due again at its time,
    // with the deferred claim not counted as an attempt.
    assert_eq!(
        claimed_ids(&claim(s, T0 + 20, T0 + 1000, 1).await),
        [second.id]
    );
    assert!(claim(s, T0 + 499, T0 + 1000, 10).await.is_empty());
    let again = claim(s, T0 + 500, T0 + 2000, 10).await;
    assert_eq!(claimed_ids(&again), [first.id]);
    assert_eq!(again[0].job.attempts, 1);
}

async fn a_leased_job_is_claimed_again_only_after_its_lease(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let c = inbound(s, &t, "100", "hi", T0).await.conversation.id;
    let job = outbound(s, &t, c, "hello", T0).await;

    let first = claim(s, T0, T0 + 1000, 10).await;
    assert_eq!(claimed_ids(&first), [job.id]);
    assert_eq!(first[0].job.attempts, 1);
    assert!(claim(s, T0 + 999, T0 + 5000, 10).await.is_empty());

    // Renewing needs the current lease.
    assert!(
        !s.renew_lease(job.id, T0 + 5, T0 + 2000)
            .await
            .expect("renew")
    );
    assert!(
        s.renew_lease(job.id, T0 + 1000, T0 + 2000)
            .await
            .expect("renew")
    );
    assert!(
        !s.renew_lease(job.id, T0 + 1000, T0 + 3000)
            .await
            .expect("renew"),
        "the replaced lease renews nothing"
    );
    assert!(
        claim(s, T0 + 1500, T0 + 5000, 10).await.is_empty(),
        "the renewed lease holds"
    );

    // A lease ends at its time: the job is claimed again, under a new lease.
    let second = claim(s, T0 + 2000, T0 + 3000, 10).await;
    assert_eq!(claimed_ids(&second), [job.id]);
    assert_eq!(second[0].job.attempts, 2);
    assert_eq!(second[0].lease_until, T0 + 3000);
    // The first worker's lease is gone: it finishes nothing and renews nothing.
    assert_eq!(
        finish(s, job.id, T0 + 2000, sent("wamid.stale"), T0 + 2100).await,
        None
    );
    assert!(
        !s.renew_lease(job.id, T0 + 2000, T0 + 9000)
            .await
            .expect("renew")
    );
    let unchanged = s
        .get_job(t.company.id, t.channel.id, job.id)
        .await
        .expect("get job")
        .expect("the job");
    assert_eq!(
        unchanged,
        Job {
            attempts: 2,
            ..job.clone()
        }
    );
    assert_eq!(
        message(s, t.company.id, c, job.message_id).await.ack,
        ack_preparing()
    );

    // The current holder finishes it; then no lease holds it any more.
    assert!(
        finish(s, job.id, T0 + 3000, sent("wamid.1"), T0 + 2200)
            .await
            .is_some()
    );
    assert!(
        !s.renew_lease(job.id, T0 + 3000, T0 + 9000)
            .await
            .expect("renew")
    );
    assert!(claim(s, T0 + 100_000, T0 + 200_000, 10).await.is_empty());
    // No such job.
    assert!(!s.renew_lease(999, T0, T0 + 1).await.expect("renew"));
    assert_eq!(finish(s, 999, T0, sent("x"), T0).await, None);
}

async fn a_sent_job_is_delivered_and_its_message_acked(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let c = inbound(s, &t, "100", "hi", T0).await.conversation.id;
    let job = outbound(s, &t, c, "hello", T0).await;
    claim(s, T0, T0 + 1000, 10).await;
    let (done, m) = finish(s, job.id, T0 + 1000, sent("wamid.1"), T0 + 500)
        .await
        .expect("the lease is held");
    let want = Job {
        state: JobState::Delivered,
        reason: None,
        attempts: 1,
        executed_at_ms: Some(T0 + 500),
        ..job.clone()
    };
    assert_eq!(done, want);
    assert_eq!(m.ack, ack_sent());
    assert_eq!(m.external_public_id.as_deref(), Some("wamid.1"));
    assert_eq!(m, message(s, t.company.id, c, job.message_id).await);
    assert_eq!(
        s.get_job(t.company.id, t.channel.id, job.id)
            .await
            .expect("get job"),
        Some(want)
    );
    // Finished once: the same lease finishes nothing more.
    assert_eq!(
        finish(s, job.id, T0 + 1000, failed("late"), T0 + 600).await,
        None
    );
    assert!(claim(s, T0 + 100_000, T0 + 200_000, 10).await.is_empty());

    // A receipt that overtook the send keeps the ack it brought.
    let job2 = outbound(s, &t, c, "again", T0 + 700).await;
    claim(s, T0 + 700, T0 + 2000, 10).await;
    s.advance_ack(t.company.id, c, job2.message_id, ack_read(), T0 + 710)
        .await
        .expect("advance");
    let (_, m) = finish(s, job2.id, T0 + 2000, sent("wamid.2"), T0 + 720)
        .await
        .expect("the lease is held");
    assert_eq!(m.ack, ack_read());
    assert_eq!(m.external_public_id.as_deref(), Some("wamid.2"));
}

async fn a_failed_job_is_not_delivered_for_good(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let c = inbound(s, &t, "100", "hi", T0).await.conversation.id;
    let job = outbound(s, &t, c, "hello", T0).await;
    claim(s, T0, T0 + 1000, 10).await;
    let (done, m) = finish(
        s,
        job.id,
        T0 + 1000,
        failed("contact unreachable"),
        T0 + 600,
    )
    .await
    .expect("the lease is held");
    let want = Job {
        state: JobState::NotDelivered,
        reason: Some("contact unreachable".to_owned()),
        attempts: 1,
        executed_at_ms: Some(T0 + 600),
        ..job.clone()
    };
    assert_eq!(done, want);
    assert_eq!(m.ack, ack_preparing(), "an unsent message keeps its ack");
    assert_eq!(m.external_public_id, None);
    assert_eq!(m, message(s, t.company.id, c, job.message_id).await);
    assert_eq!(
        s.get_job(t.company.id, t.channel.id, job.id)
            .await
            .expect("get job"),
        Some(want)
    );
    assert!(claim(s, T0 + 100_000, T0 + 200_000, 10).await.is_empty());
}

async fn a_retried_job_is_claimable_again_at_its_time(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let c = inbound(s, &t, "100", "hi", T0).await.conversation.id;
    let job = outbound(s, &t, c, "hello", T0).await;
    claim(s, T0, T0 + 1000, 10).await;
    let (waiting, m) = finish(s, job.id, T0 + 1000, retry("timeout", T0 + 5000), T0 + 100)
        .await
        .expect("the lease is held");
    let want = Job {
        state: JobState::TryingDeliver,
        reason: Some("timeout".to_owned()),
        attempts: 1,
        executed_at_ms: None,
        ..job.clone()
    };
    assert_eq!(waiting, want);
    assert_eq!(m.ack, ack_preparing());
    assert_eq!(
        s.get_job(t.company.id, t.channel.id, job.id)
            .await
            .expect("get job"),
        Some(want.clone())
    );
    // The lease was given up, but the job waits for its time.
    assert!(claim(s, T0 + 4999, T0 + 6000, 10).await.is_empty());
    assert!(
        !s.renew_lease(job.id, T0 + 1000, T0 + 9000)
            .await
            .expect("renew"),
        "a retried job holds no lease"
    );
    let again = claim(s, T0 + 5000, T0 + 6000, 10).await;
    assert_eq!(claimed_ids(&again), [job.id]);
    assert_eq!(
        again[0].job,
        Job {
            attempts: 2,
            ..want
        }
    );
    // Sent at last: the last failure's reason is gone.
    let (done, m) = finish(s, job.id, T0 + 6000, sent("wamid.9"), T0 + 5100)
        .await
        .expect("the lease is held");
    assert_eq!(
        done,
        Job {
            state: JobState::Delivered,
            reason: None,
            attempts: 2,
            executed_at_ms: Some(T0 + 5100),
            ..job
        }
    );
    assert_eq!(m.ack, ack_sent());
}

async fn a_job_of_a_deleted_channel_is_still_claimed(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let c = inbound(s, &t, "100", "hi", T0).await.conversation.id;
    let job = outbound(s, &t, c, "hello", T0).await;
    assert!(
        s.delete_channel(t.company.id, t.channel.id, T0 + 1)
            .await
            .expect("delete")
    );
    let claimed = claim(s, T0 + 2, T0 + 1000, 10).await;
    assert_eq!(claimed_ids(&claimed), [job.id]);
    // The channel as it was, flagged deleted, so the worker can fail the job with a reason.
    assert_eq!(claimed[0].channel, (t.channel.clone(), true));
    let (done, _) = finish(s, job.id, T0 + 1000, failed("channel deleted"), T0 + 3)
        .await
        .expect("the lease is held");
    assert_eq!(done.state, JobState::NotDelivered);
}
