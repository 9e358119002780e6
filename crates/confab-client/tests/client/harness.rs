//! A real confab server in-process on 127.0.0.1:0 (as `crates/confab/tests/it/harness.rs`
//! starts it) with a typed client, and a tiny scripted HTTP peer for what a real server
//! does not do on demand (503s, redirects, broken connections).

#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use confab_client::{ChannelSettings, Client, NewCompany, NewConversation, Provider};
use confab_server::Config;
use tempfile::TempDir;
use tokio::sync::oneshot;

/// A running sandbox server, its first user and a client calling as that user.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The first user's token.
    pub token: String,
    /// The first user's id.
    pub user_id: i64,
    /// A client calling as the first user.
    pub client: Client,
    config: Config,
    _dir: TempDir,
    stop: Option<oneshot::Sender<()>>,
}

impl TestServer {
    /// A sandbox server with one user.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A server whose config `adjust` changes first (sandbox is on unless turned off).
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::for_data_dir(dir.path().join("data"));
        config.sandbox = true;
        config.sandbox_latency = Duration::from_millis(20);
        adjust(&mut config);
        let (user, token) = confab_server::users::create_user(&config.data_dir, None, "tester")
            .await
            .expect("create user");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(confab_server::run(config.clone(), listener, async {
            stopped.await.ok();
        }));
        let client = Client::new(&base, &token).expect("client");
        let probe = reqwest::Client::new();
        for _ in 0..200 {
            if let Ok(r) = probe.get(format!("{base}/healthz")).send().await
                && r.status() == 200
            {
                return Self {
                    base,
                    token,
                    user_id: user.id,
                    client,
                    config,
                    _dir: dir,
                    stop: Some(stop),
                };
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("server did not become ready");
    }

    /// Creates another user of the same database; returns (id, token).
    pub async fn new_user(&self, name: &str) -> (i64, String) {
        let (user, token) = confab_server::users::create_user(&self.config.data_dir, None, name)
            .await
            .expect("create user");
        (user.id, token)
    }

    /// A company with a whatsapp channel and a conversation with 79250000001:
    /// (company, channel, conversation).
    pub async fn fixture(&self) -> (i64, i64, i64) {
        let company = self
            .client
            .companies()
            .create(&NewCompany::new("Acme"))
            .await
            .expect("company");
        let channel = self
            .client
            .channels(company)
            .create(Provider::Whatsapp, ChannelSettings::new())
            .await
            .expect("channel");
        let conversation = self
            .client
            .conversations(company)
            .create(&NewConversation::whatsapp(CONTACT, "Hello"))
            .await
            .expect("conversation")
            .external_id;
        (company, channel, conversation)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
    }
}

/// The contact of [`TestServer::fixture`]'s conversation.
pub const CONTACT: &str = "79250000001";

/// One request a [`Peer`] received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// An answer a [`Peer`] gives: status, headers, body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
    pub delay: Duration,
}

impl Answer {
    /// A 200 with a JSON body.
    pub fn json(body: &str) -> Self {
        Self::with(200, body).header("content-type", "application/json")
    }

    /// Any status and body.
    pub fn with(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.to_owned(),
            delay: Duration::ZERO,
        }
    }

    /// With a header.
    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }

    /// Answered only after `delay`.
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

#[derive(Default)]
struct PeerState {
    seen: Vec<Seen>,
    script: VecDeque<Answer>,
    fallback: Option<Answer>,
}

/// A tiny local HTTP server on 127.0.0.1 that records every request and answers from a
/// script, then with a fallback answer (404 unless set).
#[derive(Clone)]
pub struct Peer {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    state: Arc<Mutex<PeerState>>,
}

async fn peer_answer(
    State(state): State<Arc<Mutex<PeerState>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let answer = {
        let mut state = state.lock().expect("lock");
        state.seen.push(Seen {
            method,
            uri,
            headers,
            body,
        });
        state
            .script
            .pop_front()
            .or_else(|| state.fallback.clone())
            .unwrap_or_else(|| Answer::with(404, "no answer scripted"))
    };
    tokio::time::sleep(answer.delay).await;
    let mut response = (
        StatusCode::from_u16(answer.status).expect("status"),
        answer.body,
    )
        .into_response();
    for (name, value) in answer.headers {
        response
            .headers_mut()
            .insert(name, value.parse().expect("header value"));
    }
    response
}

impl Peer {
    /// Starts a peer.
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(PeerState::default()));
        let app = axum::Router::new()
            .fallback(peer_answer)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        Peer { base, state }
    }

    /// Answers the next requests with these, in order.
    pub fn script(&self, answers: impl IntoIterator<Item = Answer>) {
        self.state.lock().expect("lock").script.extend(answers);
    }

    /// Answers with this once the script is used up.
    pub fn fallback(&self, answer: Answer) {
        self.state.lock().expect("lock").fallback = Some(answer);
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().expect("lock").seen.clone()
    }

    /// A client of this peer with `token`, retrying fast.
    pub fn client(&self) -> Client {
        Client::builder(&self.base, "peer-token")
            .retry_policy(fast_retries(3))
            .build()
            .expect("client")
    }
}

/// A retry policy with millisecond backoff, for tests.
pub fn fast_retries(max_retries: u32) -> confab_client::RetryPolicy {
    confab_client::RetryPolicy {
        max_retries,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
    }
}

/// An empty companies page, as a JSON body.
pub const EMPTY_COMPANIES: &str = r#"{"status":"ok","data":{"companies":[],"next_page":null}}"#;
