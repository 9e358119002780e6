//! Channels: providers, one per provider, credentials, soft delete, sandbox-only connectors.

use reqwest::Method;
use serde_json::json;

use crate::harness::*;

const PROVIDERS: [&str; 11] = [
    "whatsapp",
    "whatsapp_business",
    "avito",
    "instagram_business",
    "instagram",
    "facebook",
    "telegram",
    "telegram_personal",
    "viber",
    "vkontakte",
    "vkontakte_direct",
];

#[tokio::test]
async fn every_documented_provider_in_sandbox() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    let mut ids = Vec::new();
    for provider in PROVIDERS {
        ids.push(srv.channel(company, provider).await);
    }
    let (status, body) = srv
        .get(&format!("/p1/companies/{company}/channels?per=100"))
        .await;
    assert_eq!(status, 200);
    let listed: Vec<_> = body["data"]["channels"].as_array().expect("list").clone();
    let want: Vec<_> = ids
        .iter()
        .zip(PROVIDERS)
        .map(|(id, p)| json!({"external_id": id, "provider": p, "connector": "sandbox", "state": "enabled", "last_inbound_at": null, "last_error": null}))
        .collect();
    assert_eq!(listed, want);
    assert_eq!(body["data"]["next_page"], json!(null));
}

#[tokio::test]
async fn one_channel_per_provider_and_vk_alias() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    let path = format!("/p1/companies/{company}/channels");
    let (s, b) = srv.form(Method::POST, &path, &[("provider", "vk")]).await;
    assert_eq!((s, &b["status"]), (200, &json!("created")), "{b}");
    let (s, b) = srv
        .form(Method::POST, &path, &[("provider", "vkontakte")])
        .await;
    assert_param_error(s, &b, 400, "provider");
    let (_, b) = srv.get(&path).await;
    assert_eq!(
        b["data"]["channels"],
        json!([{"external_id": 1, "provider": "vkontakte", "connector": "sandbox", "state": "enabled", "last_inbound_at": null, "last_error": null}])
    );
    // Another company may have its own.
    let other = srv.company("Other").await;
    srv.channel(other, "vkontakte").await;
}

#[tokio::test]
async fn create_validation() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    let path = format!("/p1/companies/{company}/channels");
    let (s, b) = srv.form(Method::POST, &path, &[]).await;
    assert_param_error(s, &b, 400, "provider");
    let (s, b) = srv.form(Method::POST, &path, &[("provider", "icq")]).await;
    assert_param_error(s, &b, 400, "provider");
    let (s, b) = srv
        .form(
            Method::POST,
            &path,
            &[("provider", "whatsapp"), ("do_not_mark_as_read", "maybe")],
        )
        .await;
    assert_param_error(s, &b, 400, "do_not_mark_as_read");
    // The test compares the server's times with the real time.
    #[allow(clippy::disallowed_methods)]
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let old = (now - 40 * 24 * 3600).to_string();
    let (s, b) = srv
        .form(
            Method::POST,
            &path,
            &[("provider", "whatsapp"), ("sync_messages_from", &old)],
        )
        .await;
    assert_param_error(s, &b, 400, "sync_messages_from");
    let (s, b) = srv
        .form(
            Method::POST,
            &path,
            &[
                ("provider", "whatsapp"),
                ("sync_messages_from", "yesterday"),
            ],
        )
        .await;
    assert_param_error(s, &b, 400, "sync_messages_from");
    let (s, b) = srv
        .json(
            Method::POST,
            &path,
            json!({"provider": "instagram_business", "data": "x"}),
        )
        .await;
    assert_param_error(s, &b, 400, "data");
    // Nothing was created by the refused requests.
    let (_, b) = srv.get(&path).await;
    assert_eq!(b["data"]["channels"], json!([]));
    // Python sends a JSON integer, PHP a decimal string: both fine.
    let recent = now - 3600;
    let (s, b) = srv.json(Method::POST, &path, json!({"provider": "whatsapp", "sync_messages_from": recent, "do_not_mark_as_read": true})).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = srv
        .form(
            Method::POST,
            &path,
            &[
                ("provider", "telegram_personal"),
                ("sync_messages_from", &recent.to_string()),
                ("via_qr_code", "1"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{b}");
}

#[tokio::test]
async fn without_sandbox_providers_are_refused() {
    let srv = TestServer::start_with(|c| c.sandbox = false).await;
    let company = srv.company("Acme").await;
    let (s, b) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/channels"),
            &[("provider", "whatsapp")],
        )
        .await;
    assert_param_error(s, &b, 400, "provider");
    assert!(
        b["message"].as_str().unwrap_or("").contains("--sandbox"),
        "{b}"
    );
}

#[tokio::test]
async fn update_credentials() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    let telegram = srv.channel(company, "telegram").await;
    let avito = srv.channel(company, "avito").await;
    let (s, b) = srv
        .form(
            Method::PUT,
            &format!("/p1/companies/{company}/channels/{telegram}"),
            &[("token", "NEW")],
        )
        .await;
    assert_eq!(
        (s, b),
        (
            200,
            json!({"status": "updated", "data": {"external_id": telegram}})
        )
    );
    let (s, b) = srv
        .form(
            Method::PUT,
            &format!("/p1/companies/{company}/channels/{telegram}"),
            &[],
        )
        .await;
    assert_param_error(s, &b, 400, "token");
    let (s, b) = srv
        .form(
            Method::PUT,
            &format!("/p1/companies/{company}/channels/{avito}"),
            &[("token", "x")],
        )
        .await;
    assert_param_error(s, &b, 400, "login");
    let (s, _) = srv
        .json(
            Method::PUT,
            &format!("/p1/companies/{company}/channels/{avito}"),
            json!({"login": "l", "password": "p"}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = srv
        .form(
            Method::PUT,
            &format!("/p1/companies/{company}/channels/999"),
            &[("token", "x")],
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = srv
        .form(
            Method::PUT,
            &format!("/p1/companies/{company}/channels/abc"),
            &[("token", "x")],
        )
        .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn delete_is_soft_and_frees_the_provider() {
    let srv = TestServer::start().await;
    let (company, channel, conversation) = srv.fixture().await;
    let path = format!("/p1/companies/{company}/channels/{channel}");
    let (s, b) = call(
        srv.req(Method::DELETE, &path)
            .header("Content-Type", "application/json"),
    )
    .await;
    assert_eq!((s, b), (200, json!({"status": "deleted"})));
    let (_, b) = srv.get(&format!("/p1/companies/{company}/channels")).await;
    assert_eq!(b["data"]["channels"], json!([]));
    let (s, _) = call(srv.req(Method::DELETE, &path)).await;
    assert_eq!(s, 404);
    let (s, _) = srv.form(Method::PUT, &path, &[("token", "x")]).await;
    assert_eq!(s, 404);
    // Its conversation stays readable; the provider can be connected again.
    let (s, b) = srv
        .get(&format!(
            "/p1/companies/{company}/conversations/{conversation}"
        ))
        .await;
    assert_eq!(
        (s, &b["data"]["conversation"]["channel_id"]),
        (200, &json!(channel))
    );
    let again = srv.channel(company, "whatsapp").await;
    assert_ne!(again, channel);
}
