//! The event stream as integrators use it: the typed client's `events` stream (in order,
//! filtered, resumed across a server restart with no gap and no duplicate), and the CLI's
//! `confab events tail` and `confab listen` (signed forwards to a local receiver).

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use confab_client::{Client, Event, EventOptions, EventStream, StreamEvent};
use confab_server::clock::ManualClock;
use futures_util::StreamExt;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::net::TcpListener;
use tokio::process::{Child, ChildStdout, Command};

use crate::harness::process::BIN;
use crate::harness::*;

/// How long any one wait of these tests may take.
const WAIT: Duration = Duration::from_secs(30);

/// The next item of `stream`, bounded.
async fn next(stream: &mut EventStream) -> StreamEvent {
    tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("an item in time")
        .expect("the stream goes on")
        .expect("not an error")
}

/// Reads `stream` until it opens: returns the head it starts after.
async fn ready(stream: &mut EventStream) -> String {
    match next(stream).await {
        StreamEvent::Ready { head } => head,
        other => panic!("expected ready first, got {other:?}"),
    }
}

/// The next `n` events of `stream` (other items are collected into `others`).
async fn take_events(
    stream: &mut EventStream,
    n: usize,
    others: &mut Vec<StreamEvent>,
) -> Vec<Event> {
    let mut events = Vec::new();
    while events.len() < n {
        match next(stream).await {
            StreamEvent::Event(e) => events.push(e),
            other => others.push(other),
        }
    }
    events
}

/// Every event after `after`, read by long polling (`timeout=0`), page by page.
async fn polled(client: &Client, company: i64, after: &str, messages: usize) -> Vec<Event> {
    // On PostgreSQL an event is readable a moment after its write commits (it is numbered
    // after commit), so the poll waits, bounded, until the messages the test made are in.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let mut events = Vec::new();
        let mut cursor = after.parse::<i64>().expect("numeric id");
        loop {
            let batch = client
                .poll_events(company, Some(cursor), 500, Duration::ZERO)
                .await
                .expect("poll");
            events.extend(batch.events.iter().cloned());
            cursor = batch.next_after.parse().expect("numeric next_after");
            if !batch.has_more {
                break;
            }
        }
        if texts(&events).len() >= messages || tokio::time::Instant::now() >= deadline {
            return events;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn ids(events: &[Event]) -> Vec<String> {
    events.iter().map(|e| e.id.clone()).collect()
}

/// The texts of the `message.new` events, in order.
fn texts(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.event == "message.new")
        .filter_map(|e| e.data["data"]["message"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn the_stream_yields_each_event_once_in_order_and_filters() {
    let srv = TestServer::start().await;
    let client = srv.client();
    let company = srv.company("Acme").await;
    let channel = srv.channel(company, "whatsapp").await;

    let mut all = client.events(company, None);
    let head = ready(&mut all).await;
    let mut only_messages = client.events_with(company, EventOptions::new().types(["message.new"]));
    ready(&mut only_messages).await;

    for text in ["one", "two", "three"] {
        srv.inbound(company, channel, "79250000001", text).await;
    }
    let expected = polled(&client, company, &head, 3).await;
    assert!(
        expected.len() >= 3,
        "three inbound messages make events: {expected:?}"
    );
    assert_eq!(texts(&expected), ["one", "two", "three"]);

    let mut others = Vec::new();
    let streamed = take_events(&mut all, expected.len(), &mut others).await;
    assert!(others.is_empty(), "{others:?}");
    assert_eq!(ids(&streamed), ids(&expected));
    for (s, p) in streamed.iter().zip(&expected) {
        assert_eq!((&s.event, &s.data), (&p.event, &p.data), "event {}", s.id);
        let label = format!("{}.{}", s.data["type"].as_str().unwrap_or("system"), {
            s.data["event"].as_str().unwrap_or_default()
        });
        if s.event != "system" {
            assert_eq!(s.event, label, "the label is the body's type.event");
        }
    }
    let numeric: Vec<i64> = streamed.iter().map(|e| e.id.parse().expect("id")).collect();
    assert!(numeric.windows(2).all(|w| w[0] < w[1]), "{numeric:?}");

    let messages = take_events(&mut only_messages, 3, &mut others).await;
    assert!(messages.iter().all(|e| e.event == "message.new"));
    assert_eq!(texts(&messages), ["one", "two", "three"]);
}

/// A TCP proxy on a fixed loopback port in front of a server that moves (a restarted
/// `TestServer` listens on a new port); while paused it drops every connection it gets.
#[derive(Clone)]
struct Proxy {
    url: String,
    state: Arc<Mutex<(String, bool)>>,
}

impl Proxy {
    async fn start(target: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let state = Arc::new(Mutex::new((authority(target), false)));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let (target, paused) = shared.lock().expect("lock").clone();
                if paused {
                    continue;
                }
                tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        tokio::io::copy_bidirectional(&mut inbound, &mut outbound)
                            .await
                            .ok();
                    }
                });
            }
        });
        Proxy { url, state }
    }

    fn pause(&self) {
        self.state.lock().expect("lock").1 = true;
    }

    fn resume_to(&self, target: &str) {
        *self.state.lock().expect("lock") = (authority(target), false);
    }
}

fn authority(base: &str) -> String {
    base.trim_start_matches("http://").to_owned()
}

#[tokio::test]
async fn after_a_restart_the_stream_resumes_with_no_gap_and_no_duplicate() {
    let mut srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    let channel = srv.channel(company, "whatsapp").await;
    let proxy = Proxy::start(&srv.base).await;
    let client = Client::new(&proxy.url, srv.token.clone()).expect("client");

    let mut stream = client.events(company, None);
    let head = ready(&mut stream).await;
    let mut others = Vec::new();
    srv.inbound(company, channel, "79250000001", "before").await;
    let before = polled(&srv.client(), company, &head, 1).await;
    let mut streamed = take_events(&mut stream, before.len(), &mut others).await;

    // The server goes away with the stream open; events happen while the client cannot
    // reach it; then it is reachable again on its new port.
    proxy.pause();
    srv.restart().await;
    srv.inbound(company, channel, "79250000001", "while away 1")
        .await;
    srv.inbound(company, channel, "79250000001", "while away 2")
        .await;
    proxy.resume_to(&srv.base);
    let expected = polled(&srv.client(), company, &head, 3).await;
    streamed.extend(take_events(&mut stream, expected.len() - streamed.len(), &mut others).await);
    assert!(
        others
            .iter()
            .any(|o| matches!(o, StreamEvent::Reconnecting { .. })),
        "the stream noticed the disconnection: {others:?}"
    );
    assert!(
        !others
            .iter()
            .any(|o| matches!(o, StreamEvent::Ready { .. } | StreamEvent::Reset { .. })),
        "a resumed stream neither starts over nor resets: {others:?}"
    );

    // And it stays live after the reconnection.
    srv.inbound(company, channel, "79250000001", "after").await;
    let expected = polled(&srv.client(), company, &head, 4).await;
    streamed.extend(take_events(&mut stream, expected.len() - streamed.len(), &mut others).await);

    assert_eq!(ids(&streamed), ids(&expected), "no gap, no duplicate");
    assert_eq!(
        texts(&streamed),
        ["before", "while away 1", "while away 2", "after"]
    );
}

/// A running `confab` command's output: its stdout by lines, its stderr kept in a file
/// so that a command that stalls can say why.
struct CliOut {
    lines: Lines<BufReader<ChildStdout>>,
    stderr: tempfile::NamedTempFile,
}

/// `confab ARGS` against `srv`, running on (stdout piped, killed when dropped).
fn spawn_confab(srv: &TestServer, args: &[&str]) -> (Child, CliOut) {
    let stderr = tempfile::NamedTempFile::new().expect("stderr file");
    let mut child = Command::new(BIN)
        .args(args)
        .env("CONFAB_URL", &srv.base)
        .env("CONFAB_TOKEN", &srv.token)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(stderr.reopen().expect("stderr file")))
        .kill_on_drop(true)
        .spawn()
        .expect("spawn confab");
    let stdout = child.stdout.take().expect("stdout");
    let lines = BufReader::new(stdout).lines();
    (child, CliOut { lines, stderr })
}

async fn next_line(out: &mut CliOut) -> String {
    match tokio::time::timeout(WAIT, out.lines.next_line()).await {
        Ok(line) => line.expect("read stdout").expect("the command still runs"),
        Err(_) => panic!(
            "no line in {WAIT:?}; the command's stderr:\n{}",
            std::fs::read_to_string(out.stderr.path()).unwrap_or_default()
        ),
    }
}

/// The current head of `company`'s events (a stream opened and dropped).
async fn head(client: &Client, company: i64) -> String {
    ready(&mut client.events(company, None)).await
}

#[tokio::test]
async fn events_tail_prints_the_events_as_json_lines_and_for_people() {
    let srv = TestServer::start().await;
    let client = srv.client();
    let company = srv.company("Acme").await;
    let channel = srv.channel(company, "whatsapp").await;
    let head = head(&client, company).await;
    let company_s = company.to_string();
    let tail = ["events", "tail", "--company", &company_s, "--after", &head];
    let (_json_child, mut json_lines) = spawn_confab(&srv, &[&["--json"], &tail[..]].concat());
    let (_human_child, mut human_lines) = spawn_confab(&srv, &tail);

    srv.inbound(company, channel, "79250000001", "Hi there")
        .await;
    srv.inbound(company, channel, "79250000001", "second").await;
    let expected = polled(&client, company, &head, 2).await;
    for e in &expected {
        let line: Value = serde_json::from_str(&next_line(&mut json_lines).await).expect("JSON");
        assert_eq!(
            (&line["id"], &line["event"], &line["data"]),
            (
                &Value::from(e.id.clone()),
                &Value::from(e.event.clone()),
                &e.data
            )
        );
    }
    let mut human = Vec::new();
    for _ in &expected {
        human.push(next_line(&mut human_lines).await);
    }
    let first_message = expected
        .iter()
        .position(|e| e.event == "message.new")
        .expect("a message.new");
    let line = &human[first_message];
    assert!(
        line.contains("message.new") && line.contains("\"Hi there\""),
        "{line}"
    );
    assert!(line.contains(&expected[first_message].id), "{line}");
}

#[tokio::test]
async fn listen_forwards_signed_webhooks_and_goes_on_when_the_receiver_fails() {
    let srv = TestServer::start().await;
    let client = srv.client();
    let rx = Receiver::start().await;
    rx.answer_next(&[500]);
    let company = srv.company("Acme").await;
    let channel = srv.channel(company, "whatsapp").await;
    let secret = client
        .companies()
        .get(company)
        .await
        .expect("company")
        .webhook_secret;
    let head = head(&client, company).await;
    let company_s = company.to_string();
    let (_child, mut lines) = spawn_confab(
        &srv,
        &[
            "--json",
            "listen",
            "--company",
            &company_s,
            "--after",
            &head,
            "--forward-to",
            &rx.url,
        ],
    );

    srv.inbound(company, channel, "79250000001", "one").await;
    srv.inbound(company, channel, "79250000001", "two").await;
    let expected = polled(&client, company, &head, 2).await;
    let mut printed = Vec::new();
    for _ in &expected {
        let line: Value = serde_json::from_str(&next_line(&mut lines).await).expect("JSON");
        printed.push(line);
    }

    let received = rx.received();
    assert_eq!(received.len(), expected.len(), "one request per event");
    let verifier = standardwebhooks::Webhook::new(&secret).expect("secret");
    for (i, (r, e)) in received.iter().zip(&expected).enumerate() {
        assert_eq!(r.headers["webhook-id"], format!("evt_{}", e.id).as_str());
        verifier
            .verify(&r.body, &r.headers)
            .unwrap_or_else(|err| panic!("event {}: {err}", e.id));
        assert_eq!(r.json, e.data, "the webhook body, unchanged");
        assert_eq!(r.headers["content-type"], "application/json");
        let status = if i == 0 { 500 } else { 200 };
        assert_eq!(r.answered, status);
        assert_eq!(
            (&printed[i]["id"], &printed[i]["status"]),
            (&Value::from(e.id.clone()), &Value::from(status)),
            "the printed line tells the receiver's answer"
        );
    }
}

#[tokio::test]
async fn an_expired_cursor_resets_the_stream_and_fails_a_poll_with_410() {
    // Events expire on the server's clock: moved by hand, so nothing new expires by
    // itself while the test runs, however slow the machine.
    let clock = ManualClock::new();
    let srv = TestServer::start_with_clock(
        |c| {
            c.event_retention = Duration::from_secs(3600);
            c.event_prune_interval = Duration::from_millis(50);
        },
        Arc::new(clock.clone()),
    )
    .await;
    let client = srv.client();
    let company = srv.company("Acme").await;
    let channel = srv.channel(company, "whatsapp").await;
    let head = head(&client, company).await;
    let cursor: i64 = head.parse().expect("numeric head");
    srv.inbound(company, channel, "79250000001", "old").await;
    assert!(!polled(&client, company, &head, 1).await.is_empty());
    clock.advance(Duration::from_secs(2 * 3600));

    // Once the pruner has removed them (on the server's own clock), a poll after the old
    // cursor is refused...
    let deadline = tokio::time::Instant::now() + WAIT;
    let expired = loop {
        match client
            .poll_events(company, Some(cursor), 500, Duration::ZERO)
            .await
        {
            Err(e) if e.is_cursor_expired() => break e,
            Ok(_) | Err(_) => {}
        }
        assert!(tokio::time::Instant::now() < deadline, "never pruned");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(expired.status(), Some(410), "{expired}");

    // ... and a stream from it says reset, then goes on after the newest event (one
    // readable before the stream opens, so it is behind the head).
    let before_kept = self::head(&client, company).await;
    srv.inbound(company, channel, "79250000001", "kept").await;
    assert_eq!(
        texts(&polled(&client, company, &before_kept, 1).await),
        ["kept"]
    );
    let mut stream = client.events_with(company, EventOptions::new().after(&head));
    let reset_head = match next(&mut stream).await {
        StreamEvent::Reset { head } => head,
        other => panic!("expected a reset, got {other:?}"),
    };
    srv.inbound(company, channel, "79250000001", "new").await;
    let mut others = Vec::new();
    let after_reset = polled(&client, company, &reset_head, 1).await;
    let streamed = take_events(&mut stream, after_reset.len(), &mut others).await;
    assert!(others.is_empty(), "{others:?}");
    assert_eq!(ids(&streamed), ids(&after_reset));
    assert_eq!(texts(&streamed), ["new"]);
}
