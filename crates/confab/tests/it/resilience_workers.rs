//! The background workers under trouble: a hanging webhook endpoint costs only its own
//! company, and the sandbox's device receipt (ack 2) is a durable step that a restart
//! finishes.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;

use crate::harness::*;

/// A company named `name` with its webhook_url pointed at `rx` and a whatsapp channel.
async fn hooked_company(srv: &TestServer, rx: &Receiver, name: &str) -> (i64, i64) {
    let (s, b) = srv
        .form(
            Method::POST,
            "/p1/companies",
            &[("name", name), ("webhook_url", &rx.url)],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let company = b["data"]["external_id"].as_i64().expect("id");
    let channel = srv.channel(company, "whatsapp").await;
    (company, channel)
}

/// `type.event` of each webhook body.
fn types(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            format!(
                "{}.{}",
                e["type"].as_str().unwrap_or("?"),
                e["event"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

#[tokio::test]
async fn a_hanging_webhook_endpoint_delays_only_its_own_company() {
    let timeout = Duration::from_secs(3);
    let srv = TestServer::start_with(|c| {
        c.allow_private_urls = true;
        c.webhook_timeout = timeout;
        c.webhook_retry_delay = Duration::from_millis(50);
        c.webhook_max_attempts = 100;
    })
    .await;
    let stuck_rx = Receiver::start().await;
    let healthy_rx = Receiver::start().await;
    let (stuck, stuck_channel) = hooked_company(&srv, &stuck_rx, "Stuck").await;
    let (healthy, healthy_channel) = hooked_company(&srv, &healthy_rx, "Healthy").await;
    // From now on the stuck company's endpoint answers only after the webhook timeout.
    stuck_rx.hang(timeout * 2);
    for i in 0..3 {
        srv.inbound(stuck, stuck_channel, "u1", &format!("stuck {i}"))
            .await;
    }
    // Let the dispatcher start its first (hanging) attempt for the stuck company.
    tokio::time::sleep(Duration::from_millis(300)).await;

    // conversation.new and four message.new: five events of the healthy company.
    let started = Instant::now();
    for i in 0..4 {
        srv.inbound(healthy, healthy_channel, "u1", &i.to_string())
            .await;
    }
    let mut arrived = Vec::new();
    while started.elapsed() < Duration::from_secs(20) {
        arrived = healthy_rx.delivered();
        if arrived.len() >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let took = started.elapsed();
    assert!(
        arrived.len() >= 5,
        "the healthy company got {} of its 5 events",
        arrived.len()
    );
    assert!(
        took < Duration::from_millis(1500),
        "the healthy company's 5 events took {took:?} beside a hanging endpoint \
         (webhook timeout {timeout:?})"
    );
    // Their order is unchanged.
    assert_eq!(
        types(&arrived),
        [
            "conversation.new",
            "message.new",
            "message.new",
            "message.new",
            "message.new"
        ]
    );
    let texts: Vec<&str> = arrived[1..]
        .iter()
        .filter_map(|e| e["data"]["message"].as_str())
        .collect();
    assert_eq!(texts, ["0", "1", "2", "3"]);
    assert!(
        stuck_rx.delivered().is_empty(),
        "the stuck endpoint never answers in time"
    );
}

#[tokio::test]
async fn the_sandbox_device_receipt_survives_a_restart() {
    // Longer than the delivery worker's shutdown drain (10 s), so a graceful stop cannot
    // let an in-memory second tick finish either: only a durable one survives.
    let latency = Duration::from_secs(11);
    let mut srv = TestServer::start_with(|c| c.sandbox_latency = latency).await;
    let company = srv.company("Acme").await;
    let _channel = srv.channel(company, "whatsapp").await;
    let (s, b) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/conversations"),
            &[
                ("provider", "whatsapp"),
                ("phone", "79250000001"),
                ("text", "Hello"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let conversation = b["data"]["conversation"]["external_id"]
        .as_i64()
        .expect("conversation id");

    // The first tick: the send is recorded (ack 1) after `latency`.
    let store = srv.store().await;
    let deadline = Instant::now() + latency + Duration::from_secs(10);
    let message = loop {
        let messages = store_messages(store.as_ref(), company, conversation)
            .await
            .expect("messages");
        if let Some(m) = messages.iter().find(|m| !m.income)
            && m.ack >= confab_store::Ack::Sent
        {
            break m.clone();
        }
        assert!(Instant::now() < deadline, "the message was never sent");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(message.ack, confab_store::Ack::Sent, "stopped before ack 2");
    drop(store);

    // Stopped before the second tick; started again (with a short latency, so the test
    // does not wait another eleven seconds: the receipt was due `latency` after the send).
    srv.restart_with(|c| c.sandbox_latency = Duration::from_millis(20))
        .await;
    let m = srv.wait_ack(company, conversation, message.id, 2).await;
    assert_eq!(m["ack"], 2, "{m}");
}
