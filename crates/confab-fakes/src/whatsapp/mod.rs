//! A loopback fake of Meta's WhatsApp Cloud API (the Graph API).
//!
//! [`FakeWhatsApp::start`] serves on `127.0.0.1`, under a version prefix like the real
//! `https://graph.facebook.com/v21.0`, in Meta's wire format; every call needs
//! `Authorization: Bearer <token>` of the number (or WABA) it addresses:
//!
//! - `GET /<phone_number_id>`: the number (`display_phone_number`, `verified_name`, ...);
//! - `POST /<phone_number_id>/messages`: records the body, answers
//!   `{"messaging_product":"whatsapp","contacts":[{"input","wa_id"}],"messages":[{"id":"wamid..."}]}`,
//!   or an error queued with [`FakeWhatsApp::fail_next_sends`];
//! - `POST /<phone_number_id>/media`: multipart `file`, `messaging_product`, `type`;
//!   answers `{"id":..}`;
//! - `GET /<media_id>`: `{"messaging_product","url","mime_type","sha256","file_size","id"}`,
//!   the URL downloadable with the same bearer;
//! - `GET /<waba_id>/message_templates`: the seeded templates, `limit` per page, with
//!   `paging.cursors` and `paging.next`.
//!
//! Errors are Meta's (`{"error":{"message","type":"OAuthException","code",..}}`): a
//! wrong token 401 code 190, an unknown id 400 code 100. [`events`] builds webhook bodies
//! and posts them signed as Meta does.

mod errors;
pub mod events;
mod routes;

use std::collections::{HashMap, VecDeque};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::watch;

pub use errors::GraphError;

/// The version prefix of the fake's paths (the real API's current one).
pub const VERSION: &str = "v21.0";

/// A message the fake accepted from `POST /<phone_number_id>/messages`.
#[derive(Debug, Clone, PartialEq)]
pub struct SentMessage {
    /// The number it was sent from.
    pub phone_number_id: String,
    /// The JSON body as received.
    pub body: Value,
    /// The `wamid` answered.
    pub wamid: String,
}

impl SentMessage {
    /// `to`.
    pub fn to(&self) -> &str {
        at(&self.body, "/to").as_str().unwrap_or_default()
    }

    /// `type`.
    pub fn kind(&self) -> &str {
        at(&self.body, "/type").as_str().unwrap_or_default()
    }
}

/// A file held by the fake: uploaded by confab, or sent by a customer.
#[derive(Debug, Clone, PartialEq)]
pub struct Media {
    /// The bytes.
    pub bytes: Bytes,
    /// The MIME type.
    pub mime_type: String,
    /// The file name of an upload, if it had one.
    pub file_name: Option<String>,
    /// The `type` field of an upload.
    pub kind: Option<String>,
}

#[derive(Debug, Clone)]
struct Number {
    token: String,
    waba_id: String,
    display: String,
}

#[derive(Default)]
struct State {
    numbers: HashMap<String, Number>,
    /// WABA id → its token.
    wabas: HashMap<String, String>,
    templates: HashMap<String, Vec<Value>>,
    sent: Vec<SentMessage>,
    media: HashMap<String, Media>,
    /// Scripted answers of the next sends: `Some(code)` fails one, `None` lets one through.
    failures: VecDeque<Option<i64>>,
    attempts: u64,
    next_id: u64,
    fail_downloads: u32,
}

impl State {
    fn next(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

pub(crate) struct Shared {
    state: Mutex<State>,
    sent_tx: watch::Sender<u64>,
    base: Mutex<String>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn origin(&self) -> String {
        self.base
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// A running fake Graph API and the handle to control it; the server stops when the last
/// clone is dropped.
#[derive(Clone)]
pub struct FakeWhatsApp {
    shared: Arc<Shared>,
    origin: String,
    _server: Arc<ServerTask>,
}

struct ServerTask(tokio::task::JoinHandle<()>);

impl Drop for ServerTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl std::fmt::Debug for FakeWhatsApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeWhatsApp")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl FakeWhatsApp {
    /// Starts the fake on a free port of `127.0.0.1`.
    pub async fn start() -> std::io::Result<Self> {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
        let origin = format!("http://{}", listener.local_addr()?);
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            sent_tx: watch::Sender::new(0),
            base: Mutex::new(origin.clone()),
        });
        let app = routes::router(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            shared,
            origin,
            _server: Arc::new(ServerTask(task)),
        })
    }

    /// `http://127.0.0.1:PORT/v21.0`: the API base to configure in place of
    /// `https://graph.facebook.com/v21.0`.
    pub fn base_url(&self) -> String {
        format!("{}/{VERSION}", self.origin)
    }

    /// Adds a business number `phone_number_id` of WABA `waba_id`, reachable with
    /// `token`. Adding it again changes its token.
    pub fn add_number(&self, phone_number_id: &str, waba_id: &str, token: &str) {
        let mut state = self.shared.lock();
        state.numbers.insert(
            phone_number_id.to_owned(),
            Number {
                token: token.to_owned(),
                waba_id: waba_id.to_owned(),
                display: "+1 555-010-0000".to_owned(),
            },
        );
        state.wabas.insert(waba_id.to_owned(), token.to_owned());
    }

    /// Revokes a number's token: every later call with it is 401 code 190.
    pub fn revoke_token(&self, phone_number_id: &str) {
        let mut state = self.shared.lock();
        if let Some(n) = state.numbers.get_mut(phone_number_id) {
            n.token = format!("revoked-{}", n.token);
            let (waba, token) = (n.waba_id.clone(), n.token.clone());
            // The account's token is the number's: it stops working there too.
            state.wabas.insert(waba, token);
        }
    }

    /// The next `codes.len()` sends answer Meta's error with these codes, in order.
    pub fn fail_next_sends(&self, codes: &[i64]) {
        self.shared
            .lock()
            .failures
            .extend(codes.iter().copied().map(Some));
    }

    /// The next `passes` sends go through, then the one after answers `code`.
    pub fn fail_send_after(&self, passes: usize, code: i64) {
        let mut state = self.shared.lock();
        state.failures.extend(std::iter::repeat_n(None, passes));
        state.failures.push_back(Some(code));
    }

    /// The next `n` media downloads answer 500.
    pub fn fail_next_downloads(&self, n: u32) {
        self.shared.lock().fail_downloads = n;
    }

    /// Seeds the templates `GET /<waba_id>/message_templates` lists (Meta's objects:
    /// `name`, `language`, `status`, `category`, `id`, `components`).
    pub fn seed_templates(&self, waba_id: &str, templates: Vec<Value>) {
        self.shared
            .lock()
            .templates
            .entry(waba_id.to_owned())
            .or_default()
            .extend(templates);
    }

    /// A customer's file, as Meta holds it for download; answers its media id.
    pub fn add_media(&self, bytes: impl Into<Bytes>, mime_type: &str) -> String {
        let mut state = self.shared.lock();
        let id = format!("{}", 900_000_000 + state.next());
        state.media.insert(
            id.clone(),
            Media {
                bytes: bytes.into(),
                mime_type: mime_type.to_owned(),
                file_name: None,
                kind: None,
            },
        );
        id
    }

    /// A file by media id (an upload confab made, or one added with [`add_media`](Self::add_media)).
    pub fn media(&self, media_id: &str) -> Option<Media> {
        self.shared.lock().media.get(media_id).cloned()
    }

    /// Every message accepted so far, in order.
    pub fn sent(&self) -> Vec<SentMessage> {
        self.shared.lock().sent.clone()
    }

    /// How many calls to `/messages` were made (accepted or refused).
    pub fn send_attempts(&self) -> u64 {
        self.shared.lock().attempts
    }

    /// Waits until at least `n` messages were accepted, or `timeout`; answers them.
    pub async fn wait_sent(&self, n: usize, timeout: Duration) -> Vec<SentMessage> {
        let mut rx = self.shared.sent_tx.subscribe();
        let _ = tokio::time::timeout(timeout, async {
            while self.shared.lock().sent.len() < n {
                if rx.changed().await.is_err() {
                    return;
                }
            }
        })
        .await;
        self.sent()
    }
}

/// The value at JSON pointer `pointer` in `value`, `null` when there is none (reads of
/// Meta's bodies, which may lack any field).
pub(crate) fn at<'a>(value: &'a Value, pointer: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    value.pointer(pointer).unwrap_or(&NULL)
}

/// Sets `key` of a JSON object (nothing for a value that is not one).
pub(crate) fn set(value: &mut Value, key: &str, to: Value) {
    if let Some(map) = value.as_object_mut() {
        map.insert(key.to_owned(), to);
    }
}
