//! The Telegram fake over HTTP: the wire format, long polling, webhooks, files and
//! every failure switch.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use confab_fakes::telegram::{Content, Customer, Failure, FakeTelegram, SECRET_HEADER};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

const TOKEN: &str = "123456:TEST-token_x";

async fn fake() -> FakeTelegram {
    let tg = FakeTelegram::start().await.unwrap();
    tg.add_bot(TOKEN, 123456, "shop_bot");
    tg
}

fn ann() -> Customer {
    Customer {
        chat_id: 42,
        first_name: "Ann".into(),
        last_name: Some("Lee".into()),
        username: Some("ann".into()),
    }
}

/// POSTs a JSON body and returns the status and the decoded body.
async fn call(tg: &FakeTelegram, token: &str, method: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(tg.method_url(token, method))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn assert_error(answer: &(u16, Value), code: u16, description: &str) {
    assert_eq!(answer.0, code, "{}", answer.1);
    assert_eq!(
        answer.1,
        json!({ "ok": false, "error_code": code, "description": description })
    );
}

#[tokio::test]
async fn envelope_get_me_and_errors() {
    let tg = fake().await;
    assert!(tg.base_url().starts_with("http://127.0.0.1:"));
    assert!(!tg.base_url().ends_with('/'));

    let (status, body) = call(&tg, TOKEN, "GETME", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({ "ok": true, "result": {
            "id": 123456, "is_bot": true, "first_name": "shop_bot", "username": "shop_bot",
            "can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false,
        }})
    );
    // GET works as well.
    let get = reqwest::get(tg.method_url(TOKEN, "getMe")).await.unwrap();
    assert_eq!(get.status(), 200);

    assert_error(
        &call(&tg, "1:nope", "getMe", json!({})).await,
        401,
        "Unauthorized",
    );
    assert_error(
        &call(&tg, TOKEN, "sendTelepathy", json!({})).await,
        404,
        "Not Found",
    );
    assert_eq!(tg.calls(TOKEN, "getme"), 2);
}

#[tokio::test]
async fn parameters_come_from_query_form_json_and_multipart() {
    let tg = fake().await;
    tg.customer_sends(TOKEN, &ann(), Content::text("hi"))
        .unwrap();
    let http = reqwest::Client::new();
    let url = tg.method_url(TOKEN, "sendMessage");

    let by_query = http
        .get(&url)
        .query(&[("chat_id", "42"), ("text", "q")])
        .send()
        .await
        .unwrap();
    let by_form = http
        .post(&url)
        .form(&[("chat_id", "42"), ("text", "f")])
        .send()
        .await
        .unwrap();
    let by_json = http
        .post(&url)
        .json(&json!({ "chat_id": 42, "text": "j", "parse_mode": "HTML" }))
        .send()
        .await
        .unwrap();
    let form = Form::new().text("chat_id", "42").text("text", "m");
    let by_multipart = http.post(&url).multipart(form).send().await.unwrap();
    for response in [by_query, by_form, by_json, by_multipart] {
        assert_eq!(response.status(), 200);
    }
    let sent = tg.sent(TOKEN);
    let texts: Vec<_> = sent.iter().map(|s| s.text.clone().unwrap()).collect();
    assert_eq!(texts, ["q", "f", "j", "m"]);
    assert_eq!(sent[2].parse_mode.as_deref(), Some("HTML"));
    assert!(
        sent.iter()
            .all(|s| s.method == "sendMessage" && s.chat_id == 42)
    );
}

#[tokio::test]
async fn send_message_results_and_validation() {
    let tg = fake().await;
    tg.customer_sends(TOKEN, &ann(), Content::text("hi"))
        .unwrap();

    let (status, body) = call(
        &tg,
        TOKEN,
        "sendMessage",
        json!({ "chat_id": 42, "text": "hello", "reply_to_message_id": 1 }),
    )
    .await;
    assert_eq!(status, 200);
    let message = &body["result"];
    // The customer's message was 1; ids are per chat and shared by both sides.
    assert_eq!(message["message_id"], 2);
    assert_eq!(message["from"]["id"], 123456);
    assert_eq!(message["from"]["is_bot"], true);
    assert_eq!(message["chat"]["id"], 42);
    assert_eq!(message["chat"]["type"], "private");
    assert_eq!(message["text"], "hello");
    assert!(message["date"].as_i64().unwrap() > 1_600_000_000);
    assert_eq!(tg.sent(TOKEN)[0].reply_to_message_id, Some(1));

    let empty = call(
        &tg,
        TOKEN,
        "sendMessage",
        json!({ "chat_id": 42, "text": " " }),
    )
    .await;
    assert_error(&empty, 400, "Bad Request: message text is empty");
    let long = call(
        &tg,
        TOKEN,
        "sendMessage",
        json!({ "chat_id": 42, "text": "x".repeat(4097) }),
    )
    .await;
    assert_error(&long, 400, "Bad Request: message is too long");
    let ok = call(
        &tg,
        TOKEN,
        "sendMessage",
        json!({ "chat_id": 42, "text": "é".repeat(4096) }),
    )
    .await;
    assert_eq!(ok.0, 200);

    let stranger = call(
        &tg,
        TOKEN,
        "sendMessage",
        json!({ "chat_id": 7, "text": "hi" }),
    )
    .await;
    assert_error(
        &stranger,
        403,
        "Forbidden: bot can't initiate conversation with a user",
    );
    tg.allow_unknown_chats(true);
    let (status, _) = call(
        &tg,
        TOKEN,
        "sendMessage",
        json!({ "chat_id": 7, "text": "hi" }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(tg.sent(TOKEN).len(), 3);
}

#[tokio::test]
async fn long_poll_answers_early_and_offset_confirms() {
    let tg = fake().await;
    let poller = {
        let tg = tg.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let answer = call(&tg, TOKEN, "getUpdates", json!({ "timeout": 5 })).await;
            (answer, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let update_id = tg
        .customer_sends(TOKEN, &ann(), Content::text("hello"))
        .unwrap();
    let ((status, body), took) = poller.await.unwrap();
    assert_eq!(status, 200);
    assert!(took < Duration::from_secs(2), "{took:?}");
    let updates = body["result"].as_array().unwrap();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0]["update_id"], update_id);
    let message = &updates[0]["message"];
    assert_eq!(message["text"], "hello");
    assert_eq!(message["from"]["first_name"], "Ann");
    assert_eq!(message["from"]["username"], "ann");
    assert_eq!(message["chat"]["last_name"], "Lee");

    // Unconfirmed: the same update again.
    let (_, again) = call(&tg, TOKEN, "getUpdates", json!({})).await;
    assert_eq!(again["result"][0]["update_id"], update_id);
    assert_eq!(tg.pending_updates(TOKEN), 1);
    // Confirmed by offset, as a query-string string.
    let (_, after) = call(
        &tg,
        TOKEN,
        "getUpdates",
        json!({ "offset": (update_id + 1).to_string() }),
    )
    .await;
    assert_eq!(after["result"], json!([]));
    assert_eq!(tg.pending_updates(TOKEN), 0);

    // An empty long poll answers [] at its timeout.
    let started = Instant::now();
    let (status, empty) = call(&tg, TOKEN, "getUpdates", json!({ "timeout": 1 })).await;
    assert_eq!((status, &empty["result"]), (200, &json!([])));
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn limit_raw_updates_and_allowed_updates() {
    let tg = fake().await;
    let first = tg
        .customer_sends(TOKEN, &ann(), Content::text("1"))
        .unwrap();
    let second = tg
        .push_raw_update(
            TOKEN,
            json!({ "edited_message": { "message_id": 1, "text": "1!" } }),
        )
        .unwrap();
    assert_eq!(second, first + 1);
    tg.push_raw_update(TOKEN, json!({ "message_reaction": {} }))
        .unwrap();
    let (_, one) = call(&tg, TOKEN, "getUpdates", json!({ "limit": 1 })).await;
    assert_eq!(one["result"].as_array().unwrap().len(), 1);
    // message_reaction is opt-in, as in Telegram.
    let (_, all) = call(&tg, TOKEN, "getUpdates", json!({})).await;
    let ids: Vec<_> = all["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["update_id"].clone())
        .collect();
    assert_eq!(ids, [json!(first), json!(second)]);
    assert!(tg.push_raw_update(TOKEN, json!([1])).is_err());
    assert!(
        tg.customer_sends("no:bot", &ann(), Content::text("x"))
            .is_err()
    );
}

#[tokio::test]
async fn a_newer_get_updates_terminates_the_older() {
    let tg = fake().await;
    let older = {
        let tg = tg.clone();
        tokio::spawn(async move { call(&tg, TOKEN, "getUpdates", json!({ "timeout": 5 })).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let newer = {
        let tg = tg.clone();
        tokio::spawn(async move { call(&tg, TOKEN, "getUpdates", json!({ "timeout": 1 })).await })
    };
    assert_error(
        &older.await.unwrap(),
        409,
        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    );
    assert_eq!(newer.await.unwrap().0, 200);
    assert_eq!(tg.get_updates_conflicts(TOKEN), 1);
    assert_eq!(tg.max_concurrent_get_updates(TOKEN), 2);
}

#[tokio::test]
async fn duplicate_updates_are_delivered_again_after_confirmation() {
    let tg = fake().await;
    tg.duplicate_updates(TOKEN, true);
    let id = tg
        .customer_sends(TOKEN, &ann(), Content::text("twice"))
        .unwrap();
    let (_, first) = call(&tg, TOKEN, "getUpdates", json!({})).await;
    assert_eq!(first["result"][0]["update_id"], id);
    let (_, second) = call(&tg, TOKEN, "getUpdates", json!({ "offset": id + 1 })).await;
    assert_eq!(second["result"][0]["update_id"], id);
    let (_, third) = call(&tg, TOKEN, "getUpdates", json!({ "offset": id + 1 })).await;
    assert_eq!(third["result"], json!([]));
}

/// A webhook receiver on 127.0.0.1:0 that answers 500 to its first `fail_first` posts.
async fn receiver(fail_first: usize) -> (String, Arc<Mutex<Vec<(HeaderMap, Value)>>>) {
    let seen: Arc<Mutex<Vec<(HeaderMap, Value)>>> = Arc::default();
    let app = Router::new().route(
        "/hook",
        post({
            let seen = Arc::clone(&seen);
            move |headers: HeaderMap, axum::Json(body): axum::Json<Value>| async move {
                let mut seen = seen.lock().unwrap();
                seen.push((headers, body));
                if seen.len() <= fail_first {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

async fn wait_for(what: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(3);
    while !what() {
        assert!(Instant::now() < deadline, "timed out");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn webhook_pushes_with_secret_and_retries_failures() {
    let tg = fake().await;
    tg.set_webhook_retry_delay(Duration::from_millis(50));
    let (url, seen) = receiver(1).await;

    let bad = call(
        &tg,
        TOKEN,
        "setWebhook",
        json!({ "url": url, "secret_token": "no spaces" }),
    )
    .await;
    assert_error(
        &bad,
        400,
        "Bad Request: secret token contains unallowed characters",
    );
    let (status, set) = call(
        &tg,
        TOKEN,
        "setWebhook",
        json!({ "url": url, "secret_token": "s3cr-et_" }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        set,
        json!({ "ok": true, "result": true, "description": "Webhook was set" })
    );
    assert_eq!(
        tg.webhook(TOKEN),
        Some((url.clone(), Some("s3cr-et_".into())))
    );
    assert_error(
        &call(&tg, TOKEN, "getUpdates", json!({})).await,
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
    );

    let id = tg
        .customer_sends(TOKEN, &ann(), Content::text("hook"))
        .unwrap();
    wait_for(|| seen.lock().unwrap().len() >= 2).await;
    wait_for(|| tg.pending_updates(TOKEN) == 0).await;
    {
        let seen = seen.lock().unwrap();
        for (headers, body) in seen.iter() {
            assert_eq!(headers[SECRET_HEADER], "s3cr-et_");
            assert_eq!(body["update_id"], id);
            assert_eq!(body["message"]["text"], "hook");
        }
    }
    let (_, info) = call(&tg, TOKEN, "getWebhookInfo", json!({})).await;
    let info = &info["result"];
    assert_eq!(info["url"], url.as_str());
    assert_eq!(info["has_custom_certificate"], false);
    assert_eq!(info["pending_update_count"], 0);
    assert!(info["last_error_message"].as_str().unwrap().contains("500"));
    assert!(info["last_error_date"].as_i64().is_some());

    let (_, deleted) = call(
        &tg,
        TOKEN,
        "deleteWebhook",
        json!({ "drop_pending_updates": true }),
    )
    .await;
    assert_eq!(deleted["result"], true);
    assert_eq!(tg.webhook(TOKEN), None);
    let (_, info) = call(&tg, TOKEN, "getWebhookInfo", json!({})).await;
    assert_eq!(info["result"]["url"], "");
}

#[tokio::test]
async fn webhook_without_secret_and_duplicate_posts() {
    let tg = fake().await;
    let (url, seen) = receiver(0).await;
    call(&tg, TOKEN, "setWebhook", json!({ "url": url })).await;
    tg.duplicate_updates(TOKEN, true);
    let id = tg
        .customer_sends(TOKEN, &ann(), Content::text("dup"))
        .unwrap();
    wait_for(|| seen.lock().unwrap().len() >= 2).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert!(
        seen.iter()
            .all(|(h, b)| !h.contains_key(SECRET_HEADER) && b["update_id"] == id)
    );
}

#[tokio::test]
async fn send_photo_multipart_is_recorded_and_downloadable() {
    let tg = fake().await;
    tg.customer_sends(TOKEN, &ann(), Content::text("hi"))
        .unwrap();
    let jpeg = vec![0xFFu8, 0xD8, 0xFF, 1, 2, 3];
    let form = Form::new()
        .text("chat_id", "42")
        .text("caption", "look")
        .part(
            "photo",
            Part::bytes(jpeg.clone())
                .file_name("a.jpg")
                .mime_str("image/jpeg")
                .unwrap(),
        );
    let response = reqwest::Client::new()
        .post(tg.method_url(TOKEN, "sendPhoto"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let photo = body["result"]["photo"].as_array().unwrap();
    assert_eq!(photo.len(), 3);
    assert_eq!(body["result"]["caption"], "look");

    let sent = tg.wait_sent(TOKEN, 1, Duration::from_secs(1)).await;
    let file = sent[0].file.as_ref().unwrap();
    assert_eq!(sent[0].method, "sendPhoto");
    assert_eq!(sent[0].text.as_deref(), Some("look"));
    assert_eq!(file.field, "photo");
    assert_eq!(file.file_name.as_deref(), Some("a.jpg"));
    assert_eq!(file.mime_type.as_deref(), Some("image/jpeg"));
    assert_eq!(file.bytes.as_ref(), jpeg.as_slice());
    assert_eq!(sent[0].by_url, None);

    let largest = photo[2]["file_id"].as_str().unwrap();
    assert_eq!(download(&tg, largest).await, jpeg);

    // A URL instead of an upload is accepted and recorded as such.
    let (status, _) = call(
        &tg,
        TOKEN,
        "sendDocument",
        json!({ "chat_id": 42, "document": "https://example.com/a.pdf" }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        tg.sent(TOKEN)[1].by_url.as_deref(),
        Some("https://example.com/a.pdf")
    );
    let missing = call(&tg, TOKEN, "sendDocument", json!({ "chat_id": 42 })).await;
    assert_error(
        &missing,
        400,
        "Bad Request: there is no document in the request",
    );
}

/// getFile, then the download; asserts both succeed.
async fn download(tg: &FakeTelegram, file_id: &str) -> Vec<u8> {
    let (status, file) = call(tg, TOKEN, "getFile", json!({ "file_id": file_id })).await;
    assert_eq!(status, 200, "{file}");
    assert_eq!(file["result"]["file_id"], file_id);
    assert!(file["result"]["file_unique_id"].is_string());
    let path = file["result"]["file_path"].as_str().unwrap();
    let url = format!("{}/file/bot{TOKEN}/{path}", tg.base_url());
    let response = reqwest::get(url).await.unwrap();
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap().to_vec();
    assert_eq!(file["result"]["file_size"], bytes.len());
    bytes
}

#[tokio::test]
async fn customer_media_get_file_and_download_failures() {
    let tg = fake().await;
    let picture = b"the full picture".to_vec();
    tg.customer_sends(
        TOKEN,
        &ann(),
        Content::Photo {
            bytes: picture.clone().into(),
            caption: Some("cap".into()),
        },
    )
    .unwrap();
    tg.customer_sends(
        TOKEN,
        &ann(),
        Content::Document {
            bytes: b"%PDF".to_vec().into(),
            file_name: "a.pdf".into(),
            mime_type: "application/pdf".into(),
            caption: None,
        },
    )
    .unwrap();
    let (_, updates) = call(&tg, TOKEN, "getUpdates", json!({})).await;
    let photo_message = &updates["result"][0]["message"];
    assert_eq!(photo_message["caption"], "cap");
    let sizes = photo_message["photo"].as_array().unwrap();
    assert_eq!(sizes.len(), 3);
    assert!(sizes[0]["width"].as_i64() < sizes[2]["width"].as_i64());
    assert_eq!(
        download(&tg, sizes[2]["file_id"].as_str().unwrap()).await,
        picture
    );
    assert_ne!(
        download(&tg, sizes[0]["file_id"].as_str().unwrap()).await,
        picture
    );

    let document = &updates["result"][1]["message"]["document"];
    assert_eq!(document["file_name"], "a.pdf");
    assert_eq!(document["mime_type"], "application/pdf");
    let document_id = document["file_id"].as_str().unwrap();
    assert_eq!(download(&tg, document_id).await, b"%PDF");

    let invalid = call(&tg, TOKEN, "getFile", json!({ "file_id": "nope" })).await;
    assert_error(&invalid, 400, "Bad Request: invalid file_id");
    let unknown = reqwest::get(format!("{}/file/bot{TOKEN}/photos/none.jpg", tg.base_url()))
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);

    let (_, file) = call(&tg, TOKEN, "getFile", json!({ "file_id": document_id })).await;
    let url = format!(
        "{}/file/bot{TOKEN}/{}",
        tg.base_url(),
        file["result"]["file_path"].as_str().unwrap()
    );
    tg.fail_downloads(1);
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 500);
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 200);
}

#[tokio::test]
async fn upload_over_50_mb_is_too_large() {
    let tg = fake().await;
    tg.customer_sends(TOKEN, &ann(), Content::text("hi"))
        .unwrap();
    let form = Form::new().text("chat_id", "42").part(
        "document",
        Part::bytes(vec![0u8; 50 * 1024 * 1024 + 1]).file_name("big.bin"),
    );
    let response = reqwest::Client::new()
        .post(tg.method_url(TOKEN, "sendDocument"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["description"], "Request Entity Too Large");
}

#[tokio::test]
async fn failure_switches() {
    let tg = fake().await;
    tg.customer_sends(TOKEN, &ann(), Content::text("hi"))
        .unwrap();
    let text = json!({ "chat_id": 42, "text": "x" });

    tg.fail_next(
        TOKEN,
        "sendMessage",
        Failure::TooManyRequests { retry_after: 7 },
        1,
    );
    let (status, body) = call(&tg, TOKEN, "sendmessage", text.clone()).await;
    assert_eq!(status, 429);
    assert_eq!(
        body,
        json!({ "ok": false, "error_code": 429, "description": "Too Many Requests: retry after 7",
                "parameters": { "retry_after": 7 } })
    );
    tg.fail_next(TOKEN, "sendMessage", Failure::ServerError, 2);
    assert_error(
        &call(&tg, TOKEN, "sendMessage", text.clone()).await,
        502,
        "Bad Gateway",
    );
    assert_error(
        &call(&tg, TOKEN, "sendMessage", text.clone()).await,
        502,
        "Bad Gateway",
    );
    tg.fail_next(TOKEN, "sendMessage", Failure::Unauthorized, 1);
    assert_error(
        &call(&tg, TOKEN, "sendMessage", text.clone()).await,
        401,
        "Unauthorized",
    );
    tg.fail_next(TOKEN, "*", Failure::ChatNotFound, 1);
    assert_error(
        &call(&tg, TOKEN, "getMe", json!({})).await,
        400,
        "Bad Request: chat not found",
    );
    tg.fail_next(
        TOKEN,
        "sendMessage",
        Failure::Slow(Duration::from_millis(300)),
        1,
    );
    let started = Instant::now();
    assert_eq!(call(&tg, TOKEN, "sendMessage", text.clone()).await.0, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(call(&tg, TOKEN, "sendMessage", text.clone()).await.0, 200);
    assert_eq!(tg.calls(TOKEN, "sendMessage"), 6);
    assert_eq!(tg.sent(TOKEN).len(), 2);

    tg.block(TOKEN, 42);
    assert_error(
        &call(&tg, TOKEN, "sendMessage", text.clone()).await,
        403,
        "Forbidden: bot was blocked by the user",
    );
    tg.unblock(TOKEN, 42);
    tg.deactivate(TOKEN, 42);
    assert_error(
        &call(&tg, TOKEN, "sendMessage", text.clone()).await,
        403,
        "Forbidden: user is deactivated",
    );

    tg.revoke(TOKEN);
    assert_error(
        &call(&tg, TOKEN, "getMe", json!({})).await,
        401,
        "Unauthorized",
    );
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after() {
    let tg = fake().await;
    tg.customer_sends(TOKEN, &ann(), Content::text("hi"))
        .unwrap();
    tg.rate_limits(true);
    let text = json!({ "chat_id": 42, "text": "x" });
    assert_eq!(call(&tg, TOKEN, "sendMessage", text.clone()).await.0, 200);
    let (status, body) = call(&tg, TOKEN, "sendMessage", text.clone()).await;
    assert_eq!(status, 429);
    assert_eq!(body["parameters"]["retry_after"], 1);
    assert_eq!(body["description"], "Too Many Requests: retry after 1");
    tg.rate_limits(false);
    assert_eq!(call(&tg, TOKEN, "sendMessage", text).await.0, 200);
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let tg = fake().await;
    let url = tg.method_url(TOKEN, "getMe");
    drop(tg);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(reqwest::get(url).await.is_err());
}

#[tokio::test]
async fn shutdown_ends_long_polls_and_keep_alive_connections() {
    let tg = fake().await;
    let http = reqwest::Client::new();
    let url = tg.method_url(TOKEN, "getUpdates");
    // A pooled keep-alive connection, then a long poll on it.
    assert_eq!(http.get(&url).send().await.unwrap().status(), 200);
    let poll = {
        let (http, url) = (http.clone(), url.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let response = http
                .get(&url)
                .query(&[("timeout", "5")])
                .send()
                .await
                .unwrap();
            let body: Value = response.json().await.unwrap();
            (body, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    tg.shutdown();
    let (body, took) = poll.await.unwrap();
    assert_eq!(body["result"], json!([]));
    assert!(took < Duration::from_secs(2), "{took:?}");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(http.get(&url).send().await.is_err());
}
