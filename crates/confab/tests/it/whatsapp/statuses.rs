//! Statuses: sent → 1, delivered → 2, read → 3, failed → -1 with the error in the job;
//! skipped, duplicated and out-of-order statuses never move an ack back; every change
//! fires one `message/ack` webhook.

use super::*;

/// A reply that Meta accepted: (conversation, message id, job id, wamid).
async fn accepted(n: &Number, conversation: i64, text: &str) -> (i64, i64, String) {
    let job = n.reply(conversation, text).await;
    let done = n.wait_job(job).await;
    assert_eq!(done["state"], "delivered", "{done}");
    let message = done["message_id"].as_i64().expect("message id");
    let sent = n.fake.sent();
    let wamid = sent.last().expect("sent").wamid.clone();
    (message, job, wamid)
}

/// The acks the `message/ack` webhooks reported for message `id`, in order.
fn ack_webhooks(n: &Number, id: i64) -> Vec<i64> {
    n.rx.delivered()
        .iter()
        .filter(|e| e["type"] == "message" && e["event"] == "ack" && e["data"]["external_id"] == id)
        .filter_map(|e| e["data"]["ack"].as_i64())
        .collect()
}

async fn wait_ack_webhooks(n: &Number, id: i64, want: &[i64]) {
    eventually(&format!("ack webhooks {want:?} for {id}"), || async {
        (ack_webhooks(n, id) == want).then_some(())
    })
    .await;
}

async fn ack(n: &Number, conversation: i64, id: i64) -> i64 {
    n.srv.message(n.company, conversation, id).await["ack"]
        .as_i64()
        .expect("ack")
}

#[tokio::test]
async fn statuses_move_the_ack_forward_only_and_fire_webhooks() {
    let n = Number::start().await;
    let conversation = n.conversation().await;

    // In order, with a duplicate: 1 (already), 2, 3.
    let (m1, _, w1) = accepted(&n, conversation, "in order").await;
    n.statuses(vec![
        events::status(&w1, "sent", CUSTOMER),
        events::status(&w1, "delivered", CUSTOMER),
    ])
    .await;
    n.statuses(vec![events::status(&w1, "delivered", CUSTOMER)])
        .await;
    n.statuses(vec![events::status(&w1, "read", CUSTOMER)])
        .await;
    wait_ack_webhooks(&n, m1, &[2, 3]).await;
    assert_eq!(ack(&n, conversation, m1).await, 3);

    // Delivered skipped: 1 → 3 is legal.
    let (m2, _, w2) = accepted(&n, conversation, "read at once").await;
    n.statuses(vec![events::status(&w2, "read", CUSTOMER)])
        .await;
    wait_ack_webhooks(&n, m2, &[3]).await;

    // Out of order: read before delivered; the late delivered changes nothing.
    let (m3, _, w3) = accepted(&n, conversation, "out of order").await;
    n.statuses(vec![
        events::status(&w3, "read", CUSTOMER),
        events::status(&w3, "delivered", CUSTOMER),
        events::status(&w3, "sent", CUSTOMER),
    ])
    .await;
    wait_ack_webhooks(&n, m3, &[3]).await;

    // Let any stray webhook arrive before checking nothing more came.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(ack_webhooks(&n, m1), [2, 3]);
    assert_eq!(ack_webhooks(&n, m2), [3]);
    assert_eq!(ack_webhooks(&n, m3), [3]);
    assert_eq!(ack(&n, conversation, m3).await, 3);
    // A status of a message confab never sent is dropped after a few tries, not an error
    // loop, and moves nothing.
    let store = n.srv.store().await;
    let before = store.intake_stats(0).await.expect("stats");
    let webhooks_before = n.rx.delivered().len();
    n.statuses(vec![events::status("wamid.NOT-OURS", "read", CUSTOMER)])
        .await;
    eventually("the unknown status is skipped", || async {
        let now = store.intake_stats(0).await.expect("stats");
        (now.skipped == before.skipped + 1 && now.pending == 0).then_some(())
    })
    .await;
    assert_eq!(n.rx.delivered().len(), webhooks_before, "no webhook for it");
}

#[tokio::test]
async fn failed_after_sent_is_reported_failed_with_metas_error() {
    let n = Number::start().await;
    let conversation = n.conversation().await;
    let (m, job, w) = accepted(&n, conversation, "to a phone without WhatsApp").await;
    n.statuses(vec![events::status(&w, "sent", CUSTOMER)]).await;
    n.statuses(vec![events::failed(
        &w,
        CUSTOMER,
        131_026,
        "Message undeliverable",
    )])
    .await;
    wait_ack_webhooks(&n, m, &[-1]).await;
    assert_eq!(ack(&n, conversation, m).await, -1);
    let data = n.srv.job(n.company, n.channel, job).await;
    assert_eq!(data["state"], "not_delivered", "{data}");
    let reason = data["details"]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("131026") && reason.contains("Message undeliverable"),
        "{reason}"
    );
    // A late delivered (multi-device) does not revive it.
    n.statuses(vec![events::status(&w, "delivered", CUSTOMER)])
        .await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(ack(&n, conversation, m).await, -1);
    assert_eq!(ack_webhooks(&n, m), [-1]);
}
