//! The fake's state: bots, their update queues, chats, files and switches, behind one
//! mutex that is never held across an `.await`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::watch;

use super::error::ApiError;
use super::types::{Config, Failure, RateLimits, Sent};

/// Update kinds a bot receives only when it asks for them in `allowed_updates`.
const OPT_IN_KINDS: [&str; 3] = ["chat_member", "message_reaction", "message_reaction_count"];

/// Everything the HTTP side and the handle share.
pub(crate) struct Shared {
    state: Mutex<State>,
    /// Bumped whenever a bot sends a message, for `wait_sent`.
    pub sent_tx: watch::Sender<u64>,
    /// The client that pushes updates to webhooks.
    pub http: reqwest::Client,
    /// Set once at shutdown: the server stops accepting, closes idle connections and
    /// ends pending long polls.
    pub stopped: watch::Sender<bool>,
}

impl Shared {
    pub fn new(config: Config) -> Self {
        let http = reqwest::Client::builder()
            .timeout(config.webhook_timeout)
            .build()
            .unwrap_or_default();
        Self {
            state: Mutex::new(State {
                bots: HashMap::new(),
                files: FileStore::default(),
                allow_unknown_chats: false,
                rate_limits: None,
                fail_downloads: 0,
                webhook_retry_delay: config.webhook_retry_delay,
            }),
            sent_tx: watch::Sender::new(0),
            http,
            stopped: watch::Sender::new(false),
        }
    }

    /// Stops the server side: no new connections, pending long polls answer now.
    pub fn stop(&self) {
        self.stopped.send_replace(true);
        for bot in self.lock().bots.values() {
            bot.notify();
        }
    }

    pub fn is_stopped(&self) -> bool {
        *self.stopped.borrow()
    }

    /// The state; a panic elsewhere while it was held does not make it unusable.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A receiver of the bot's change signal (new updates, webhook changes, new polls).
    pub fn subscribe(&self, token: &str) -> Option<watch::Receiver<u64>> {
        self.lock()
            .bots
            .get(token)
            .map(|bot| bot.changed.subscribe())
    }
}

/// The whole fake.
pub(crate) struct State {
    pub bots: HashMap<String, Bot>,
    pub files: FileStore,
    pub allow_unknown_chats: bool,
    pub rate_limits: Option<RateLimits>,
    pub fail_downloads: usize,
    pub webhook_retry_delay: Duration,
}

impl State {
    /// The bot behind a token; unknown and revoked tokens are 401.
    pub fn bot(&mut self, token: &str) -> Result<&mut Bot, ApiError> {
        match self.bots.get_mut(token) {
            Some(bot) if !bot.revoked => Ok(bot),
            _ => Err(ApiError::unauthorized()),
        }
    }
}

/// A queued update.
#[derive(Debug, Clone)]
pub(crate) struct Update {
    pub id: i64,
    /// The key next to `update_id` (`message`, `edited_message`, …).
    pub kind: String,
    /// The whole update, `update_id` included.
    pub value: Value,
    /// Redeliver once more after it is confirmed (the `duplicate_updates` switch).
    pub duplicate: bool,
}

/// A webhook set with `setWebhook`.
#[derive(Debug, Clone)]
pub(crate) struct Webhook {
    pub url: String,
    pub secret: Option<String>,
    pub max_connections: i64,
}

/// One private (or otherwise known) chat of a bot.
#[derive(Debug, Default)]
pub(crate) struct Chat {
    /// The chat object put in messages; `None` until the chat wrote or was seen.
    pub info: Option<Value>,
    /// The chat wrote to the bot (or the bot already wrote there).
    pub known: bool,
    pub last_message_id: i64,
    pub blocked: bool,
    pub deactivated: bool,
    pub recent_sends: VecDeque<Instant>,
}

impl Chat {
    pub fn next_message_id(&mut self) -> i64 {
        self.last_message_id += 1;
        self.last_message_id
    }

    pub fn info_or_default(&self, chat_id: i64) -> Value {
        self.info
            .clone()
            .unwrap_or_else(|| json!({ "id": chat_id, "type": "private" }))
    }
}

/// One bot.
pub(crate) struct Bot {
    pub id: i64,
    pub username: String,
    pub revoked: bool,
    pub next_update_id: i64,
    pub queue: VecDeque<Update>,
    /// Confirmed updates that `duplicate_updates` delivers once more.
    pub redeliver: VecDeque<Update>,
    pub duplicate: bool,
    pub allowed_updates: Option<Vec<String>>,
    pub webhook: Option<Webhook>,
    /// Bumped at every webhook change, so a push in flight to an old url does not
    /// confirm anything.
    pub webhook_generation: u64,
    pub last_error: Option<(i64, String)>,
    pub chats: HashMap<i64, Chat>,
    pub sent: Vec<Sent>,
    pub calls: HashMap<String, usize>,
    pub failures: HashMap<String, VecDeque<Failure>>,
    pub poll_generation: u64,
    pub active_polls: usize,
    pub max_active_polls: usize,
    pub poll_conflicts: usize,
    pub recent_sends: VecDeque<Instant>,
    pub changed: watch::Sender<u64>,
}

impl Bot {
    pub fn new(id: i64, username: String) -> Self {
        Self {
            id,
            username,
            revoked: false,
            // Real update ids are large and do not start at 0 or 1.
            next_update_id: rand::random_range(100_000_000..900_000_000),
            queue: VecDeque::new(),
            redeliver: VecDeque::new(),
            duplicate: false,
            allowed_updates: None,
            webhook: None,
            webhook_generation: 0,
            last_error: None,
            chats: HashMap::new(),
            sent: Vec::new(),
            calls: HashMap::new(),
            failures: HashMap::new(),
            poll_generation: 0,
            active_polls: 0,
            max_active_polls: 0,
            poll_conflicts: 0,
            recent_sends: VecDeque::new(),
            changed: watch::Sender::new(0),
        }
    }

    /// The bot's `User` object.
    pub fn user(&self) -> Value {
        json!({
            "id": self.id,
            "is_bot": true,
            "first_name": self.username,
            "username": self.username,
        })
    }

    /// Wakes long polls and the webhook pusher.
    pub fn notify(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Queues an update (its `update_id` is assigned here) and returns the id.
    pub fn enqueue(&mut self, mut value: Value) -> i64 {
        let id = self.next_update_id;
        self.next_update_id += 1;
        let mut kind = String::new();
        if let Value::Object(map) = &mut value {
            kind = map
                .keys()
                .find(|k| *k != "update_id")
                .cloned()
                .unwrap_or_default();
            map.insert("update_id".into(), json!(id));
        }
        self.queue.push_back(Update {
            id,
            kind,
            value,
            duplicate: self.duplicate,
        });
        self.notify();
        id
    }

    /// Drops queued updates of kinds the bot did not ask for.
    pub fn prune_disallowed(&mut self) {
        let allowed = self.allowed_updates.clone();
        self.queue.retain(|update| match &allowed {
            Some(kinds) => kinds.contains(&update.kind),
            None => !OPT_IN_KINDS.contains(&update.kind.as_str()),
        });
    }

    /// `getUpdates` offset: drops every update below it; those marked duplicate come
    /// back once through `redeliver`.
    pub fn confirm_below(&mut self, offset: i64) {
        while self.queue.front().is_some_and(|u| u.id < offset) {
            if let Some(mut update) = self.queue.pop_front()
                && update.duplicate
            {
                update.duplicate = false;
                self.redeliver.push_back(update);
            }
        }
    }

    /// The next batch for `getUpdates`: pending redeliveries (handed out once), then
    /// the queue from its start (kept until confirmed).
    pub fn batch(&mut self, limit: usize) -> Vec<Value> {
        self.prune_disallowed();
        let mut out = Vec::new();
        while out.len() < limit {
            match self.redeliver.pop_front() {
                Some(update) => out.push(update.value),
                None => break,
            }
        }
        let room = limit.saturating_sub(out.len());
        out.extend(self.queue.iter().take(room).map(|u| u.value.clone()));
        out
    }

    /// The call's injected failure, if one is queued for the method (or for `*`).
    pub fn take_failure(&mut self, method: &str) -> Option<Failure> {
        for key in [method, "*"] {
            if let Some(queue) = self.failures.get_mut(key)
                && let Some(failure) = queue.pop_front()
            {
                return Some(failure);
            }
        }
        None
    }
}

/// A stored file, downloadable at `/file/bot<token>/<path>`.
#[derive(Debug, Clone)]
pub(crate) struct StoredFile {
    pub owner: String,
    pub file_id: String,
    pub unique_id: String,
    pub path: String,
    pub bytes: Bytes,
}

impl StoredFile {
    /// `file_id`, `file_unique_id` and `file_size`, to merge into a media object.
    pub fn fields(&self) -> serde_json::Map<String, Value> {
        let mut map = serde_json::Map::new();
        map.insert("file_id".into(), json!(self.file_id));
        map.insert("file_unique_id".into(), json!(self.unique_id));
        map.insert("file_size".into(), json!(self.bytes.len()));
        map
    }
}

/// Every file, by `file_id` and by path.
#[derive(Debug, Default)]
pub(crate) struct FileStore {
    by_id: HashMap<String, StoredFile>,
    by_path: HashMap<String, String>,
    next: u64,
}

impl FileStore {
    /// Stores bytes for a bot under `<dir>/file_<n>.<ext>`.
    pub fn store(&mut self, owner: &str, dir: &str, ext: &str, bytes: Bytes) -> StoredFile {
        let n = self.next;
        self.next += 1;
        let tag: u64 = rand::random();
        let file = StoredFile {
            owner: owner.to_owned(),
            file_id: format!("AgACAgIAAxkBAAI{n:06}{tag:016x}"),
            unique_id: format!("AQAD{n:06}{:08x}", tag >> 32),
            path: format!("{dir}/file_{n}.{ext}"),
            bytes,
        };
        self.by_path.insert(file.path.clone(), file.file_id.clone());
        self.by_id.insert(file.file_id.clone(), file.clone());
        file
    }

    /// A bot's file by id (another bot's ids are unknown to it, as in Telegram).
    pub fn by_id(&self, owner: &str, file_id: &str) -> Option<&StoredFile> {
        self.by_id.get(file_id).filter(|f| f.owner == owner)
    }

    /// A bot's file by download path.
    pub fn by_path(&self, owner: &str, path: &str) -> Option<&StoredFile> {
        self.by_path.get(path).and_then(|id| self.by_id(owner, id))
    }
}
