//! The seed's Conversations API: list, create (whatsapp and telegram_personal), details,
//! note, assign and toggle_bitrix_block_openlines, after the digest's section 6 checklist.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::*;

/// Creates a conversation from form pairs; returns the conversation object.
async fn create(srv: &TestServer, company: i64, pairs: &[(&str, &str)]) -> Value {
    let (status, body) = srv.form(Method::POST, &list_path(company), pairs).await;
    assert_eq!(status, 200, "{pairs:?}: {body}");
    assert_eq!(body["status"], "ok", "{body}");
    let conversation = body["data"]["conversation"].clone();
    assert_conversation_shape(&conversation);
    conversation
}

/// The id of a conversation object.
fn id_of(conversation: &Value) -> i64 {
    conversation["external_id"].as_i64().expect("external_id")
}

#[tokio::test]
async fn list_of_an_empty_company() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    let response = srv
        .req(Method::GET, &list_path(company))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body,
        json!({"status": "ok", "data": {"conversations": [], "next_page": null}})
    );
}

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
async fn list_order_and_items_equal_details() {
    let srv = TestServer::start().await;
    let (company, channel, first) = srv.fixture().await;
    let inbound = format!("/p1/companies/{company}/channels/{channel}/sandbox/inbound");
    let (s, b) = srv
        .form(
            Method::POST,
            &inbound,
            &[
                ("sender_external_id", "79990000002"),
                ("name", "Bob"),
                ("message", "Hi"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let second = b["data"]["conversation_id"].as_i64().expect("id");
    let third = srv.conversation(company, "79990000003").await;
    assert!(first < second && second < third);

    let (s, asc) = srv.get(&list_path(company)).await;
    assert_eq!(s, 200, "{asc}");
    assert_eq!(ids(&asc), vec![first, second, third]);
    assert_eq!(asc["data"]["next_page"], json!(null));
    let (_, explicit) = srv
        .get(&format!("{}?sort_direction=asc", list_path(company)))
        .await;
    assert_eq!(explicit, asc);
    let (_, desc) = srv
        .get(&format!("{}?sort_direction=desc", list_path(company)))
        .await;
    assert_eq!(ids(&desc), vec![third, second, first]);

    for item in asc["data"]["conversations"].as_array().expect("list") {
        assert_conversation_shape(item);
        let details = srv.conversation_details(company, id_of(item)).await;
        assert_eq!(&details, item);
    }
    let bob = srv.conversation_details(company, second).await;
    assert_eq!(bob["name"], "Bob");
    assert_eq!(bob["sender_external_id"], "79990000002");
    assert_eq!(bob["channel_id"], channel);
    let income = bob["last_income_message_at"].as_i64().expect("int");
    assert!(income >= bob["created_at_timestamp"].as_i64().expect("int"));
    assert_eq!(bob["last_message_at"], income);
    let other = srv.conversation_details(company, third).await;
    assert_eq!(other["last_income_message_at"], 0);
}

#[tokio::test]
async fn list_paging_parameters() {
    let srv = TestServer::start().await;
    let (company, _, first) = srv.fixture().await;
    let second = srv.conversation(company, "79250000002").await;
    let third = srv.conversation(company, "79250000003").await;
    let path = list_path(company);

    let (s, page) = srv.get(&format!("{path}?per=1")).await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(ids(&page), vec![first]);
    let token = page["data"]["next_page"]
        .as_str()
        .expect("a next_page token")
        .to_owned();
    let (_, page) = srv.get(&format!("{path}?per=1&from={token}")).await;
    assert_eq!(ids(&page), vec![second]);
    let (_, page) = srv.get(&format!("{path}?per=1&from_={token}")).await;
    assert_eq!(ids(&page), vec![second], "from_ is an alias of from");
    let (_, page) = srv.get(&format!("{path}?per=2&from={token}")).await;
    assert_eq!(ids(&page), vec![second, third]);
    assert_eq!(page["data"]["next_page"], json!(null));
    let (_, page) = srv.get(&format!("{path}?per=100")).await;
    assert_eq!(ids(&page), vec![first, second, third]);
    assert_eq!(page["data"]["next_page"], json!(null));
    let (_, page) = srv.get(&format!("{path}?per=2&sort=desc")).await;
    assert_eq!(ids(&page), vec![third, second], "sort is an alias");
    let (_, page) = srv.get(&format!("{path}?per=2&sort_direction=desc")).await;
    assert_eq!(ids(&page), vec![third, second]);

    for bad in [
        "0",
        "101",
        "abc",
        "1.5",
        "-1",
        "1e2",
        "99999999999999999999",
        "%205",
    ] {
        let (s, b) = srv.get(&format!("{path}?per={bad}")).await;
        assert_param_error(s, &b, 400, "per");
    }
    for bad in ["sideways", "ascending", "1"] {
        let (s, b) = srv.get(&format!("{path}?sort_direction={bad}")).await;
        assert_param_error(s, &b, 400, "sort_direction");
        let (s, b) = srv.get(&format!("{path}?sort={bad}")).await;
        assert_param_error(s, &b, 400, "sort");
    }

    // `from`: at most 255 characters; anything else that is not a token is the first page.
    let long = "a".repeat(256);
    let (s, b) = srv.get(&format!("{path}?from={long}")).await;
    assert_param_error(s, &b, 400, "from");
    let (s, b) = srv.get(&format!("{path}?from_={long}")).await;
    assert_param_error(s, &b, 400, "from_");
    for garbage in ["a".repeat(255), String::new(), "not-a-token%21".to_owned()] {
        let (s, b) = srv.get(&format!("{path}?per=2&from={garbage}")).await;
        assert_eq!(s, 200, "{garbage}: {b}");
        assert_eq!(ids(&b), vec![first, second], "{garbage}");
    }
    // A token of another list (channels) is not valid here either.
    srv.channel(company, "telegram").await;
    let (_, channels) = srv
        .get(&format!("/p1/companies/{company}/channels?per=1"))
        .await;
    let channel_token = channels["data"]["next_page"].as_str().expect("token");
    let (_, b) = srv.get(&format!("{path}?per=2&from={channel_token}")).await;
    assert_eq!(ids(&b), vec![first, second]);
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
async fn create_telegram_personal() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    let channel = srv.channel(company, "telegram_personal").await;
    let path = list_path(company);

    let by_name = create(
        &srv,
        company,
        &[
            ("provider", "telegram_personal"),
            ("username", "testuser"),
            ("text", "Hello"),
        ],
    )
    .await;
    assert_eq!(by_name["sender_external_id"], "testuser");
    assert_eq!(by_name["name"], "testuser");
    assert_eq!(by_name["channel_type"], "telegram_personal");
    assert_eq!(by_name["channel_id"], channel);
    // One `@` is stripped: the same contact, so the same conversation.
    let again = create(
        &srv,
        company,
        &[
            ("provider", "telegram_personal"),
            ("username", "@testuser"),
            ("text", "Again"),
        ],
    )
    .await;
    assert_eq!(id_of(&again), id_of(&by_name));
    let by_phone = create(
        &srv,
        company,
        &[
            ("provider", "telegram_personal"),
            ("phone", "+79250000001"),
            ("text", "Hello"),
        ],
    )
    .await;
    assert_eq!(by_phone["sender_external_id"], "79250000001");
    assert_eq!(by_phone["channel_type"], "telegram_personal");
    assert_ne!(id_of(&by_phone), id_of(&by_name));
    // An empty username is no username.
    let empty_name = create(
        &srv,
        company,
        &[
            ("provider", "telegram_personal"),
            ("phone", "79250000001"),
            ("username", ""),
            ("text", "Hi"),
        ],
    )
    .await;
    assert_eq!(id_of(&empty_name), id_of(&by_phone));
    let bodies: Vec<String> = srv
        .stored_messages(company, id_of(&by_name))
        .await
        .into_iter()
        .map(|m| m.body)
        .collect();
    assert_eq!(bodies, ["Hello", "Again"]);

    let tp = |extra: &[(&'static str, &'static str)]| {
        let mut pairs = vec![("provider", "telegram_personal")];
        pairs.extend_from_slice(extra);
        pairs
    };
    let long = "a".repeat(33);
    let very_long = "a".repeat(65);
    for (pairs, param) in [
        (
            tp(&[
                ("phone", "79250000002"),
                ("username", "otheruser"),
                ("text", "x"),
            ]),
            "username",
        ),
        (tp(&[("text", "x")]), "phone"),
        (tp(&[("username", ""), ("text", "x")]), "phone"),
        (tp(&[("username", "abcd"), ("text", "x")]), "username"),
        (tp(&[("username", "test user"), ("text", "x")]), "username"),
        (tp(&[("username", "@@testuser"), ("text", "x")]), "username"),
        (tp(&[("username", "тестюзер"), ("text", "x")]), "username"),
        (tp(&[("username", "test-user"), ("text", "x")]), "username"),
        (tp(&[("phone", "7925"), ("text", "x")]), "phone"),
        (tp(&[("username", "otheruser")]), "text"),
        (tp(&[("username", "otheruser"), ("text", "  ")]), "text"),
    ] {
        let (s, b) = srv.form(Method::POST, &path, &pairs).await;
        assert_param_error(s, &b, 400, param);
    }
    for name in [&long, &very_long] {
        let (s, b) = srv
            .form(
                Method::POST,
                &path,
                &[
                    ("provider", "telegram_personal"),
                    ("username", name),
                    ("text", "x"),
                ],
            )
            .await;
        assert_param_error(s, &b, 400, "username");
    }
    // 5 and 32 characters are the limits.
    let max = "b".repeat(32);
    for name in ["abcde", max.as_str(), "A_b_9"] {
        let c = create(
            &srv,
            company,
            &[
                ("provider", "telegram_personal"),
                ("username", name),
                ("text", "x"),
            ],
        )
        .await;
        assert_eq!(c["sender_external_id"], name);
    }
    let (_, list) = srv.get(&path).await;
    assert_eq!(ids(&list).len(), 5, "{list}");
}

#[tokio::test]
async fn create_provider_rules() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    srv.channel(company, "whatsapp_business").await;
    srv.channel(company, "telegram").await;
    let path = list_path(company);
    let attempt = |provider: &'static str| {
        vec![
            ("provider", provider),
            ("phone", "79250000001"),
            ("text", "Hi"),
        ]
    };

    let (s, b) = srv
        .form(Method::POST, &path, &attempt("whatsapp_business"))
        .await;
    assert_param_error(s, &b, 400, "provider");
    let message = b["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("template") && message.contains("/channels/"),
        "does not point to the template method: {b}"
    );
    for provider in ["icq", "telegram", "avito", "whatsapp_cloud"] {
        let (s, b) = srv.form(Method::POST, &path, &attempt(provider)).await;
        assert_param_error(s, &b, 400, "provider");
    }
    // Providers that are supported but have no channel in this company.
    for provider in ["whatsapp", "telegram_personal"] {
        let (s, b) = srv.form(Method::POST, &path, &attempt(provider)).await;
        assert_param_error(s, &b, 400, "provider");
        assert!(
            b["message"]
                .as_str()
                .is_some_and(|m| m.contains(&format!("no {provider} channel"))),
            "{b}"
        );
    }
    // A deleted channel does not count.
    let channel = srv.channel(company, "whatsapp").await;
    let (s, _) = call(srv.req(
        Method::DELETE,
        &format!("/p1/companies/{company}/channels/{channel}"),
    ))
    .await;
    assert_eq!(s, 200);
    let (s, b) = srv.form(Method::POST, &path, &attempt("whatsapp")).await;
    assert_param_error(s, &b, 400, "provider");
    // The whatsapp channel of another company does not count either.
    let other = srv.company("Other").await;
    srv.channel(other, "whatsapp").await;
    let (s, b) = srv.form(Method::POST, &path, &attempt("whatsapp")).await;
    assert_param_error(s, &b, 400, "provider");

    let (_, list) = srv.get(&path).await;
    assert_eq!(list["data"]["conversations"], json!([]));
    let (_, list) = srv.get(&list_path(other)).await;
    assert_eq!(list["data"]["conversations"], json!([]));
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

#[tokio::test]
async fn details_and_not_found() {
    let srv = TestServer::start().await;
    let (company, channel, id) = srv.fixture().await;
    let (s, b) = srv.get(&item_path(company, id)).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b.as_object().map(|o| o.len()), Some(2));
    let c = &b["data"]["conversation"];
    assert_conversation_shape(c);
    assert_eq!(c["external_id"], id);
    assert_eq!(c["channel_id"], channel);
    assert_eq!(c["sender_external_id"], "79250000001");
    let (_, list) = srv.get(&list_path(company)).await;
    assert_eq!(list["data"]["conversations"][0], *c);

    // Another company of the same user: ids do not cross over.
    let other = srv.company("Other").await;
    srv.channel(other, "whatsapp").await;
    let other_id = srv.conversation(other, "79250000002").await;
    let not_found = json!({"status": "error", "message": "conversation not found"});
    let (s, b) = srv.get(&item_path(company, other_id)).await;
    assert_eq!((s, &b), (404, &not_found));
    let (s, b) = srv.get(&item_path(other, id)).await;
    assert_eq!((s, &b), (404, &not_found));
    let (s, b) = srv.get(&item_path(other, other_id)).await;
    assert_eq!(
        (s, &b["data"]["conversation"]["external_id"]),
        (200, &json!(other_id))
    );

    for bad in ["999", "0", "-1", "abc", "1.5", "1a", "99999999999999999999"] {
        let (s, b) = srv
            .get(&format!("/p1/companies/{company}/conversations/{bad}"))
            .await;
        assert_eq!((s, &b), (404, &not_found), "{bad}");
    }
    let company_not_found = json!({"status": "error", "message": "company not found"});
    for bad in ["999", "abc", "0"] {
        let (s, b) = srv
            .get(&format!("/p1/companies/{bad}/conversations/{id}"))
            .await;
        assert_eq!((s, &b), (404, &company_not_found), "{bad}");
    }
    // A company of another user looks like no company at all.
    let (_, token) = srv.new_user("mallory").await;
    let (s, b) = call(srv.req_as(&token, Method::GET, &item_path(company, id))).await;
    assert_eq!((s, &b), (404, &company_not_found));
}

#[tokio::test]
async fn note_is_stored_and_read_back() {
    let srv = TestServer::start().await;
    let (company, _, id) = srv.fixture().await;
    let other = srv.conversation(company, "79250000002").await;
    let path = format!("{}/note", item_path(company, id));
    let before = srv.conversation_details(company, id).await;
    assert_eq!(before["note"], json!(null));

    // curl -X PUT -d "note=your+note"
    let response = srv
        .req(Method::PUT, &path)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("note=your+note")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    assert_eq!(
        response.text().await.expect("body"),
        r#"{"status":"updated"}"#
    );
    let after = srv.conversation_details(company, id).await;
    assert_eq!(after["note"], "your note");
    let mut expected = before.clone();
    expected["note"] = json!("your note");
    assert_eq!(after, expected, "only the note changed");
    assert_eq!(
        srv.conversation_details(company, other).await["note"],
        json!(null)
    );

    let (s, b) = srv.json(Method::PUT, &path, json!({"note": "x"})).await;
    assert_eq!((s, b), (200, json!({"status": "updated"})));
    assert_eq!(srv.conversation_details(company, id).await["note"], "x");
    let (s, _) = call(srv.req(Method::PUT, &format!("{path}?note=from+query"))).await;
    assert_eq!(s, 200);
    assert_eq!(
        srv.conversation_details(company, id).await["note"],
        "from query"
    );
    let utf8 = "Заметка ✓ 😀\nвторая строка & = + % \u{1} \t end";
    let (s, _) = srv.form(Method::PUT, &path, &[("note", utf8)]).await;
    assert_eq!(s, 200);
    assert_eq!(srv.conversation_details(company, id).await["note"], utf8);
    // NUL is refused by name on every store (PostgreSQL text cannot hold it); the note stays.
    let (s, b) = srv.form(Method::PUT, &path, &[("note", "a\u{0}b")]).await;
    assert_param_error(s, &b, 400, "note");
    let (s, b) = srv
        .json(Method::PUT, &path, json!({"note": "a\u{0}b"}))
        .await;
    assert_param_error(s, &b, 400, "note");
    assert_eq!(srv.conversation_details(company, id).await["note"], utf8);
    let max = "n".repeat(65_536);
    let (s, _) = srv.json(Method::PUT, &path, json!({"note": max})).await;
    assert_eq!(s, 200);
    assert_eq!(srv.conversation_details(company, id).await["note"], max);

    // Refused: missing, not a string, too long. The note stays.
    let (s, b) = srv.form(Method::PUT, &path, &[("other", "x")]).await;
    assert_param_error(s, &b, 400, "note");
    let (s, b) = srv.json(Method::PUT, &path, json!({"note": null})).await;
    assert_param_error(s, &b, 400, "note");
    let (s, b) = srv
        .json(Method::PUT, &path, json!({"note": {"a": 1}}))
        .await;
    assert_param_error(s, &b, 400, "note");
    let (s, b) = srv
        .json(Method::PUT, &path, json!({"note": "n".repeat(65_537)}))
        .await;
    assert_param_error(s, &b, 400, "note");
    assert_eq!(srv.conversation_details(company, id).await["note"], max);

    // An empty note clears it.
    let (s, _) = srv.form(Method::PUT, &path, &[("note", "")]).await;
    assert_eq!(s, 200);
    assert_eq!(srv.conversation_details(company, id).await["note"], "");

    // Other methods and unknown conversations.
    for method in [Method::POST, Method::GET] {
        let response = srv
            .req(method.clone(), &path)
            .form(&[("note", "nope")])
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 405, "{method}");
        let allow = response.headers()["allow"]
            .to_str()
            .unwrap_or("")
            .to_owned();
        assert!(allow.contains("PUT"), "{allow}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["status"], "error");
    }
    let (s, b) = srv
        .form(
            Method::PUT,
            &format!("/p1/companies/{company}/conversations/999/note"),
            &[("note", "x")],
        )
        .await;
    assert_eq!(
        (s, b),
        (
            404,
            json!({"status": "error", "message": "conversation not found"})
        )
    );
    assert_eq!(srv.conversation_details(company, id).await["note"], "");
}

#[tokio::test]
async fn assign_and_unassign() {
    let srv = TestServer::start().await;
    let (company, _, id) = srv.fixture().await;
    let path = format!("{}/assign", item_path(company, id));
    let user = srv.user_id.to_string();
    let assigned = || async { srv.conversation_details(company, id).await["assignee_id"].clone() };
    assert_eq!(assigned().await, json!(null));

    let (s, b) = srv
        .form(Method::PUT, &path, &[("assignee_id", &user)])
        .await;
    assert_eq!(
        (s, b),
        (
            200,
            json!({"status": "ok", "data": {"conversation": {"external_id": id}}})
        )
    );
    assert_eq!(assigned().await, json!(srv.user_id));

    // Refused values leave the assignee as it was.
    let (stranger, _) = srv.new_user("stranger").await;
    let stranger = stranger.to_string();
    for bad in [
        "0",
        "-1",
        "abc",
        "1.5",
        "1e1",
        "99999999999999999999",
        "9999",
        stranger.as_str(),
    ] {
        let (s, b) = srv.form(Method::PUT, &path, &[("assignee_id", bad)]).await;
        assert_param_error(s, &b, 400, "assignee_id");
        assert_eq!(assigned().await, json!(srv.user_id), "{bad}");
    }
    for bad in [
        json!(1.5),
        json!(true),
        json!(-1),
        json!({"id": 1}),
        json!([1, [2]]),
    ] {
        let (s, b) = srv
            .json(Method::PUT, &path, json!({"assignee_id": bad}))
            .await;
        assert_param_error(s, &b, 400, "assignee_id");
    }
    assert_eq!(assigned().await, json!(srv.user_id));

    // Absent unassigns.
    let (s, b) = call(srv.req(Method::PUT, &path)).await;
    assert_eq!(
        (s, b),
        (
            200,
            json!({"status": "ok", "data": {"conversation": {"external_id": id}}})
        )
    );
    assert_eq!(assigned().await, json!(null));
    // A JSON number, then an empty string, then a JSON null.
    let (s, _) = srv
        .json(Method::PUT, &path, json!({"assignee_id": srv.user_id}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(assigned().await, json!(srv.user_id));
    let (s, _) = srv.form(Method::PUT, &path, &[("assignee_id", "")]).await;
    assert_eq!(s, 200);
    assert_eq!(assigned().await, json!(null));
    let (s, _) = srv
        .json(Method::PUT, &path, json!({"assignee_id": user}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(assigned().await, json!(srv.user_id));
    let (s, _) = srv
        .json(Method::PUT, &path, json!({"assignee_id": null}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(assigned().await, json!(null));

    // Python SDK: a form body labelled JSON.
    let (s, b) = call(
        srv.req(Method::PUT, &path)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .body(format!("assignee_id={user}")),
    )
    .await;
    assert_eq!(
        (s, b),
        (
            200,
            json!({"status": "ok", "data": {"conversation": {"external_id": id}}})
        )
    );
    assert_eq!(assigned().await, json!(srv.user_id));

    let (s, b) = srv
        .form(
            Method::PUT,
            &format!("/p1/companies/{company}/conversations/999/assign"),
            &[("assignee_id", &user)],
        )
        .await;
    assert_eq!(s, 404, "{b}");
}

#[tokio::test]
async fn toggle_bitrix_block_openlines() {
    let srv = TestServer::start().await;
    let (company, channel, id) = srv.fixture().await;
    let bystander = srv.conversation(company, "79250000002").await;
    let path = format!("{}/toggle_bitrix_block_openlines", item_path(company, id));
    let flag =
        || async { srv.conversation_details(company, id).await["bitrix_block_openlines"].clone() };
    assert_eq!(flag().await, json!(false));

    let (s, b) = srv.form(Method::PUT, &path, &[("enabled", "true")]).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "ok");
    let c = &b["data"]["conversation"];
    assert_conversation_shape(c);
    assert_eq!(c["bitrix_block_openlines"], true);
    assert_eq!(c["last_income_message_at"], 0);
    assert_eq!(c["last_message_at"], c["created_at_timestamp"]);
    assert_eq!(*c, srv.conversation_details(company, id).await);

    // `enabled` sets (repeating it keeps the value); every boolean spelling works.
    for (value, want) in [
        ("true", true),
        ("false", false),
        ("false", false),
        ("1", true),
        ("1", true),
        ("0", false),
        ("TRUE", true),
    ] {
        let (s, b) = srv.form(Method::PUT, &path, &[("enabled", value)]).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["data"]["conversation"]["bitrix_block_openlines"], want);
        assert_eq!(flag().await, json!(want), "{value}");
    }
    for (value, want) in [
        (json!(false), false),
        (json!(true), true),
        (json!(0), false),
    ] {
        let (s, b) = srv
            .json(Method::PUT, &path, json!({"enabled": value}))
            .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(flag().await, json!(want));
    }
    // Absent flips.
    for want in [true, false, true] {
        let (s, b) = call(srv.req(Method::PUT, &path)).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["data"]["conversation"]["bitrix_block_openlines"], want);
        assert_eq!(flag().await, json!(want));
    }
    // Refused values change nothing.
    for bad in ["yes?", "yes", "2", "on", "1.0"] {
        let (s, b) = srv.form(Method::PUT, &path, &[("enabled", bad)]).await;
        assert_param_error(s, &b, 400, "enabled");
    }
    let (s, b) = srv
        .json(Method::PUT, &path, json!({"enabled": "maybe"}))
        .await;
    assert_param_error(s, &b, 400, "enabled");
    assert_eq!(flag().await, json!(true));
    assert_eq!(
        srv.conversation_details(company, bystander).await["bitrix_block_openlines"],
        json!(false)
    );

    // An incoming message shows in the answer's timestamps.
    let (s, b) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/channels/{channel}/sandbox/inbound"),
            &[("sender_external_id", "79250000001"), ("message", "Hi")],
        )
        .await;
    assert_eq!((s, &b["data"]["conversation_id"]), (200, &json!(id)), "{b}");
    let (s, b) = srv.form(Method::PUT, &path, &[("enabled", "false")]).await;
    assert_eq!(s, 200);
    let c = &b["data"]["conversation"];
    let income = c["last_income_message_at"].as_i64().expect("int");
    assert!(income >= c["created_at_timestamp"].as_i64().expect("int") && income > 0);
    assert_eq!(c["last_message_at"], income);
    assert_eq!(c["bitrix_block_openlines"], false);
    assert_eq!(*c, srv.conversation_details(company, id).await);

    let (s, _) = srv
        .form(
            Method::PUT,
            &format!("/p1/companies/{company}/conversations/999/toggle_bitrix_block_openlines"),
            &[("enabled", "true")],
        )
        .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn every_endpoint_needs_the_token() {
    let srv = TestServer::start().await;
    let (company, _, id) = srv.fixture().await;
    let item = item_path(company, id);
    let user = srv.user_id.to_string();
    let endpoints = [
        (Method::GET, list_path(company), vec![]),
        (
            Method::POST,
            list_path(company),
            vec![
                ("provider", "whatsapp"),
                ("phone", "79250000009"),
                ("text", "x"),
            ],
        ),
        (Method::GET, item.clone(), vec![]),
        (Method::PUT, format!("{item}/note"), vec![("note", "x")]),
        (
            Method::PUT,
            format!("{item}/assign"),
            vec![("assignee_id", user.as_str())],
        ),
        (
            Method::PUT,
            format!("{item}/toggle_bitrix_block_openlines"),
            vec![("enabled", "true")],
        ),
    ];
    for (method, path, pairs) in &endpoints {
        let (s, b) = call(srv.http.request(method.clone(), srv.url(path)).form(pairs)).await;
        assert_eq!(s, 401, "{method} {path}: {b}");
        assert_eq!(b["status"], "error");
        let (s, _) = call(srv.req_as("wrong", method.clone(), path).form(pairs)).await;
        assert_eq!(s, 401, "{method} {path}");
    }
    // Nothing happened.
    let c = srv.conversation_details(company, id).await;
    assert_eq!(
        (&c["note"], &c["assignee_id"], &c["bitrix_block_openlines"]),
        (&json!(null), &json!(null), &json!(false))
    );
    let (_, list) = srv.get(&list_path(company)).await;
    assert_eq!(ids(&list), vec![id]);

    // The query-string token works on every endpoint.
    for (method, path, pairs) in &endpoints {
        let url = srv.url(&format!("{path}?private_api_token={}", srv.token));
        let (s, b) = call(srv.http.request(method.clone(), url).form(pairs)).await;
        assert_eq!(s, 200, "{method} {path}: {b}");
    }
    let c = srv.conversation_details(company, id).await;
    assert_eq!(
        (&c["note"], &c["assignee_id"], &c["bitrix_block_openlines"]),
        (&json!("x"), &json!(srv.user_id), &json!(true))
    );
}

#[tokio::test]
async fn success_answers_are_json_200() {
    let srv = TestServer::start().await;
    let (company, _, id) = srv.fixture().await;
    let item = item_path(company, id);
    for (method, path, pairs, status) in [
        (Method::GET, list_path(company), vec![], "ok"),
        (
            Method::POST,
            list_path(company),
            vec![
                ("provider", "whatsapp"),
                ("phone", "79250000001"),
                ("text", "x"),
            ],
            "ok",
        ),
        (Method::GET, item.clone(), vec![], "ok"),
        (
            Method::PUT,
            format!("{item}/note"),
            vec![("note", "x")],
            "updated",
        ),
        (Method::PUT, format!("{item}/assign"), vec![], "ok"),
        (
            Method::PUT,
            format!("{item}/toggle_bitrix_block_openlines"),
            vec![],
            "ok",
        ),
    ] {
        let response = srv
            .req(method.clone(), &path)
            .form(&pairs)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 200, "{method} {path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json; charset=utf-8",
            "{method} {path}"
        );
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["status"], status, "{method} {path}");
        if status == "ok" {
            assert!(body["data"].is_object(), "{body}");
        } else {
            assert_eq!(body.get("data"), None, "{body}");
        }
    }
}

/// Details answer who-may-see-what in the same order whichever way the request comes:
/// the caller (401), then the company (404), then the conversation (404).
#[tokio::test]
async fn details_check_caller_then_company_then_conversation() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let (_, stranger) = srv.new_user("Stranger").await;
    let other_company = {
        let (status, body) = call(
            srv.req_as(&stranger, Method::POST, "/p1/companies")
                .form(&[("name", "Elsewhere")]),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        body["data"]["external_id"].as_i64().expect("id")
    };
    let path = |c: i64, v: &str| format!("/p1/companies/{c}/conversations/{v}");
    let own = conversation.to_string();

    let (status, body) = srv.get(&path(company, &own)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["conversation"]["external_id"],
        json!(conversation)
    );
    let by_query = format!("{}?private_api_token={}", path(company, &own), srv.token);
    let (status, _) = call(srv.http.get(srv.url(&by_query))).await;
    assert_eq!(status, 200);

    let cases = [
        // (token, company, conversation id, status, what the 404 names)
        (Some("cfb_wrong"), company, own.clone(), 401, ""),
        (None, company, own.clone(), 401, ""),
        (Some("cfb_wrong"), other_company, "abc".to_owned(), 401, ""),
        (
            Some(srv.token.as_str()),
            other_company,
            own.clone(),
            404,
            "company",
        ),
        (
            Some(srv.token.as_str()),
            other_company,
            "abc".to_owned(),
            404,
            "company",
        ),
        (
            Some(stranger.as_str()),
            company,
            own.clone(),
            404,
            "company",
        ),
        (
            Some(srv.token.as_str()),
            company,
            "999".to_owned(),
            404,
            "conversation",
        ),
        (
            Some(srv.token.as_str()),
            company,
            "abc".to_owned(),
            404,
            "conversation",
        ),
        (
            Some(srv.token.as_str()),
            company,
            "0".to_owned(),
            404,
            "conversation",
        ),
    ];
    for (token, c, v, want, what) in cases {
        let mut request = srv.http.get(srv.url(&path(c, &v)));
        if let Some(token) = token {
            request = request.header("X-Private-Api-Token", token);
        }
        let (status, body) = call(request).await;
        assert_eq!(status, want, "{c}/{v} with {token:?}: {body}");
        assert!(body.to_string().contains(what), "{c}/{v}: {body}");
    }
}
