//! `GET /p1/companies/{company_id}/events`: the event log as Server-Sent Events and as a
//! JSON long poll. Resuming (Last-Event-ID, `after`), expiry (`reset`, 410), keep-alives,
//! filters, tenancy, the exemption from the rate limiter and request limits, the
//! `--max-streams` cap, and shutdown with streams open.

use std::sync::Arc;
use std::time::{Duration, Instant};

use confab_server::clock::ManualClock;
use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::*;

/// How long a test waits for something that should come at once.
const SOON: Duration = Duration::from_secs(10);

fn events_path(company: i64) -> String {
    format!("/p1/companies/{company}/events")
}

/// A company (without a webhook_url) with a whatsapp channel: (company, channel).
async fn company(srv: &TestServer) -> (i64, i64) {
    let company = srv.company("Acme").await;
    let channel = srv.channel(company, "whatsapp").await;
    (company, channel)
}

/// A JSON long poll of `company` with `query`.
async fn poll(srv: &TestServer, company: i64, query: &str) -> (u16, Value) {
    srv.get(&format!("{}?{query}", events_path(company))).await
}

/// `next_after` as a number.
fn next_after(body: &Value) -> i64 {
    body["data"]["next_after"]
        .as_str()
        .expect("next_after is a string")
        .parse()
        .expect("numeric next_after")
}

/// The head of a company's log: a poll without a cursor.
async fn head(srv: &TestServer, company: i64) -> i64 {
    let (s, b) = poll(srv, company, "").await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["data"]["events"], json!([]), "{b}");
    assert_eq!(b["data"]["has_more"], false, "{b}");
    next_after(&b)
}

/// Every event after `after` matching `query`, read a page of `limit` at a time.
async fn read_all(srv: &TestServer, company: i64, after: i64, query: &str) -> Vec<Value> {
    let mut cursor = after;
    let mut all = Vec::new();
    loop {
        let (s, b) = poll(srv, company, &format!("after={cursor}&limit=500&{query}")).await;
        assert_eq!(s, 200, "{b}");
        all.extend(b["data"]["events"].as_array().expect("events").clone());
        cursor = next_after(&b);
        if b["data"]["has_more"] == false {
            return all;
        }
    }
}

/// [`read_all`], repeated until it holds `count` `message.new` events (a backend may make
/// events readable a moment after the request that recorded them answered).
async fn read_messages(
    srv: &TestServer,
    company: i64,
    after: i64,
    query: &str,
    count: usize,
) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let all = read_all(srv, company, after, query).await;
        if message_ids(&all).len() >= count || started.elapsed() > SOON {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The message ids of the `message.new` events of a list.
fn message_ids(events: &[Value]) -> Vec<i64> {
    events
        .iter()
        .filter(|e| e["event"] == "message.new")
        .map(|e| {
            e["data"]["data"]["external_id"]
                .as_i64()
                .expect("message id")
        })
        .collect()
}

fn event_id(e: &Value) -> i64 {
    e["id"].as_str().expect("id string").parse().expect("id")
}

/// Opens the SSE stream of `company` at `query` with the first user's token.
async fn open(srv: &TestServer, company: i64, query: &str) -> SseStream {
    SseStream::open(srv.req(Method::GET, &format!("{}?{query}", events_path(company))))
        .await
        .expect("a stream")
}

/// Reads the `retry` frame every stream starts with.
async fn expect_retry(stream: &mut SseStream) {
    let first = stream.next_event(SOON).await.expect("a first frame");
    assert_eq!(first.retry.as_deref(), Some("3000"), "{first:?}");
}

/// Reads the `ready` (or `reset`) frame; returns the head it names.
async fn expect_head(stream: &mut SseStream, name: &str) -> i64 {
    let frame = stream.next_event(SOON).await.expect("a head frame");
    assert_eq!(frame.event.as_deref(), Some(name), "{frame:?}");
    let head = frame.id_num();
    assert_eq!(frame.json(), json!({"head": head.to_string()}), "{frame:?}");
    head
}

/// The next `count` events of a stream, as the JSON poll shows events.
async fn stream_events(stream: &mut SseStream, count: usize) -> Vec<Value> {
    let mut events = Vec::new();
    while events.len() < count {
        let frame = stream
            .next_event(SOON)
            .await
            .unwrap_or_else(|| panic!("only {} of {count} events came: {events:?}", events.len()));
        events.push(json!({
            "id": frame.id.clone().expect("an id"),
            "event": frame.event.clone().expect("an event name"),
            "data": frame.json(),
        }));
    }
    events
}

/// Reads a stream until the `message.new` of message `id` arrives; returns the events up
/// to and including it.
async fn stream_until_message(stream: &mut SseStream, id: i64) -> Vec<Value> {
    let mut events = Vec::new();
    loop {
        let event = stream_events(stream, 1).await.remove(0);
        let done = event["event"] == "message.new" && event["data"]["data"]["external_id"] == id;
        events.push(event);
        if done {
            return events;
        }
    }
}

#[tokio::test]
async fn a_stream_resumed_with_last_event_id_gets_exactly_the_missed_events() {
    let srv = TestServer::start().await;
    let (company, channel) = company(&srv).await;
    let mut stream = open(&srv, company, "").await;
    assert!(
        stream.headers["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/event-stream")
    );
    assert_eq!(stream.headers["cache-control"], "no-cache");
    assert_eq!(stream.headers["x-accel-buffering"], "no");
    expect_retry(&mut stream).await;
    let head = expect_head(&mut stream, "ready").await;

    // One message seen live, then the client goes away.
    let (_, first) = srv.inbound(company, channel, "79990000001", "first").await;
    let live = stream_until_message(&mut stream, first).await;
    assert!(live.iter().all(|e| event_id(e) > head), "{live:?}");
    let seen = event_id(live.last().expect("an event"));
    drop(stream);

    let mut missed = Vec::new();
    for i in 0..50 {
        let (_, id) = srv
            .inbound(company, channel, "79990000001", &format!("missed {i}"))
            .await;
        missed.push(id);
    }
    let expected = read_messages(&srv, company, seen, "", 50).await;
    assert_eq!(message_ids(&expected), missed);

    // The EventSource reconnects with the id it saw last: it gets exactly what it missed,
    // in order, with the webhook bodies, and nothing it had.
    let mut stream = SseStream::open(
        srv.req(Method::GET, &events_path(company))
            .header("Last-Event-ID", seen.to_string()),
    )
    .await
    .expect("a stream");
    expect_retry(&mut stream).await;
    let replayed = stream_events(&mut stream, expected.len()).await;
    assert_eq!(replayed, expected);
    let ids: Vec<i64> = replayed.iter().map(event_id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    assert!(ids[0] > seen);
    assert_eq!(
        stream.next_event(Duration::from_millis(500)).await,
        None,
        "nothing more"
    );

    // And it goes on live.
    let (_, later) = srv.inbound(company, channel, "79990000001", "later").await;
    let live = stream_until_message(&mut stream, later).await;
    assert!(event_id(&live[0]) > *ids.last().expect("ids"));
}

#[tokio::test]
async fn a_long_poll_resumes_after_its_cursor_a_page_at_a_time() {
    let srv = TestServer::start().await;
    let (company, channel) = company(&srv).await;
    let start = head(&srv, company).await;
    let mut sent = Vec::new();
    for i in 0..50 {
        sent.push(
            srv.inbound(company, channel, "79990000002", &format!("m{i}"))
                .await
                .1,
        );
    }
    let all = read_messages(&srv, company, start, "", 50).await;
    assert_eq!(message_ids(&all), sent);

    // Pages of 7, each starting at the last one's next_after.
    let mut cursor = start;
    let mut paged = Vec::new();
    let mut pages = 0;
    loop {
        let (s, b) = poll(&srv, company, &format!("after={cursor}&limit=7")).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["status"], "ok");
        let events = b["data"]["events"].as_array().expect("events").clone();
        assert!(events.len() <= 7);
        if let Some(last) = events.last() {
            assert_eq!(next_after(&b), event_id(last), "{b}");
        }
        paged.extend(events);
        cursor = next_after(&b);
        pages += 1;
        if b["data"]["has_more"] == false {
            break;
        }
    }
    assert!(pages > 7, "{pages}");
    assert_eq!(paged, all);

    // Without a cursor: no events, the head.
    assert_eq!(head(&srv, company).await, cursor);

    // Caught up: a poll with a timeout waits for the next event and answers with it.
    let url = srv.url(&format!(
        "{}?after={cursor}&timeout=10",
        events_path(company)
    ));
    let waiting = tokio::spawn(call(
        srv.http
            .get(url)
            .header("X-Private-Api-Token", srv.token.clone()),
    ));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "answered before any event");
    let started = Instant::now();
    let (_, next) = srv.inbound(company, channel, "79990000002", "wake").await;
    let (s, b) = waiting.await.expect("poll");
    assert_eq!(s, 200, "{b}");
    assert!(
        message_ids(b["data"]["events"].as_array().expect("events")).contains(&next),
        "{b}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));

    // Nothing comes: the timeout passes and the answer is empty, with its cursor.
    let cursor = next_after(&b);
    let started = Instant::now();
    let (s, b) = poll(&srv, company, &format!("after={cursor}&timeout=1")).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["data"]["events"], json!([]));
    assert_eq!(next_after(&b), cursor);
    assert!(started.elapsed() >= Duration::from_millis(900));
    // timeout=0 (the default) answers at once.
    let started = Instant::now();
    let (s, _) = poll(&srv, company, &format!("after={cursor}")).await;
    assert_eq!(s, 200);
    assert!(started.elapsed() < Duration::from_millis(900));
}

#[tokio::test]
async fn an_expired_cursor_gets_reset_on_a_stream_and_410_on_a_poll() {
    let clock = ManualClock::new();
    let srv = TestServer::start_with_clock(
        |c| {
            c.event_retention = Duration::from_secs(3600);
            c.event_prune_interval = Duration::from_millis(50);
        },
        Arc::new(clock.clone()),
    )
    .await;
    let (company, channel) = company(&srv).await;
    let old = head(&srv, company).await;
    let mut sent = Vec::new();
    for i in 0..3 {
        sent.push(
            srv.inbound(company, channel, "79990000003", &format!("old {i}"))
                .await
                .1,
        );
    }
    let before = read_messages(&srv, company, old, "", 3).await;
    assert_eq!(message_ids(&before), sent);
    let newest = event_id(before.last().expect("events"));

    // Within retention nothing expires, however long the pruner runs.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (s, b) = poll(&srv, company, &format!("after={old}")).await;
    assert_eq!(s, 200, "{b}");

    clock.advance(Duration::from_secs(2 * 3600));
    let started = Instant::now();
    let (s, b) = loop {
        let (s, b) = poll(&srv, company, &format!("after={old}")).await;
        if s != 200 || started.elapsed() > SOON {
            break (s, b);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_param_error(s, &b, 410, "after");
    assert_eq!(b["errors"][0]["code"], "cursor_expired", "{b}");
    let (s, b) = call(
        srv.req(Method::GET, &events_path(company))
            .header("Last-Event-ID", old.to_string()),
    )
    .await;
    assert_param_error(s, &b, 410, "Last-Event-ID");

    // A stream is not ended (an EventSource would stop for good): it says `reset` with the
    // head and goes on from there.
    for request in [
        srv.req(
            Method::GET,
            &format!("{}?after={old}", events_path(company)),
        ),
        srv.req(Method::GET, &events_path(company))
            .header("Last-Event-ID", old.to_string()),
    ] {
        let mut stream = SseStream::open(request).await.expect("a stream");
        expect_retry(&mut stream).await;
        let head = expect_head(&mut stream, "reset").await;
        assert!(head >= newest, "{head} < {newest}");
        let (_, fresh) = srv.inbound(company, channel, "79990000003", "new").await;
        let events = stream_until_message(&mut stream, fresh).await;
        assert!(events.iter().all(|e| event_id(e) > head), "{events:?}");
    }
}

#[tokio::test]
async fn a_quiet_stream_sends_a_keep_alive_within_16_seconds() {
    let srv = TestServer::start().await;
    let (company, _) = company(&srv).await;
    let mut stream = open(&srv, company, "").await;
    expect_retry(&mut stream).await;
    expect_head(&mut stream, "ready").await;
    let started = Instant::now();
    let frame = stream
        .next_within(Duration::from_secs(16))
        .await
        .expect("a keep-alive within 16 s");
    assert!(frame.is_keep_alive(), "{frame:?}");
    assert!(
        started.elapsed() > Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn filters_by_type_and_conversation() {
    let srv = TestServer::start().await;
    let (company, channel) = company(&srv).await;
    let start = head(&srv, company).await;
    let (c1, m1) = srv.inbound(company, channel, "79990000011", "one").await;
    let (c2, m2) = srv.inbound(company, channel, "79990000012", "two").await;
    let (_, m3) = srv.inbound(company, channel, "79990000011", "three").await;
    let all = read_messages(&srv, company, start, "", 3).await;
    assert_eq!(message_ids(&all), vec![m1, m2, m3]);
    assert!(
        all.iter().any(|e| e["event"] == "conversation.new"),
        "{all:?}"
    );

    let only_messages = read_all(&srv, company, start, "types=message.new").await;
    assert_eq!(message_ids(&only_messages), vec![m1, m2, m3]);
    assert!(only_messages.iter().all(|e| e["event"] == "message.new"));

    let new_conversations = read_all(&srv, company, start, "types=conversation.new").await;
    let created: Vec<&Value> = new_conversations
        .iter()
        .map(|e| &e["data"]["data"]["external_id"])
        .collect();
    assert_eq!(
        created,
        vec![&json!(c1), &json!(c2)],
        "{new_conversations:?}"
    );

    let about = |e: &Value| {
        let data = &e["data"]["data"];
        if e["event"]
            .as_str()
            .is_some_and(|l| l.starts_with("conversation."))
        {
            data["external_id"].clone()
        } else {
            data["conversation_id"].clone()
        }
    };
    let second = read_all(&srv, company, start, &format!("conversation_id={c2}")).await;
    assert!(!second.is_empty());
    assert!(second.iter().all(|e| about(e) == json!(c2)), "{second:?}");
    assert_eq!(message_ids(&second), vec![m2]);

    let both = read_all(
        &srv,
        company,
        start,
        &format!("types=message.new,conversation.new&conversation_id={c1}"),
    )
    .await;
    let labels: Vec<&str> = both.iter().filter_map(|e| e["event"].as_str()).collect();
    assert_eq!(
        labels,
        vec!["conversation.new", "message.new", "message.new"]
    );
    assert_eq!(message_ids(&both), vec![m1, m3]);

    // The same filters on a stream.
    let mut stream = open(&srv, company, &format!("after={start}&types=message.new")).await;
    expect_retry(&mut stream).await;
    let streamed = stream_events(&mut stream, 3).await;
    assert_eq!(streamed, only_messages);
    assert_eq!(stream.next_event(Duration::from_millis(300)).await, None);
    let mut stream = open(
        &srv,
        company,
        &format!("after={start}&conversation_id={c2}"),
    )
    .await;
    expect_retry(&mut stream).await;
    assert_eq!(stream_events(&mut stream, second.len()).await, second);
}

#[tokio::test]
async fn bad_parameters_are_400s_naming_them() {
    let srv = TestServer::start().await;
    let (company, _) = company(&srv).await;
    for (query, param) in [
        ("types=message.bogus", "types"),
        ("types=message.new,nope", "types"),
        ("conversation_id=abc", "conversation_id"),
        ("conversation_id=0", "conversation_id"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("timeout=26", "timeout"),
        ("timeout=-1", "timeout"),
        ("timeout=1.5", "timeout"),
        ("after=-1", "after"),
        ("after=x", "after"),
        ("after=99999999999999999999", "after"),
    ] {
        let (s, b) = poll(&srv, company, query).await;
        assert_param_error(s, &b, 400, param);
        // Never a stream: the answer comes before one would start.
        let refused =
            SseStream::open(srv.req(Method::GET, &format!("{}?{query}", events_path(company))))
                .await;
        let (s, b) = refused
            .err()
            .unwrap_or_else(|| panic!("{query} opened a stream"));
        assert_param_error(s, &b, 400, param);
    }
    for bad in ["abc", "-1", "1.0", ""] {
        let request = || {
            srv.req(Method::GET, &events_path(company))
                .header("Last-Event-ID", bad)
        };
        let (s, b) = call(request()).await;
        assert_param_error(s, &b, 400, "Last-Event-ID");
        let (s, b) = SseStream::open(request()).await.err().expect("no stream");
        assert_param_error(s, &b, 400, "Last-Event-ID");
    }
    // The limits themselves are fine.
    for query in [
        "limit=1",
        "limit=500",
        "timeout=0",
        "after=0",
        "types=system,qr_code.new",
    ] {
        let (s, b) = poll(&srv, company, query).await;
        assert_eq!(s, 200, "{query}: {b}");
    }
}

#[tokio::test]
async fn another_company_s_events_are_a_404_and_never_leak() {
    let srv = TestServer::start().await;
    let (a, a_channel) = company(&srv).await;
    let (_, other_token) = srv.new_user("other").await;
    let (s, b) = call(
        srv.req_as(&other_token, Method::POST, "/p1/companies")
            .form(&[("name", "Other")]),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let b_company = b["data"]["external_id"].as_i64().expect("id");
    let (s, b) = call(
        srv.req_as(
            &other_token,
            Method::POST,
            &format!("/p1/companies/{b_company}/channels"),
        )
        .form(&[("provider", "whatsapp")]),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let b_channel = b["data"]["external_id"].as_i64().expect("id");

    // The other user cannot read A's events, in either form, nor A's user B's.
    let (s, b) = call(srv.req_as(&other_token, Method::GET, &events_path(a))).await;
    assert_client_error(s, &b, 404);
    let refused = SseStream::open(srv.req_as(&other_token, Method::GET, &events_path(a))).await;
    assert_eq!(refused.err().map(|(s, _)| s), Some(404));
    let (s, b) = call(srv.req(Method::GET, &events_path(b_company))).await;
    assert_client_error(s, &b, 404);
    let (s, _) = call(srv.http.get(srv.url(&events_path(a)))).await;
    assert_eq!(s, 401);

    // B's stream, opened with the token as a query parameter (what an EventSource must do).
    let mut stream = SseStream::open(srv.http.get(srv.url(&format!(
        "{}?private_api_token={other_token}",
        events_path(b_company)
    ))))
    .await
    .expect("a stream");
    expect_retry(&mut stream).await;
    expect_head(&mut stream, "ready").await;
    let a_start = head(&srv, a).await;
    let mut a_messages = Vec::new();
    for i in 0..3 {
        a_messages.push(
            srv.inbound(a, a_channel, "79990000021", &format!("a{i}"))
                .await
                .1,
        );
    }
    assert_eq!(
        message_ids(&read_messages(&srv, a, a_start, "", 3).await),
        a_messages
    );
    let (s, b) = call(
        srv.req_as(
            &other_token,
            Method::POST,
            &format!("/p1/companies/{b_company}/channels/{b_channel}/sandbox/inbound"),
        )
        .form(&[("sender_external_id", "79990000022"), ("message", "b")]),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let b_conversation = b["data"]["conversation_id"].as_i64().expect("id");
    let b_message = b["data"]["message_id"].as_i64().expect("id");
    let seen = stream_until_message(&mut stream, b_message).await;
    for event in &seen {
        let data = &event["data"]["data"];
        let conversation = data["conversation_id"].as_i64().or_else(|| {
            data["external_id"].as_i64().filter(|_| {
                event["event"]
                    .as_str()
                    .is_some_and(|l| l.starts_with("conversation."))
            })
        });
        assert_eq!(conversation, Some(b_conversation), "{event}");
    }
}

#[tokio::test]
async fn streams_are_exempt_from_the_rate_limiter_and_request_limits() {
    let srv = TestServer::start_with(|c| {
        c.rate_limit = 5;
        c.rate_burst = 5;
        c.max_concurrent_requests = 1;
        c.request_timeout = Duration::from_secs(1);
    })
    .await;
    let (company, channel) = company(&srv).await;
    let mut first = open(&srv, company, "").await;
    expect_retry(&mut first).await;
    let start = expect_head(&mut first, "ready").await;

    // A long poll outlives --request-timeout, and while it waits (and the stream is open)
    // another request still finds a free slot under --max-concurrent-requests.
    let url = srv.url(&format!("{}?after={start}&timeout=2", events_path(company)));
    let waiting = tokio::spawn(call(
        srv.http
            .get(url)
            .header("X-Private-Api-Token", srv.token.clone()),
    ));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (s, b) = srv.get(&format!("/p1/companies/{company}")).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = waiting.await.expect("poll");
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["data"]["events"], json!([]));

    // Flood the token past its rate.
    let mut refused = 0;
    for _ in 0..30 {
        let (s, b) = srv.get("/p1/companies").await;
        assert_ne!(s, 503, "{b}");
        if s == 429 {
            refused += 1;
        }
    }
    assert!(refused > 0, "the flood was not rate limited");
    // While the token is refused elsewhere, streams and polls still open.
    let mut second = open(&srv, company, "").await;
    expect_retry(&mut second).await;
    expect_head(&mut second, "ready").await;
    let (s, b) = poll(&srv, company, "").await;
    assert_eq!(s, 200, "{b}");

    // Once the token may write again, both streams (the first one open for seconds, past
    // the request timeout) carry the next event.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (_, message) = srv
        .inbound(company, channel, "79990000031", "still here")
        .await;
    stream_until_message(&mut first, message).await;
    stream_until_message(&mut second, message).await;
}

#[tokio::test]
async fn events_are_recorded_for_a_company_without_a_webhook_url() {
    let srv = TestServer::start().await;
    let (company, channel) = company(&srv).await;
    let (s, b) = srv.get(&format!("/p1/companies/{company}")).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["data"]["company"]["webhook_url"], Value::Null, "{b}");
    let start = head(&srv, company).await;
    let (conversation, message) = srv.inbound(company, channel, "79990000041", "hello").await;
    let events = read_messages(&srv, company, start, "", 1).await;
    let new = events
        .iter()
        .find(|e| e["event"] == "message.new")
        .expect("a message.new");
    assert_eq!(new["data"]["type"], "message");
    assert_eq!(new["data"]["event"], "new");
    let data = &new["data"]["data"];
    assert_eq!(data["external_id"], message);
    assert_eq!(data["conversation_id"], conversation);
    assert_eq!(data["message"], "hello");
    assert_eq!(data["income"], true);
    assert_eq!(data["channel_id"], channel);
}

#[tokio::test]
async fn max_streams_caps_open_streams_with_a_503() {
    let srv = TestServer::start_with(|c| c.max_streams = 2).await;
    let (company, _) = company(&srv).await;
    let mut one = open(&srv, company, "").await;
    expect_retry(&mut one).await;
    let mut two = open(&srv, company, "").await;
    expect_retry(&mut two).await;

    let response = srv
        .req(Method::GET, &events_path(company))
        .header("Accept", "text/event-stream")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["status"], "error");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("--max-streams")),
        "{body}"
    );
    let (s, _) = poll(&srv, company, "").await;
    assert_eq!(s, 503, "a long poll counts too");

    let text = srv
        .http
        .get(srv.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let open_now: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("confab_streams_open "))
        .expect("the gauge")
        .trim()
        .parse()
        .expect("a number");
    assert!(open_now >= 2.0, "{open_now}");

    // A client going away gives its slot back.
    drop(one);
    let started = Instant::now();
    let mut three = loop {
        match SseStream::open(srv.req(Method::GET, &events_path(company))).await {
            Ok(stream) => break stream,
            Err((503, _)) if started.elapsed() < Duration::from_secs(20) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(other) => panic!("{other:?}"),
        }
    };
    expect_retry(&mut three).await;
    drop(two);
}

#[tokio::test]
async fn a_shutdown_ends_open_streams_instead_of_waiting_for_them() {
    let mut srv = TestServer::start().await;
    let (company, _) = company(&srv).await;
    let mut stream = open(&srv, company, "").await;
    expect_retry(&mut stream).await;
    expect_head(&mut stream, "ready").await;
    let url = srv.url(&format!("{}?after=0&timeout=25", events_path(company)));
    let poll = tokio::spawn(call(
        srv.http
            .get(url)
            .header("X-Private-Api-Token", srv.token.clone()),
    ));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(10), srv.shutdown())
        .await
        .expect("the server stopped with a stream open");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(stream.ends_within(Duration::from_secs(2)).await);
    let (s, _) = poll.await.expect("poll");
    assert_eq!(s, 200);
}

/// Many streams on one company share one read of the log per node: each still gets
/// exactly what it asked for, once and in order, whether it came before the events,
/// resumed from an old cursor in the middle of them, or filters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_sharing_a_company_each_get_their_own_events_once_in_order() {
    let srv = TestServer::start().await;
    let (company, channel) = company(&srv).await;
    let start = head(&srv, company).await;
    let from_start = format!("after={start}");
    let mut streams = Vec::new();
    for _ in 0..12 {
        streams.push(open(&srv, company, &from_start).await);
    }
    let mut filtered = open(
        &srv,
        company,
        &format!("after={start}&types=conversation.new"),
    )
    .await;
    for i in 0..30 {
        let sender = format!("7999000000{}", i % 3);
        srv.inbound(company, channel, &sender, &format!("m{i}"))
            .await;
        if i == 14 {
            // One resumes from the start while events are still coming.
            streams.push(open(&srv, company, &from_start).await);
        }
    }
    let all = read_messages(&srv, company, start, "", 30).await;
    assert_eq!(message_ids(&all).len(), 30);
    for (n, stream) in streams.iter_mut().enumerate() {
        expect_retry(stream).await;
        let got = stream_events(stream, all.len()).await;
        assert_eq!(
            got, all,
            "stream {n}: every event once, in order, as the poll has it"
        );
    }
    expect_retry(&mut filtered).await;
    let want: Vec<Value> = all
        .iter()
        .filter(|e| e["event"] == "conversation.new")
        .cloned()
        .collect();
    assert_eq!(want.len(), 3);
    assert_eq!(stream_events(&mut filtered, 3).await, want);
    assert!(
        filtered
            .next_event(Duration::from_millis(300))
            .await
            .is_none(),
        "nothing else passes the filter"
    );
}
