//! What customers send: stored once, with its files, whatever Telegram repeats, drops or
//! delays, and across restarts.

use bytes::Bytes;

use super::*;

const CHAT: i64 = 4242;

fn png() -> Bytes {
    Bytes::from_static(b"\x89PNG\r\n\x1a\n-the-full-size-photo-bytes")
}

#[tokio::test]
async fn text_photo_and_document_become_messages_with_their_files() {
    let bot = Bot::start().await;
    bot.customer_sends(CHAT, Content::text("Hello, shop!"));
    bot.customer_sends(
        CHAT,
        Content::Photo {
            bytes: png(),
            caption: Some("this one".to_owned()),
        },
    );
    let pdf = Bytes::from_static(b"%PDF-1.4 an invoice");
    bot.customer_sends(
        CHAT,
        Content::Document {
            bytes: pdf.clone(),
            file_name: "invoice.pdf".to_owned(),
            mime_type: "application/pdf".to_owned(),
            caption: None,
        },
    );
    let (conversation, messages) = bot.wait_messages(CHAT, 3).await;
    assert_eq!(messages.len(), 3, "{messages:?}");
    let bodies: Vec<&str> = messages
        .iter()
        .map(|m| m["message"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(bodies, ["Hello, shop!", "this one", ""]);
    assert!(messages.iter().all(|m| m["income"] == true));
    assert!(messages.iter().all(|m| m["external_public_id"].is_string()));

    let details = bot
        .srv
        .conversation_details(bot.company, conversation)
        .await;
    assert_eq!(details["sender_external_id"], CHAT.to_string());
    assert_eq!(details["name"], "Ann Lee");
    assert_eq!(details["channel_type"], "telegram");

    let photo = &messages[1]["attachments"][0];
    assert_eq!(photo["mime_type"], "image/jpeg");
    let got = bot
        .download(photo["attachment_url"].as_str().expect("url"))
        .await;
    assert_eq!(got, png().to_vec(), "the largest size, byte for byte");
    let doc = &messages[2]["attachments"][0];
    assert_eq!(doc["file_name"], "invoice.pdf");
    let got = bot
        .download(doc["attachment_url"].as_str().expect("url"))
        .await;
    assert_eq!(got, pdf.to_vec());

    // The company hears of it: a new conversation and three new messages.
    let events = bot.rx.wait_delivered(4).await;
    let new_messages = events
        .iter()
        .filter(|e| e["type"] == "message" && e["event"] == "new")
        .count();
    assert_eq!(new_messages, 3, "{events:?}");
    let listed = bot.listed_channel().await;
    assert!(listed["last_inbound_at"].as_i64().is_some(), "{listed}");
}

#[tokio::test]
async fn a_duplicated_update_makes_one_message() {
    let bot = Bot::start().await;
    bot.fake.duplicate_updates(TOKEN, true);
    for i in 0..3 {
        bot.customer_sends(CHAT, Content::text(format!("message {i}")));
    }
    bot.wait_messages(CHAT, 3).await;
    // Give the redeliveries time to arrive and be dropped.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (_, messages) = bot.wait_messages(CHAT, 3).await;
    assert_eq!(messages.len(), 3, "{messages:?}");
}

#[tokio::test]
async fn a_restart_mid_poll_loses_and_repeats_nothing() {
    let mut bot = Bot::start().await;
    bot.customer_sends(CHAT, Content::text("before 1"));
    bot.customer_sends(CHAT, Content::text("before 2"));
    bot.wait_messages(CHAT, 2).await;
    bot.srv.shutdown().await;
    bot.customer_sends(CHAT, Content::text("while down 1"));
    bot.customer_sends(CHAT, Content::text("while down 2"));
    bot.srv.restart().await;
    bot.customer_sends(CHAT, Content::text("after"));
    let (_, messages) = bot.wait_messages(CHAT, 5).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, messages_later) = bot.wait_messages(CHAT, 5).await;
    let bodies: Vec<&str> = messages_later
        .iter()
        .map(|m| m["message"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        bodies,
        [
            "before 1",
            "before 2",
            "while down 1",
            "while down 2",
            "after"
        ],
        "first read: {messages:?}"
    );
}

#[tokio::test]
async fn a_failed_download_keeps_the_message_and_attaches_the_file_later() {
    let bot = Bot::start().await;
    bot.fake.fail_downloads(2);
    bot.customer_sends(
        CHAT,
        Content::Photo {
            bytes: png(),
            caption: Some("see attached".to_owned()),
        },
    );
    let (conversation, messages) = bot.wait_messages(CHAT, 1).await;
    assert_eq!(messages[0]["message"], "see attached");
    let id = messages[0]["external_id"].as_i64().expect("id");
    let message = eventually("the photo attaches", || async {
        let m = bot.srv.message(bot.company, conversation, id).await;
        (m["attachments"].as_array().map_or(0, Vec::len) == 1).then_some(m)
    })
    .await;
    let got = bot
        .download(
            message["attachments"][0]["attachment_url"]
                .as_str()
                .expect("url"),
        )
        .await;
    assert_eq!(got, png().to_vec());
}

#[tokio::test]
async fn unsupported_updates_are_skipped_without_a_loop() {
    let bot = Bot::start().await;
    // A private message of a kind confab does not store (a dice roll).
    bot.fake
        .push_raw_update(
            TOKEN,
            serde_json::json!({"message": {"message_id": 999_999, "date": 0,
                "chat": {"id": CHAT, "type": "private", "first_name": "Ann"},
                "dice": {"emoji": "🎲", "value": 3}}}),
        )
        .expect("raw");
    bot.fake
        .push_raw_update(
            TOKEN,
            serde_json::json!({"message": {"message_id": 9, "date": 0,
                "chat": {"id": -100, "type": "group", "title": "Team"}, "text": "in a group"}}),
        )
        .expect("raw");
    bot.customer_sends(CHAT, Content::text("a real one"));
    let (_, messages) = bot.wait_messages(CHAT, 1).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(bot.conversations().await.len(), 1, "no group conversation");
    let skipped = eventually("both skips are counted", || async {
        let store = bot.srv.store().await;
        let stats = store.intake_stats(0).await.expect("stats");
        (stats.skipped >= 2).then_some(stats)
    })
    .await;
    assert_eq!(skipped.pending, 0);
}
