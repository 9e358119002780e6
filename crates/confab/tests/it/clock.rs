//! Time-dependent behaviour, tested by moving the server's clock instead of waiting for it:
//! the server under test tells time by a `ManualClock` the test advances.

use std::sync::Arc;
use std::time::Duration;

use confab_client::{ChannelSettings, Inbound, NewCompany, NewConversation, NewMessage};
use confab_server::clock::ManualClock;
use confab_wire::Provider;

use crate::harness::*;

/// The events (not test pings) the receiver has been sent so far, answered or not.
fn events_received(rx: &Receiver) -> usize {
    rx.received()
        .iter()
        .filter(|r| r.json.get("source").is_none())
        .count()
}

#[tokio::test]
async fn a_failed_webhook_is_retried_once_its_delay_has_passed_on_the_servers_clock() {
    let clock = ManualClock::new();
    let srv = TestServer::start_with_clock(
        |c| {
            c.allow_private_urls = true;
            c.webhook_retry_delay = Duration::from_secs(3600);
            c.webhook_max_attempts = 3;
        },
        Arc::new(clock.clone()),
    )
    .await;
    let rx = Receiver::start().await;
    let client = srv.client();
    let company = client
        .companies()
        .create(&NewCompany::new("Acme").webhook_url(&rx.url))
        .await
        .expect("company");
    let channel = client
        .channels(company)
        .create(Provider::Whatsapp, ChannelSettings::default())
        .await
        .expect("channel");

    // The first event's first attempt fails; the company's later events wait behind it.
    rx.answer_next(&[500]);
    client
        .sandbox(company)
        .inbound(channel, &Inbound::new("79250000001").message("Hi"))
        .await
        .expect("inbound");
    for _ in 0..500 {
        if events_received(&rx) >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(events_received(&rx), 1, "{:#?}", rx.received());

    // Real time passes (several dispatcher rounds), the retry hour does not: nothing more.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(events_received(&rx), 1, "retried before its delay passed");

    // An hour passes on the server's clock: the retry goes out, then the event behind it.
    clock.advance(Duration::from_secs(3600));
    let delivered = rx.wait_delivered(2).await;
    let kinds: Vec<String> = delivered
        .iter()
        .map(|e| {
            format!(
                "{}.{}",
                e["type"].as_str().unwrap_or("?"),
                e["event"].as_str().unwrap_or("?")
            )
        })
        .collect();
    assert_eq!(kinds, ["conversation.new", "message.new"]);
    assert_eq!(
        events_received(&rx),
        3,
        "one failed attempt and two deliveries"
    );
}

#[tokio::test]
async fn a_job_cut_off_mid_delivery_is_taken_over_once_its_lease_expires_on_the_servers_clock() {
    let clock = ManualClock::new();
    // A messenger that never answers: the delivery is still running at shutdown.
    let mut srv = TestServer::start_with_clock(
        |c| {
            c.sandbox_latency = Duration::from_secs(3600);
            c.job_lease = Duration::from_secs(60);
        },
        Arc::new(clock.clone()),
    )
    .await;
    let client = srv.client();
    let company = client
        .companies()
        .create(&NewCompany::new("Acme"))
        .await
        .expect("company");
    let channel = client
        .channels(company)
        .create(Provider::Whatsapp, ChannelSettings::new())
        .await
        .expect("channel");
    let conversation = client
        .conversations(company)
        .create(&NewConversation::whatsapp("79250000001", "Hello"))
        .await
        .expect("conversation");
    let job = client
        .messages(company, conversation.external_id)
        .send(&NewMessage::text("Are you there?"))
        .await
        .expect("send");

    // The server stops with the delivery in flight (as if it died); the job keeps its
    // lease. The next start has a messenger that answers at once.
    srv.restart_with(|c| c.sandbox_latency = Duration::from_millis(10))
        .await;
    let client = srv.client();
    let jobs = client.jobs(company, channel);

    // Real time passes (several worker rounds) but not the lease: nobody takes the job.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let waiting = jobs.get(job.id).await.expect("job");
    assert_eq!(waiting.state, "trying_deliver", "{waiting:?}");

    // The lease runs out on the server's clock: the job is taken over and delivered once.
    clock.advance(Duration::from_secs(61));
    let done = jobs.wait(job.id).await.expect("job");
    assert_eq!(done.state, "delivered", "{done:?}");
    let message_id = done.message_id.expect("a delivered job names its message");
    let messages = srv.stored_messages(company, conversation.external_id).await;
    let sent = messages
        .iter()
        .find(|m| m.id == message_id)
        .expect("the job's message");
    assert!(
        sent.ack >= confab_store::Ack::Sent && sent.external_public_id.is_some(),
        "{sent:?}"
    );
}
