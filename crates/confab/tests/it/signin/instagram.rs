//! Legacy instagram: login/password, a challenge code (`challenge_variant`), and for
//! two-factor accounts a second code (`challenge_type` / `confirmation_type=two_factor`).

use serde_json::json;

use super::*;

/// An instagram channel created as the PHP SDK's `createChannelInstagram` sends it (the
/// Python SDK's sends `provider: whatsapp`, a bug of its own).
async fn instagram_channel(srv: &TestServer, sdk: Sdk, company: i64) -> i64 {
    create_channel(
        srv,
        sdk,
        company,
        json!({"provider": "instagram", "login": "acme", "password": "hunter2", "sync_comments": true}),
    )
    .await
}

#[tokio::test]
async fn a_challenge_code_signs_the_account_in() {
    for sdk in Sdk::BOTH {
        let srv = server().await;
        let rx = Receiver::start().await;
        let company = hooked_company(&srv, &rx).await;
        let channel = instagram_channel(&srv, sdk, company).await;
        assert_eq!(
            channel_state(&srv, company, channel).await,
            "pending_authorization"
        );

        let request = action(company, channel, "request_code");
        let (s, b) = post(&srv, sdk, &request, json!({"provider": "instagram"})).await;
        assert_param_error(s, &b, 400, "challenge_variant");
        let (s, b) = post(
            &srv,
            sdk,
            &request,
            json!({"provider": "instagram", "challenge_variant": 0}),
        )
        .await;
        assert_eq!((s, &b), (200, &json!({"result": "ok"})), "{sdk:?}");

        let code = sandbox_code(&srv, company, channel).await;
        let confirm = action(company, channel, "confirm");
        let (s, b) = post(
            &srv,
            sdk,
            &confirm,
            json!({"provider": "instagram", "confirmation_code": other_code(&code)}),
        )
        .await;
        assert_param_error(s, &b, 400, "confirmation_code");
        let (s, b) = post(
            &srv,
            sdk,
            &confirm,
            json!({"provider": "instagram", "confirmation_code": code}),
        )
        .await;
        assert_eq!((s, &b), (200, &json!({"result": "ok"})), "{sdk:?}");
        assert_eq!(channel_state(&srv, company, channel).await, "enabled");
        let events = rx.wait_delivered(1).await;
        assert_eq!(kinds(&events), ["system.authorized"]);
        assert_no_more_than(&rx, 1).await;
    }
}

#[tokio::test]
async fn a_two_factor_account_confirms_a_second_code() {
    for sdk in Sdk::BOTH {
        let srv = server().await;
        let rx = Receiver::start().await;
        let company = hooked_company(&srv, &rx).await;
        let channel = instagram_channel(&srv, sdk, company).await;
        let (s, _) = post(
            &srv,
            sdk,
            &action(company, channel, "sandbox/password"),
            json!({"password": "second factor on"}),
        )
        .await;
        assert_eq!(s, 200);
        let request = action(company, channel, "request_code");
        let confirm = action(company, channel, "confirm");

        // Two-factor is not awaited before the challenge.
        let (s, b) = post(
            &srv,
            sdk,
            &request,
            json!({"provider": "instagram", "challenge_type": "two_factor"}),
        )
        .await;
        assert_param_error(s, &b, 400, "challenge_type");

        post(
            &srv,
            sdk,
            &request,
            json!({"provider": "instagram", "challenge_variant": 1}),
        )
        .await;
        let code = sandbox_code(&srv, company, channel).await;
        let (s, b) = post(
            &srv,
            sdk,
            &confirm,
            json!({"provider": "instagram", "confirmation_code": code}),
        )
        .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(
            b,
            json!({"result": "ok", "data": {"two_factor_requires": true, "details": [
                {"value": 1, "key": "sms"},
                {"value": 2, "key": "recovery_code"},
                {"value": 3, "key": "totp"},
            ]}})
        );
        assert_eq!(
            channel_state(&srv, company, channel).await,
            "pending_authorization"
        );

        let (s, b) = post(
            &srv,
            sdk,
            &request,
            json!({"provider": "instagram", "challenge_type": "two_factor"}),
        )
        .await;
        assert_eq!((s, &b), (200, &json!({"result": "ok"})));
        let second = sandbox_code(&srv, company, channel).await;
        for (body, param) in [
            (
                json!({"provider": "instagram", "confirmation_type": "two_factor", "confirmation_code": second}),
                "confirmation_variant",
            ),
            (
                json!({"provider": "instagram", "confirmation_type": "two_factor", "confirmation_variant": 7, "confirmation_code": second}),
                "confirmation_variant",
            ),
            (
                json!({"provider": "instagram", "confirmation_type": "sms", "confirmation_code": second}),
                "confirmation_type",
            ),
        ] {
            let (s, b) = post(&srv, sdk, &confirm, body).await;
            assert_param_error(s, &b, 400, param);
        }
        let (s, b) = post(
            &srv,
            sdk,
            &confirm,
            json!({"provider": "instagram", "confirmation_type": "two_factor", "confirmation_variant": 3, "confirmation_code": second}),
        )
        .await;
        assert_eq!((s, &b), (200, &json!({"result": "ok"})), "{sdk:?}");
        assert_eq!(channel_state(&srv, company, channel).await, "enabled");
        let events = rx.wait_delivered(1).await;
        assert_eq!(kinds(&events), ["system.authorized"]);
        assert_no_more_than(&rx, 1).await;
    }
}
