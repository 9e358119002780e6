//! Creating conversations on other providers: telegram_personal, and which providers a
//! conversation may be created on.

use reqwest::Method;
use serde_json::json;

use super::{create, id_of};
use crate::harness::*;

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
