//! The WhatsApp fake speaks Meta's Graph API: bearer required, Meta's error bodies and
//! statuses, messages answered with a wamid, media uploaded and downloaded with the
//! bearer, and webhook bodies signed as Meta signs them.

#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use confab_fakes::whatsapp::FakeWhatsApp;
use confab_fakes::whatsapp::events;
use serde_json::{Value, json};

const TOKEN: &str = "EAAGtoken";

async fn fake() -> FakeWhatsApp {
    let fake = FakeWhatsApp::start().await.expect("start");
    fake.add_number("1065", "1022", TOKEN);
    fake
}

async fn get(url: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = reqwest::Client::new().get(url);
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let response = request.send().await.expect("get");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn errors_are_metas() {
    let fake = fake().await;
    let base = fake.base_url();
    let (status, body) = get(&format!("{base}/1065"), Some("EAAGwrong")).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], 190);
    assert_eq!(body["error"]["type"], "OAuthException");
    assert!(body["error"]["fbtrace_id"].is_string());
    let (status, body) = get(&format!("{base}/9999"), Some(TOKEN)).await;
    assert_eq!((status, body["error"]["code"].as_i64()), (400, Some(100)));
    let (status, body) = get(&format!("{base}/1065"), None).await;
    assert_eq!((status, body["error"]["code"].as_i64()), (401, Some(190)));
    let (status, body) = get(&format!("{base}/1065"), Some(TOKEN)).await;
    assert_eq!(status, 200);
    assert_eq!(body["id"], "1065");
}

#[tokio::test]
async fn messages_answer_a_wamid_or_the_queued_error() {
    let fake = fake().await;
    let url = format!("{}/1065/messages", fake.base_url());
    let text = json!({"messaging_product": "whatsapp", "recipient_type": "individual",
                      "to": "79250000001", "type": "text", "text": {"body": "hi"}});
    fake.fail_next_sends(&[131_047, 130_429]);
    let http = reqwest::Client::new();
    let mut seen = Vec::new();
    for _ in 0..3 {
        let response = http
            .post(&url)
            .bearer_auth(TOKEN)
            .json(&text)
            .send()
            .await
            .expect("post");
        let status = response.status().as_u16();
        let body: Value = response.json().await.expect("json");
        seen.push((status, body));
    }
    assert_eq!(
        (seen[0].0, seen[0].1["error"]["code"].as_i64()),
        (400, Some(131_047))
    );
    assert!(seen[0].1["error"]["error_data"]["details"].is_string());
    assert_eq!(
        (seen[1].0, seen[1].1["error"]["code"].as_i64()),
        (429, Some(130_429))
    );
    assert_eq!(seen[2].0, 200);
    assert_eq!(seen[2].1["messaging_product"], "whatsapp");
    assert_eq!(seen[2].1["contacts"][0]["wa_id"], "79250000001");
    let wamid = seen[2].1["messages"][0]["id"].as_str().expect("wamid");
    assert!(wamid.starts_with("wamid."));
    assert_eq!(fake.sent().len(), 1);
    assert_eq!(fake.send_attempts(), 3);
}

#[tokio::test]
async fn media_needs_the_bearer_to_download() {
    let fake = fake().await;
    let id = fake.add_media(b"jpeg bytes".to_vec(), "image/jpeg");
    let (status, info) = get(&format!("{}/{id}", fake.base_url()), Some(TOKEN)).await;
    assert_eq!(status, 200);
    assert_eq!(info["mime_type"], "image/jpeg");
    assert_eq!(info["file_size"], 10);
    let url = info["url"].as_str().expect("url");
    let http = reqwest::Client::new();
    let anonymous = http.get(url).send().await.expect("get");
    assert_eq!(anonymous.status(), 401);
    let bytes = http.get(url).bearer_auth(TOKEN).send().await.expect("get");
    assert_eq!(bytes.bytes().await.expect("bytes").as_ref(), b"jpeg bytes");
}

#[test]
fn signatures_are_hmac_sha256_hex() {
    // RFC 4231 test case 2: HMAC-SHA256("Jefe", "what do ya want for nothing?").
    assert_eq!(
        events::signature("Jefe", b"what do ya want for nothing?"),
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}
