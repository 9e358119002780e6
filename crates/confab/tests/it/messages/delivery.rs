//! Delivery jobs and their outcomes through the sandbox connector: unreachable contacts,
//! channel events, jobs addressed by company and channel, the conversation's first message,
//! slow deliveries under a short lease, and a deleted channel.

use reqwest::Method;
use serde_json::json;

use super::{
    CONTACT, assert_delivered, assert_message, assert_not_delivered, message_of_job, read_path,
    send_text, set_reachable,
};
use crate::harness::*;

/// A sandbox channel system event.
async fn channel_event(srv: &TestServer, company: i64, channel: i64, event: &str, state: &str) {
    let (s, b) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/channels/{channel}/sandbox/events"),
            &[("event", event)],
        )
        .await;
    assert_eq!(
        (s, b),
        (
            200,
            json!({"status": "ok", "data": {"channel_id": channel, "event": event, "state": state}})
        )
    );
}

#[tokio::test]
async fn unreachable_contact_is_not_delivered() {
    let srv = TestServer::start().await;
    let (company, channel, conversation) = srv.fixture().await;
    let wa = (channel, "whatsapp");
    set_reachable(&srv, company, channel, CONTACT, false).await;
    let job = send_text(&srv, company, wa, conversation, "are you there?").await;
    let m = message_of_job(&srv, company, conversation, job).await;
    let id = m["external_id"].as_i64().expect("id");
    assert_not_delivered(
        &srv,
        company,
        wa,
        conversation,
        job,
        &format!("contact {CONTACT} does not exist on whatsapp or cannot be reached"),
    )
    .await;
    // The message stays at -1 ("may never go out") and cannot be read.
    let m = srv.message(company, conversation, id).await;
    assert_message(
        &m,
        json!({"external_id": id, "channel_id": channel, "channel_type": "whatsapp",
            "message": "are you there?", "income": false, "attachments": [], "ack": -1,
            "send_to_crm": true, "job_id": job, "external_public_id": null}),
    );
    let (s, b) = srv
        .form(
            Method::POST,
            &read_path(company, conversation),
            &[("message_id", &id.to_string())],
        )
        .await;
    assert_param_error(s, &b, 400, "message_id");
    assert_eq!(srv.message(company, conversation, id).await["ack"], -1);

    // Another contact on the same channel is unaffected; reachable again delivers again.
    let (other, _) = srv.inbound(company, channel, "79250000002", "hi").await;
    let job = send_text(&srv, company, wa, other, "hello").await;
    let m = message_of_job(&srv, company, other, job).await;
    assert_delivered(
        &srv,
        company,
        wa,
        other,
        job,
        m["external_id"].as_i64().expect("id"),
    )
    .await;
    set_reachable(&srv, company, channel, CONTACT, true).await;
    let job = send_text(&srv, company, wa, conversation, "now?").await;
    let m = message_of_job(&srv, company, conversation, job).await;
    let id2 = m["external_id"].as_i64().expect("id");
    assert_delivered(&srv, company, wa, conversation, job, id2).await;
    srv.wait_ack(company, conversation, id2, 2).await;
    // The failed one is not retried behind the scenes.
    assert_eq!(srv.message(company, conversation, id).await["ack"], -1);

    // Validation of the sandbox contact endpoint.
    let contacts = format!("/p1/companies/{company}/channels/{channel}/sandbox/contacts");
    let (s, b) = srv
        .form(Method::POST, &contacts, &[("sender_external_id", CONTACT)])
        .await;
    assert_param_error(s, &b, 400, "reachable");
    let (s, b) = srv
        .form(
            Method::POST,
            &contacts,
            &[("sender_external_id", CONTACT), ("reachable", "maybe")],
        )
        .await;
    assert_param_error(s, &b, 400, "reachable");
    let (s, b) = srv
        .form(Method::POST, &contacts, &[("reachable", "false")])
        .await;
    assert_param_error(s, &b, 400, "sender_external_id");
}

#[tokio::test]
async fn channel_events_stop_and_restore_delivery() {
    let srv = TestServer::start().await;
    let (company, channel, conversation) = srv.fixture().await;
    let wa = (channel, "whatsapp");
    for (event, state, reason) in [
        ("phone_offline", "phone_offline", "phone offline"),
        ("unavailable", "unavailable", "the channel is unavailable"),
        ("disabled", "disabled", "the channel is disabled"),
        (
            "trying_resume_work",
            "unavailable",
            "the channel is unavailable",
        ),
    ] {
        channel_event(&srv, company, channel, event, state).await;
        let job = send_text(&srv, company, wa, conversation, event).await;
        let m = message_of_job(&srv, company, conversation, job).await;
        let id = m["external_id"].as_i64().expect("id");
        assert_not_delivered(&srv, company, wa, conversation, job, reason).await;
        assert_eq!(srv.message(company, conversation, id).await["ack"], -1);
        let restore = match event {
            "phone_offline" => "phone_online",
            "unavailable" => "authorized",
            _ => "synchronized",
        };
        channel_event(&srv, company, channel, restore, "enabled").await;
        let job = send_text(&srv, company, wa, conversation, restore).await;
        let m = message_of_job(&srv, company, conversation, job).await;
        let id = m["external_id"].as_i64().expect("id");
        assert_delivered(&srv, company, wa, conversation, job, id).await;
        srv.wait_ack(company, conversation, id, 2).await;
    }
    let events = format!("/p1/companies/{company}/channels/{channel}/sandbox/events");
    let (s, b) = srv
        .form(Method::POST, &events, &[("event", "exploded")])
        .await;
    assert_param_error(s, &b, 400, "event");
    let (s, b) = srv.form(Method::POST, &events, &[]).await;
    assert_param_error(s, &b, 400, "event");
    let (s, b) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/channels/999/sandbox/events"),
            &[("event", "phone_offline")],
        )
        .await;
    assert_client_error(s, &b, 404);
}

#[tokio::test]
async fn jobs_are_found_only_under_their_company_and_channel() {
    let srv = TestServer::start().await;
    let (company, channel, conversation) = srv.fixture().await;
    let job = send_text(&srv, company, (channel, "whatsapp"), conversation, "x").await;
    let telegram = srv.channel(company, "telegram").await;
    let other_company = srv.company("Other").await;
    let other_channel = srv.channel(other_company, "whatsapp").await;
    for path in [
        job_path(company, telegram, job),
        job_path(other_company, other_channel, job),
        job_path(other_company, channel, job),
        job_path(company, channel, 999_999),
        job_path(company, channel, 0),
        format!("/p1/companies/{company}/channels/{channel}/jobs/abc"),
        format!("/p1/companies/{company}/channels/abc/jobs/{job}"),
        format!("/p1/companies/{company}/channels/{channel}/jobs/-{job}"),
        format!("/p1/companies/{company}/channels/{channel}/jobs/{job}.0"),
    ] {
        let (s, b) = srv.get(&path).await;
        assert_client_error(s, &b, 404);
    }
    assert_eq!(srv.job(company, channel, job).await["id"], job);
}

#[tokio::test]
async fn conversation_create_text_is_delivered_with_a_job() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    let channel = srv.channel(company, "whatsapp").await;
    let wa = (channel, "whatsapp");
    let (s, b) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/conversations"),
            &[
                ("provider", "whatsapp"),
                ("phone", "79250000005"),
                ("text", "Welcome!"),
                ("send_to_crm", "false"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let conversation = b["data"]["conversation"]["external_id"]
        .as_i64()
        .expect("id");
    let messages = srv.all_messages(company, conversation).await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    let id = messages[0]["external_id"].as_i64().expect("id");
    let job = messages[0]["job_id"].as_i64().expect("job_id");
    assert_delivered(&srv, company, wa, conversation, job, id).await;
    let m = srv.wait_ack(company, conversation, id, 2).await;
    assert_message(
        &m,
        json!({"external_id": id, "channel_id": channel, "channel_type": "whatsapp",
            "message": "Welcome!", "income": false, "attachments": [], "ack": 2,
            "send_to_crm": false, "job_id": job, "external_public_id": format!("sandbox-{id}")}),
    );

    // Creating again for the same contact sends the text into the same conversation.
    let (s, b) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/conversations"),
            &[
                ("provider", "whatsapp"),
                ("phone", "+79250000005"),
                ("text", "Again"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["data"]["conversation"]["external_id"], conversation);
    let messages = srv.all_messages(company, conversation).await;
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1]["message"], "Again");
    assert_eq!(messages[1]["send_to_crm"], true);
    let job2 = messages[1]["job_id"].as_i64().expect("job_id");
    assert_ne!(job2, job);
    let id2 = messages[1]["external_id"].as_i64().expect("id");
    assert_delivered(&srv, company, wa, conversation, job2, id2).await;

    // An unreachable contact's first message fails like any other.
    set_reachable(&srv, company, channel, "79250000006", false).await;
    let (s, b) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/conversations"),
            &[
                ("provider", "whatsapp"),
                ("phone", "79250000006"),
                ("text", "Hi"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let lost = b["data"]["conversation"]["external_id"]
        .as_i64()
        .expect("id");
    let messages = srv.all_messages(company, lost).await;
    let job3 = messages[0]["job_id"].as_i64().expect("job_id");
    assert_not_delivered(
        &srv,
        company,
        wa,
        lost,
        job3,
        "contact 79250000006 does not exist on whatsapp or cannot be reached",
    )
    .await;
}

#[tokio::test]
async fn a_delivery_slower_than_the_job_lease_still_finishes_once() {
    let srv = TestServer::start_with(|c| {
        c.sandbox_latency = std::time::Duration::from_millis(1200);
        c.job_lease = std::time::Duration::from_millis(400);
    })
    .await;
    let (company, channel, conversation) = srv.fixture().await;
    let first = srv.all_messages(company, conversation).await;
    let id = first[0]["external_id"].as_i64().expect("id");
    let job = first[0]["job_id"].as_i64().expect("job_id");
    assert_delivered(&srv, company, (channel, "whatsapp"), conversation, job, id).await;
    // Claimed once: the lease was renewed while the slow delivery ran, so no second
    // delivery of the same job started.
    let stored = srv
        .store()
        .await
        .get_job(company, channel, job)
        .await
        .expect("read job")
        .expect("job");
    assert_eq!(stored.attempts, 1, "{stored:?}");
    srv.wait_ack(company, conversation, id, 2).await;
}

#[tokio::test]
async fn a_deleted_channel_fails_its_pending_jobs_and_refuses_sends() {
    let srv =
        TestServer::start_with(|c| c.sandbox_latency = std::time::Duration::from_millis(300)).await;
    let (company, channel, conversation) = srv.fixture().await;
    let first = srv.all_messages(company, conversation).await;
    let job = first[0]["job_id"].as_i64().expect("job_id");
    let (s, b) = call(srv.req(
        Method::DELETE,
        &format!("/p1/companies/{company}/channels/{channel}"),
    ))
    .await;
    assert_eq!(s, 200, "{b}");
    // The job stays readable under the deleted channel and settles.
    let data = srv.wait_job(company, channel, job).await;
    assert!(
        ["delivered", "not_delivered"].contains(&data["state"].as_str().unwrap_or("")),
        "{data}"
    );
    let before = srv.all_messages(company, conversation).await;
    let (s, b) = srv
        .form(
            Method::POST,
            &messages_path(company, conversation),
            &[("message", "anyone?")],
        )
        .await;
    assert_client_error(s, &b, 400);
    assert_eq!(srv.all_messages(company, conversation).await, before);
}
