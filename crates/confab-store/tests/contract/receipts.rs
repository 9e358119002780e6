//! Messenger receipts (WhatsApp's statuses): `apply_receipt` finds an outgoing message by
//! the id the messenger gave it, on that channel only; acks move forward only, read may
//! skip delivered, a failure after the send takes the ack to -1 and ends the job not
//! delivered with its reason, and nothing revives a failed message. Each change is one
//! `message.ack` event. `contact_known` answers whether a channel has talked to a contact.

use confab_store::Outcome;

use crate::backend::Backend;
use crate::fixtures::{
    T0, ack_delivered, ack_preparing, ack_read, ack_sent, failed_receipt, inbound, labels_of,
    message, outbound, reached, tenant,
};

contract!(
    receipts_move_an_accepted_message_forward_only,
    a_failure_after_the_send_ends_the_job,
    receipts_find_only_the_channels_outgoing_message,
    a_channel_knows_its_contacts,
    racing_receipts_all_apply_in_turn,
);

/// Sends a reply in a new conversation with contact `who` and records it accepted under
/// `wamid`; answers (conversation, message id, job id).
async fn accepted(
    s: &Backend,
    t: &crate::fixtures::Tenant,
    who: &str,
    wamid: &str,
) -> (i64, i64, i64) {
    let c = inbound(s, t, who, "hi", T0).await.conversation.id;
    let job = outbound(s, t, c, "hello", T0).await;
    let claimed = s.claim_jobs(T0, T0 + 100_000, 100).await.expect("claim");
    assert!(claimed.iter().any(|j| j.job.id == job.id));
    s.finish_job(
        job.id,
        T0 + 100_000,
        Outcome::Sent {
            external_public_id: wamid.to_owned(),
        },
        T0 + 1,
    )
    .await
    .expect("finish")
    .expect("lease held");
    (c, job.message_id, job.id)
}

async fn apply(s: &Backend, channel: i64, wamid: &str, r: confab_store::Receipt) -> Option<bool> {
    s.apply_receipt(channel, wamid.to_owned(), r, T0 + 10)
        .await
        .expect("apply receipt")
        .map(|(_, moved)| moved)
}

fn acks(labels: &[String]) -> usize {
    labels.iter().filter(|l| *l == "message.ack").count()
}

async fn receipts_move_an_accepted_message_forward_only(s: &Backend) {
    let t = tenant(s, 1, true).await;
    let ch = t.channel.id;
    let (c, m, _) = accepted(s, &t, "100", "wamid.A").await;
    let before = acks(&labels_of(s, t.company.id).await);
    assert_eq!(
        apply(s, ch, "wamid.A", reached(ack_sent())).await,
        Some(false),
        "sent again"
    );
    assert_eq!(
        apply(s, ch, "wamid.A", reached(ack_read())).await,
        Some(true),
        "read skips delivered"
    );
    assert_eq!(message(s, t.company.id, c, m).await.ack, ack_read());
    assert_eq!(
        apply(s, ch, "wamid.A", reached(ack_delivered())).await,
        Some(false),
        "never back"
    );
    assert_eq!(
        apply(s, ch, "wamid.A", reached(ack_read())).await,
        Some(false),
        "a duplicate"
    );
    assert_eq!(message(s, t.company.id, c, m).await.ack, ack_read());
    assert_eq!(
        acks(&labels_of(s, t.company.id).await),
        before + 1,
        "one event per change"
    );
}

async fn a_failure_after_the_send_ends_the_job(s: &Backend) {
    let t = tenant(s, 1, true).await;
    let ch = t.channel.id;
    let (c, m, job) = accepted(s, &t, "100", "wamid.F").await;
    assert_eq!(
        apply(s, ch, "wamid.F", reached(ack_delivered())).await,
        Some(true)
    );
    let before = acks(&labels_of(s, t.company.id).await);
    let why = "WhatsApp error 131026: Message undeliverable";
    assert_eq!(
        apply(s, ch, "wamid.F", failed_receipt(why)).await,
        Some(true)
    );
    assert_eq!(message(s, t.company.id, c, m).await.ack, ack_preparing());
    let job = s
        .get_job(t.company.id, ch, job)
        .await
        .expect("get job")
        .expect("job");
    assert_eq!(job.state, confab_store::JobState::NotDelivered);
    assert_eq!(job.reason.as_deref(), Some(why));
    // Failure is final: a late delivered or read, or the failure again, change nothing.
    assert_eq!(
        apply(s, ch, "wamid.F", reached(ack_read())).await,
        Some(false)
    );
    assert_eq!(
        apply(s, ch, "wamid.F", failed_receipt(why)).await,
        Some(false)
    );
    assert_eq!(message(s, t.company.id, c, m).await.ack, ack_preparing());
    assert_eq!(acks(&labels_of(s, t.company.id).await), before + 1);
}

async fn receipts_find_only_the_channels_outgoing_message(s: &Backend) {
    let t = tenant(s, 1, true).await;
    let other = tenant(s, 2, true).await;
    accepted(s, &t, "100", "wamid.X").await;
    assert_eq!(
        apply(s, other.channel.id, "wamid.X", reached(ack_read())).await,
        None,
        "another channel"
    );
    assert_eq!(
        apply(s, t.channel.id, "wamid.unknown", reached(ack_read())).await,
        None
    );
}

async fn a_channel_knows_its_contacts(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let other = tenant(s, 2, false).await;
    inbound(s, &t, "79250000001", "hi", T0).await;
    assert!(
        s.contact_known(t.channel.id, "79250000001".to_owned())
            .await
            .expect("known")
    );
    assert!(
        !s.contact_known(t.channel.id, "79250000002".to_owned())
            .await
            .expect("known")
    );
    assert!(
        !s.contact_known(other.channel.id, "79250000001".to_owned())
            .await
            .expect("known")
    );
}

/// Receipts of one message arriving at once (several nodes' intake workers): each applies
/// to the ack the previous one left, so the furthest state wins whatever the order.
async fn racing_receipts_all_apply_in_turn(s: &Backend) {
    let t = tenant(s, 1, true).await;
    let ch = t.channel.id;
    for round in 0..5 {
        let wamid = format!("wamid.RACE{round}");
        let (c, m, _) = accepted(s, &t, &format!("20{round}"), &wamid).await;
        let receipts = [
            reached(ack_delivered()),
            reached(ack_read()),
            reached(ack_delivered()),
        ];
        let racing = receipts
            .into_iter()
            .map(|r| s.apply_receipt(ch, wamid.clone(), r, T0 + 10));
        for applied in futures_util::future::join_all(racing).await {
            applied.expect("apply receipt");
        }
        assert_eq!(
            message(s, t.company.id, c, m).await.ack,
            ack_read(),
            "round {round}"
        );
    }
    // A failure racing a read ends failed whichever lands first.
    let (c, m, job) = accepted(s, &t, "300", "wamid.RACEFAIL").await;
    let racing = [reached(ack_read()), failed_receipt("131026")]
        .into_iter()
        .map(|r| s.apply_receipt(ch, "wamid.RACEFAIL".to_owned(), r, T0 + 10));
    for applied in futures_util::future::join_all(racing).await {
        applied.expect("apply receipt");
    }
    assert_eq!(message(s, t.company.id, c, m).await.ack, ack_preparing());
    let job = s
        .get_job(t.company.id, ch, job)
        .await
        .expect("get job")
        .expect("job");
    assert_eq!(job.state, confab_store::JobState::NotDelivered);
}
