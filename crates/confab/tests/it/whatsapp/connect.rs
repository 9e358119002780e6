//! Connecting a number: Meta checks the token and number; what a bad one, onpremise or
//! 360dialog answers; the health without `--public-url`; secrets sealed at rest; a new
//! token re-enables a broken channel; `user_exists`.

use super::*;

async fn create(srv: &TestServer, company: i64, form: &[(&str, &str)]) -> (u16, Value) {
    srv.form(
        Method::POST,
        &format!("/p1/companies/{company}/channels"),
        form,
    )
    .await
}

/// A creation form, the parameter its answer must name, and words it must say.
type Case = (
    Vec<(&'static str, &'static str)>,
    &'static str,
    &'static str,
);

fn with(pairs: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut form = channel_form();
    for (k, v) in pairs {
        form.retain(|(name, _)| name != k);
        if !v.is_empty() {
            form.push((k, v));
        }
    }
    form
}

#[tokio::test]
async fn a_number_connects_with_its_webhook_url_and_verify_token() {
    let n = Number::start().await;
    assert_eq!(
        n.hook,
        format!("{}/hooks/whatsapp_business/{}", n.srv.base, n.channel)
    );
    assert!(n.verify_token.len() >= 24, "{}", n.verify_token);
    let listed = n.listed_channel().await;
    assert_eq!(listed["provider"], "whatsapp_business");
    assert_eq!(listed["connector"], "whatsapp_business");
    assert_eq!(listed["state"], "enabled");
    assert!(listed["last_error"].is_null(), "{listed}");
    // Token, app secret and verify token are sealed at rest.
    let store = n.srv.store().await;
    let (channel, _) = store
        .channel_by_id(n.channel)
        .await
        .expect("read")
        .expect("channel");
    let raw = serde_json::to_string(&channel.settings).expect("json");
    for secret in [TOKEN, APP_SECRET, n.verify_token.as_str()] {
        assert!(!raw.contains(secret), "a secret in plain text: {raw}");
    }
    assert_eq!(channel.settings["phone_number_id"], PHONE_ID);
    assert_eq!(channel.settings["waba_id"], WABA);
}

#[tokio::test]
async fn bad_credentials_and_unsupported_hosting_are_400s_naming_the_parameter() {
    let fake = fake().await;
    let srv = server(&fake, true).await;
    let rx = Receiver::start().await;
    let company = company(&srv, &rx).await;
    let cases: Vec<Case> = vec![
        (
            with(&[("token", "EAAGwrong")]),
            "token",
            "Session has expired",
        ),
        (
            with(&[("phone_number_id", "999000999")]),
            "phone_number_id",
            "does not exist",
        ),
        (
            with(&[("hosting_type", "onpremise")]),
            "hosting_type",
            "not supported yet",
        ),
        (
            with(&[("dialog360_channel_id", "abc")]),
            "dialog360_channel_id",
            "not supported yet",
        ),
        (
            with(&[("phone_number_id", "../me")]),
            "phone_number_id",
            "numeric",
        ),
        (with(&[("waba_id", "1?x=1")]), "waba_id", "numeric"),
        (with(&[("hosting_type", "")]), "hosting_type", ""),
        (with(&[("token", "")]), "token", ""),
        (with(&[("phone_number_id", "")]), "phone_number_id", ""),
        (with(&[("waba_id", "")]), "waba_id", ""),
        (with(&[("app_secret", "")]), "app_secret", ""),
    ];
    for (form, param, words) in cases {
        let (status, body) = create(&srv, company, &form).await;
        assert_param_error(status, &body, 400, param);
        assert!(body.to_string().contains(words), "{param}: {body}");
    }
    let (status, body) = srv.get(&format!("/p1/companies/{company}/channels")).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["data"]["channels"],
        serde_json::json!([]),
        "nothing created"
    );
}

#[tokio::test]
async fn without_a_public_url_the_channel_says_inbound_cannot_arrive() {
    let fake = fake().await;
    let srv = server(&fake, false).await;
    let rx = Receiver::start().await;
    let company = company(&srv, &rx).await;
    let (status, body) = create(&srv, company, &channel_form()).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"].get("webhook_url").is_none(), "{body}");
    assert!(body["data"]["verify_token"].is_string());
    let (_, list) = srv.get(&format!("/p1/companies/{company}/channels")).await;
    let error = list["data"]["channels"][0]["last_error"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(error.contains("--public-url"), "{list}");
}

#[tokio::test]
async fn a_revoked_token_breaks_the_channel_and_a_new_one_mends_it() {
    let n = Number::start().await;
    let conversation = n.conversation().await;
    n.fake.revoke_token(PHONE_ID);
    let job = n.reply(conversation, "hello?").await;
    let done = n.wait_job(job).await;
    assert_eq!(done["state"], "not_delivered", "{done}");
    assert!(
        done["details"]["reason"].to_string().contains("190"),
        "{done}"
    );
    assert_eq!(n.listed_channel().await["state"], "disabled");
    // Queued jobs end at once, never reaching Meta.
    let attempts = n.fake.send_attempts();
    let queued = n.reply(conversation, "still there?").await;
    assert_eq!(n.wait_job(queued).await["state"], "not_delivered");
    assert_eq!(n.fake.send_attempts(), attempts);

    let path = format!("/p1/companies/{}/channels/{}", n.company, n.channel);
    let (status, body) = n
        .srv
        .form(Method::PUT, &path, &[("token", "EAAGstillWrong")])
        .await;
    assert_param_error(status, &body, 400, "token");
    n.fake.add_number(PHONE_ID, WABA, "EAAGnewToken");
    let (status, body) = n
        .srv
        .form(Method::PUT, &path, &[("token", "EAAGnewToken")])
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(n.listed_channel().await["state"], "enabled");
    let job = n.reply(conversation, "back").await;
    assert_eq!(n.wait_job(job).await["state"], "delivered");
}

#[tokio::test]
async fn user_exists_is_unknown_on_the_cloud_api() {
    let n = Number::start().await;
    let path = format!(
        "/p1/companies/{}/channels/{}/user_exists",
        n.company, n.channel
    );
    let (status, body) = n.srv.get(&format!("{path}?phone={CUSTOMER}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ok");
    assert!(body["exists"].is_null(), "{body}");
    assert!(body["reason"].as_str().is_some_and(|r| !r.is_empty()));
    let (status, body) = n.srv.get(&path).await;
    assert_param_error(status, &body, 400, "phone");
    let (status, body) = n.srv.get(&format!("{path}?phone=abc")).await;
    assert_param_error(status, &body, 400, "phone");
}

#[tokio::test]
async fn user_exists_in_the_sandbox_answers_from_its_contacts() {
    let srv = TestServer::start().await;
    let company = srv.company("Shop").await;
    let wa = srv.channel(company, "whatsapp").await;
    let tg = srv.channel(company, "telegram").await;
    srv.inbound(company, wa, CUSTOMER, "hi").await;
    let ask = |channel: i64, phone: &str| {
        format!("/p1/companies/{company}/channels/{channel}/user_exists?phone={phone}")
    };
    let (status, body) = srv.get(&ask(wa, CUSTOMER)).await;
    assert_eq!(
        (status, &body["exists"]),
        (200, &Value::Bool(true)),
        "{body}"
    );
    let (status, body) = srv.get(&ask(wa, "79250000002")).await;
    assert_eq!(
        (status, &body["exists"]),
        (200, &Value::Bool(false)),
        "{body}"
    );
    let (status, body) = srv.get(&ask(tg, CUSTOMER)).await;
    assert_param_error(status, &body, 400, "channel_id");
}
