//! Connecting a bot: the token is checked with Telegram, kept encrypted, never answered;
//! what a bot cannot do is refused with a 400 that says so.

use reqwest::Method;

use super::*;

#[tokio::test]
async fn a_bad_token_is_a_400_naming_token_with_telegrams_words() {
    let bot = Bot::start().await;
    let (status, body) = bot
        .srv
        .form(
            Method::POST,
            &format!("/p1/companies/{}/channels", bot.company),
            &[("provider", "telegram"), ("token", "999:not-a-bot")],
        )
        .await;
    assert_param_error(status, &body, 400, "token");
    assert!(
        body.to_string().contains("Unauthorized"),
        "Telegram's description is passed on: {body}"
    );
    // Without a token at all.
    let (status, body) = bot
        .srv
        .form(
            Method::POST,
            &format!("/p1/companies/{}/channels", bot.company),
            &[("provider", "telegram")],
        )
        .await;
    assert_param_error(status, &body, 400, "token");
}

#[tokio::test]
async fn the_channel_is_listed_with_its_health_and_its_token_is_sealed() {
    let bot = Bot::start().await;
    assert!(bot.fake.calls(TOKEN, "getMe") >= 1, "the token was checked");
    let listed = bot.listed_channel().await;
    assert_eq!(listed["provider"], "telegram");
    assert_eq!(listed["connector"], "telegram");
    assert_eq!(listed["state"], "enabled");
    assert!(!listed.to_string().contains(TOKEN), "{listed}");

    // At rest: sealed, not the token, and still usable (the bot polls with it).
    let store = bot.srv.store().await;
    let (channel, _) = store
        .channel_by_id(bot.channel)
        .await
        .expect("read")
        .expect("channel");
    let stored = channel.settings["token"].as_str().expect("token setting");
    assert!(stored.starts_with("sealed:v1:"), "{stored}");
    assert!(
        !serde_json::to_string(&channel.settings)
            .expect("json")
            .contains(TOKEN)
    );
    assert_eq!(channel.settings["bot_username"], "confab_test_bot");
    eventually("the bot is polled", || async {
        (bot.fake.calls(TOKEN, "getUpdates") > 0).then_some(())
    })
    .await;
}

#[tokio::test]
async fn other_providers_are_refused_without_the_sandbox() {
    let bot = Bot::start().await;
    let (status, body) = bot
        .srv
        .form(
            Method::POST,
            &format!("/p1/companies/{}/channels", bot.company),
            &[("provider", "viber"), ("token", "x")],
        )
        .await;
    assert_param_error(status, &body, 400, "provider");
    assert!(body.to_string().contains("--sandbox"), "{body}");
}

#[tokio::test]
async fn a_bot_cannot_write_first() {
    let bot = Bot::start().await;
    let (status, body) = bot
        .srv
        .form(
            Method::POST,
            &format!("/p1/companies/{}/conversations", bot.company),
            &[("provider", "telegram"), ("phone", "42"), ("text", "hi")],
        )
        .await;
    assert_param_error(status, &body, 400, "provider");
    assert!(body.to_string().contains("cannot write first"), "{body}");
    assert!(bot.fake.sent(TOKEN).is_empty());
}

#[tokio::test]
async fn a_new_token_of_the_same_bot_is_checked_and_another_bots_refused() {
    let bot = Bot::start().await;
    let path = format!("/p1/companies/{}/channels/{}", bot.company, bot.channel);
    let (status, body) = bot
        .srv
        .form(Method::PUT, &path, &[("token", "999:revoked")])
        .await;
    assert_param_error(status, &body, 400, "token");
    bot.fake.add_bot("777:other-bot", 777, "other_bot");
    let (status, body) = bot
        .srv
        .form(Method::PUT, &path, &[("token", "777:other-bot")])
        .await;
    assert_param_error(status, &body, 400, "token");
    let (status, body) = bot.srv.form(Method::PUT, &path, &[("token", TOKEN)]).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn existing_plaintext_secrets_are_sealed_at_start() {
    // A sandbox channel stored with a plaintext token by an older confab...
    let mut srv = TestServer::start().await;
    let company = srv.company("Old").await;
    let channel = srv.channel(company, "whatsapp").await;
    let store = srv.store().await;
    let mut settings = serde_json::Map::new();
    settings.insert("token".into(), "plain-secret".into());
    store
        .replace_channel_settings(channel, settings)
        .await
        .expect("write plaintext");
    drop(store);
    // ...is sealed by the next start.
    srv.restart().await;
    let store = srv.store().await;
    let (c, _) = store
        .channel_by_id(channel)
        .await
        .expect("read")
        .expect("channel");
    let token = c.settings["token"].as_str().expect("token");
    assert!(token.starts_with("sealed:v1:"), "{token}");
}
