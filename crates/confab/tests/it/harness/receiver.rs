//! The fake webhook receiver: a real local HTTP server that records every request and
//! answers as scripted, for the tests of outgoing webhooks.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
    pub json: Value,
    /// The status the receiver answered.
    pub answered: u16,
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    script: VecDeque<u16>,
    /// How long each answer waits ("hang" mode), if at all.
    delay: Option<Duration>,
}

/// A real HTTP server on 127.0.0.1 that records every request and answers 200, or the
/// statuses scripted with [`Receiver::answer_next`].
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

async fn hook(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let delay = inner.lock().expect("lock").delay;
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let mut inner = inner.lock().expect("lock");
    let answered = inner.script.pop_front().unwrap_or(200);
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    inner.received.push(Received {
        headers,
        body,
        json,
        answered,
    });
    StatusCode::from_u16(answered).expect("status")
}

impl Receiver {
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(hook))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        Receiver { url, inner }
    }

    /// Answers the next requests with these statuses (then 200 again).
    pub fn answer_next(&self, statuses: &[u16]) {
        self.inner.lock().expect("lock").script.extend(statuses);
    }

    /// Answers 200 again from now on (drops what was scripted, stops hanging).
    pub fn recover(&self) {
        let mut inner = self.inner.lock().expect("lock");
        inner.script.clear();
        inner.delay = None;
    }

    /// "Hang" mode: every request from now on is answered only after `delay` (longer
    /// than the server's webhook timeout, it never gets an answer in time). A request is
    /// recorded when it is answered.
    pub fn hang(&self, delay: Duration) {
        self.inner.lock().expect("lock").delay = Some(delay);
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().expect("lock").received.clone()
    }

    /// The events (not test pings) answered 200, in arrival order.
    pub fn delivered(&self) -> Vec<Value> {
        self.received()
            .into_iter()
            .filter(|r| r.answered == 200 && r.json.get("source").is_none())
            .map(|r| r.json)
            .collect()
    }

    /// Waits (bounded) until `n` events have been delivered; returns them.
    pub async fn wait_delivered(&self, n: usize) -> Vec<Value> {
        for _ in 0..500 {
            let got = self.delivered();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("expected {n} events, got {:#?}", self.delivered());
    }
}
