//! With `--public-url`: the webhook is registered with a secret, updates arrive by POST,
//! and a post without the secret stores nothing.

use super::*;

const CHAT: i64 = 6161;

async fn hooked_bot() -> Bot {
    let fake = FakeTelegram::start().await.expect("fake Telegram");
    fake.add_bot(TOKEN, 123_456, "confab_test_bot");
    let api = url::Url::parse(fake.base_url()).expect("fake URL");
    let srv = TestServer::start_public(|c| {
        c.sandbox = false;
        c.allow_private_urls = true;
        c.telegram_api_url = api;
    })
    .await;
    Bot::connect(fake, srv).await
}

#[tokio::test]
async fn updates_arrive_by_webhook_with_the_secret() {
    let bot = hooked_bot().await;
    let (url, secret) = eventually("the webhook is registered", || async {
        bot.fake.webhook(TOKEN)
    })
    .await;
    assert_eq!(
        url,
        format!("{}/hooks/telegram/{}", bot.srv.base, bot.channel)
    );
    let secret = secret.expect("a secret_token");
    assert!(secret.len() >= 32);
    bot.customer_sends(CHAT, Content::text("by webhook"));
    let (_, messages) = bot.wait_messages(CHAT, 1).await;
    assert_eq!(messages[0]["message"], "by webhook");
    assert_eq!(bot.fake.calls(TOKEN, "getUpdates"), 0, "no polling");
}

#[tokio::test]
async fn a_wrong_secret_is_refused_and_stores_nothing() {
    let bot = hooked_bot().await;
    eventually("the webhook is registered", || async {
        bot.fake.webhook(TOKEN)
    })
    .await;
    let update = serde_json::json!({"update_id": 1, "message": {"message_id": 1, "date": 0,
        "chat": {"id": CHAT, "type": "private", "first_name": "Eve"}, "text": "forged"}});
    let path = format!("/hooks/telegram/{}", bot.channel);
    for secret in [None, Some("wrong-secret")] {
        let mut request = bot.srv.http.post(bot.srv.url(&path)).json(&update);
        if let Some(secret) = secret {
            request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
        }
        let response = request.send().await.expect("post");
        assert_eq!(response.status(), 401, "secret {secret:?}");
    }
    // No such channel.
    let response = bot
        .srv
        .http
        .post(bot.srv.url("/hooks/telegram/999999"))
        .json(&update)
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 404);
    let store = bot.srv.store().await;
    let stats = store.intake_stats(0).await.expect("stats");
    assert_eq!((stats.pending, stats.skipped, stats.failed), (0, 0, 0));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(bot.conversations().await.is_empty());
}
