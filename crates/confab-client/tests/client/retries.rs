//! Retries: idempotent calls are retried on 503 (honouring Retry-After) and on broken
//! connections; POST never is.

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

#[tokio::test]
async fn a_post_is_not_retried() {
    let peer = Peer::start().await;
    peer.script([unavailable(), unavailable(), Answer::json(EMPTY_COMPANIES)]);
    let err = peer
        .client()
        .companies()
        .create(&NewCompany::new("Acme"))
        .await
        .expect_err("503, not retried");
    assert_eq!(err.status(), Some(503));
    assert_eq!(err.to_string(), "HTTP 503: busy");
    assert_eq!(peer.seen().len(), 1);
    assert_eq!(peer.seen()[0].method, "POST");
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
async fn a_post_is_not_retried_after_a_dropped_connection() {
    let (url, accepted) = flaky_server(1).await;
    let client = Client::builder(&url, "t")
        .retry_policy(fast_retries(3))
        .build()
        .expect("client");
    let err = client
        .companies()
        .create(&NewCompany::new("Acme"))
        .await
        .expect_err("dropped");
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
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
