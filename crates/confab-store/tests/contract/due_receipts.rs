//! Due receipts (the sandbox's device receipt): recorded by `finish_job` in the send's
//! transaction for a sandbox channel only, claimed by `claim_due_receipts` once the send
//! is old enough (oldest first, up to the limit, never while leased), removed by
//! `complete_due_receipt` only with the current lease.

use confab_store::{DueReceipt, Outcome};

use crate::backend::Backend;
use crate::fixtures::{
    T0, ack_delivered, connector_channel, contact, inbound, incoming, outbound, telegram, tenant,
};

contract!(
    a_sandbox_send_leaves_its_device_receipt_due,
    only_a_sandbox_send_leaves_a_receipt,
    due_receipts_are_claimed_oldest_first_up_to_the_limit,
);

fn sent(id: &str) -> Outcome {
    Outcome::Sent {
        external_public_id: id.to_owned(),
    }
}

async fn claim(
    s: &Backend,
    sent_before: i64,
    now: i64,
    lease_until: i64,
    limit: u32,
) -> Vec<DueReceipt> {
    s.claim_due_receipts(sent_before, now, lease_until, limit)
        .await
        .expect("claim due receipts")
}

/// Claims job `job_id` (due at `now`) and finishes it with `outcome` at `now + 1`.
async fn deliver(s: &Backend, job_id: i64, outcome: Outcome, now: i64) {
    let claimed = s
        .claim_jobs(now, now + 100_000, 100)
        .await
        .expect("claim jobs");
    assert!(claimed.iter().any(|c| c.job.id == job_id), "job claimed");
    s.finish_job(job_id, now + 100_000, outcome, now + 1)
        .await
        .expect("finish")
        .expect("the lease is held");
}

async fn a_sandbox_send_leaves_its_device_receipt_due(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let c = inbound(s, &t, "100", "hi", T0).await.conversation.id;
    let job = outbound(s, &t, c, "hello", T0).await;
    assert!(claim(s, T0 + 10_000, T0, T0 + 1000, 10).await.is_empty());
    deliver(s, job.id, sent("sandbox-1"), T0 + 500).await;
    let sent_at = T0 + 501;

    // Not due before `sent_before` reaches the send.
    assert!(
        claim(s, sent_at - 1, T0 + 600, T0 + 5000, 10)
            .await
            .is_empty()
    );
    let got = claim(s, sent_at, T0 + 600, T0 + 5000, 10).await;
    assert_eq!(got.len(), 1, "{got:?}");
    let r = &got[0];
    assert_eq!(
        (r.company_id, r.conversation_id, r.message_id),
        (t.company.id, c, job.message_id)
    );
    assert_eq!(r.ack, ack_delivered());
    assert_eq!(r.sent_at_ms, sent_at);
    assert_eq!(r.lease_until, T0 + 5000);

    // Leased: nobody else takes it until the lease expires; then it is claimed again.
    assert!(
        claim(s, T0 + 4999, T0 + 4999, T0 + 9000, 10)
            .await
            .is_empty()
    );
    let again = claim(s, T0 + 5000, T0 + 5000, T0 + 9000, 10).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, r.id);
    assert_eq!(again[0].lease_until, T0 + 9000);

    // Only the current lease completes it, once.
    assert!(
        !s.complete_due_receipt(r.id, T0 + 5000)
            .await
            .expect("complete")
    );
    assert!(
        s.complete_due_receipt(r.id, T0 + 9000)
            .await
            .expect("complete")
    );
    assert!(
        !s.complete_due_receipt(r.id, T0 + 9000)
            .await
            .expect("complete")
    );
    assert!(
        claim(s, T0 + 100_000, T0 + 100_000, T0 + 200_000, 10)
            .await
            .is_empty()
    );
}

async fn only_a_sandbox_send_leaves_a_receipt(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let c = inbound(s, &t, "100", "hi", T0).await.conversation.id;
    // Refused, or to be retried: nothing reached the device.
    let refused = outbound(s, &t, c, "no", T0).await;
    deliver(
        s,
        refused.id,
        Outcome::Failed {
            reason: "phone offline".to_owned(),
        },
        T0 + 10,
    )
    .await;
    let later = outbound(s, &t, c, "later", T0 + 20).await;
    deliver(
        s,
        later.id,
        Outcome::Retry {
            reason: "busy".to_owned(),
            at_ms: T0 + 1_000_000,
        },
        T0 + 30,
    )
    .await;
    // A real messenger's channel reports its own receipts.
    let tg = s
        .create_channel(t.company.id, connector_channel(telegram(), "telegram"), T0)
        .await
        .expect("create a telegram channel");
    let posted = s
        .receive_message(tg, contact("200", None), incoming("hi"), T0 + 40)
        .await
        .expect("receive");
    let real = outbound(s, &t, posted.conversation.id, "real", T0 + 50).await;
    deliver(s, real.id, sent("tg-1"), T0 + 60).await;
    assert!(
        claim(s, T0 + 100_000, T0 + 100_000, T0 + 200_000, 10)
            .await
            .is_empty()
    );
}

async fn due_receipts_are_claimed_oldest_first_up_to_the_limit(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let c = inbound(s, &t, "100", "hi", T0).await.conversation.id;
    let mut messages = Vec::new();
    for (i, at) in [T0 + 300, T0 + 100, T0 + 200].into_iter().enumerate() {
        let job = outbound(s, &t, c, &format!("m{i}"), at).await;
        deliver(s, job.id, sent(&format!("sandbox-{i}")), at).await;
        messages.push((at + 1, job.message_id));
    }
    messages.sort_unstable();
    let first = claim(s, T0 + 1000, T0 + 1000, T0 + 5000, 2).await;
    let got: Vec<(i64, i64)> = first.iter().map(|r| (r.sent_at_ms, r.message_id)).collect();
    assert_eq!(got, messages[..2]);
    let rest = claim(s, T0 + 1000, T0 + 1000, T0 + 5000, 2).await;
    let got: Vec<(i64, i64)> = rest.iter().map(|r| (r.sent_at_ms, r.message_id)).collect();
    assert_eq!(got, messages[2..]);
}
