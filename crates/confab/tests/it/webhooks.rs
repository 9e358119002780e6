//! Outgoing webhooks against a real local receiver (the harness's `Receiver`): the test
//! ping, every event's shape, order, retries, signatures, the delivery log, and restarts.

use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::harness::*;

/// A server that may call loopback receivers, with fast retries.
async fn server() -> TestServer {
    TestServer::start_with(|c| {
        c.allow_private_urls = true;
        c.webhook_retry_delay = Duration::from_millis(50);
        c.webhook_max_attempts = 3;
    })
    .await
}

/// A company with its webhook_url pointed at `rx` and a whatsapp channel.
async fn hooked_company(srv: &TestServer, rx: &Receiver) -> (i64, i64) {
    let (s, b) = srv
        .form(
            Method::POST,
            "/p1/companies",
            &[("name", "Acme"), ("webhook_url", &rx.url)],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let company = b["data"]["external_id"].as_i64().expect("id");
    let channel = srv.channel(company, "whatsapp").await;
    (company, channel)
}

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
async fn setting_webhook_url_sends_the_test_ping() {
    let srv = server().await;
    let rx = Receiver::start().await;
    let (company, _) = hooked_company(&srv, &rx).await;
    let pings = rx.received();
    assert_eq!(pings.len(), 1);
    assert_eq!(
        pings[0].json,
        json!({"source": "pact.im", "operation": "test"})
    );
    assert_eq!(pings[0].headers["content-type"], "application/json");

    // Not 200: the write fails, naming webhook_url and what the endpoint answered.
    rx.answer_next(&[500]);
    let (s, b) = srv
        .form(
            Method::POST,
            "/p1/companies",
            &[("name", "Other"), ("webhook_url", &rx.url)],
        )
        .await;
    assert_param_error(s, &b, 400, "webhook_url");
    assert!(b["message"].as_str().unwrap_or("").contains("500"), "{b}");
    let (_, list) = srv.get("/p1/companies").await;
    assert_eq!(
        list["data"]["companies"].as_array().map(Vec::len),
        Some(1),
        "nothing stored"
    );

    rx.answer_next(&[201]);
    let (s, b) = srv
        .form(
            Method::PUT,
            &format!("/p1/companies/{company}"),
            &[("webhook_url", &format!("{}?x=1", rx.url))],
        )
        .await;
    assert_param_error(s, &b, 400, "webhook_url");
    let (_, c) = srv.get(&format!("/p1/companies/{company}")).await;
    assert_eq!(
        c["data"]["company"]["webhook_url"],
        json!(rx.url),
        "unchanged after a failed ping"
    );

    // An unreachable endpoint.
    let (s, b) = srv
        .form(
            Method::PUT,
            &format!("/p1/companies/{company}"),
            &[("webhook_url", "http://127.0.0.1:9/hook")],
        )
        .await;
    assert_param_error(s, &b, 400, "webhook_url");
}

#[tokio::test]
async fn loopback_webhook_targets_need_the_flag() {
    let srv = TestServer::start().await;
    let rx = Receiver::start().await;
    for url in [rx.url.clone(), rx.url.replace("127.0.0.1", "localhost")] {
        let (s, b) = srv
            .form(
                Method::POST,
                "/p1/companies",
                &[("name", "A"), ("webhook_url", &url)],
            )
            .await;
        assert_param_error(s, &b, 400, "webhook_url");
        assert!(
            b["message"]
                .as_str()
                .unwrap_or("")
                .contains("--allow-private-urls"),
            "{b}"
        );
    }
    assert!(rx.received().is_empty(), "the guard let a request through");
}

#[tokio::test]
async fn every_event_in_its_documented_shape() {
    let srv = server().await;
    let rx = Receiver::start().await;
    let (company, channel) = hooked_company(&srv, &rx).await;

    // conversation.new, then the first message: message.new (ack 1, job_id), job.executed,
    // message.ack (2).
    let (_, b) = srv
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
    let conversation = b["data"]["conversation"]["external_id"]
        .as_i64()
        .expect("id");
    let events = rx.wait_delivered(4).await;
    assert_eq!(
        types(&events),
        [
            "conversation.new",
            "message.new",
            "job.executed",
            "message.ack"
        ]
    );
    let conv = &events[0]["data"];
    assert_eq!(conv["external_id"], conversation);
    assert_eq!(conv["name"], "79250000001");
    assert_eq!(conv["avatar_url"], json!(null));
    assert_eq!(conv["channel_id"], channel);
    assert_eq!(conv["channel_type"], "whatsapp");
    assert_eq!(conv["sender_external_id"], "79250000001");
    assert_eq!(conv["last_income_message_at"], json!(null));
    let created = conv["created_at"].as_str().expect("created_at");
    assert!(
        created.len() == 23 && created.ends_with(" UTC"),
        "{created}"
    );
    assert!(conv.get("meta").is_none());

    let msg = &events[1]["data"];
    let (_, messages) = srv
        .get(&format!(
            "/p1/companies/{company}/conversations/{conversation}/messages"
        ))
        .await;
    let message_id = messages["data"]["messages"][0]["external_id"]
        .as_i64()
        .expect("message");
    let job_id = messages["data"]["messages"][0]["job_id"]
        .as_i64()
        .expect("job");
    assert_eq!(msg["external_id"], message_id);
    assert_eq!(msg["job_id"], job_id);
    assert_eq!(msg["conversation_id"], conversation);
    assert_eq!(msg["channel"], json!({"id": channel, "type": "whatsapp"}));
    assert_eq!(msg["channel_id"], channel);
    assert_eq!(
        (&msg["message"], &msg["income"], &msg["ack"]),
        (&json!("Hello"), &json!(false), &json!(1))
    );
    assert_eq!(msg["location"], json!({}));
    assert_eq!(msg["attachments"], json!([]));
    assert!(msg["external_public_id"].is_string());
    assert_eq!(events[2]["data"]["id"], job_id);
    assert_eq!(events[2]["data"]["result"], "DELIVERED");
    assert_eq!(events[2]["data"]["message_id"], message_id);
    assert!(events[2]["data"]["date"].is_i64());
    assert_eq!(
        events[3]["data"],
        json!({"external_id": message_id,
        "channel": {"id": channel, "type": "whatsapp"}, "conversation_id": conversation, "ack": 2})
    );

    // The customer writes back under a new name: conversation.update, then an incoming
    // message.new without job_id.
    srv.form(
        Method::POST,
        &format!("/p1/companies/{company}/channels/{channel}/sandbox/inbound"),
        &[
            ("sender_external_id", "79250000001"),
            ("name", "Ivan"),
            ("message", "Hi!"),
        ],
    )
    .await;
    let events = rx.wait_delivered(6).await;
    assert_eq!(types(&events[4..]), ["conversation.update", "message.new"]);
    assert_eq!(events[4]["data"]["name"], "Ivan");
    // A snapshot from before the new message: the earlier outgoing one is the last.
    assert!(events[4]["data"]["last_message_at"].is_i64());
    assert_eq!(events[4]["data"]["last_income_message_at"], json!(null));
    assert_eq!(events[5]["data"]["income"], true);
    assert_eq!(events[5]["data"]["message"], "Hi!");
    assert!(events[5]["data"].get("job_id").is_none(), "{}", events[5]);

    // Read: ack 3.
    srv.form(
        Method::POST,
        &format!("/p1/companies/{company}/conversations/{conversation}/sandbox/read"),
        &[("message_id", &message_id.to_string())],
    )
    .await;
    let events = rx.wait_delivered(7).await;
    assert_eq!(
        (types(&events[6..]), &events[6]["data"]["ack"]),
        (vec!["message.ack".to_owned()], &json!(3))
    );

    // An unreachable contact: job.executed NOT DELIVERED with a reason, no message.new.
    srv.form(
        Method::POST,
        &format!("/p1/companies/{company}/channels/{channel}/sandbox/contacts"),
        &[
            ("sender_external_id", "79250000001"),
            ("reachable", "false"),
        ],
    )
    .await;
    let (_, job) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/conversations/{conversation}/messages"),
            &[("message", "x")],
        )
        .await;
    let events = rx.wait_delivered(8).await;
    assert_eq!(types(&events[7..]), ["job.executed"]);
    let failed = &events[7]["data"];
    assert_eq!(
        (&failed["id"], &failed["result"], &failed["message_id"]),
        (&job["data"]["id"], &json!("NOT DELIVERED"), &json!(null))
    );
    assert!(failed["reason"].as_str().is_some_and(|r| !r.is_empty()));

    // A channel system event.
    srv.form(
        Method::POST,
        &format!("/p1/companies/{company}/channels/{channel}/sandbox/events"),
        &[("event", "phone_offline")],
    )
    .await;
    let events = rx.wait_delivered(9).await;
    let system = &events[8];
    assert_eq!(
        (&system["type"], &system["severity"]),
        (&json!("system"), &json!("critical"))
    );
    assert_eq!(system["data"]["message"], "phone offline");
    assert_eq!(
        system["data"]["details"],
        json!({"entity": "channel", "entity_id": channel})
    );
    assert!(
        system["data"]["date"]
            .as_str()
            .is_some_and(|d| d.ends_with(" UTC"))
    );
    assert!(system["data"]["date_timestamp"].is_i64() && system["data"]["timestamp"].is_i64());
}

/// The v1 signature of Standard Webhooks, computed here with the hmac crate.
fn expected_signature(secret: &str, id: &str, timestamp: &str, body: &[u8]) -> String {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .expect("secret is base64");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("key");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

#[tokio::test]
async fn deliveries_are_signed_and_the_secret_rotates() {
    let srv = server().await;
    let rx = Receiver::start().await;
    let (company, channel) = hooked_company(&srv, &rx).await;
    let (_, c) = srv.get(&format!("/p1/companies/{company}")).await;
    let secret = c["data"]["company"]["webhook_secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    assert!(secret.starts_with("whsec_"));

    let inbound = format!("/p1/companies/{company}/channels/{channel}/sandbox/inbound");
    srv.form(Method::POST, &inbound, &[("sender_external_id", "u1")])
        .await;
    rx.wait_delivered(2).await;
    // The test compares the server's times with the real time.
    #[allow(clippy::disallowed_methods)]
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut ids = Vec::new();
    for r in rx.received() {
        let id = r.headers["webhook-id"].to_str().expect("id").to_owned();
        let ts = r.headers["webhook-timestamp"]
            .to_str()
            .expect("ts")
            .to_owned();
        assert!((ts.parse::<i64>().expect("int") - now).abs() < 60);
        let signature = r.headers["webhook-signature"].to_str().expect("sig");
        assert_eq!(
            signature,
            expected_signature(&secret, &id, &ts, &r.body),
            "{id}"
        );
        ids.push(id);
    }
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(ids, unique, "each event has its own webhook-id");

    let (s, b) = call(srv.req(
        Method::POST,
        &format!("/p1/companies/{company}/webhook_secret/rotate"),
    ))
    .await;
    assert_eq!(s, 200);
    let new_secret = b["data"]["webhook_secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    assert_ne!(new_secret, secret);
    srv.form(
        Method::POST,
        &inbound,
        &[("sender_external_id", "u1"), ("message", "again")],
    )
    .await;
    rx.wait_delivered(3).await;
    let last = rx.received().pop().expect("one");
    let (id, ts) = (
        last.headers["webhook-id"].to_str().expect("id"),
        last.headers["webhook-timestamp"].to_str().expect("ts"),
    );
    assert_eq!(
        last.headers["webhook-signature"].to_str().expect("sig"),
        expected_signature(&new_secret, id, ts, &last.body)
    );
    assert_ne!(
        last.headers["webhook-signature"].to_str().expect("sig"),
        expected_signature(&secret, id, ts, &last.body)
    );
}

#[tokio::test]
async fn failing_receiver_gets_retries_then_the_event_is_dropped_and_logged() {
    let srv = server().await;
    let rx = Receiver::start().await;
    let (company, channel) = hooked_company(&srv, &rx).await;
    let inbound = format!("/p1/companies/{company}/channels/{channel}/sandbox/inbound");

    // Two failures, then success: delivered on the third attempt.
    rx.answer_next(&[500, 503]);
    srv.form(Method::POST, &inbound, &[("sender_external_id", "u1")])
        .await;
    rx.wait_delivered(2).await;
    let (_, log) = srv
        .get(&format!("/p1/companies/{company}/webhook_deliveries"))
        .await;
    let first = &log["data"]["webhook_deliveries"][0];
    assert_eq!(
        (
            &first["event"],
            &first["state"],
            &first["attempts"],
            &first["last_status"]
        ),
        (
            &json!("conversation.new"),
            &json!("delivered"),
            &json!(3),
            &json!(200)
        )
    );
    assert_eq!(log["data"]["webhook_deliveries"][1]["attempts"], 1);

    // Always failing: 3 attempts (the configured maximum), then dropped; later events of the
    // company still go out, in order.
    rx.answer_next(&[500, 500, 500]);
    srv.form(
        Method::POST,
        &inbound,
        &[("sender_external_id", "u1"), ("message", "lost")],
    )
    .await;
    srv.form(
        Method::POST,
        &inbound,
        &[("sender_external_id", "u1"), ("message", "kept")],
    )
    .await;
    let events = rx.wait_delivered(3).await;
    assert_eq!(events[2]["data"]["message"], "kept");
    let attempts_at_lost = rx
        .received()
        .iter()
        .filter(|r| r.json["data"]["message"] == "lost")
        .count();
    assert_eq!(attempts_at_lost, 3);
    let (_, log) = srv
        .get(&format!(
            "/p1/companies/{company}/webhook_deliveries?sort_direction=desc&per=2"
        ))
        .await;
    let dropped = &log["data"]["webhook_deliveries"][1];
    assert_eq!(
        (
            &dropped["state"],
            &dropped["attempts"],
            &dropped["last_status"]
        ),
        (&json!("failed"), &json!(3), &json!(500))
    );
    assert!(
        dropped["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("500"))
    );
    assert!(dropped["finished_at"].is_string());

    // Re-send the dropped one: it arrives again, as it was.
    let id = dropped["id"].as_i64().expect("id");
    let (s, b) = call(srv.req(
        Method::POST,
        &format!("/p1/companies/{company}/webhook_deliveries/{id}/resend"),
    ))
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["data"]["webhook_delivery"]["state"], "pending");
    let events = rx.wait_delivered(4).await;
    assert_eq!(events[3]["data"]["message"], "lost");
    let (s, _) = call(srv.req(
        Method::POST,
        &format!("/p1/companies/{company}/webhook_deliveries/99999/resend"),
    ))
    .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn one_conversations_events_arrive_in_order() {
    let srv = server().await;
    let rx = Receiver::start().await;
    let (company, channel) = hooked_company(&srv, &rx).await;
    let inbound = format!("/p1/companies/{company}/channels/{channel}/sandbox/inbound");
    // A slow start: the first event fails once, so later ones must wait behind it.
    rx.answer_next(&[500]);
    for i in 0..15 {
        srv.form(
            Method::POST,
            &inbound,
            &[("sender_external_id", "u1"), ("message", &i.to_string())],
        )
        .await;
    }
    let events = rx.wait_delivered(16).await;
    assert_eq!(types(&events[..1]), ["conversation.new"]);
    let texts: Vec<String> = events[1..]
        .iter()
        .map(|e| e["data"]["message"].as_str().unwrap_or("").to_owned())
        .collect();
    let want: Vec<String> = (0..15).map(|i| i.to_string()).collect();
    assert_eq!(texts, want);
    let ids: Vec<i64> = rx
        .received()
        .iter()
        .filter(|r| r.answered == 200 && r.json.get("source").is_none())
        .map(|r| {
            r.headers["webhook-id"]
                .to_str()
                .unwrap_or("")
                .trim_start_matches("evt_")
                .parse()
                .unwrap_or(0)
        })
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);
}

#[tokio::test]
async fn undelivered_events_survive_a_restart() {
    let mut srv = TestServer::start_with(|c| {
        c.allow_private_urls = true;
        c.webhook_retry_delay = Duration::from_millis(100);
        c.webhook_max_attempts = 1000;
    })
    .await;
    let rx = Receiver::start().await;
    let (company, channel) = hooked_company(&srv, &rx).await;
    rx.answer_next(&[503; 10_000]);
    let inbound = format!("/p1/companies/{company}/channels/{channel}/sandbox/inbound");
    for i in 0..5 {
        srv.form(
            Method::POST,
            &inbound,
            &[("sender_external_id", "u1"), ("message", &i.to_string())],
        )
        .await;
    }
    srv.shutdown().await;
    // The receiver comes back while the server is down.
    rx.recover();
    srv.restart().await;
    let events = rx.wait_delivered(6).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let events_after = rx.delivered();
    assert_eq!(
        events_after.len(),
        events.len(),
        "nothing delivered twice once answered 200"
    );
    let texts: Vec<&str> = events[1..]
        .iter()
        .filter_map(|e| e["data"]["message"].as_str())
        .collect();
    assert_eq!(texts, ["0", "1", "2", "3", "4"]);
}

#[tokio::test]
async fn the_delivery_log_is_per_company() {
    let srv = server().await;
    let rx = Receiver::start().await;
    let (company, channel) = hooked_company(&srv, &rx).await;
    srv.form(
        Method::POST,
        &format!("/p1/companies/{company}/channels/{channel}/sandbox/inbound"),
        &[("sender_external_id", "u1")],
    )
    .await;
    rx.wait_delivered(2).await;
    let (_, token) = srv.new_user("bob").await;
    let (s, b) = call(srv.req_as(
        &token,
        Method::GET,
        &format!("/p1/companies/{company}/webhook_deliveries"),
    ))
    .await;
    assert_eq!(s, 404, "{b}");
    let (s, _) = call(srv.req_as(
        &token,
        Method::POST,
        &format!("/p1/companies/{company}/webhook_deliveries/1/resend"),
    ))
    .await;
    assert_eq!(s, 404);
    let (s, _) = call(srv.req_as(&token, Method::GET, &format!("/p1/companies/{company}"))).await;
    assert_eq!(s, 404, "the secret is members-only");
    let (s, b) = srv
        .get(&format!("/p1/companies/{company}/webhook_deliveries?per=0"))
        .await;
    assert_param_error(s, &b, 400, "per");
    // A company without webhook_url records nothing.
    let quiet = srv.company("Quiet").await;
    let quiet_channel = srv.channel(quiet, "whatsapp").await;
    srv.form(
        Method::POST,
        &format!("/p1/companies/{quiet}/channels/{quiet_channel}/sandbox/inbound"),
        &[("sender_external_id", "u1")],
    )
    .await;
    let (_, log) = srv
        .get(&format!("/p1/companies/{quiet}/webhook_deliveries"))
        .await;
    assert_eq!(log["data"]["webhook_deliveries"], json!([]));
}

#[tokio::test]
async fn sandbox_qr_code_event() {
    let srv = server().await;
    let rx = Receiver::start().await;
    let (company, channel) = hooked_company(&srv, &rx).await;
    let (s, b) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/channels/{channel}/sandbox/events"),
            &[("event", "qr_code")],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let events = rx.wait_delivered(1).await;
    let qr = &events[0];
    assert_eq!(
        (
            &qr["type"],
            &qr["event"],
            &qr["company_id"],
            &qr["channel_id"]
        ),
        (
            &json!("qr_code"),
            &json!("new"),
            &json!(company),
            &json!(channel)
        )
    );
    let png = base64::engine::general_purpose::STANDARD
        .decode(qr["data"].as_str().expect("data"))
        .expect("base64 without a data: prefix");
    assert!(png.starts_with(b"\x89PNG"));
    let (s, b) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/channels/{channel}/sandbox/events"),
            &[("event", "exploded")],
        )
        .await;
    assert_param_error(s, &b, 400, "event");
}
