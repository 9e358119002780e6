//! Creating a conversation on whatsapp, the common case: what it needs, the phone format,
//! send_to_crm, and the same conversation again for the same contact, also when created
//! concurrently.

use reqwest::Method;
use serde_json::json;

use super::{create, id_of};
use crate::harness::*;

#[tokio::test]
async fn create_whatsapp_conversation() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    let channel = srv.channel(company, "whatsapp").await;
    let before = unix_now();
    let (status, body) = srv
        .form(
            Method::POST,
            &list_path(company),
            &[
                ("provider", "whatsapp"),
                ("phone", "79250000001"),
                ("text", "Hello"),
            ],
        )
        .await;
    let after = unix_now();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ok");
    assert_eq!(body.as_object().map(|o| o.len()), Some(2), "{body}");
    let c = &body["data"]["conversation"];
    assert_conversation_shape(c);
    let id = id_of(c);
    let ts = c["created_at_timestamp"].as_i64().expect("timestamp");
    assert!(
        (before..=after).contains(&ts),
        "{ts} not in {before}..={after}"
    );
    assert_eq!(
        *c,
        json!({
            "external_id": id,
            "name": "79250000001",
            "channel_id": channel,
            "channel_type": "whatsapp",
            "created_at": c["created_at"],
            "created_at_timestamp": ts,
            "avatar": "/avatars/original/missing.png",
            "sender_external_id": "79250000001",
            "meta": {},
            "last_message_at": ts,
            "last_income_message_at": 0,
            "bitrix_block_openlines": false,
            "note": null,
            "assignee_id": null,
        })
    );

    // The text is stored once, as an outgoing message synced to CRM by default.
    let messages = srv.stored_messages(company, id).await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    let m = &messages[0];
    assert_eq!(
        (
            m.conversation_id,
            m.channel_id,
            m.income,
            m.body.as_str(),
            m.send_to_crm
        ),
        (id, channel, false, "Hello", true)
    );

    // The list and the details show the same object.
    let (status, list) = srv.get(&list_path(company)).await;
    assert_eq!(status, 200);
    assert_eq!(
        list,
        json!({"status": "ok", "data": {"conversations": [c], "next_page": null}})
    );
    let (status, details) = srv.get(&item_path(company, id)).await;
    assert_eq!(
        (status, details),
        (200, json!({"status": "ok", "data": {"conversation": c}}))
    );
}

#[tokio::test]
async fn create_requires_provider_phone_and_text() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    srv.channel(company, "whatsapp").await;
    let path = list_path(company);
    for (pairs, param) in [
        (vec![("phone", "79250000001"), ("text", "Hi")], "provider"),
        (
            vec![("provider", ""), ("phone", "79250000001"), ("text", "Hi")],
            "provider",
        ),
        (vec![("provider", "whatsapp"), ("text", "Hi")], "phone"),
        (
            vec![("provider", "whatsapp"), ("phone", ""), ("text", "Hi")],
            "phone",
        ),
        (
            vec![("provider", "whatsapp"), ("phone", "79250000001")],
            "text",
        ),
        (
            vec![
                ("provider", "whatsapp"),
                ("phone", "79250000001"),
                ("text", ""),
            ],
            "text",
        ),
        (
            vec![
                ("provider", "whatsapp"),
                ("phone", "79250000001"),
                ("text", " \n\t "),
            ],
            "text",
        ),
    ] {
        let (s, b) = srv.form(Method::POST, &path, &pairs).await;
        assert_param_error(s, &b, 400, param);
    }
    let (s, b) = srv.form(Method::POST, &path, &[]).await;
    assert_param_error(s, &b, 400, "provider");
    let (_, list) = srv.get(&path).await;
    assert_eq!(list["data"]["conversations"], json!([]));
}

#[tokio::test]
async fn create_phone_format() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    srv.channel(company, "whatsapp").await;
    let path = list_path(company);
    for bad in [
        "7925000000x",
        "phone",
        "925000001",
        "1234567890123456",
        "7 925 000 00 01",
        "7-925-000-00-01",
        "(925)0000001",
        "++79250000001",
        "+",
        " 79250000001",
        "79250000001 ",
        "٧٩٢٥٠٠٠٠٠٠١",
        &"7".repeat(40),
    ] {
        let (s, b) = srv
            .form(
                Method::POST,
                &path,
                &[("provider", "whatsapp"), ("phone", bad), ("text", "Hi")],
            )
            .await;
        assert_param_error(s, &b, 400, "phone");
    }
    let (_, list) = srv.get(&path).await;
    assert_eq!(list["data"]["conversations"], json!([]));

    for (given, stored) in [
        ("+79250000001", "79250000001"),
        ("8005553535", "8005553535"),
        ("123456789012345", "123456789012345"),
    ] {
        let c = create(
            &srv,
            company,
            &[("provider", "whatsapp"), ("phone", given), ("text", "Hi")],
        )
        .await;
        assert_eq!(c["sender_external_id"], stored);
        assert_eq!(c["name"], stored);
        let details = srv.conversation_details(company, id_of(&c)).await;
        assert_eq!(details["sender_external_id"], stored);
    }
    // A JSON number is taken as its digits.
    let (s, b) = srv
        .json(
            Method::POST,
            &path,
            json!({"provider": "whatsapp", "phone": 79250000009_i64, "text": "Hi"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b["data"]["conversation"]["sender_external_id"],
        "79250000009"
    );
    let (_, list) = srv.get(&path).await;
    assert_eq!(ids(&list).len(), 4);
}

#[tokio::test]
async fn create_send_to_crm() {
    let srv = TestServer::start().await;
    let (company, _, id) = srv.fixture().await;
    let path = list_path(company);
    let mut want = vec![true]; // the fixture's message: the default
    for (value, expected) in [
        ("true", true),
        ("false", false),
        ("1", true),
        ("0", false),
        ("TRUE", true),
        ("False", false),
        ("", true),
    ] {
        let c = create(
            &srv,
            company,
            &[
                ("provider", "whatsapp"),
                ("phone", "79250000001"),
                ("text", "again"),
                ("send_to_crm", value),
            ],
        )
        .await;
        assert_eq!(id_of(&c), id);
        want.push(expected);
    }
    for (value, expected) in [
        (json!(false), false),
        (json!(true), true),
        (json!(0), false),
        (json!(1), true),
    ] {
        let (s, b) = srv
            .json(
                Method::POST,
                &path,
                json!({"provider": "whatsapp", "phone": "79250000001", "text": "json", "send_to_crm": value}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        want.push(expected);
    }
    for bad in ["maybe", "yes", "2", "-1", "truee"] {
        let (s, b) = srv
            .form(
                Method::POST,
                &path,
                &[
                    ("provider", "whatsapp"),
                    ("phone", "79250000001"),
                    ("text", "refused"),
                    ("send_to_crm", bad),
                ],
            )
            .await;
        assert_param_error(s, &b, 400, "send_to_crm");
    }
    for bad in [
        json!(2),
        json!("no"),
        json!(1.0),
        json!([true, "x"]),
        json!({"a": 1}),
    ] {
        let (s, b) = srv
            .json(
                Method::POST,
                &path,
                json!({"provider": "whatsapp", "phone": "79250000001", "text": "refused", "send_to_crm": bad}),
            )
            .await;
        assert_param_error(s, &b, 400, "send_to_crm");
    }
    let stored: Vec<bool> = srv
        .stored_messages(company, id)
        .await
        .iter()
        .map(|m| m.send_to_crm)
        .collect();
    assert_eq!(stored, want, "refused requests store nothing");
}

#[tokio::test]
async fn create_again_returns_the_same_conversation() {
    let srv = TestServer::start().await;
    let (company, channel, id) = srv.fixture().await;
    let original = srv.conversation_details(company, id).await;
    let path = list_path(company);

    let c = create(
        &srv,
        company,
        &[
            ("provider", "whatsapp"),
            ("phone", "+79250000001"),
            ("text", "Second"),
        ],
    )
    .await;
    assert_eq!(id_of(&c), id);
    let (s, b) = srv
        .json(
            Method::POST,
            &path,
            json!({"provider": "whatsapp", "phone": "79250000001", "text": "Third", "send_to_crm": false}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["data"]["conversation"]["external_id"], id);
    assert_eq!(
        b["data"]["conversation"]["created_at"],
        original["created_at"]
    );
    assert_eq!(b["data"]["conversation"]["name"], "79250000001");

    let messages = srv.stored_messages(company, id).await;
    let seen: Vec<_> = messages
        .iter()
        .map(|m| (m.body.as_str(), m.income, m.send_to_crm, m.channel_id))
        .collect();
    assert_eq!(
        seen,
        [
            ("Hello", false, true, channel),
            ("Second", false, true, channel),
            ("Third", false, false, channel),
        ]
    );
    let (_, list) = srv.get(&path).await;
    assert_eq!(ids(&list), vec![id]);
    let now = srv.conversation_details(company, id).await;
    assert!(now["last_message_at"].as_i64() >= original["last_message_at"].as_i64());

    // Another contact is another conversation.
    let other = srv.conversation(company, "79250000002").await;
    assert!(other > id);
    let (_, list) = srv.get(&path).await;
    assert_eq!(ids(&list), vec![id, other]);
}

#[tokio::test]
async fn concurrent_creates_for_a_new_contact_share_one_conversation() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    srv.channel(company, "whatsapp").await;
    let path = list_path(company);
    let requests = (0..12).map(|n| {
        let text = format!("parallel {n}");
        let phone = if n % 2 == 0 {
            "79250000001"
        } else {
            "+79250000001"
        };
        let request = srv.req(Method::POST, &path).form(&[
            ("provider", "whatsapp"),
            ("phone", phone),
            ("text", text.as_str()),
        ]);
        call(request)
    });
    let answers = futures_util::future::join_all(requests).await;
    let mut seen = Vec::new();
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
        seen.push(
            body["data"]["conversation"]["external_id"]
                .as_i64()
                .expect("id"),
        );
    }
    seen.dedup();
    assert_eq!(seen.len(), 1, "{answers:?}");
    let (_, list) = srv.get(&path).await;
    assert_eq!(ids(&list), seen);
    let mut bodies: Vec<String> = srv
        .stored_messages(company, seen[0])
        .await
        .into_iter()
        .map(|m| m.body)
        .collect();
    bodies.sort();
    let mut want: Vec<String> = (0..12).map(|n| format!("parallel {n}")).collect();
    want.sort();
    assert_eq!(bodies, want);
}
