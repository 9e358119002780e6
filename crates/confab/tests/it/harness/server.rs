//! `TestServer`: a real confab server in-process on 127.0.0.1:0 with a temp data dir and
//! a user and its token; starting, stopping and restarting it, more users, and its store
//! and blob storage read directly.

use std::path::PathBuf;

use confab_server::Config;
use confab_server::clock::{SharedClock, SystemClock};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running server and the first user's credentials.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The first user's API token.
    pub token: String,
    /// The first user's id.
    pub user_id: i64,
    /// A plain HTTP client.
    pub http: reqwest::Client,
    dir: Option<TempDir>,
    config: Config,
    clock: SharedClock,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    /// Whether `--public-url` is the server's own address (known only once it listens).
    public_self: bool,
}

impl TestServer {
    /// A sandbox server (the common case) with one user.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A server whose config `adjust` changes first (sandbox is on unless turned off).
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        Self::start_with_clock(adjust, std::sync::Arc::new(SystemClock)).await
    }

    /// [`TestServer::start_with`] with `--public-url` set to the server's own address, as
    /// messengers would reach it (set anew on every launch, since the port changes).
    pub async fn start_public(adjust: impl FnOnce(&mut Config)) -> Self {
        let mut srv = Self::start_with_clock(
            |c| {
                adjust(c);
                // A placeholder until the port is known; the first launch replaces it.
                c.public_url = url::Url::parse("http://127.0.0.1:1").ok();
            },
            std::sync::Arc::new(SystemClock),
        )
        .await;
        srv.public_self = true;
        srv.restart().await;
        srv
    }

    /// [`TestServer::start_with`], telling time by `clock` (a test moves a `ManualClock`
    /// instead of waiting for a delay to pass).
    pub async fn start_with_clock(adjust: impl FnOnce(&mut Config), clock: SharedClock) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::for_data_dir(dir.path().join("data"));
        config.sandbox = true;
        adjust(&mut config);
        crate::backend::configure(&mut config).await;
        let (user, token) = confab_server::users::create_user(
            &config.data_dir,
            config.database_url.as_deref(),
            "tester",
        )
        .await
        .expect("create user");
        let mut server = Self {
            base: String::new(),
            token,
            user_id: user.id,
            http: reqwest::Client::new(),
            dir: Some(dir),
            config,
            clock,
            stop: None,
            task: None,
            public_self: false,
        };
        server.launch().await;
        server
    }

    async fn launch(&mut self) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        self.base = format!("http://{}", listener.local_addr().expect("addr"));
        if self.public_self {
            self.config.public_url = url::Url::parse(&self.base).ok();
        }
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(confab_server::run_with_clock(
            self.config.clone(),
            listener,
            async {
                stopped.await.ok();
            },
            self.clock.clone(),
        ));
        self.stop = Some(stop);
        self.task = Some(task);
        for _ in 0..200 {
            if let Ok(r) = self.http.get(format!("{}/healthz", self.base)).send().await
                && r.status() == 200
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("server did not become ready");
    }

    /// Stops the server gracefully and starts it again on the same data dir.
    pub async fn restart(&mut self) {
        self.shutdown().await;
        self.launch().await;
    }

    /// Stops the server gracefully, changes its config with `adjust`, and starts it again
    /// on the same data dir (and clock).
    pub async fn restart_with(&mut self, adjust: impl FnOnce(&mut Config)) {
        self.shutdown().await;
        adjust(&mut self.config);
        self.launch().await;
    }

    /// Stops the server gracefully and waits for it to finish.
    pub async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server result");
        }
    }

    /// The typed client, signed in as the first user.
    pub fn client(&self) -> confab_client::Client {
        confab_client::Client::new(&self.base, self.token.clone()).expect("client")
    }

    /// The data dir the server runs on.
    pub fn data_dir(&self) -> PathBuf {
        self.config.data_dir.clone()
    }

    /// The config the server runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Creates another user on the same database; returns (id, token).
    pub async fn new_user(&self, name: &str) -> (i64, String) {
        let (user, token) = confab_server::users::create_user(
            &self.config.data_dir,
            self.config.database_url.as_deref(),
            name,
        )
        .await
        .expect("create user");
        (user.id, token)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
    }
}

impl TestServer {
    /// The server's store, opened beside the running server (for reading back what a
    /// request stored).
    pub async fn store(&self) -> std::sync::Arc<dyn confab_store::Store> {
        confab_store::open(
            self.config.database_url.as_deref(),
            &self.config.data_dir,
            2,
        )
        .await
        .expect("open store")
    }

    /// The server's blob storage (its data dir's `blobs/`, or its S3 prefix).
    pub fn blobs(&self) -> confab_server::blobs::Blobs {
        confab_server::blobs::Blobs::open(self.config.blob_url.as_deref(), &self.config.data_dir)
            .expect("open blob storage")
    }

    /// The key of every blob in storage.
    pub async fn blob_keys(&self) -> Vec<String> {
        self.blobs().keys("").await.expect("list blobs")
    }

    /// The blob keys of one conversation's attachments.
    pub async fn attachment_blobs(&self, company: i64, conversation: i64) -> Vec<String> {
        let prefix = format!("attachments/{company}/{conversation}");
        self.blobs().keys(&prefix).await.expect("list blobs")
    }

    /// A blob's bytes.
    pub async fn read_blob(&self, key: &str) -> Vec<u8> {
        self.blobs()
            .read_all(key)
            .await
            .expect("read blob")
            .to_vec()
    }

    /// Files left in the upload spool dir.
    pub fn spool_files(&self) -> Vec<PathBuf> {
        files_under(&self.config.data_dir.join("tmp"))
    }
}

/// Every regular file under `dir`, recursively, sorted (empty when `dir` is missing).
pub fn files_under(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

impl TestServer {
    /// The stored messages of a conversation, read straight from the database (fields such
    /// as `send_to_crm` are checked where they are kept, not only as the API shows them).
    pub async fn stored_messages(
        &self,
        company: i64,
        conversation: i64,
    ) -> Vec<confab_store::Message> {
        conversation_messages(self.store().await.as_ref(), company, conversation).await
    }

    /// Waits (bounded) until every outgoing message of the conversation has finished its
    /// delivery steps (ack 2 or more), so background work no longer changes it.
    pub async fn settle_deliveries(&self, company: i64, conversation: i64) {
        let store = self.store().await;
        for _ in 0..500 {
            let messages = conversation_messages(store.as_ref(), company, conversation).await;
            if messages
                .iter()
                .all(|m| m.income || m.ack >= confab_store::Ack::Delivered)
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("deliveries of conversation {conversation} did not settle");
    }
}

/// Every stored message of a conversation in creation order, read a page at a time (the
/// store has no "read everything" call: nothing but tests needs one). The one place the
/// harness reads messages from the store instead of through the API.
pub async fn store_messages(
    store: &dyn confab_store::Store,
    company: i64,
    conversation: i64,
) -> confab_store::StoreResult<Vec<confab_store::Message>> {
    const PAGE: u32 = 500;
    let mut all: Vec<confab_store::Message> = Vec::new();
    loop {
        let page = confab_store::MessagePageRequest {
            after: all.last().map(|m| (m.created_at_ms, m.id)),
            descending: false,
            limit: PAGE,
        };
        let rows = store.list_messages(company, conversation, page).await?;
        let done = rows.len() < PAGE as usize;
        all.extend(rows);
        if done {
            return Ok(all);
        }
    }
}

async fn conversation_messages(
    store: &dyn confab_store::Store,
    company: i64,
    conversation: i64,
) -> Vec<confab_store::Message> {
    store_messages(store, company, conversation)
        .await
        .expect("read messages")
}
