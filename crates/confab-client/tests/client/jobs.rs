//! Delivery jobs: read one, wait until it is final, delivered or not.

use confab_client::{ChannelEvent, Job, NewMessage};

use crate::harness::{CONTACT, TestServer};

#[tokio::test]
async fn get_and_wait_until_delivered_or_not() {
    let srv = TestServer::start().await;
    let (company, channel, conversation) = srv.fixture().await;
    let jobs = srv.client.jobs(company, channel);
    let messages = srv.client.messages(company, conversation);

    let job = messages.send(&NewMessage::text("one")).await.expect("send");
    let read = jobs.get(job.id).await.expect("get");
    assert_eq!((read.id, read.conversation_id), (job.id, conversation));
    let done = jobs.wait(job.id).await.expect("wait");
    assert_eq!(done.state, Job::DELIVERED);
    assert!(done.is_final() && done.is_delivered());
    assert!(done.message_id.is_some());
    // Waiting for a final job answers at once, with the same job.
    assert_eq!(jobs.wait(job.id).await.expect("wait again"), done);
    assert_eq!(srv.client.wait_for_job(&done).await.expect("final"), done);

    // An unreachable contact: not delivered, with the reason.
    srv.client
        .sandbox(company)
        .set_contact_reachable(channel, CONTACT, false)
        .await
        .expect("unreachable");
    let job = messages.send(&NewMessage::text("two")).await.expect("send");
    let failed = srv.client.wait_for_job(&job).await.expect("wait");
    assert_eq!(failed.state, Job::NOT_DELIVERED);
    assert!(failed.is_final() && !failed.is_delivered());
    assert_eq!(failed.message_id, None);
    let details = failed.details.expect("details");
    assert_eq!(details.result, "NOT DELIVERED");
    assert_eq!(
        details.reason.as_deref(),
        Some("contact 79250000001 does not exist on whatsapp or cannot be reached")
    );

    // The phone goes offline: the next delivery fails too.
    srv.client
        .sandbox(company)
        .set_contact_reachable(channel, CONTACT, true)
        .await
        .expect("reachable");
    srv.client
        .sandbox(company)
        .event(channel, ChannelEvent::PhoneOffline)
        .await
        .expect("offline");
    let job = messages
        .send(&NewMessage::text("three"))
        .await
        .expect("send");
    assert_eq!(
        srv.client.wait_for_job(&job).await.expect("wait").state,
        Job::NOT_DELIVERED
    );

    let err = jobs.get(9999).await.expect_err("unknown job");
    assert!(err.is_not_found(), "{err:?}");
}
