//! A loopback fake of the Telegram Bot API.
//!
//! [`FakeTelegram::start`] serves `/bot<token>/<method>` and
//! `/file/bot<token>/<file_path>` on `127.0.0.1`, in the real wire format:
//! parameters from the query string or a form, JSON or multipart body; method names in
//! any case; `{"ok":true,"result":…}` or `{"ok":false,"error_code":N,"description":…}`
//! with the HTTP status `N` (and `parameters.retry_after` on 429).
//!
//! Methods: `getMe`, `getUpdates` (long polling, confirmation by `offset`, 409 while a
//! webhook is set or when a newer poll starts), `setWebhook`, `deleteWebhook`,
//! `getWebhookInfo`, `sendMessage`, `sendPhoto`, `sendDocument`, `sendVoice`,
//! `sendAudio`, `sendVideo`, `sendSticker`, `sendChatAction`, `getFile`. Anything else
//! is 404 `Not Found`; an unknown token is 401 `Unauthorized`.
//!
//! While a webhook is set, queued updates are POSTed to it one at a time, in order,
//! with `X-Telegram-Bot-Api-Secret-Token` when a secret was set; non-2xx answers and
//! transport errors are retried after [`Config::webhook_retry_delay`].
//!
//! ```no_run
//! use confab_fakes::telegram::{Content, Customer, FakeTelegram};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let tg = FakeTelegram::start().await?;
//! tg.add_bot("123:ABC", 123, "shop_bot");
//! tg.customer_sends("123:ABC", &Customer::new(42, "Ann"), Content::text("hi"))?;
//! // point the server under test at tg.base_url(), then:
//! let sent = tg.wait_sent("123:ABC", 1, std::time::Duration::from_secs(5)).await;
//! assert_eq!(sent.len(), 1);
//! # Ok(())
//! # }
//! ```

mod error;
mod messages;
mod params;
mod routes;
mod send;
mod state;
mod types;
mod updates;
mod webhook;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

pub use types::{Config, Content, Customer, Failure, FakeError, RateLimits, Sent, SentFile};
pub use webhook::SECRET_HEADER;

use messages::{content_fields, customer_chat, customer_user, unix_now};
use state::{Bot, Shared};

/// The tasks of one fake (server and webhook pushers), stopped when the last handle
/// is dropped.
struct Tasks {
    shared: Arc<Shared>,
    runtime: Handle,
    handles: Mutex<Vec<JoinHandle<()>>>,
}

impl Tasks {
    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) -> JoinHandle<()> {
        self.runtime.spawn(task)
    }

    fn track(&self, handle: JoinHandle<()>) {
        self.handles
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(handle);
    }

    /// Stops the server gracefully (it stops accepting, idle keep-alive connections
    /// close, pending long polls answer) and aborts the webhook pushers.
    fn stop(&self) {
        self.shared.stop();
        for handle in self
            .handles
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
        {
            handle.abort();
        }
    }
}

impl Drop for Tasks {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A running fake Telegram Bot API server and the handle to control it.
///
/// Cheap to clone; the server stops when the last clone is dropped or at
/// [`shutdown`](Self::shutdown). Control methods taking a token do nothing for a
/// token never passed to [`add_bot`](Self::add_bot) (observers answer empty/zero),
/// except the customer-side ones, which return [`FakeError::UnknownBot`].
#[derive(Clone)]
pub struct FakeTelegram {
    shared: Arc<Shared>,
    tasks: Arc<Tasks>,
    base_url: String,
}

impl std::fmt::Debug for FakeTelegram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeTelegram")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl FakeTelegram {
    /// Starts a fake on `127.0.0.1` on a free port, with the default [`Config`].
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(Config::default()).await
    }

    /// Starts a fake with the given settings.
    pub async fn start_with(config: Config) -> std::io::Result<Self> {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(config));
        let tasks = Arc::new(Tasks {
            shared: Arc::clone(&shared),
            runtime: Handle::current(),
            handles: Mutex::new(Vec::new()),
        });
        let app = routes::router(Arc::clone(&shared));
        let mut stopped = shared.stopped.subscribe();
        // Not tracked: a graceful stop lets in-flight answers finish, then the task ends.
        tasks.spawn(async move {
            let signal = async move {
                // An error means the sender is gone, which is a stop as well.
                let _ = stopped.wait_for(|stopped| *stopped).await;
            };
            // Serving ends at the stop or on an accept error; the fake then answers nothing.
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(signal)
                .await;
        });
        Ok(Self {
            shared,
            tasks,
            base_url: format!("http://{addr}"),
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash: the API base to configure
    /// in place of `https://api.telegram.org`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `http://127.0.0.1:PORT/bot<token>/<method>`.
    pub fn method_url(&self, token: &str, method: &str) -> String {
        format!("{}/bot{token}/{method}", self.base_url)
    }

    /// Stops the fake now (also done when the last clone is dropped): the port stops
    /// accepting, idle keep-alive connections close, pending long polls answer at
    /// once, webhook pushes stop. The handle's observers keep working.
    pub fn shutdown(&self) {
        self.tasks.stop();
    }

    /// Adds a bot (`getMe` answers `id` and `username`; `first_name` is the username).
    /// Adding a token again only renames the bot and makes it valid again.
    pub fn add_bot(&self, token: &str, bot_id: i64, username: &str) {
        let mut state = self.shared.lock();
        if let Some(bot) = state.bots.get_mut(token) {
            bot.id = bot_id;
            bot.username = username.to_owned();
            bot.revoked = false;
            return;
        }
        state
            .bots
            .insert(token.to_owned(), Bot::new(bot_id, username.to_owned()));
        drop(state);
        if !self.shared.is_stopped() {
            let pusher = self
                .tasks
                .spawn(webhook::run(Arc::clone(&self.shared), token.to_owned()));
            self.tasks.track(pusher);
        }
    }

    // ---- the customer side ----

    /// A customer writes to the bot in their private chat: queues a `message` update
    /// (for `getUpdates`, or pushed to the webhook) and returns its `update_id`.
    /// The message takes the chat's next `message_id` (shared with the bot's sends).
    /// Files are stored, so `getFile` and downloads work for them.
    pub fn customer_sends(
        &self,
        token: &str,
        customer: &Customer,
        content: Content,
    ) -> Result<i64, FakeError> {
        let mut guard = self.shared.lock();
        let state = &mut *guard;
        if !state.bots.contains_key(token) {
            return Err(FakeError::UnknownBot(token.to_owned()));
        }
        let fields = content_fields(&mut state.files, token, content);
        let bot = state
            .bots
            .get_mut(token)
            .ok_or_else(|| FakeError::UnknownBot(token.to_owned()))?;
        let chat = bot.chats.entry(customer.chat_id).or_default();
        chat.known = true;
        chat.info = Some(customer_chat(customer));
        let mut message = serde_json::Map::new();
        message.insert("message_id".into(), json!(chat.next_message_id()));
        message.insert("from".into(), customer_user(customer));
        message.insert("chat".into(), customer_chat(customer));
        message.insert("date".into(), json!(unix_now()));
        message.extend(fields);
        Ok(bot.enqueue(json!({ "message": message })))
    }

    /// Queues any update (`edited_message`, `callback_query`, a group message, …);
    /// the fake sets its `update_id` and returns it. A `chat.id` found in the update's
    /// first object counts as a chat the bot may write to.
    pub fn push_raw_update(&self, token: &str, update: Value) -> Result<i64, FakeError> {
        let Value::Object(map) = &update else {
            return Err(FakeError::NotAnObject);
        };
        let chat = map
            .iter()
            .find(|(key, _)| *key != "update_id")
            .and_then(|(_, body)| {
                body.get("chat")
                    .or_else(|| body.get("message")?.get("chat"))
            })
            .cloned();
        let mut state = self.shared.lock();
        let bot = state
            .bots
            .get_mut(token)
            .ok_or_else(|| FakeError::UnknownBot(token.to_owned()))?;
        if let Some(info) = chat
            && let Some(id) = info.get("id").and_then(Value::as_i64)
        {
            let chat = bot.chats.entry(id).or_default();
            chat.known = true;
            chat.info.get_or_insert(info);
        }
        Ok(bot.enqueue(update))
    }

    // ---- misbehaviour ----

    fn with_bot<T: Default>(&self, token: &str, f: impl FnOnce(&mut Bot) -> T) -> T {
        self.shared
            .lock()
            .bots
            .get_mut(token)
            .map(f)
            .unwrap_or_default()
    }

    /// Updates queued from now on are delivered twice with the same `update_id`:
    /// through `getUpdates`, once more in the batch after the one that confirmed
    /// them; through a webhook, a second POST after the first was answered 2xx.
    pub fn duplicate_updates(&self, token: &str, on: bool) {
        self.with_bot(token, |bot| bot.duplicate = on);
    }

    /// The next `times` calls of `method` (any case; `"*"` for every method) answer
    /// `failure` instead (for [`Failure::Slow`], answer normally after the delay).
    /// Calls with an unknown or revoked token still answer 401 first.
    pub fn fail_next(&self, token: &str, method: &str, failure: Failure, times: usize) {
        let key = method.to_ascii_lowercase();
        self.with_bot(token, |bot| {
            bot.failures
                .entry(key)
                .or_default()
                .extend(std::iter::repeat_n(failure, times));
        });
    }

    /// Sends to the chat answer 403 `Forbidden: bot was blocked by the user`.
    pub fn block(&self, token: &str, chat_id: i64) {
        self.with_bot(token, |bot| {
            bot.chats.entry(chat_id).or_default().blocked = true
        });
    }

    /// Undoes [`block`](Self::block) and [`deactivate`](Self::deactivate).
    pub fn unblock(&self, token: &str, chat_id: i64) {
        self.with_bot(token, |bot| {
            if let Some(chat) = bot.chats.get_mut(&chat_id) {
                chat.blocked = false;
                chat.deactivated = false;
            }
        });
    }

    /// Sends to the chat answer 403 `Forbidden: user is deactivated`.
    pub fn deactivate(&self, token: &str, chat_id: i64) {
        self.with_bot(token, |bot| {
            bot.chats.entry(chat_id).or_default().deactivated = true
        });
    }

    /// Whether bots may send to chats that never wrote to them. Off by default: such a
    /// send answers 403 `Forbidden: bot can't initiate conversation with a user`.
    pub fn allow_unknown_chats(&self, allow: bool) {
        self.shared.lock().allow_unknown_chats = allow;
    }

    /// Revokes the token: every call of the bot answers 401 `Unauthorized` and its
    /// webhook gets no more pushes (until [`add_bot`](Self::add_bot) with it again).
    pub fn revoke(&self, token: &str) {
        self.with_bot(token, |bot| bot.revoked = true);
    }

    /// The next `n` file downloads answer 500.
    pub fn fail_downloads(&self, n: usize) {
        self.shared.lock().fail_downloads = n;
    }

    /// Switches Telegram's send limits on or off (off by default): more than one
    /// message per second to a chat or 30 per second per bot answer 429
    /// `Too Many Requests: retry after N` with `parameters.retry_after`.
    pub fn rate_limits(&self, on: bool) {
        self.set_rate_limits(on.then(RateLimits::default));
    }

    /// Sets other send limits (`None` switches them off).
    pub fn set_rate_limits(&self, limits: Option<RateLimits>) {
        self.shared.lock().rate_limits = limits;
    }

    /// Sets the delay before a failed webhook push is retried.
    pub fn set_webhook_retry_delay(&self, delay: Duration) {
        self.shared.lock().webhook_retry_delay = delay;
    }

    // ---- observation ----

    /// Every message the bot sent successfully, oldest first.
    pub fn sent(&self, token: &str) -> Vec<Sent> {
        self.with_bot(token, |bot| bot.sent.clone())
    }

    /// Waits until the bot has sent at least `n` messages or `timeout` passes, and
    /// returns what it sent (possibly fewer than `n` on timeout).
    pub async fn wait_sent(&self, token: &str, n: usize, timeout: Duration) -> Vec<Sent> {
        let mut changed = self.shared.sent_tx.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            changed.borrow_and_update();
            let sent = self.sent(token);
            if sent.len() >= n {
                return sent;
            }
            if !matches!(
                tokio::time::timeout_at(deadline, changed.changed()).await,
                Ok(Ok(()))
            ) {
                return self.sent(token);
            }
        }
    }

    /// The webhook's url and secret, if one is set.
    pub fn webhook(&self, token: &str) -> Option<(String, Option<String>)> {
        self.with_bot(token, |bot| {
            bot.webhook
                .as_ref()
                .map(|h| (h.url.clone(), h.secret.clone()))
        })
    }

    /// The last failed webhook push's message (as in `getWebhookInfo`).
    pub fn webhook_last_error(&self, token: &str) -> Option<String> {
        self.with_bot(token, |bot| bot.last_error.as_ref().map(|(_, m)| m.clone()))
    }

    /// How many times `method` (any case) was called with the bot's valid token,
    /// failed calls included.
    pub fn calls(&self, token: &str, method: &str) -> usize {
        let key = method.to_ascii_lowercase();
        self.with_bot(token, |bot| {
            bot.calls.get(&key).copied().unwrap_or_default()
        })
    }

    /// Updates queued and not yet confirmed.
    pub fn pending_updates(&self, token: &str) -> usize {
        self.with_bot(token, |bot| bot.queue.len())
    }

    /// The most `getUpdates` calls that were in flight at once for the bot.
    pub fn max_concurrent_get_updates(&self, token: &str) -> usize {
        self.with_bot(token, |bot| bot.max_active_polls)
    }

    /// How many `getUpdates` calls answered 409 because a newer one started.
    pub fn get_updates_conflicts(&self, token: &str) -> usize {
        self.with_bot(token, |bot| bot.poll_conflicts)
    }
}
