//! What customers send: text with their profile name, media fetched by id with the same
//! bytes (retried when the download fails), locations as text; reactions skipped.

use super::*;

#[tokio::test]
async fn a_text_arrives_with_the_profile_name_as_the_conversation_name() {
    let n = Number::start().await;
    n.customer_sends(vec![events::text("wamid.T1", "Do you deliver?")])
        .await;
    let (conversation, messages) = n.wait_messages(1).await;
    assert_eq!(messages[0]["message"], "Do you deliver?");
    assert_eq!(messages[0]["income"], true);
    assert_eq!(messages[0]["external_public_id"], "wamid.T1");
    let details = n.srv.conversation_details(n.company, conversation).await;
    assert_eq!(details["name"], "Ann Lee", "{details}");
    assert_eq!(details["sender_external_id"], CUSTOMER);
    assert_eq!(details["channel_type"], "whatsapp_business");
    let new = n.rx.wait_delivered(2).await;
    assert!(
        new.iter()
            .any(|e| e["type"] == "message" && e["data"]["message"] == "Do you deliver?"),
        "{new:#?}"
    );
}

#[tokio::test]
async fn an_image_arrives_with_the_same_bytes_and_its_caption() {
    let n = Number::start().await;
    let photo = b"\xff\xd8\xff\xe0JFIF customer photo of a broken cup".to_vec();
    // The first download fails: the message waits for its file in a retriable step.
    n.fake.fail_next_downloads(1);
    let media = n.fake.add_media(photo.clone(), "image/jpeg");
    let pdf = b"%PDF-1.4 an order form".to_vec();
    let doc = n.fake.add_media(pdf.clone(), "application/pdf");
    n.customer_sends(vec![
        events::media(
            "wamid.IMG",
            "image",
            &media,
            "image/jpeg",
            Some("It broke"),
            None,
        ),
        events::media(
            "wamid.DOC",
            "document",
            &doc,
            "application/pdf",
            None,
            Some("order.pdf"),
        ),
        events::location("wamid.LOC", 55.75, 37.62, Some("Office")),
    ])
    .await;
    let (conversation, messages) = eventually("both files attached", || async {
        let (c, m) = n.wait_messages(3).await;
        (m[0]["attachments"].as_array()?.len() == 1 && m[1]["attachments"].as_array()?.len() == 1)
            .then_some((c, m))
    })
    .await;
    let _ = conversation;
    assert_eq!(messages[0]["message"], "It broke");
    assert_eq!(messages[0]["attachments"][0]["mime_type"], "image/jpeg");
    let url = messages[0]["attachments"][0]["attachment_url"]
        .as_str()
        .expect("url");
    let got = n.srv.req(Method::GET, url).send().await.expect("download");
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.expect("bytes").to_vec(), photo);
    assert_eq!(messages[1]["attachments"][0]["file_name"], "order.pdf");
    let url = messages[1]["attachments"][0]["attachment_url"]
        .as_str()
        .expect("url");
    let got = n.srv.req(Method::GET, url).send().await.expect("download");
    assert_eq!(got.bytes().await.expect("bytes").to_vec(), pdf);
    assert_eq!(messages[2]["message"], "Location: 55.75, 37.62 (Office)");
}

#[tokio::test]
async fn reactions_and_unknown_kinds_are_skipped_and_counted() {
    let n = Number::start().await;
    n.customer_sends(vec![
        events::reaction("wamid.RE", "wamid.X", "👍"),
        serde_json::json!({"id": "wamid.UN", "timestamp": "1", "type": "unsupported",
                           "errors": [{"code": 131051, "title": "Message type unknown"}]}),
        events::text("wamid.AFTER", "and a text"),
    ])
    .await;
    let (_, messages) = n.wait_messages(1).await;
    assert_eq!(messages[0]["message"], "and a text");
    let store = n.srv.store().await;
    let stats = eventually("two skipped", || async {
        let s = store.intake_stats(0).await.ok()?;
        (s.skipped == 2).then_some(s)
    })
    .await;
    assert_eq!((stats.pending, stats.failed), (0, 0));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        n.srv
            .all_messages(n.company, n.wait_messages(1).await.0)
            .await
            .len(),
        1
    );
}
