//! `Idempotency-Key` on p1 writes: a replay answers the first answer byte for byte and
//! writes, sends and announces nothing; the same key with another request is a 422; racing
//! requests with one key (on one node, or two sharing PostgreSQL) write once; keys are per
//! user, survive a restart and a SIGKILL right after the answer, and are pruned after
//! `--idempotency-ttl`; a 400 replays as the same 400; a bad key is a 400 naming it; a
//! write whose node died before its answer was stored answers `idempotency_answer_lost`.

use std::sync::Arc;
use std::time::Duration;

use confab_server::clock::ManualClock;
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::Value;

use crate::harness::process::{Serve, company_with_channel, create_user, get, post_form, serve};
use crate::harness::*;

/// An answer as it came: status, whether it was a replay, `Retry-After`, the body bytes.
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    replayed: bool,
    retry_after: Option<String>,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// POSTs the form `pairs` to `base` + `path` with `token` and `Idempotency-Key: key`.
async fn post_keyed(
    base: &str,
    token: &str,
    key: &str,
    path: &str,
    pairs: &[(&str, &str)],
) -> Answer {
    let answer = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .header("X-Private-Api-Token", token)
        .header("Idempotency-Key", key)
        .form(pairs)
        .send()
        .await
        .expect("an answer");
    let header = |name: &str| {
        answer
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let replayed = header("idempotent-replayed").as_deref() == Some("true");
    let retry_after = header("retry-after");
    Answer {
        status: answer.status().as_u16(),
        replayed,
        retry_after,
        body: answer.bytes().await.expect("a body").to_vec(),
    }
}

async fn send(srv: &TestServer, key: &str, company: i64, conversation: i64, text: &str) -> Answer {
    post_keyed(
        &srv.base,
        &srv.token,
        key,
        &messages_path(company, conversation),
        &[("message", text)],
    )
    .await
}

/// The texts of a conversation's messages, oldest first.
async fn texts(srv: &TestServer, company: i64, conversation: i64) -> Vec<String> {
    srv.all_messages(company, conversation)
        .await
        .iter()
        .map(|m| m["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Every event of `company`'s log, once it has stopped growing.
async fn events(srv: &TestServer, company: i64) -> Vec<Value> {
    let mut last = Vec::new();
    for _ in 0..10 {
        let (s, b) = srv
            .get(&format!("/p1/companies/{company}/events?after=0&limit=500"))
            .await;
        assert_eq!(s, 200, "{b}");
        let now = b["data"]["events"].as_array().expect("events").clone();
        if !now.is_empty() && now.len() == last.len() {
            return now;
        }
        last = now;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    last
}

#[tokio::test]
async fn a_replay_answers_the_first_answer_and_writes_nothing() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let first = send(&srv, "order-1", company, conversation, "Your order shipped").await;
    assert_eq!(first.status, 200, "{:?}", first.json());
    assert!(!first.replayed);
    let job = first.json()["data"]["id"].clone();
    let log = events(&srv, company).await;
    for _ in 0..3 {
        let again = send(&srv, "order-1", company, conversation, "Your order shipped").await;
        assert_eq!(again.status, 200);
        assert!(again.replayed, "a replay says so");
        assert_eq!(again.body, first.body, "byte for byte the first answer");
    }
    assert_eq!(first.json()["data"]["id"], job);
    let sent: Vec<String> = texts(&srv, company, conversation)
        .await
        .into_iter()
        .filter(|t| t == "Your order shipped")
        .collect();
    assert_eq!(sent.len(), 1, "one message, one job");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        events(&srv, company).await.len(),
        log.len(),
        "no event announced again"
    );
    // A request without a key, and one with a new key, are new requests.
    assert!(
        !send(&srv, "order-2", company, conversation, "Your order shipped")
            .await
            .replayed
    );
    let (s, _) = srv
        .form(
            Method::POST,
            &messages_path(company, conversation),
            &[("message", "Your order shipped")],
        )
        .await;
    assert_eq!(s, 200);
    let count = texts(&srv, company, conversation)
        .await
        .iter()
        .filter(|t| *t == "Your order shipped")
        .count();
    assert_eq!(count, 3);
}

#[tokio::test]
async fn the_same_key_for_another_request_is_a_422() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    assert_eq!(
        send(&srv, "k", company, conversation, "one").await.status,
        200
    );
    let other = send(&srv, "k", company, conversation, "two").await;
    assert_eq!(other.status, 422, "{:?}", other.json());
    assert_eq!(other.json()["errors"][0]["code"], "idempotency_key_reused");
    assert_eq!(other.json()["errors"][0]["parameter"], "Idempotency-Key");
    // Another path with the same key is another request too.
    let elsewhere = post_keyed(
        &srv.base,
        &srv.token,
        "k",
        "/p1/companies",
        &[("name", "x")],
    )
    .await;
    assert_eq!(elsewhere.status, 422);
    assert_eq!(texts(&srv, company, conversation).await, ["Hello", "one"]);
}

#[tokio::test]
async fn racing_requests_with_one_key_write_once() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let answers =
        join_all((0..6).map(|_| send(&srv, "race", company, conversation, "just once"))).await;
    let executed = answers
        .iter()
        .filter(|a| a.status == 200 && !a.replayed)
        .count();
    assert_eq!(executed, 1, "{answers:?}");
    for a in &answers {
        match a.status {
            200 => {}
            409 => {
                assert_eq!(a.retry_after.as_deref(), Some("1"));
                assert_eq!(a.json()["errors"][0]["code"], "idempotency_key_in_flight");
            }
            other => panic!("{other}: {a:?}"),
        }
    }
    let count = texts(&srv, company, conversation)
        .await
        .iter()
        .filter(|t| *t == "just once")
        .count();
    assert_eq!(count, 1);
    // Once the first is answered, every retry replays it.
    let later = send(&srv, "race", company, conversation, "just once").await;
    assert!(later.replayed);
}

#[tokio::test]
async fn keys_of_different_users_are_independent() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let (_, other_token) = srv.new_user("bob").await;
    let mine = post_keyed(
        &srv.base,
        &srv.token,
        "shared",
        "/p1/companies",
        &[("name", "Mine")],
    )
    .await;
    let theirs = post_keyed(
        &srv.base,
        &other_token,
        "shared",
        "/p1/companies",
        &[("name", "Theirs")],
    )
    .await;
    assert_eq!((mine.status, theirs.status), (200, 200), "{theirs:?}");
    assert!(!theirs.replayed, "another user's key is another key");
    assert_ne!(
        mine.json()["data"]["external_id"],
        theirs.json()["data"]["external_id"]
    );
    // And the first user's key still answers the first user's request only.
    let again = send(&srv, "shared", company, conversation, "hi").await;
    assert_eq!(again.status, 422);
}

#[tokio::test]
async fn a_key_survives_a_restart() {
    let mut srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let first = send(&srv, "durable", company, conversation, "before the restart").await;
    assert_eq!(first.status, 200);
    srv.restart().await;
    let again = send(&srv, "durable", company, conversation, "before the restart").await;
    assert!(again.replayed);
    assert_eq!(again.body, first.body);
    let count = texts(&srv, company, conversation)
        .await
        .iter()
        .filter(|t| *t == "before the restart")
        .count();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn a_400_replays_as_the_same_400() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let path = messages_path(company, conversation);
    let first = post_keyed(&srv.base, &srv.token, "bad", &path, &[("nothing", "here")]).await;
    assert_eq!(first.status, 400, "{:?}", first.json());
    assert!(!first.replayed);
    let again = post_keyed(&srv.base, &srv.token, "bad", &path, &[("nothing", "here")]).await;
    assert_eq!(again.status, 400);
    assert!(again.replayed);
    assert_eq!(again.body, first.body);
}

#[tokio::test]
async fn a_malformed_key_is_a_400_naming_the_header() {
    let srv = TestServer::start().await;
    let long = "k".repeat(256);
    let bad: Vec<reqwest::header::HeaderValue> = vec![
        reqwest::header::HeaderValue::from_static(""),
        reqwest::header::HeaderValue::from_str(&long).expect("header"),
        reqwest::header::HeaderValue::from_bytes(b"caf\xc3\xa9").expect("header"),
        reqwest::header::HeaderValue::from_static("tab\there"),
    ];
    for value in bad {
        let (status, body) = call(
            srv.req(Method::POST, "/p1/companies")
                .header("Idempotency-Key", value)
                .form(&[("name", "x")]),
        )
        .await;
        assert_param_error(status, &body, 400, "Idempotency-Key");
    }
    // 255 printable characters are a key; nothing was created by the refusals.
    let ok = post_keyed(
        &srv.base,
        &srv.token,
        &"k".repeat(255),
        "/p1/companies",
        &[("name", "x")],
    )
    .await;
    assert_eq!(ok.status, 200);
    let (_, list) = srv.get("/p1/companies").await;
    assert_eq!(
        list["data"]["companies"].as_array().map(Vec::len),
        Some(1),
        "{list}"
    );
}

#[tokio::test]
async fn expired_keys_are_pruned() {
    let clock = ManualClock::new();
    let srv = TestServer::start_with_clock(
        |c| {
            c.idempotency_ttl = Duration::from_secs(3600);
            c.event_prune_interval = Duration::from_millis(50);
        },
        Arc::new(clock.clone()),
    )
    .await;
    let (company, _, conversation) = srv.fixture().await;
    assert_eq!(
        send(&srv, "old", company, conversation, "first")
            .await
            .status,
        200
    );
    assert_eq!(
        send(&srv, "old", company, conversation, "second")
            .await
            .status,
        422
    );
    clock.advance(Duration::from_secs(3601));
    // Once pruned, the key is free for a new request.
    let mut answer = None;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let a = send(&srv, "old", company, conversation, "second").await;
        if a.status != 422 {
            answer = Some(a);
            break;
        }
    }
    let answer = answer.expect("the key was pruned");
    assert_eq!(answer.status, 200);
    assert!(!answer.replayed);
    assert_eq!(
        texts(&srv, company, conversation).await,
        ["Hello", "first", "second"]
    );
}

/// A conversation with a whatsapp contact on a served process: (company, conversation).
async fn served_conversation(base: &str, token: &str) -> (i64, i64) {
    let (company, _) = company_with_channel(base, token, "whatsapp").await;
    let (s, b) = post_form(
        base,
        token,
        &format!("/p1/companies/{company}/conversations"),
        &[
            ("provider", "whatsapp"),
            ("phone", "79250000001"),
            ("text", "Hello"),
        ],
    )
    .await;
    assert_eq!(s, 200, "{b}");
    (
        company,
        b["data"]["conversation"]["external_id"]
            .as_i64()
            .expect("id"),
    )
}

/// How many of a served conversation's messages say `text`.
async fn served_count(
    base: &str,
    token: &str,
    company: i64,
    conversation: i64,
    text: &str,
) -> usize {
    let (s, b) = get(
        base,
        token,
        &format!("{}?per=100", messages_path(company, conversation)),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    b["data"]["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["message"] == text)
        .count()
}

#[tokio::test]
async fn sigkill_right_after_the_answer_then_the_retry_replays() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let token = create_user(&data, "alice").await;
    let mut node: Serve = serve(&data, &["--sandbox"]).await;
    let (company, conversation) = served_conversation(&node.base, &token).await;
    let path = messages_path(company, conversation);
    let first = post_keyed(
        &node.base,
        &token,
        "kill-9",
        &path,
        &[("message", "exactly once")],
    )
    .await;
    assert_eq!(first.status, 200);
    node.child.start_kill().expect("SIGKILL");
    node.child.wait().await.expect("gone");
    let node = serve(&data, &["--sandbox"]).await;
    let again = post_keyed(
        &node.base,
        &token,
        "kill-9",
        &path,
        &[("message", "exactly once")],
    )
    .await;
    assert_eq!(again.status, 200);
    assert!(again.replayed);
    assert_eq!(again.body, first.body);
    assert_eq!(
        served_count(&node.base, &token, company, conversation, "exactly once").await,
        1
    );
}

#[tokio::test]
#[ignore = "needs PostgreSQL shared by two nodes: scripts/test runs it (multinode)"]
async fn multinode_one_key_on_two_nodes_writes_once() {
    assert!(
        crate::backend::postgres_admin_url().is_some(),
        "the multi-node test needs CONFAB_TEST_DATABASE_URL"
    );
    let dir = tempfile::tempdir().expect("dir");
    let first = dir.path().join("node0");
    let shared = crate::backend::env_for(&first).await;
    let token = create_user(&first, "alice").await;
    let a = crate::harness::process::serve_with(&first, shared.clone(), &["--sandbox"]).await;
    let b = crate::harness::process::serve_with(&dir.path().join("node1"), shared, &["--sandbox"])
        .await;
    let (company, conversation) = served_conversation(&a.base, &token).await;
    let path = messages_path(company, conversation);
    for round in 0..5 {
        let key = format!("two-nodes-{round}");
        let text = format!("once {round}");
        let pairs = [("message", text.as_str())];
        let answers = join_all(
            [&a.base, &b.base, &a.base, &b.base]
                .map(|base| post_keyed(base, &token, &key, &path, &pairs)),
        )
        .await;
        let executed = answers
            .iter()
            .filter(|x| x.status == 200 && !x.replayed)
            .count();
        assert_eq!(executed, 1, "{answers:?}");
        assert!(
            answers.iter().all(|x| x.status == 200 || x.status == 409),
            "{answers:?}"
        );
        assert_eq!(
            served_count(&b.base, &token, company, conversation, &text).await,
            1
        );
    }
}

#[tokio::test]
async fn a_write_whose_answer_was_lost_answers_so_for_good() {
    use confab_server::http::idempotency::fingerprint;
    use confab_store::idempotency::within;
    use confab_store::{IdempotencyClaim, KeyClaim, NewIdempotencyKey};

    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let path = messages_path(company, conversation);
    let body = "message=lost";
    let form = "application/x-www-form-urlencoded";
    // A node claimed the key and committed the request's write, then died before it
    // stored (or sent) the answer: its lease has run out.
    let uri: axum::http::Uri = path.parse().expect("uri");
    let print = fingerprint::of(&axum::http::Method::POST, &uri, Some(form), body.as_bytes()).await;
    let now_ms = unix_now() * 1000;
    let claim = IdempotencyClaim {
        user_id: srv.user_id,
        key: "lost".to_owned(),
        holder: "dead-node".to_owned(),
    };
    let store = srv.store().await;
    let claimed = store
        .claim_idempotency_key(
            NewIdempotencyKey {
                claim: claim.clone(),
                fingerprint: print,
                lease_until: now_ms - 1,
            },
            now_ms - 60_000,
        )
        .await
        .expect("claim");
    assert_eq!(claimed, KeyClaim::Claimed);
    within(
        claim,
        store.set_note(company, conversation, "written".to_owned()),
    )
    .await
    .expect("the write");
    let retry = || async {
        let answer = srv
            .req(Method::POST, &path)
            .header("Idempotency-Key", "lost")
            .header("Content-Type", form)
            .body(body)
            .send()
            .await
            .expect("an answer");
        let replayed = answer.headers().get("idempotent-replayed").is_some();
        let retry_after = answer.headers().get("retry-after").is_some();
        let status = answer.status().as_u16();
        (
            status,
            replayed,
            retry_after,
            answer.bytes().await.expect("body"),
        )
    };
    let (status, replayed, retry_after, first) = retry().await;
    assert_eq!((status, replayed, retry_after), (409, true, false));
    let json: Value = serde_json::from_slice(&first).expect("json");
    assert_eq!(
        json["errors"][0]["code"], "idempotency_answer_lost",
        "{json}"
    );
    // Not carried out again, and the same answer from now on.
    assert_eq!(texts(&srv, company, conversation).await, ["Hello"]);
    let (status, _, _, again) = retry().await;
    assert_eq!((status, again), (409, first));
}

#[tokio::test]
async fn a_rebuilt_multipart_upload_replays() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let upload = |bytes: &'static [u8]| {
        // A new form each time: a new random boundary, as a client's retry would send.
        let part = reqwest::multipart::Part::bytes(bytes).file_name("invoice.txt");
        let form = reqwest::multipart::Form::new().part("file", part);
        let request = srv
            .req(Method::POST, &attachments_path(company, conversation))
            .header("Idempotency-Key", "upload-1")
            .multipart(form);
        async move {
            let answer = request.send().await.expect("an answer");
            let replayed = answer.headers().get("idempotent-replayed").is_some();
            let status = answer.status().as_u16();
            (status, replayed, answer.bytes().await.expect("body"))
        }
    };
    let (status, replayed, first) = upload(b"the invoice").await;
    assert_eq!((status, replayed), (200, false), "{first:?}");
    let (status, replayed, again) = upload(b"the invoice").await;
    assert_eq!((status, replayed), (200, true));
    assert_eq!(again, first);
    assert_eq!(srv.attachment_blobs(company, conversation).await.len(), 1);
    // Other file bytes are another request.
    let (status, _, _) = upload(b"another invoice").await;
    assert_eq!(status, 422);
}
