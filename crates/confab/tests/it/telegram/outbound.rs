//! Replies: to the right chat with the right text and files, paced, and every error class
//! of the Bot API ending as specified.

use confab_fakes::telegram::Failure;

use super::*;

const CHAT: i64 = 5151;

/// A bot whose customer wrote once: (bot, conversation).
async fn conversation() -> (Bot, i64) {
    let bot = Bot::start().await;
    bot.customer_sends(CHAT, Content::text("hi"));
    let (conversation, _) = bot.wait_messages(CHAT, 1).await;
    (bot, conversation)
}

#[tokio::test]
async fn a_reply_reaches_the_chat_and_stops_at_ack_1() {
    let (bot, conversation) = conversation().await;
    let job = bot.reply(conversation, "Hello from the shop").await;
    let done = bot.wait_job(job).await;
    assert_eq!(done["state"], "delivered", "{done}");
    let sent = bot.fake.sent(TOKEN);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, "sendMessage");
    assert_eq!(sent[0].chat_id, CHAT);
    assert_eq!(sent[0].text.as_deref(), Some("Hello from the shop"));
    let messages = bot.srv.all_messages(bot.company, conversation).await;
    let reply = messages.last().expect("reply");
    assert_eq!(reply["external_public_id"], sent[0].message_id.to_string());
    // Bots get no receipts: it stays sent.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let reply = bot
        .srv
        .message(
            bot.company,
            conversation,
            reply["external_id"].as_i64().expect("id"),
        )
        .await;
    assert_eq!(reply["ack"], 1);
}

#[tokio::test]
async fn files_are_uploaded_never_sent_by_url_with_the_text_as_caption() {
    let (bot, conversation) = conversation().await;
    let photo = b"\x89PNG\r\n\x1a\nshop-photo".to_vec();
    let pdf = b"%PDF-1.4 price list".to_vec();
    for (name, bytes, text) in [("offer.png", &photo, "Our offer"), ("prices.pdf", &pdf, "")] {
        let id = bot.srv.upload(bot.company, conversation, name, bytes).await;
        let (status, body) = bot
            .srv
            .form(
                reqwest::Method::POST,
                &messages_path(bot.company, conversation),
                &[("message", text), ("attachments_ids[]", &id.to_string())],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let job = body["data"]["id"].as_i64().expect("job");
        assert_eq!(bot.wait_job(job).await["state"], "delivered");
    }
    let sent = bot.fake.sent(TOKEN);
    assert_eq!(sent.len(), 2, "one call per file");
    assert_eq!(sent[0].method, "sendPhoto");
    assert_eq!(sent[0].chat_id, CHAT);
    assert_eq!(sent[0].text.as_deref(), Some("Our offer"), "the caption");
    let file = sent[0].file.as_ref().expect("an upload");
    assert_eq!(file.bytes.to_vec(), photo);
    assert_eq!(file.file_name.as_deref(), Some("offer.png"));
    assert_eq!(sent[1].method, "sendDocument");
    assert_eq!(sent[1].text, None, "no caption without text");
    assert_eq!(sent[1].file.as_ref().map(|f| f.bytes.to_vec()), Some(pdf));
    assert!(sent.iter().all(|s| s.by_url.is_none()), "never by URL");
}

#[tokio::test]
async fn a_blocked_bot_or_unknown_chat_ends_not_delivered_with_telegrams_words() {
    let (bot, conversation) = conversation().await;
    bot.fake.block(TOKEN, CHAT);
    let job = bot.reply(conversation, "are you there?").await;
    let done = bot.wait_job(job).await;
    assert_eq!(done["state"], "not_delivered", "{done}");
    assert_eq!(
        done["details"]["reason"],
        "Forbidden: bot was blocked by the user"
    );

    bot.fake.unblock(TOKEN, CHAT);
    bot.fake
        .fail_next(TOKEN, "sendMessage", Failure::ChatNotFound, 1);
    let job = bot.reply(conversation, "hello?").await;
    let done = bot.wait_job(job).await;
    assert_eq!(done["state"], "not_delivered");
    assert_eq!(done["details"]["reason"], "Bad Request: chat not found");
    // The contact stays usable.
    let job = bot.reply(conversation, "third time").await;
    assert_eq!(bot.wait_job(job).await["state"], "delivered");
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_retried_until_sent() {
    let (bot, conversation) = conversation().await;
    bot.fake.fail_next(
        TOKEN,
        "sendMessage",
        Failure::TooManyRequests { retry_after: 1 },
        1,
    );
    bot.fake
        .fail_next(TOKEN, "sendMessage", Failure::ServerError, 1);
    let job = bot.reply(conversation, "eventually").await;
    let done = bot.wait_job(job).await;
    assert_eq!(done["state"], "delivered", "{done}");
    assert_eq!(bot.fake.calls(TOKEN, "sendMessage"), 3);
    let sent = bot.fake.sent(TOKEN);
    assert_eq!(sent.len(), 1, "sent once");
}

#[tokio::test]
async fn a_revoked_token_disables_the_channel_and_ends_its_queue() {
    let (bot, conversation) = conversation().await;
    bot.fake.revoke(TOKEN);
    let first = bot.reply(conversation, "one").await;
    let done = bot.wait_job(first).await;
    assert_eq!(done["state"], "not_delivered", "{done}");
    assert!(
        done["details"]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("Unauthorized"),
        "{done}"
    );
    let listed = eventually("the channel is disabled", || async {
        let c = bot.listed_channel().await;
        (c["state"] == "disabled").then_some(c)
    })
    .await;
    assert!(listed["last_error"].as_str().is_some(), "{listed}");
    // Later messages end at once with the same reason, without calling Telegram.
    let calls = bot.fake.calls(TOKEN, "sendMessage");
    let second = bot.reply(conversation, "two").await;
    let done = bot.wait_job(second).await;
    assert_eq!(done["state"], "not_delivered");
    assert_eq!(bot.fake.calls(TOKEN, "sendMessage"), calls);
    // The company was told.
    eventually("a system webhook says disabled", || async {
        bot.rx
            .delivered()
            .iter()
            .any(|e| e["type"] == "system" && e.to_string().contains("disabled"))
            .then_some(())
    })
    .await;
    // A working token of the same bot brings the channel back.
    bot.fake.add_bot(TOKEN, 123_456, "confab_test_bot");
    let (status, body) = bot
        .srv
        .form(
            reqwest::Method::PUT,
            &format!("/p1/companies/{}/channels/{}", bot.company, bot.channel),
            &[("token", TOKEN)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let listed = bot.listed_channel().await;
    assert_eq!(listed["state"], "enabled", "{listed}");
    assert_eq!(listed["last_error"], Value::Null, "{listed}");
    let third = bot.reply(conversation, "three").await;
    assert_eq!(bot.wait_job(third).await["state"], "delivered");
}

#[tokio::test]
async fn replies_to_one_chat_are_paced() {
    let (bot, conversation) = conversation().await;
    bot.fake.rate_limits(true);
    let mut jobs = Vec::new();
    for i in 0..3 {
        jobs.push(bot.reply(conversation, &format!("burst {i}")).await);
    }
    for job in jobs {
        assert_eq!(bot.wait_job(job).await["state"], "delivered");
    }
    // The fake enforces one a second per chat: none was refused with a 429.
    assert_eq!(bot.fake.calls(TOKEN, "sendMessage"), 3);
}

#[tokio::test]
async fn a_hanging_bot_does_not_stall_another_companys_bot() {
    let bot = Bot::start().await;
    // Eight customers of the first bot, whose sends will hang for six seconds each:
    // as many as the worker has slots.
    let mut conversations = Vec::new();
    for chat in 100..108 {
        bot.customer_sends(chat, Content::text("hi"));
    }
    for chat in 100..108 {
        conversations.push(bot.wait_messages(chat, 1).await.0);
    }
    // A second company with a bot of its own, and a customer.
    const OTHER: &str = "987654:other-company-bot";
    bot.fake.add_bot(OTHER, 987_654, "other_bot");
    let company = bot.srv.company("Other").await;
    let (status, body) = bot
        .srv
        .form(
            reqwest::Method::POST,
            &format!("/p1/companies/{company}/channels"),
            &[("provider", "telegram"), ("token", OTHER)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let channel = body["data"]["external_id"].as_i64().expect("channel");
    bot.fake
        .customer_sends(OTHER, &Customer::new(200, "Bob"), Content::text("hello"))
        .expect("send");
    let conversation = eventually("the other customer's conversation", || async {
        let (_, list) = bot.srv.get(&list_path(company)).await;
        list["data"]["conversations"][0]["external_id"].as_i64()
    })
    .await;

    bot.fake.fail_next(
        TOKEN,
        "sendMessage",
        Failure::Slow(Duration::from_secs(6)),
        8,
    );
    for c in &conversations {
        bot.reply(*c, "slow").await;
    }
    eventually("the first bot's sends are under way", || async {
        (bot.fake.calls(TOKEN, "sendMessage") >= 2).then_some(())
    })
    .await;
    let (status, body) = bot
        .srv
        .form(
            reqwest::Method::POST,
            &messages_path(company, conversation),
            &[("message", "not held up")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let job = body["data"]["id"].as_i64().expect("job");
    let started = tokio::time::Instant::now();
    let sent = bot.fake.wait_sent(OTHER, 1, Duration::from_secs(15)).await;
    assert_eq!(sent.len(), 1);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the other bot waited {:?} behind the hanging one",
        started.elapsed()
    );
    let done = bot.srv.wait_job(company, channel, job).await;
    assert_eq!(done["state"], "delivered");
}
