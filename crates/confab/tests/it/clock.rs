//! Time-dependent behaviour, tested by moving the server's clock instead of waiting for it:
//! the server under test tells time by a `ManualClock` the test advances.

use std::sync::Arc;
use std::time::Duration;

use confab_client::{ChannelSettings, Inbound, NewCompany};
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
