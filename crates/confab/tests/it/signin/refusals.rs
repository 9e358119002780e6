//! What sign-in refuses: a provider that is not the channel's, channels that do not
//! sign in, unknown channels, and (without `--sandbox`) real sign-in, not supported yet.

use reqwest::Method;
use serde_json::json;

use super::*;

#[tokio::test]
async fn the_provider_must_be_the_channels() {
    let srv = server().await;
    let company = srv.company("Acme").await;
    let channel = create_channel(
        &srv,
        Sdk::Php,
        company,
        json!({"provider": "telegram_personal", "phone": "79999999999"}),
    )
    .await;
    let whatsapp = srv.channel(company, "whatsapp").await;
    for sdk in Sdk::BOTH {
        for name in ["request_code", "confirm"] {
            let path = action(company, channel, name);
            let (s, b) = post(&srv, sdk, &path, json!({})).await;
            assert_param_error(s, &b, 400, "provider");
            let (s, b) = post(&srv, sdk, &path, json!({"provider": "instagram"})).await;
            assert_param_error(s, &b, 400, "provider");
            let (s, b) = post(&srv, sdk, &path, json!({"provider": "pigeon"})).await;
            assert_param_error(s, &b, 400, "provider");
            // A whatsapp channel does not sign in with a code.
            let path = action(company, whatsapp, name);
            let (s, b) = post(&srv, sdk, &path, json!({"provider": "whatsapp"})).await;
            assert_param_error(s, &b, 400, "provider");
            // An unknown channel is a 404.
            let path = action(company, 999, name);
            let (s, b) = post(&srv, sdk, &path, json!({"provider": "telegram_personal"})).await;
            assert_client_error(s, &b, 404);
        }
    }
    assert_eq!(
        channel_state(&srv, company, channel).await,
        "pending_authorization"
    );
    // No code was sent by any of it.
    let (s, b) = srv.get(&action(company, channel, "sandbox/code")).await;
    assert_eq!(s, 400, "{b}");
}

#[tokio::test]
async fn without_the_sandbox_real_sign_in_is_refused() {
    let mut srv = server().await;
    let company = srv.company("Acme").await;
    let channel = create_channel(
        &srv,
        Sdk::Php,
        company,
        json!({"provider": "telegram_personal", "phone": "79999999999"}),
    )
    .await;
    srv.restart_with(|c| c.sandbox = false).await;
    for sdk in Sdk::BOTH {
        for name in ["request_code", "confirm"] {
            let (s, b) = post(
                &srv,
                sdk,
                &action(company, channel, name),
                json!({"provider": "telegram_personal", "confirmation_type": "code", "code": "123456"}),
            )
            .await;
            assert_param_error(s, &b, 400, "provider");
            assert!(
                b["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("not supported yet"),
                "{b}"
            );
        }
    }
    let (s, b) = srv.get(&action(company, channel, "sandbox/code")).await;
    assert_client_error(s, &b, 403);
    let (s, b) = srv
        .form(
            Method::POST,
            &action(company, channel, "sandbox/password"),
            &[("password", "x")],
        )
        .await;
    assert_client_error(s, &b, 403);
}

#[tokio::test]
async fn the_sandbox_password_is_required_and_bounded() {
    let srv = server().await;
    let company = srv.company("Acme").await;
    let channel = create_channel(
        &srv,
        Sdk::Php,
        company,
        json!({"provider": "telegram_personal", "phone": "79999999999"}),
    )
    .await;
    let path = action(company, channel, "sandbox/password");
    let (s, b) = srv.form(Method::POST, &path, &[]).await;
    assert_param_error(s, &b, 400, "password");
    let long = "x".repeat(256);
    let (s, b) = srv.form(Method::POST, &path, &[("password", &long)]).await;
    assert_param_error(s, &b, 400, "password");
    // Empty removes it.
    let (s, b) = srv.form(Method::POST, &path, &[("password", "")]).await;
    assert_eq!((s, &b["data"]["two_factor"]), (200, &json!(false)), "{b}");
}
