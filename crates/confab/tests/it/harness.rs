//! `TestServer`: a real confab server in-process on 127.0.0.1:0 with a temp data dir,
//! a user and its token, and helpers that return (status, JSON body).
//!
//! With `CONFAB_TEST_DATABASE_URL` set, servers run on PostgreSQL (see `backend.rs`).

#![allow(dead_code)]

use std::path::PathBuf;

use confab_server::Config;
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};
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
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestServer {
    /// A sandbox server (the common case) with one user.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A server whose config `adjust` changes first (sandbox is on unless turned off).
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
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
            stop: None,
            task: None,
        };
        server.launch().await;
        server
    }

    async fn launch(&mut self) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        self.base = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(confab_server::run(self.config.clone(), listener, async {
            stopped.await.ok();
        }));
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

    /// Stops the server gracefully and waits for it to finish.
    pub async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server result");
        }
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

    /// The full URL of `path` (which may carry a query).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A request with the first user's token in the header.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("X-Private-Api-Token", &self.token)
    }

    /// A request with the given token in the header.
    pub fn req_as(&self, token: &str, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("X-Private-Api-Token", token)
    }

    /// GET with the first user's token.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        call(self.req(Method::GET, path)).await
    }

    /// A form-encoded request with the first user's token.
    pub async fn form(&self, method: Method, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        call(self.req(method, path).form(form)).await
    }

    /// A JSON request with the first user's token.
    pub async fn json(&self, method: Method, path: &str, body: Value) -> (u16, Value) {
        call(self.req(method, path).json(&body)).await
    }

    /// Creates a company; returns its id.
    pub async fn company(&self, name: &str) -> i64 {
        let (status, body) = self
            .form(Method::POST, "/p1/companies", &[("name", name)])
            .await;
        assert_eq!(status, 200, "{body}");
        body["data"]["external_id"].as_i64().expect("company id")
    }

    /// Creates a channel of `provider` in `company`; returns its id.
    pub async fn channel(&self, company: i64, provider: &str) -> i64 {
        let (status, body) = self
            .form(
                Method::POST,
                &format!("/p1/companies/{company}/channels"),
                &[("provider", provider)],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["data"]["external_id"].as_i64().expect("channel id")
    }

    /// Creates a whatsapp conversation with `phone` (the company needs a whatsapp channel);
    /// returns its id.
    pub async fn conversation(&self, company: i64, phone: &str) -> i64 {
        let (status, body) = self
            .form(
                Method::POST,
                &format!("/p1/companies/{company}/conversations"),
                &[
                    ("provider", "whatsapp"),
                    ("phone", phone),
                    ("text", "Hello"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["data"]["conversation"]["external_id"]
            .as_i64()
            .expect("conversation id")
    }

    /// A company with a whatsapp channel and one conversation: (company, channel, conversation).
    pub async fn fixture(&self) -> (i64, i64, i64) {
        let company = self.company("Acme").await;
        let channel = self.channel(company, "whatsapp").await;
        let conversation = self.conversation(company, "79250000001").await;
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

/// Sends a request; returns the status and the body as JSON (`Value::Null` if not JSON).
pub async fn call(request: RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, body)
}

/// Asserts an error answer: the status, `status: "error"`, and that the message or the
/// `errors` list names `param`.
#[track_caller]
pub fn assert_param_error(status: u16, body: &Value, want_status: u16, param: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["status"], "error", "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    let named = body["errors"]
        .as_array()
        .is_some_and(|e| e.iter().any(|d| d["parameter"] == param));
    assert!(
        named && message.contains(param),
        "error does not name {param}: {body}"
    );
}

/// The JSON types the seed requires of every conversation object.
#[track_caller]
pub fn assert_conversation_shape(c: &Value) {
    for (field, ok) in [
        ("external_id", c["external_id"].is_i64()),
        ("name", c["name"].is_string()),
        ("channel_id", c["channel_id"].is_i64()),
        ("channel_type", c["channel_type"].is_string()),
        ("created_at", c["created_at"].is_string()),
        ("created_at_timestamp", c["created_at_timestamp"].is_i64()),
        ("avatar", c["avatar"].is_string()),
        ("sender_external_id", c["sender_external_id"].is_string()),
        ("meta", c["meta"].is_object()),
        ("last_message_at", c["last_message_at"].is_i64()),
        (
            "last_income_message_at",
            c["last_income_message_at"].is_i64(),
        ),
        (
            "bitrix_block_openlines",
            c["bitrix_block_openlines"].is_boolean(),
        ),
    ] {
        assert!(ok, "field {field} missing or mistyped in {c}");
    }
    let created = c["created_at"].as_str().unwrap_or_default();
    let re_ok = created.len() == 24
        && created.ends_with('Z')
        && created.as_bytes().get(10) == Some(&b'T')
        && created.as_bytes().get(19) == Some(&b'.');
    assert!(re_ok, "created_at not ISO with ms: {created}");
    let parsed =
        time::OffsetDateTime::parse(created, &time::format_description::well_known::Rfc3339)
            .expect("created_at parses");
    assert_eq!(
        parsed.unix_timestamp(),
        c["created_at_timestamp"].as_i64().unwrap_or(-1)
    );
}

/// An empty JSON object, for bodies.
pub fn empty() -> Value {
    json!({})
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

    /// Uploads `bytes` as the multipart part `file` (curl `-F` style) with `token`.
    pub async fn upload_as(
        &self,
        token: &str,
        company: i64,
        conversation: i64,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> (u16, Value) {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned());
        let form = reqwest::multipart::Form::new().part("file", part);
        let path =
            format!("/p1/companies/{company}/conversations/{conversation}/messages/attachments");
        call(self.req_as(token, Method::POST, &path).multipart(form)).await
    }
}

/// How [`TestServer::send_as`] carries its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Only in the query string, no body.
    Query,
    /// An `application/x-www-form-urlencoded` body.
    Form,
    /// A JSON object body whose values are all strings.
    Json,
    /// `multipart/form-data` text fields.
    Multipart,
}

impl Encoding {
    /// Every encoding, for table-driven tests.
    pub const ALL: [Encoding; 4] = [
        Encoding::Query,
        Encoding::Form,
        Encoding::Json,
        Encoding::Multipart,
    ];
}

impl TestServer {
    /// Sends `pairs` with the first user's token in the given encoding.
    pub async fn send_as(
        &self,
        method: Method,
        path: &str,
        encoding: Encoding,
        pairs: &[(&str, &str)],
    ) -> (u16, Value) {
        let request = self.req(method, path);
        let request = match encoding {
            Encoding::Query => request.query(pairs),
            Encoding::Form => request.form(pairs),
            Encoding::Json => {
                let object: serde_json::Map<String, Value> = pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
                    .collect();
                request.json(&object)
            }
            Encoding::Multipart => {
                let form = pairs
                    .iter()
                    .fold(reqwest::multipart::Form::new(), |form, (k, v)| {
                        form.text((*k).to_owned(), (*v).to_owned())
                    });
                request.multipart(form)
            }
        };
        call(request).await
    }

    /// `data.conversation` of `GET /p1/companies/CID/conversations/ID`, which must be a 200.
    pub async fn conversation_details(&self, company: i64, conversation: i64) -> Value {
        let (status, body) = self
            .get(&format!(
                "/p1/companies/{company}/conversations/{conversation}"
            ))
            .await;
        assert_eq!(status, 200, "{body}");
        body["data"]["conversation"].clone()
    }

    /// The stored messages of a conversation, read straight from the database (fields such
    /// as `send_to_crm` are checked where they are kept, not only as the API shows them).
    pub async fn stored_messages(
        &self,
        company: i64,
        conversation: i64,
    ) -> Vec<confab_store::Message> {
        crate::harness::store_messages(&*self.store().await, company, conversation)
            .await
            .expect("read messages")
    }
}

/// Asserts a client error without a parameter to name: the status and a JSON error body.
#[track_caller]
pub fn assert_client_error(status: u16, body: &Value, want_status: u16) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["status"], "error", "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "no message: {body}"
    );
}

/// Unix seconds now, by the wall clock the tests compare the server's times with.
#[allow(clippy::disallowed_methods)]
pub fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

// ---- messages and delivery jobs ----

/// How long [`TestServer::wait_job`] and [`TestServer::wait_ack`] poll before giving up.
pub const SETTLE: std::time::Duration = std::time::Duration::from_secs(10);
/// How often they poll.
pub const POLL: std::time::Duration = std::time::Duration::from_millis(20);

/// `/p1/companies/CID/conversations/ID/messages`.
pub fn messages_path(company: i64, conversation: i64) -> String {
    format!("/p1/companies/{company}/conversations/{conversation}/messages")
}

/// `/p1/companies/CID/channels/CHID/jobs/ID`.
pub fn job_path(company: i64, channel: i64, job: i64) -> String {
    format!("/p1/companies/{company}/channels/{channel}/jobs/{job}")
}

impl TestServer {
    /// A customer writes `text` through the sandbox; returns (conversation, message).
    pub async fn inbound(
        &self,
        company: i64,
        channel: i64,
        sender: &str,
        text: &str,
    ) -> (i64, i64) {
        let (status, body) = self
            .form(
                Method::POST,
                &format!("/p1/companies/{company}/channels/{channel}/sandbox/inbound"),
                &[("sender_external_id", sender), ("message", text)],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        (
            body["data"]["conversation_id"]
                .as_i64()
                .expect("conversation_id"),
            body["data"]["message_id"].as_i64().expect("message_id"),
        )
    }

    /// Uploads `bytes` named `file_name` into the conversation; returns the attachment id.
    pub async fn upload(
        &self,
        company: i64,
        conversation: i64,
        file_name: &str,
        bytes: &[u8],
    ) -> i64 {
        let (status, body) = self
            .upload_as(
                &self.token,
                company,
                conversation,
                file_name,
                bytes.to_vec(),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["data"]["external_id"].as_i64().expect("attachment id")
    }

    /// Every message of a conversation through the API (all pages of 100), oldest first.
    pub async fn all_messages(&self, company: i64, conversation: i64) -> Vec<Value> {
        let path = messages_path(company, conversation);
        let mut all = Vec::new();
        let mut from: Option<String> = None;
        for _ in 0..1000 {
            let url = match &from {
                Some(token) => format!("{path}?per=100&from={token}"),
                None => format!("{path}?per=100"),
            };
            let (status, body) = self.get(&url).await;
            assert_eq!(status, 200, "{body}");
            all.extend(
                body["data"]["messages"]
                    .as_array()
                    .expect("messages")
                    .iter()
                    .cloned(),
            );
            match &body["data"]["next_page"] {
                Value::String(token) => from = Some(token.clone()),
                _ => return all,
            }
        }
        panic!("the message list does not end");
    }

    /// One message of a conversation, as the list shows it.
    pub async fn message(&self, company: i64, conversation: i64, id: i64) -> Value {
        self.all_messages(company, conversation)
            .await
            .into_iter()
            .find(|m| m["external_id"] == id)
            .unwrap_or_else(|| panic!("message {id} not in conversation {conversation}"))
    }

    /// `data` of `GET .../channels/CHID/jobs/ID`, which must be a 200.
    pub async fn job(&self, company: i64, channel: i64, job: i64) -> Value {
        let (status, body) = self.get(&job_path(company, channel, job)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "ok", "{body}");
        body["data"].clone()
    }

    /// Polls a job until it leaves `trying_deliver`; returns it.
    pub async fn wait_job(&self, company: i64, channel: i64, job: i64) -> Value {
        let deadline = tokio::time::Instant::now() + SETTLE;
        loop {
            let data = self.job(company, channel, job).await;
            if data["state"] != "trying_deliver" {
                return data;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "job {job} never settled: {data}"
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// Polls a message until its ack is at least `ack`; returns it.
    pub async fn wait_ack(&self, company: i64, conversation: i64, id: i64, ack: i64) -> Value {
        let deadline = tokio::time::Instant::now() + SETTLE;
        loop {
            let m = self.message(company, conversation, id).await;
            if m["ack"].as_i64().is_some_and(|a| a >= ack) {
                return m;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "message {id} never reached ack {ack}: {m}"
            );
            tokio::time::sleep(POLL).await;
        }
    }
}

impl TestServer {
    /// Waits (bounded) until every outgoing message of the conversation has finished its
    /// delivery steps (ack 2 or more), so background work no longer changes it.
    pub async fn settle_deliveries(&self, company: i64, conversation: i64) {
        let store = self.store().await;
        for _ in 0..500 {
            let messages = crate::harness::store_messages(&*store, company, conversation)
                .await
                .expect("messages");
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

/// The conversations list of a company.
pub fn list_path(company: i64) -> String {
    format!("/p1/companies/{company}/conversations")
}

/// One conversation of a company.
pub fn item_path(company: i64, conversation: i64) -> String {
    format!("/p1/companies/{company}/conversations/{conversation}")
}

/// The conversation ids of a list answer, in order.
pub fn ids(body: &Value) -> Vec<i64> {
    body["data"]["conversations"]
        .as_array()
        .expect("conversations list")
        .iter()
        .map(|c| c["external_id"].as_i64().expect("id"))
        .collect()
}

/// Every message of a conversation in creation order, read a page at a time through the
/// store (the store has no "read everything" call: nothing but tests needs one).
pub async fn store_messages(
    store: &dyn confab_store::Store,
    company: i64,
    conversation: i64,
) -> confab_store::StoreResult<Vec<confab_store::Message>> {
    let mut all: Vec<confab_store::Message> = Vec::new();
    loop {
        let page = confab_store::MessagePageRequest {
            after: all.last().map(|m| (m.created_at_ms, m.id)),
            descending: false,
            limit: 500,
        };
        let rows = store.list_messages(company, conversation, page).await?;
        let done = rows.len() < 500;
        all.extend(rows);
        if done {
            return Ok(all);
        }
    }
}
