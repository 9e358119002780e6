//! What the message and job endpoints refuse: bad input, named and never a 500, and
//! another user's messages and jobs.

use reqwest::Method;
use serde_json::json;

use super::{
    CONTACT, assert_delivered, assert_new_job, message_of_job, read_path, settled_fixture,
};
use crate::harness::*;

#[tokio::test]
async fn bad_input_names_the_parameter_and_is_never_a_500() {
    let srv = TestServer::start().await;
    let (company, channel, conversation) = settled_fixture(&srv).await;
    let path = messages_path(company, conversation);
    let long = "x".repeat(256);
    for (query, param) in [
        ("per=0", "per"),
        ("per=101", "per"),
        ("per=-5", "per"),
        ("per=abc", "per"),
        ("per=1.5", "per"),
        ("per=99999999999999999999", "per"),
        ("sort_direction=x", "sort_direction"),
        ("sort=sideways", "sort"),
        ("per[a]=1", "per"),
    ] {
        let (s, b) = srv.get(&format!("{path}?{query}")).await;
        assert_param_error(s, &b, 400, param);
    }
    let (s, b) = srv.get(&format!("{path}?from={long}")).await;
    assert_param_error(s, &b, 400, "from");
    let (s, b) = srv.get(&format!("{path}?from_={long}")).await;
    assert_param_error(s, &b, 400, "from_");

    let before = srv.all_messages(company, conversation).await;
    for (pairs, param) in [
        (vec![("attachments_ids", "abc")], "attachments_ids"),
        (vec![("attachments_ids[]", "1.5")], "attachments_ids"),
        (
            vec![("attachments_ids[]", "1"), ("attachments_ids[]", "x")],
            "attachments_ids",
        ),
        (
            vec![("message", "x"), ("attachments_ids", "abc")],
            "attachments_ids",
        ),
        (
            vec![("message", "x"), ("send_to_crm", "perhaps")],
            "send_to_crm",
        ),
    ] {
        let (s, b) = srv.form(Method::POST, &path, &pairs).await;
        assert_param_error(s, &b, 400, param);
    }
    for (body, param) in [
        (json!({"attachments_ids": "abc"}), "attachments_ids"),
        (json!({"attachments_ids": [true]}), "attachments_ids"),
        (json!({"attachments_ids": [[1]]}), "attachments_ids"),
        (json!({"attachments_ids": [1.5]}), "attachments_ids"),
        (json!({"attachments_ids": {"a": "b"}}), "attachments_ids"),
        (json!({"message": {"text": "x"}}), "message"),
        (json!({"message": "x".repeat(65_537)}), "message"),
        (
            json!({"message": "x", "send_to_crm": "sometimes"}),
            "send_to_crm",
        ),
    ] {
        let (s, b) = srv.json(Method::POST, &path, body.clone()).await;
        assert_param_error(s, &b, 400, param);
    }
    assert_eq!(srv.all_messages(company, conversation).await, before);

    // Ids in the path that are not numbers, or unknown: not found, for every route.
    for bad in ["abc", "0", "-1", "1.0", "999999"] {
        for (method, p) in [
            (
                Method::GET,
                format!("/p1/companies/{company}/conversations/{bad}/messages"),
            ),
            (
                Method::POST,
                format!("/p1/companies/{company}/conversations/{bad}/messages"),
            ),
            (
                Method::POST,
                format!("/p1/companies/{company}/conversations/{bad}/message"),
            ),
            (
                Method::GET,
                format!("/p1/companies/{bad}/conversations/{conversation}/messages"),
            ),
            (
                Method::POST,
                format!("/p1/companies/{company}/conversations/{bad}/sandbox/read"),
            ),
            (
                Method::GET,
                format!("/p1/companies/{company}/channels/{channel}/jobs/{bad}"),
            ),
        ] {
            let (s, b) = call(
                srv.req(method.clone(), &p)
                    .form(&[("message", "x"), ("message_id", "1")]),
            )
            .await;
            assert_client_error(s, &b, 404);
        }
    }
    assert_eq!(srv.all_messages(company, conversation).await, before);
}

#[tokio::test]
async fn another_user_cannot_touch_messages_or_jobs() {
    let srv = TestServer::start().await;
    let (company, channel, conversation) = srv.fixture().await;
    let messages = srv.all_messages(company, conversation).await;
    let id = messages[0]["external_id"].as_i64().expect("id");
    let job = messages[0]["job_id"].as_i64().expect("job_id");
    srv.wait_ack(company, conversation, id, 2).await;
    let attachment = srv
        .upload(company, conversation, "secret.png", b"secret")
        .await;
    let before = srv.all_messages(company, conversation).await;

    let (_, token) = srv.new_user("mallory").await;
    // Mallory's own company, to try the ids under it too.
    let (s, b) = call(
        srv.req_as(&token, Method::POST, "/p1/companies")
            .form(&[("name", "Evil")]),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let evil = b["data"]["external_id"].as_i64().expect("id");
    let (s, b) = call(
        srv.req_as(
            &token,
            Method::POST,
            &format!("/p1/companies/{evil}/channels"),
        )
        .form(&[("provider", "whatsapp")]),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let evil_channel = b["data"]["external_id"].as_i64().expect("id");

    for c in [company, evil] {
        let path = messages_path(c, conversation);
        let (s, b) = call(srv.req_as(&token, Method::GET, &path)).await;
        assert_client_error(s, &b, 404);
        assert!(!b.to_string().contains("Hello"), "{b}");
        for alias in [path.clone(), path.trim_end_matches('s').to_owned()] {
            let (s, b) = call(srv.req_as(&token, Method::POST, &alias).form(&[
                ("message", "pwned"),
                ("attachments_ids[]", &attachment.to_string()),
            ]))
            .await;
            assert_client_error(s, &b, 404);
        }
        let (s, b) = call(
            srv.req_as(&token, Method::POST, &read_path(c, conversation))
                .form(&[("message_id", &id.to_string())]),
        )
        .await;
        assert_client_error(s, &b, 404);
        let (s, b) = call(srv.req_as(
            &token,
            Method::GET,
            &format!("/p1/companies/{c}/conversations/{conversation}/attachments/{attachment}"),
        ))
        .await;
        assert_client_error(s, &b, 404);
    }
    for path in [
        job_path(company, channel, job),
        job_path(evil, evil_channel, job),
        job_path(evil, channel, job),
    ] {
        let (s, b) = call(srv.req_as(&token, Method::GET, &path)).await;
        assert_client_error(s, &b, 404);
    }
    // The sandbox endpoints of the first user's channel are closed to Mallory too.
    for (sandbox, pairs) in [
        (
            "inbound",
            vec![("sender_external_id", CONTACT), ("message", "spoof")],
        ),
        (
            "contacts",
            vec![("sender_external_id", CONTACT), ("reachable", "false")],
        ),
        ("events", vec![("event", "disabled")]),
    ] {
        let (s, b) = call(
            srv.req_as(
                &token,
                Method::POST,
                &format!("/p1/companies/{company}/channels/{channel}/sandbox/{sandbox}"),
            )
            .form(&pairs),
        )
        .await;
        assert_client_error(s, &b, 404);
    }

    // Nothing changed: same messages, still ack 2, the attachment unsent, delivery works.
    assert_eq!(srv.all_messages(company, conversation).await, before);
    let (s, b) = srv
        .json(
            Method::POST,
            &messages_path(company, conversation),
            json!({"attachments_ids": [attachment]}),
        )
        .await;
    let job = assert_new_job(s, &b, company, (channel, "whatsapp"), conversation);
    let m = message_of_job(&srv, company, conversation, job).await;
    assert_delivered(
        &srv,
        company,
        (channel, "whatsapp"),
        conversation,
        job,
        m["external_id"].as_i64().expect("id"),
    )
    .await;
}
