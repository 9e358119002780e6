//! Retries: calls are retried on 503 (honouring Retry-After) and on broken connections;
//! writes carry an `Idempotency-Key`, the same on every retry of one call and another for
//! each call, so POSTs are retried too (and, unlike reads, after a timeout).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use confab_client::{Client, Error, ListParams, NewCompany};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::{Answer, EMPTY_COMPANIES, Peer, fast_retries};

fn unavailable() -> Answer {
    Answer::with(503, "busy").header("retry-after", "0")
}

#[tokio::test]
async fn a_get_is_retried_after_503_and_succeeds() {
    let peer = Peer::start().await;
    peer.script([unavailable(), unavailable(), Answer::json(EMPTY_COMPANIES)]);
    // Retry-After: 0 wins over a long backoff.
    let client = Client::builder(&peer.base, "t")
        .retry_policy(confab_client::RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_secs(30),
            max_backoff: Duration::from_secs(30),
        })
        .build()
        .expect("client");
    let started = Instant::now();
    let page = client
        .companies()
        .list(&ListParams::new())
        .await
        .expect("third time lucky");
    assert_eq!(page.items, vec![]);
    assert_eq!(page.next_page, None);
    assert_eq!(peer.seen().len(), 3);
    assert!(peer.seen().iter().all(|s| s.method == "GET"));
    assert!(started.elapsed() < Duration::from_secs(10));
}

fn key_of(seen: &crate::harness::Seen) -> Option<String> {
    seen.headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test]
async fn a_post_is_retried_with_the_same_idempotency_key() {
    let peer = Peer::start().await;
    let created = r#"{"status":"ok","data":{"id":7,"name":"Acme"}}"#;
    peer.script([unavailable(), unavailable(), Answer::json(created)]);
    let client = Client::builder(&peer.base, "t")
        .retry_policy(fast_retries(3))
        .build()
        .expect("client");
    let _ = client.companies().create(&NewCompany::new("Acme")).await;
    let seen = peer.seen();
    assert_eq!(seen.len(), 3);
    assert!(seen.iter().all(|s| s.method == "POST"));
    let key = key_of(&seen[0]).expect("a write carries a key");
    assert_eq!(key.len(), 32);
    assert!(
        seen.iter()
            .all(|s| key_of(s).as_deref() == Some(key.as_str()))
    );
    // The next call is another request: another key. A read carries none.
    let _ = client.companies().create(&NewCompany::new("Acme")).await;
    let _ = client.companies().list(&ListParams::new()).await;
    let seen = peer.seen();
    let next = key_of(&seen[3]).expect("a key");
    assert_ne!(next, key);
    assert_eq!(key_of(seen.last().expect("the list")), None);
}

#[tokio::test]
async fn a_post_is_retried_while_its_first_attempt_is_in_flight() {
    let peer = Peer::start().await;
    let in_flight = Answer::with(409, "in flight").header("retry-after", "0");
    let conflict = Answer::with(409, "conflict");
    peer.script([in_flight, conflict]);
    let err = peer
        .client()
        .companies()
        .create(&NewCompany::new("Acme"))
        .await
        .expect_err("a 409 without Retry-After is final");
    assert_eq!(err.status(), Some(409));
    assert_eq!(peer.seen().len(), 2);
}

#[tokio::test]
async fn retries_stop_at_the_maximum() {
    let peer = Peer::start().await;
    peer.fallback(Answer::with(429, "slow down"));
    let client = Client::builder(&peer.base, "t")
        .retry_policy(fast_retries(2))
        .build()
        .expect("client");
    let err = client.channels(1).delete(1).await.expect_err("always 429");
    assert_eq!(err.status(), Some(429));
    assert_eq!(peer.seen().len(), 3);

    let none = Client::builder(&peer.base, "t")
        .max_retries(0)
        .build()
        .expect("client");
    none.companies()
        .update(1, &Default::default())
        .await
        .expect_err("429");
    assert_eq!(peer.seen().len(), 4);
}

#[tokio::test]
async fn other_errors_and_long_retry_afters_are_not_retried() {
    let peer = Peer::start().await;
    peer.script([
        Answer::with(500, "bug"),
        Answer::with(503, "maintenance").header("retry-after", "3600"),
    ]);
    let client = peer.client();
    assert_eq!(
        client
            .companies()
            .list(&ListParams::new())
            .await
            .expect_err("500")
            .status(),
        Some(500)
    );
    assert_eq!(
        client
            .companies()
            .list(&ListParams::new())
            .await
            .expect_err("an hour is too long to wait")
            .status(),
        Some(503)
    );
    assert_eq!(peer.seen().len(), 2);
}

/// A raw TCP server that closes the first `drops` connections without answering, then
/// answers every request with the empty companies page. Returns its URL and the count of
/// connections accepted.
async fn flaky_server(drops: usize) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let n = count.fetch_add(1, Ordering::SeqCst);
            if n < drops {
                drop(socket);
                continue;
            }
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{EMPTY_COMPANIES}",
                    EMPTY_COMPANIES.len()
                );
                socket.write_all(answer.as_bytes()).await.ok();
            });
        }
    });
    (url, accepted)
}

#[tokio::test]
async fn a_get_is_retried_after_a_dropped_connection() {
    let (url, accepted) = flaky_server(2).await;
    let client = Client::builder(&url, "t")
        .retry_policy(fast_retries(3))
        .build()
        .expect("client");
    let page = client
        .companies()
        .list(&ListParams::new())
        .await
        .expect("succeeds on the third connection");
    assert_eq!(page.items, vec![]);
    assert_eq!(accepted.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_post_is_retried_after_a_dropped_connection() {
    let (url, accepted) = flaky_server(1).await;
    let client = Client::builder(&url, "t")
        .retry_policy(fast_retries(3))
        .build()
        .expect("client");
    let _ = client.companies().create(&NewCompany::new("Acme")).await;
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_reported() {
    // A port that was just free: nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let client = Client::builder(&url, "t")
        .retry_policy(confab_client::RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(100),
        })
        .build()
        .expect("client");
    let started = Instant::now();
    let err = client
        .companies()
        .list(&ListParams::new())
        .await
        .expect_err("refused");
    match &err {
        Error::Transport(e) => assert!(e.is_connect(), "{e:?}"),
        other => panic!("{other:?}"),
    }
    // Two backoffs of 50..100 ms each were waited.
    assert!(
        started.elapsed() >= Duration::from_millis(100),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_timeout_is_reported_and_not_retried() {
    let peer = Peer::start().await;
    peer.fallback(Answer::json(EMPTY_COMPANIES).after(Duration::from_secs(5)));
    let client = Client::builder(&peer.base, "t")
        .timeout(Duration::from_millis(200))
        .retry_policy(fast_retries(3))
        .build()
        .expect("client");
    let err = client
        .companies()
        .list(&ListParams::new())
        .await
        .expect_err("too slow");
    match &err {
        Error::Transport(e) => assert!(e.is_timeout(), "{e:?}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(peer.seen().len(), 1);
}

#[tokio::test]
async fn a_post_that_timed_out_is_retried_with_its_key() {
    let peer = Peer::start().await;
    peer.fallback(Answer::json(EMPTY_COMPANIES).after(Duration::from_secs(5)));
    let client = Client::builder(&peer.base, "t")
        .timeout(Duration::from_millis(200))
        .retry_policy(fast_retries(2))
        .build()
        .expect("client");
    let err = client
        .companies()
        .create(&NewCompany::new("Acme"))
        .await
        .expect_err("too slow every time");
    match &err {
        Error::Transport(e) => assert!(e.is_timeout(), "{e:?}"),
        other => panic!("{other:?}"),
    }
    let seen = peer.seen();
    assert_eq!(seen.len(), 3);
    let key = key_of(&seen[0]).expect("a key");
    assert!(
        seen.iter()
            .all(|s| key_of(s).as_deref() == Some(key.as_str()))
    );
}

#[tokio::test]
async fn without_keys_a_post_is_neither_keyed_nor_retried() {
    let peer = Peer::start().await;
    peer.script([unavailable(), Answer::json(EMPTY_COMPANIES)]);
    let client = Client::builder(&peer.base, "t")
        .idempotency_keys(false)
        .retry_policy(fast_retries(3))
        .build()
        .expect("client");
    let err = client
        .companies()
        .create(&NewCompany::new("Acme"))
        .await
        .expect_err("503, not retried");
    assert_eq!(err.status(), Some(503));
    let seen = peer.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(key_of(&seen[0]), None);
}
