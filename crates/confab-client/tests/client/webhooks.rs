//! The webhook delivery log and re-sending, with a real local receiver.

use std::time::Duration;

use confab_client::{Inbound, ListParams, NewCompany, WebhookDelivery};

use crate::harness::{Answer, Peer, TestServer};

#[tokio::test]
async fn deliveries_are_listed_streamed_and_resent() {
    let srv = TestServer::start_with(|c| c.allow_private_urls = true).await;
    let receiver = Peer::start().await;
    receiver.fallback(Answer::with(200, "ok"));
    let hook = format!("{}/hook", receiver.base);
    let company = srv
        .client
        .companies()
        .create(&NewCompany::new("Hooked").webhook_url(&hook))
        .await
        .expect("company");
    assert_eq!(
        srv.client
            .companies()
            .get(company)
            .await
            .expect("get")
            .webhook_url,
        Some(hook)
    );
    let channel = srv
        .client
        .channels(company)
        .create(confab_client::Provider::Whatsapp, Default::default())
        .await
        .expect("channel");
    srv.client
        .sandbox(company)
        .inbound(channel, &Inbound::new("79250000001").message("Hi"))
        .await
        .expect("inbound");

    // conversation.new and message.new, both delivered.
    let log = srv.client.webhook_deliveries(company);
    let mut delivered: Vec<WebhookDelivery> = Vec::new();
    for _ in 0..500 {
        delivered = log
            .stream(ListParams::new().per(1))
            .collect_all()
            .await
            .expect("log");
        if delivered.len() >= 2 && delivered.iter().all(|d| d.state == "delivered") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let events: Vec<(&str, &str, i64, Option<i64>)> = delivered
        .iter()
        .map(|d| {
            (
                d.event.as_str(),
                d.state.as_str(),
                d.attempts,
                d.last_status,
            )
        })
        .collect();
    assert_eq!(
        events,
        vec![
            ("conversation.new", "delivered", 1, Some(200)),
            ("message.new", "delivered", 1, Some(200)),
        ]
    );
    assert!(
        delivered
            .iter()
            .all(|d| d.finished_at.is_some() && d.next_attempt_at.is_none())
    );
    let page = log
        .list(&ListParams::new().descending().per(1))
        .await
        .expect("page");
    assert_eq!(page.items[0].event, "message.new");
    assert!(page.next_page.is_some());

    let copy = log.resend(delivered[1].id).await.expect("resend");
    assert_eq!(copy.event, "message.new");
    assert_eq!(copy.state, "pending");
    assert_eq!(copy.attempts, 0);
    assert!(copy.id > delivered[1].id);
    assert!(copy.next_attempt_at.is_some());
    let err = log.resend(99_999).await.expect_err("unknown delivery");
    assert!(err.is_not_found(), "{err:?}");
}
