//! Resilience of connections and uploads: a client that never finishes its request head
//! is cut off, connections beyond `--max-connections` are refused (and counted) without
//! stopping real requests, a trickling upload is ended by `--upload-timeout` or
//! `--upload-min-rate`, and one token's slow uploads leave room for every other token.

use std::time::{Duration, Instant};

use reqwest::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::*;

/// The `host:port` of a test server.
fn addr(srv: &TestServer) -> String {
    srv.base.trim_start_matches("http://").to_owned()
}

/// Waits up to `limit` for the server to close `stream` (EOF or reset); returns how long it
/// took, or `None` if it stayed open. Whatever the server sends before closing is read.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout_at(
            tokio::time::Instant::from_std(started + limit),
            stream.read(&mut buf),
        )
        .await
        {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

/// The value of a metric line `name VALUE` (no labels) in `/metrics`, 0 if absent.
async fn metric(srv: &TestServer, name: &str) -> f64 {
    let text = srv
        .http
        .get(srv.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    text.lines()
        .filter_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn a_client_that_never_finishes_its_request_head_is_cut_off() {
    let srv = TestServer::start_with(|c| c.header_read_timeout = Duration::from_secs(1)).await;

    // Headers at a few bytes a second: the head would take 10 s, the server allows 1 s.
    let mut slow = TcpStream::connect(addr(&srv)).await.expect("connect");
    let (mut read, mut write) = slow.split();
    let head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: aaaaaaaaaaaaaaaa\r\n\r\n";
    let trickle = async {
        for byte in head {
            if write.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        std::future::pending::<()>().await;
    };
    let mut buf = [0u8; 256];
    let started = Instant::now();
    let answer = tokio::select! {
        () = trickle => unreachable!("the trickle never ends"),
        read = tokio::time::timeout(Duration::from_secs(5), read.read(&mut buf)) => read,
    };
    match answer {
        Ok(Ok(0) | Err(_)) => {}
        Ok(Ok(n)) => panic!(
            "the slow head was answered: {:?}",
            String::from_utf8_lossy(&buf[..n])
        ),
        Err(_) => panic!("a head trickling in for 5 s was not cut off (--header-read-timeout 1s)"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    // A connection that sends nothing at all is cut off just the same.
    let mut silent = TcpStream::connect(addr(&srv)).await.expect("connect");
    let took = closed_within(&mut silent, Duration::from_secs(5))
        .await
        .expect("a silent connection was not cut off");
    assert!(took < Duration::from_secs(3), "{took:?}");

    // Real requests are unaffected.
    assert_eq!(srv.get("/p1/companies").await.0, 200);
}

#[tokio::test]
async fn connections_beyond_the_cap_are_refused_and_counted_and_real_requests_still_succeed() {
    let srv = TestServer::start_with(|c| {
        c.max_connections = 20;
        c.header_read_timeout = Duration::from_secs(1);
    })
    .await;
    let refused_before = metric(&srv, "confab_connections_refused_total").await;

    // 30 bare connections that never send a byte (no token needed).
    let mut bare = Vec::new();
    for _ in 0..30 {
        bare.push(TcpStream::connect(addr(&srv)).await.expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut closed = 0;
    for stream in &bare {
        let mut buf = [0u8; 16];
        match stream.try_read(&mut buf) {
            Ok(0) => closed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => closed += 1,
            Ok(_) => {}
        }
    }
    // The test's own pooled client connection may hold one slot.
    assert!(
        (10..=11).contains(&closed),
        "{closed} of 30 bare connections were refused at a cap of 20"
    );

    // Once the accepted ones are cut (header read timeout), a real request succeeds.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (status, body) = srv.get("/p1/companies").await;
    assert_eq!(status, 200, "{body}");
    for mut stream in bare {
        assert!(
            closed_within(&mut stream, Duration::from_secs(2))
                .await
                .is_some(),
            "an idle connection outlived --header-read-timeout"
        );
    }
    let refused = metric(&srv, "confab_connections_refused_total").await - refused_before;
    assert!(
        refused >= 10.0,
        "confab_connections_refused_total grew by {refused}"
    );
}

/// Starts a multipart upload of a file to `path` with `token` whose body never ends: the
/// head, the part's head and a few bytes of the file.
async fn start_upload(srv: &TestServer, token: &str, path: &str) -> TcpStream {
    start_upload_with(srv, token, path, "").await
}

/// [`start_upload`] with `extra` header lines (each ending in CRLF).
async fn start_upload_with(srv: &TestServer, token: &str, path: &str, extra: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr(srv)).await.expect("connect");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Private-Api-Token: {token}\r\n{extra}\
         Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 1000000\r\n\r\n\
         --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\nfirst bytes"
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    stream
}

/// The status code of the answer on `stream` within `limit`, trickling a byte of the body
/// every 200 ms meanwhile; `None` without an answer.
async fn status_while_trickling(stream: TcpStream, limit: Duration) -> Option<(u16, String)> {
    let (mut read, mut write) = stream.into_split();
    let trickle = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if write.write_all(b"x").await.is_err() {
                return;
            }
        }
    });
    let answer = read_answer(&mut read, limit).await;
    trickle.abort();
    answer
}

/// Reads an HTTP/1.1 answer (status, whole text read) within `limit`.
async fn read_answer(
    read: &mut (impl tokio::io::AsyncRead + Unpin),
    limit: Duration,
) -> Option<(u16, String)> {
    let deadline = tokio::time::Instant::now() + limit;
    let mut text = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, read.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => {
                text.extend_from_slice(&buf[..n]);
                let so_far = String::from_utf8_lossy(&text);
                // Status line, headers and a JSON body that closes.
                if so_far.contains("\r\n\r\n") && so_far.trim_end().ends_with('}') {
                    break;
                }
            }
            Ok(_) => break,
            Err(_) if text.is_empty() => return None,
            Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&text).into_owned();
    let status = text.get(9..12)?.parse().ok()?;
    Some((status, text))
}

#[tokio::test]
async fn a_slow_upload_is_ended_by_the_upload_deadline() {
    let srv = TestServer::start_with(|c| {
        c.upload_timeout = Duration::from_secs(1);
        c.upload_min_rate = 0;
    })
    .await;
    let (company, _, conversation) = srv.fixture().await;
    let upload = start_upload(&srv, &srv.token, &attachments_path(company, conversation)).await;
    let started = Instant::now();
    let (status, text) = status_while_trickling(upload, Duration::from_secs(6))
        .await
        .expect("an upload at 5 bytes a second was still open after 6 s (--upload-timeout 1s)");
    assert_eq!(status, 408, "{text}");
    assert!(text.contains("--upload-timeout"), "{text}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    // The server goes on answering.
    assert_eq!(srv.get("/p1/companies").await.0, 200);
}

#[tokio::test]
async fn a_slow_upload_is_ended_by_the_minimum_rate() {
    let srv = TestServer::start_with(|c| {
        c.upload_min_rate = 1024;
        c.upload_rate_window = Duration::from_secs(1);
    })
    .await;
    let (company, _, conversation) = srv.fixture().await;
    // With an idempotency key the body is read (for its fingerprint) before the route
    // runs: that read is held to the same rate.
    for extra in ["", "Idempotency-Key: slow-upload\r\n"] {
        let path = attachments_path(company, conversation);
        let upload = start_upload_with(&srv, &srv.token, &path, extra).await;
        let started = Instant::now();
        let (status, text) = status_while_trickling(upload, Duration::from_secs(6))
            .await
            .expect(
                "an upload at 5 bytes a second was still open after 6 s (--upload-min-rate 1KiB/s)",
            );
        assert_eq!(status, 400, "{text}");
        assert!(text.contains("--upload-min-rate"), "{text}");
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(srv.get("/p1/companies").await.0, 200);
    }
}

/// A company with a whatsapp channel and a conversation, made with `token`:
/// (company, conversation).
async fn fixture_as(srv: &TestServer, token: &str) -> (i64, i64) {
    let (status, body) = call(
        srv.req_as(token, Method::POST, "/p1/companies")
            .form(&[("name", "Other")]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let company = body["data"]["external_id"].as_i64().expect("company");
    let (status, body) = call(
        srv.req_as(
            token,
            Method::POST,
            &format!("/p1/companies/{company}/channels"),
        )
        .form(&[("provider", "whatsapp")]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(
        srv.req_as(
            token,
            Method::POST,
            &format!("/p1/companies/{company}/conversations"),
        )
        .form(&[
            ("provider", "whatsapp"),
            ("phone", "79250000002"),
            ("text", "Hello"),
        ]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let conversation = body["data"]["conversation"]["external_id"]
        .as_i64()
        .expect("conversation");
    (company, conversation)
}

#[tokio::test]
async fn one_tokens_slow_uploads_do_not_stop_another_tokens_requests() {
    let srv = TestServer::start_with(|c| {
        c.max_concurrent_requests = 4;
        c.max_concurrent_uploads = 4;
        c.max_requests_per_token = 2;
        c.upload_min_rate = 0;
    })
    .await;
    let (company, _, conversation) = srv.fixture().await;
    let (_, other) = srv.new_user("other").await;
    let (other_company, other_conversation) = fixture_as(&srv, &other).await;

    // The first token starts six uploads that stall.
    let path = attachments_path(company, conversation);
    let mut uploads = Vec::new();
    for _ in 0..6 {
        uploads.push(start_upload(&srv, &srv.token, &path).await);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut refused = 0;
    let mut held = Vec::new();
    for mut upload in uploads {
        match read_answer(&mut upload, Duration::from_millis(300)).await {
            Some((status, text)) => {
                assert_eq!(status, 429, "{text}");
                assert!(text.contains("--max-requests-per-token"), "{text}");
                assert!(
                    text.to_ascii_lowercase().contains("retry-after: 1"),
                    "{text}"
                );
                refused += 1;
            }
            None => held.push(upload),
        }
    }
    assert_eq!(
        refused, 4,
        "the token's uploads beyond its cap of 2 are refused"
    );

    // Another token's requests and uploads go through meanwhile.
    for _ in 0..8 {
        let (status, body) = call(srv.req_as(&other, Method::GET, "/p1/companies")).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = srv
        .upload_as(
            &other,
            other_company,
            other_conversation,
            "quick.txt",
            b"quick".to_vec(),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // The first token waits for its own uploads: it is at its cap.
    let (status, _) = srv.get("/p1/companies").await;
    assert_eq!(status, 429);
    drop(held);
}
