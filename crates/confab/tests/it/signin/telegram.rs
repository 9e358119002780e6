//! telegram_personal: phone, request_code, confirm (code, then the 2FA password).

use std::sync::Arc;
use std::time::Duration;

use confab_server::clock::ManualClock;
use reqwest::Method;
use serde_json::{Value, json};

use super::*;

#[tokio::test]
async fn a_code_signs_the_account_in_and_fires_authorized() {
    for sdk in Sdk::BOTH {
        let srv = server().await;
        let rx = Receiver::start().await;
        let company = hooked_company(&srv, &rx).await;
        let channel = create_channel(
            &srv,
            sdk,
            company,
            json!({"provider": "telegram_personal", "phone": "79999999999"}),
        )
        .await;
        assert_eq!(
            channel_state(&srv, company, channel).await,
            "pending_authorization"
        );

        let (s, b) = post(
            &srv,
            sdk,
            &action(company, channel, "request_code"),
            json!({"provider": "telegram_personal"}),
        )
        .await;
        assert_eq!(s, 200, "{sdk:?} {b}");
        // Pact's shape, without the envelope.
        let keys: Vec<&String> = b.as_object().expect("object").keys().collect();
        assert_eq!(
            keys,
            [
                "code_length",
                "code_type",
                "expires_in",
                "next_type",
                "session_id",
                "status"
            ],
            "{b}"
        );
        assert_eq!(
            (
                &b["code_length"],
                &b["code_type"],
                &b["expires_in"],
                &b["status"]
            ),
            (&json!(6), &json!("app"), &json!(300), &json!("ok"))
        );
        assert!(b["session_id"].is_i64(), "{b}");

        let code = sandbox_code(&srv, company, channel).await;
        assert_eq!(code.len(), 6);
        let confirm = action(company, channel, "confirm");
        let (s, b) = post(
            &srv,
            sdk,
            &confirm,
            json!({"provider": "telegram_personal", "confirmation_type": "code", "code": other_code(&code)}),
        )
        .await;
        assert_param_error(s, &b, 400, "code");
        assert!(
            b["message"]
                .as_str()
                .unwrap_or_default()
                .contains("4 attempt"),
            "{b}"
        );
        assert_eq!(
            channel_state(&srv, company, channel).await,
            "pending_authorization"
        );

        let (s, b) = post(
            &srv,
            sdk,
            &confirm,
            json!({"provider": "telegram_personal", "confirmation_type": "code", "code": code}),
        )
        .await;
        assert_eq!(
            (s, &b),
            (200, &json!({"result": "ok", "state": "enabled"})),
            "{sdk:?}"
        );
        assert_eq!(channel_state(&srv, company, channel).await, "enabled");

        let events = rx.wait_delivered(1).await;
        assert_eq!(kinds(&events), ["system.authorized"], "{sdk:?}");
        assert_eq!(events[0]["severity"], "information");
        assert_eq!(events[0]["data"]["details"]["entity_id"], channel);
        assert_no_more_than(&rx, 1).await;

        // The code is used up.
        let (s, b) = post(
            &srv,
            sdk,
            &confirm,
            json!({"provider": "telegram_personal", "confirmation_type": "code", "code": code}),
        )
        .await;
        assert_param_error(s, &b, 400, "code");
    }
}

#[tokio::test]
async fn a_signed_in_channel_delivers_and_a_pending_one_does_not() {
    let srv = server().await;
    let company = srv.company("Acme").await;
    let channel = create_channel(
        &srv,
        Sdk::Php,
        company,
        json!({"provider": "telegram_personal", "phone": "79999999999"}),
    )
    .await;
    let (conversation, _) = srv.inbound(company, channel, "79250000001", "Hi").await;
    let messages = messages_path(company, conversation);
    let send = |text: &'static str| {
        let messages = messages.clone();
        let srv = &srv;
        async move {
            srv.form(Method::POST, &messages, &[("message", text)])
                .await
        }
    };
    let (s, b) = send("before").await;
    assert_eq!(s, 200, "{b}");
    let job = srv
        .wait_job(company, channel, b["data"]["id"].as_i64().expect("job"))
        .await;
    assert_eq!(job["state"], "not_delivered", "{job}");

    post(
        &srv,
        Sdk::Php,
        &action(company, channel, "request_code"),
        json!({"provider": "telegram_personal"}),
    )
    .await;
    let code = sandbox_code(&srv, company, channel).await;
    let (s, _) = post(
        &srv,
        Sdk::Php,
        &action(company, channel, "confirm"),
        json!({"provider": "telegram_personal", "confirmation_type": "code", "code": code}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, b) = send("after").await;
    assert_eq!(s, 200, "{b}");
    let job = srv
        .wait_job(company, channel, b["data"]["id"].as_i64().expect("job"))
        .await;
    assert_eq!(job["state"], "delivered", "{job}");
}

#[tokio::test]
async fn an_expired_code_is_refused_and_a_new_one_works() {
    let clock = ManualClock::new();
    let srv = TestServer::start_with_clock(|_| {}, Arc::new(clock.clone())).await;
    for sdk in Sdk::BOTH {
        let company = srv.company("Acme").await;
        let channel = create_channel(
            &srv,
            sdk,
            company,
            json!({"provider": "telegram_personal", "phone": "79999999999"}),
        )
        .await;
        let request = action(company, channel, "request_code");
        post(
            &srv,
            sdk,
            &request,
            json!({"provider": "telegram_personal"}),
        )
        .await;
        let code = sandbox_code(&srv, company, channel).await;
        clock.advance(Duration::from_secs(300));
        let confirm = action(company, channel, "confirm");
        let body =
            json!({"provider": "telegram_personal", "confirmation_type": "code", "code": code});
        let (s, b) = post(&srv, sdk, &confirm, body).await;
        assert_param_error(s, &b, 400, "code");
        assert_eq!(b["errors"][0]["code"], "expired", "{b}");
        assert!(
            b["message"]
                .as_str()
                .unwrap_or_default()
                .contains("expired"),
            "{b}"
        );
        assert_eq!(
            channel_state(&srv, company, channel).await,
            "pending_authorization"
        );

        // Just before its expiry a code still works.
        post(
            &srv,
            sdk,
            &request,
            json!({"provider": "telegram_personal"}),
        )
        .await;
        let code = sandbox_code(&srv, company, channel).await;
        clock.advance(Duration::from_secs(299));
        let body =
            json!({"provider": "telegram_personal", "confirmation_type": "code", "code": code});
        let (s, b) = post(&srv, sdk, &confirm, body).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(channel_state(&srv, company, channel).await, "enabled");
    }
}

#[tokio::test]
async fn five_wrong_codes_stop_the_sign_in_until_a_new_code() {
    for sdk in Sdk::BOTH {
        let srv = server().await;
        let company = srv.company("Acme").await;
        let channel = create_channel(
            &srv,
            sdk,
            company,
            json!({"provider": "telegram_personal", "phone": "79999999999"}),
        )
        .await;
        let request = action(company, channel, "request_code");
        let confirm = action(company, channel, "confirm");
        post(
            &srv,
            sdk,
            &request,
            json!({"provider": "telegram_personal"}),
        )
        .await;
        let code = sandbox_code(&srv, company, channel).await;
        let wrong = other_code(&code);
        let try_code = |c: String| {
            post(
                &srv,
                sdk,
                &confirm,
                json!({"provider": "telegram_personal", "confirmation_type": "code", "code": c}),
            )
        };
        for left in (1..5).rev() {
            let (s, b) = try_code(wrong.clone()).await;
            assert_param_error(s, &b, 400, "code");
            assert!(
                b["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(&format!("{left} attempt")),
                "{b}"
            );
        }
        let (s, b) = try_code(wrong.clone()).await;
        assert_param_error(s, &b, 429, "code");
        assert_eq!(b["errors"][0]["code"], "too_many_attempts", "{b}");
        // Even the right code is refused now.
        let (s, b) = try_code(code.clone()).await;
        assert_param_error(s, &b, 429, "code");
        assert_eq!(
            channel_state(&srv, company, channel).await,
            "pending_authorization"
        );

        // A new code starts over.
        post(
            &srv,
            sdk,
            &request,
            json!({"provider": "telegram_personal"}),
        )
        .await;
        let fresh = sandbox_code(&srv, company, channel).await;
        let (s, b) = try_code(fresh).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(channel_state(&srv, company, channel).await, "enabled");
    }
}

#[tokio::test]
async fn an_account_with_a_password_is_asked_for_it_after_the_code() {
    for sdk in Sdk::BOTH {
        let srv = server().await;
        let rx = Receiver::start().await;
        let company = hooked_company(&srv, &rx).await;
        let channel = create_channel(
            &srv,
            sdk,
            company,
            json!({"provider": "telegram_personal", "phone": "79999999999"}),
        )
        .await;
        let (s, b) = post(
            &srv,
            sdk,
            &action(company, channel, "sandbox/password"),
            json!({"password": "s3cret pass"}),
        )
        .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["data"]["two_factor"], true);
        // Sealed at rest, never the plain text.
        let stored = srv
            .store()
            .await
            .signin(company, channel)
            .await
            .expect("signin")
            .expect("channel");
        let sealed = stored.password.expect("a password");
        assert!(!sealed.contains("s3cret"), "{sealed}");

        let confirm = action(company, channel, "confirm");
        // No password is awaited before the code.
        let (s, b) = post(
            &srv,
            sdk,
            &confirm,
            json!({"provider": "telegram_personal", "confirmation_type": "password", "password": "s3cret pass"}),
        )
        .await;
        assert_param_error(s, &b, 400, "confirmation_type");

        post(
            &srv,
            sdk,
            &action(company, channel, "request_code"),
            json!({"provider": "telegram_personal"}),
        )
        .await;
        let code = sandbox_code(&srv, company, channel).await;
        let (s, b) = post(
            &srv,
            sdk,
            &confirm,
            json!({"provider": "telegram_personal", "confirmation_type": "code", "code": code}),
        )
        .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["result"], "ok");
        assert_eq!(b["state"], "pending_authorization");
        assert_eq!(b["data"]["password_requires"], true, "{b}");
        assert_eq!(
            channel_state(&srv, company, channel).await,
            "pending_authorization"
        );

        let (s, b) = post(
            &srv,
            sdk,
            &confirm,
            json!({"provider": "telegram_personal", "confirmation_type": "password"}),
        )
        .await;
        assert_param_error(s, &b, 400, "password");
        let (s, b) = post(
            &srv,
            sdk,
            &confirm,
            json!({"provider": "telegram_personal", "confirmation_type": "password", "password": "wrong"}),
        )
        .await;
        assert_param_error(s, &b, 400, "password");
        let (s, b) = post(
            &srv,
            sdk,
            &confirm,
            json!({"provider": "telegram_personal", "confirmation_type": "password", "password": "s3cret pass"}),
        )
        .await;
        assert_eq!(
            (s, &b),
            (200, &json!({"result": "ok", "state": "enabled"})),
            "{sdk:?}"
        );
        let events = rx.wait_delivered(1).await;
        assert_eq!(kinds(&events), ["system.authorized"]);
        assert_no_more_than(&rx, 1).await;
    }
}

#[tokio::test]
async fn bad_confirmations_name_their_parameter() {
    let srv = server().await;
    let company = srv.company("Acme").await;
    let channel = create_channel(
        &srv,
        Sdk::Php,
        company,
        json!({"provider": "telegram_personal", "phone": "79999999999"}),
    )
    .await;
    let confirm = action(company, channel, "confirm");
    for (sdk, body, param) in [
        (
            Sdk::Php,
            json!({"provider": "telegram_personal"}),
            "confirmation_type",
        ),
        (
            Sdk::Python,
            json!({"provider": "telegram_personal", "confirmation_type": "sms"}),
            "confirmation_type",
        ),
        (
            Sdk::Php,
            json!({"provider": "telegram_personal", "confirmation_type": "code"}),
            "code",
        ),
        (
            Sdk::Python,
            json!({"provider": "telegram_personal", "confirmation_type": "code", "code": "12a456"}),
            "code",
        ),
        (
            Sdk::Php,
            json!({"provider": "telegram_personal", "confirmation_type": "code", "code": "1234567"}),
            "code",
        ),
        // No code was requested yet.
        (
            Sdk::Python,
            json!({"provider": "telegram_personal", "confirmation_type": "code", "code": 123456}),
            "code",
        ),
    ] {
        let (s, b) = post(&srv, sdk, &confirm, body.clone()).await;
        assert_param_error(s, &b, 400, param);
        let _: &Value = &body;
    }
    assert_eq!(
        channel_state(&srv, company, channel).await,
        "pending_authorization"
    );
}

#[tokio::test]
async fn a_sign_in_under_way_survives_a_restart() {
    let mut srv = server().await;
    let company = srv.company("Acme").await;
    let channel = create_channel(
        &srv,
        Sdk::Python,
        company,
        json!({"provider": "telegram_personal", "phone": "79999999999"}),
    )
    .await;
    post(
        &srv,
        Sdk::Python,
        &action(company, channel, "request_code"),
        json!({"provider": "telegram_personal"}),
    )
    .await;
    let code = sandbox_code(&srv, company, channel).await;
    let confirm = action(company, channel, "confirm");
    let wrong = json!({"provider": "telegram_personal", "confirmation_type": "code", "code": other_code(&code)});
    let (s, b) = post(&srv, Sdk::Python, &confirm, wrong.clone()).await;
    assert_param_error(s, &b, 400, "code");

    srv.restart().await;
    assert_eq!(
        channel_state(&srv, company, channel).await,
        "pending_authorization"
    );
    // The wrong attempt was remembered: three are left now.
    let (s, b) = post(&srv, Sdk::Python, &confirm, wrong).await;
    assert_param_error(s, &b, 400, "code");
    assert!(
        b["message"]
            .as_str()
            .unwrap_or_default()
            .contains("3 attempt"),
        "{b}"
    );
    let (s, b) = post(
        &srv,
        Sdk::Python,
        &confirm,
        json!({"provider": "telegram_personal", "confirmation_type": "code", "code": code}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(channel_state(&srv, company, channel).await, "enabled");
}

#[tokio::test]
async fn parallel_guesses_get_no_more_than_five_tries() {
    let srv = server().await;
    let company = srv.company("Acme").await;
    let channel = create_channel(
        &srv,
        Sdk::Php,
        company,
        json!({"provider": "telegram_personal", "phone": "79999999999"}),
    )
    .await;
    let confirm = action(company, channel, "confirm");
    post(
        &srv,
        Sdk::Php,
        &action(company, channel, "request_code"),
        json!({"provider": "telegram_personal"}),
    )
    .await;
    let code = sandbox_code(&srv, company, channel).await;
    // Twenty wrong guesses at once: each is counted before it is judged.
    let guesses = (0..20).map(|i| {
        let guess = format!(
            "{:06}",
            (code.parse::<u32>().expect("digits") + 1 + i) % 1_000_000
        );
        post(
            &srv,
            Sdk::Php,
            &confirm,
            json!({"provider": "telegram_personal", "confirmation_type": "code", "code": guess}),
        )
    });
    let answers = futures_util::future::join_all(guesses).await;
    let judged = answers.iter().filter(|(s, _)| *s == 400).count();
    let refused = answers.iter().filter(|(s, _)| *s == 429).count();
    assert_eq!((judged, refused), (4, 16), "{answers:?}");
    let (s, b) = post(
        &srv,
        Sdk::Php,
        &confirm,
        json!({"provider": "telegram_personal", "confirmation_type": "code", "code": code}),
    )
    .await;
    assert_param_error(s, &b, 429, "code");
}
