//! `queue_stats`: pending delivery jobs and the age of the oldest, pending and dropped
//! webhook events, across all companies.

use confab_store::{Outcome, QueueStats};

use crate::backend::Backend;
use crate::fixtures::{T0, delivered, events_of, given_up, inbound, outbound, retry_at, tenant};

contract!(queue_stats_count_pending_jobs_and_events);

/// The figures the suite can predict (the idle connection count is the pool's own).
fn figures(stats: QueueStats) -> (i64, i64, i64, i64) {
    assert!(stats.db_connections_idle >= 0, "{stats:?}");
    (
        stats.jobs_pending,
        stats.oldest_job_age_ms,
        stats.webhook_events_pending,
        stats.webhook_events_failed,
    )
}

async fn queue_stats_count_pending_jobs_and_events(s: &Backend) {
    let at = |now| async move {
        crate::fixtures::settle(s).await;
        figures(s.queue_stats(now).await.expect("queue stats"))
    };
    assert_eq!(at(T0).await, (0, 0, 0, 0), "an empty store");

    // Jobs of two companies (without webhook URLs, so no events yet).
    let a = tenant(s, 1, false).await;
    let b = tenant(s, 2, false).await;
    let ca = inbound(s, &a, "100", "hi", T0).await.conversation.id;
    let cb = inbound(s, &b, "100", "hi", T0).await.conversation.id;
    let j1 = outbound(s, &a, ca, "1", T0 + 100).await.id;
    let j2 = outbound(s, &b, cb, "2", T0 + 300).await.id;
    assert_eq!(at(T0 + 1000).await, (2, 900, 0, 0));
    assert_eq!(at(T0 + 50).await, (2, 0, 0, 0), "no negative age");
    // Claimed jobs are still pending.
    s.claim_jobs(T0 + 1000, T0 + 2000, 10).await.expect("claim");
    assert_eq!(at(T0 + 1000).await, (2, 900, 0, 0));
    let finish = |job, lease, outcome, now| async move {
        s.finish_job(job, lease, outcome, now)
            .await
            .expect("finish")
            .expect("the lease is held");
    };
    finish(
        j1,
        T0 + 2000,
        Outcome::Sent {
            external_public_id: "x".to_owned(),
        },
        T0 + 1000,
    )
    .await;
    assert_eq!(at(T0 + 1000).await, (1, 700, 0, 0));
    // A retried job is pending still, aged from its creation.
    finish(
        j2,
        T0 + 2000,
        Outcome::Retry {
            reason: "later".to_owned(),
            at_ms: T0 + 5000,
        },
        T0 + 1000,
    )
    .await;
    assert_eq!(at(T0 + 1000).await, (1, 700, 0, 0));
    s.claim_jobs(T0 + 5000, T0 + 6000, 10).await.expect("claim");
    finish(
        j2,
        T0 + 6000,
        Outcome::Failed {
            reason: "no".to_owned(),
        },
        T0 + 5000,
    )
    .await;
    assert_eq!(at(T0 + 5000).await, (0, 0, 0, 0));

    // Webhook events of two companies.
    let c = tenant(s, 3, true).await;
    let d = tenant(s, 4, true).await;
    for n in 0..3 {
        s.announce(c.company.id, qr(c.channel.id, n), T0)
            .await
            .expect("announce");
    }
    for n in 0..2 {
        s.announce(d.company.id, qr(d.channel.id, n), T0)
            .await
            .expect("announce");
    }
    assert_eq!(at(T0).await, (0, 0, 5, 0));
    let heads = s
        .claim_webhook_events(T0, T0 + 1000, 10)
        .await
        .expect("claim");
    assert_eq!(heads.len(), 2);
    assert_eq!(at(T0).await, (0, 0, 5, 0), "claimed events are pending");
    let first_of = |company_id| async move { events_of(s, company_id).await[0].id };
    let record = |id, lease, attempt| async move {
        assert!(
            s.record_webhook_attempt(id, lease, attempt, T0 + 1)
                .await
                .expect("record")
        );
    };
    record(
        first_of(c.company.id).await,
        T0 + 1000,
        given_up(None, "gone"),
    )
    .await;
    assert_eq!(at(T0).await, (0, 0, 4, 1));
    record(first_of(d.company.id).await, T0 + 1000, delivered(200)).await;
    assert_eq!(at(T0).await, (0, 0, 3, 1));
    let next = s
        .claim_webhook_events(T0 + 2, T0 + 2000, 10)
        .await
        .expect("claim");
    assert_eq!(next.len(), 2);
    for e in next {
        record(
            e.outbox.id,
            T0 + 2000,
            retry_at(Some(500), "again", T0 + 10),
        )
        .await;
    }
    assert_eq!(at(T0).await, (0, 0, 3, 1), "retrying events are pending");
}

/// A QR code event of a channel.
fn qr(channel_id: i64, n: u32) -> confab_store::Event {
    confab_store::Event::QrCode {
        channel_id,
        image_base64: format!("qr{n}"),
    }
}
