//! Replies: to the right `to` with the right body; files uploaded then sent by media id
//! with the caption; Meta's error codes ending as specified.

use super::*;

#[tokio::test]
async fn a_reply_reaches_the_customer_and_keeps_its_wamid() {
    let n = Number::start().await;
    let conversation = n.conversation().await;
    let job = n.reply(conversation, "Yes, we deliver").await;
    let done = n.wait_job(job).await;
    assert_eq!(done["state"], "delivered", "{done}");
    let sent = n.fake.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].phone_number_id, PHONE_ID);
    assert_eq!(sent[0].to(), CUSTOMER);
    assert_eq!(sent[0].kind(), "text");
    assert_eq!(sent[0].body["messaging_product"], "whatsapp");
    assert_eq!(sent[0].body["recipient_type"], "individual");
    assert_eq!(sent[0].body["text"]["body"], "Yes, we deliver");
    let messages = n.srv.all_messages(n.company, conversation).await;
    let reply = messages.last().expect("reply");
    assert_eq!(reply["external_public_id"], sent[0].wamid.as_str());
    assert_eq!(reply["ack"], 1);
}

#[tokio::test]
async fn a_file_reply_is_uploaded_then_sent_by_id_with_the_caption() {
    let n = Number::start().await;
    let conversation = n.conversation().await;
    let photo = b"\x89PNG\r\n\x1a\nshop-photo".to_vec();
    let pdf = b"%PDF-1.4 price list".to_vec();
    for (name, bytes, text) in [
        ("offer.png", &photo, "Our offer"),
        ("prices.pdf", &pdf, "The prices"),
    ] {
        let id = n.srv.upload(n.company, conversation, name, bytes).await;
        let (status, body) = n
            .srv
            .form(
                Method::POST,
                &messages_path(n.company, conversation),
                &[("message", text), ("attachments_ids[]", &id.to_string())],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let job = body["data"]["id"].as_i64().expect("job");
        assert_eq!(n.wait_job(job).await["state"], "delivered");
    }
    let sent = n.fake.sent();
    assert_eq!(
        sent.len(),
        2,
        "one message per file, the text as its caption"
    );
    assert_eq!(sent[0].kind(), "image");
    assert_eq!(sent[0].to(), CUSTOMER);
    assert_eq!(sent[0].body["image"]["caption"], "Our offer");
    let media = sent[0].body["image"]["id"].as_str().expect("by media id");
    assert!(sent[0].body["image"].get("link").is_none(), "never by link");
    let uploaded = n.fake.media(media).expect("uploaded first");
    assert_eq!(uploaded.bytes.to_vec(), photo);
    assert_eq!(uploaded.file_name.as_deref(), Some("offer.png"));
    assert_eq!(uploaded.kind.as_deref(), Some("image/png"));
    assert_eq!(sent[1].kind(), "document");
    assert_eq!(sent[1].body["document"]["caption"], "The prices");
    assert_eq!(sent[1].body["document"]["filename"], "prices.pdf");
    let media = sent[1].body["document"]["id"]
        .as_str()
        .expect("by media id");
    assert_eq!(n.fake.media(media).expect("uploaded").bytes.to_vec(), pdf);
}

#[tokio::test]
async fn a_two_part_reply_is_never_sent_twice() {
    let n = Number::start().await;
    let conversation = n.conversation().await;
    // Longer than a caption: the text goes first, the file after it.
    let text = "Terms. ".repeat(200);
    let pdf = b"%PDF-1.4 terms".to_vec();
    let id = n
        .srv
        .upload(n.company, conversation, "terms.pdf", &pdf)
        .await;
    // Meta takes the text, then rate-limits the file.
    n.fake.fail_send_after(1, 130_429);
    let (status, body) = n
        .srv
        .form(
            Method::POST,
            &messages_path(n.company, conversation),
            &[("message", &text), ("attachments_ids[]", &id.to_string())],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let job = body["data"]["id"].as_i64().expect("job");
    let done = n.wait_job(job).await;
    assert_eq!(
        done["state"], "delivered",
        "the text reached the customer: {done}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let texts = n.fake.sent().iter().filter(|m| m.kind() == "text").count();
    assert_eq!(texts, 1, "the text went once, not again with a retry");
    // Two posts, the text and the refused file, and no retry after them.
    assert_eq!(n.fake.send_attempts(), 2);
}

#[tokio::test]
async fn outside_the_24_hour_window_the_reply_is_not_delivered_and_says_template() {
    let n = Number::start().await;
    let conversation = n.conversation().await;
    n.fake.fail_next_sends(&[131_047]);
    let job = n.reply(conversation, "Are you still there?").await;
    let done = n.wait_job(job).await;
    assert_eq!(done["state"], "not_delivered", "{done}");
    let reason = done["details"]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("template") && reason.contains("24 hours"),
        "{reason}"
    );
    assert_eq!(n.fake.send_attempts(), 1, "not retried");
    // The channel stays usable.
    assert_eq!(n.listed_channel().await["state"], "enabled");
    let job = n.reply(conversation, "next").await;
    assert_eq!(n.wait_job(job).await["state"], "delivered");
}

#[tokio::test]
async fn a_rate_limit_is_retried_then_sent() {
    let n = Number::start().await;
    let conversation = n.conversation().await;
    n.fake.fail_next_sends(&[130_429]);
    let job = n.reply(conversation, "Busy day").await;
    let done = n.wait_job(job).await;
    assert_eq!(done["state"], "delivered", "{done}");
    assert_eq!(n.fake.send_attempts(), 2, "refused once, then sent");
    let sent = n.fake.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].body["text"]["body"], "Busy day");
}

#[tokio::test]
async fn an_expired_token_breaks_the_channel_and_ends_its_queue() {
    let n = Number::start().await;
    let conversation = n.conversation().await;
    n.fake.fail_next_sends(&[190]);
    let job = n.reply(conversation, "one").await;
    let done = n.wait_job(job).await;
    assert_eq!(done["state"], "not_delivered", "{done}");
    assert!(
        done["details"]["reason"].to_string().contains("190"),
        "{done}"
    );
    let listed = eventually("the channel is disabled", || async {
        let c = n.listed_channel().await;
        (c["state"] == "disabled").then_some(c)
    })
    .await;
    assert!(listed["last_error"].as_str().is_some(), "{listed}");
    let attempts = n.fake.send_attempts();
    let second = n.reply(conversation, "two").await;
    assert_eq!(n.wait_job(second).await["state"], "not_delivered");
    assert_eq!(
        n.fake.send_attempts(),
        attempts,
        "queued jobs never reach Meta"
    );
    eventually("a system webhook says disabled", || async {
        n.rx.delivered()
            .iter()
            .any(|e| e["type"] == "system" && e.to_string().contains("disabled"))
            .then_some(())
    })
    .await;
}
