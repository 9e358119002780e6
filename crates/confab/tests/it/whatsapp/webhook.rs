//! The webhook: Meta's verification handshake, signatures over the raw bytes (a bad one
//! stores nothing), and redeliveries processed once.

use super::*;

#[tokio::test]
async fn the_handshake_echoes_the_challenge_only_for_the_verify_token() {
    let n = Number::start().await;
    let ask = |mode: &str, token: &str| {
        format!(
            "{}?hub.mode={mode}&hub.verify_token={token}&hub.challenge=1158201444",
            n.hook
        )
    };
    let http = reqwest::Client::new();
    let response = http
        .get(ask("subscribe", &n.verify_token))
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), 200);
    assert!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/plain"))
    );
    assert_eq!(response.text().await.expect("text"), "1158201444");
    for (mode, token) in [
        ("subscribe", "wrong-token"),
        ("subscribe", ""),
        ("unsubscribe", n.verify_token.as_str()),
    ] {
        let response = http.get(ask(mode, token)).send().await.expect("get");
        assert_eq!(response.status(), 403, "{mode} {token}");
    }
    let other = format!("{}/hooks/whatsapp_business/999999", n.srv.base);
    let response = http.get(other).send().await.expect("get");
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn a_bad_signature_is_refused_and_stores_nothing() {
    let n = Number::start().await;
    let body = Number::business().messages(
        CUSTOMER,
        "Eve",
        vec![events::text("wamid.FORGED", "forged")],
    );
    let raw = serde_json::to_vec(&body).expect("json");
    let wrong_secret = events::signature("not-the-app-secret", &raw);
    let mut tampered = raw.clone();
    tampered.extend_from_slice(b" ");
    let right_for_other_bytes = events::signature(APP_SECRET, &raw);
    for (signature, bytes) in [
        (wrong_secret.as_str(), raw.clone()),
        ("", raw.clone()),
        ("sha256=", raw.clone()),
        ("sha1=0000", raw.clone()),
        (right_for_other_bytes.as_str(), tampered),
    ] {
        let status = events::post_raw(&n.hook, signature, bytes)
            .await
            .expect("post");
        assert_eq!(status, 401, "{signature}");
    }
    let store = n.srv.store().await;
    let stats = store.intake_stats(0).await.expect("stats");
    assert_eq!((stats.pending, stats.skipped, stats.failed), (0, 0, 0));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(n.conversations().await.is_empty());
    // The right signature over the same bytes is taken.
    assert_eq!(n.post(&body).await, 200);
    n.wait_messages(1).await;
}

#[tokio::test]
async fn a_redelivered_event_is_processed_once() {
    let n = Number::start().await;
    let body = Number::business().messages(
        CUSTOMER,
        "Ann Lee",
        vec![
            events::text("wamid.R1", "once"),
            events::text("wamid.R2", "twice"),
        ],
    );
    for _ in 0..3 {
        assert_eq!(n.post(&body).await, 200);
    }
    let (conversation, messages) = n.wait_messages(2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let messages_now = n.srv.all_messages(n.company, conversation).await;
    assert_eq!(messages_now.len(), 2, "{messages_now:#?}");
    assert_eq!(messages[0]["message"], "once");
    assert_eq!(messages[1]["message"], "twice");
    let new_messages =
        n.rx.delivered()
            .iter()
            .filter(|e| e["type"] == "message" && e["event"] == "new")
            .count();
    assert_eq!(new_messages, 2, "one message/new webhook each");
}

#[tokio::test]
async fn a_blank_app_secret_is_refused_and_never_signs() {
    let n = Number::start().await;
    let path = format!("/p1/companies/{}/channels/{}", n.company, n.channel);
    for blank in ["", "  "] {
        let (status, body) = n
            .srv
            .form(Method::PUT, &path, &[("app_secret", blank)])
            .await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.contains("app_secret")),
            "{body}"
        );
    }
    // The secret in force is still the real one: an empty key's HMAC is refused.
    let body = Number::business().messages(
        CUSTOMER,
        "Eve",
        vec![events::text("wamid.EMPTYKEY", "forged")],
    );
    let raw = serde_json::to_vec(&body).expect("json");
    let status = events::post_raw(&n.hook, &events::signature("", &raw), raw)
        .await
        .expect("post");
    assert_eq!(status, 401);
    assert_eq!(n.post(&body).await, 200);
}
