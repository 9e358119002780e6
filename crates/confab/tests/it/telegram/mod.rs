//! Telegram bots end to end, against a loopback fake of the Bot API that speaks its wire
//! format and misbehaves on request: a customer writes and a conversation appears; a reply
//! reaches the chat; each error class ends as specified; restarts, redeliveries, webhooks.

use std::time::Duration;

use confab_fakes::telegram::{Content, Customer, FakeTelegram};
use reqwest::Method;
use serde_json::Value;

use crate::harness::*;

mod connect;
mod full_disk;
mod inbound;
mod multinode;
mod outbound;
mod webhook;

/// The fake bot's token (the shape BotFather hands out).
const TOKEN: &str = "123456:ABC-test-token_0123456789abcdefghij";
/// How long a test waits for something the server does in the background.
const SETTLE: Duration = Duration::from_secs(15);

/// A server without the sandbox, its Bot API pointed at a fake with one bot, a company
/// whose webhooks go to a receiver, and a Telegram channel of that bot.
struct Bot {
    fake: FakeTelegram,
    srv: TestServer,
    rx: Receiver,
    company: i64,
    channel: i64,
}

impl Bot {
    async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    async fn start_with(adjust: impl FnOnce(&mut confab_server::Config)) -> Self {
        let fake = FakeTelegram::start().await.expect("fake Telegram");
        fake.add_bot(TOKEN, 123_456, "confab_test_bot");
        let api = url::Url::parse(fake.base_url()).expect("fake URL");
        let srv = TestServer::start_with(|c| {
            c.sandbox = false;
            c.allow_private_urls = true;
            c.telegram_api_url = api;
            adjust(c);
        })
        .await;
        Self::connect(fake, srv).await
    }

    async fn connect(fake: FakeTelegram, srv: TestServer) -> Self {
        let rx = Receiver::start().await;
        let (status, body) = srv
            .form(
                Method::POST,
                "/p1/companies",
                &[("name", "Shop"), ("webhook_url", &rx.url)],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let company = body["data"]["external_id"].as_i64().expect("company");
        let (status, body) = srv
            .form(
                Method::POST,
                &format!("/p1/companies/{company}/channels"),
                &[("provider", "telegram"), ("token", TOKEN)],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let channel = body["data"]["external_id"].as_i64().expect("channel");
        Self {
            fake,
            srv,
            rx,
            company,
            channel,
        }
    }

    /// A customer writes to the bot; returns the update id.
    fn customer_sends(&self, chat: i64, content: Content) -> i64 {
        let mut customer = Customer::new(chat, "Ann");
        customer.last_name = Some("Lee".to_owned());
        self.fake
            .customer_sends(TOKEN, &customer, content)
            .expect("customer sends")
    }

    /// The company's conversations (first page).
    async fn conversations(&self) -> Vec<Value> {
        let (status, body) = self.srv.get(&list_path(self.company)).await;
        assert_eq!(status, 200, "{body}");
        body["data"]["conversations"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Waits until the conversation with chat `chat` has `n` messages; returns
    /// (conversation id, its messages).
    async fn wait_messages(&self, chat: i64, n: usize) -> (i64, Vec<Value>) {
        let deadline = tokio::time::Instant::now() + SETTLE;
        loop {
            if let Some(c) = self.conversations().await.into_iter().find(|c| {
                c["sender_external_id"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    == Some(chat)
            }) {
                let id = c["external_id"].as_i64().expect("id");
                let messages = self.srv.all_messages(self.company, id).await;
                if messages.len() >= n {
                    return (id, messages);
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "chat {chat} never had {n} messages"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The channel as `GET .../channels` lists it.
    async fn listed_channel(&self) -> Value {
        let (status, body) = self
            .srv
            .get(&format!("/p1/companies/{}/channels", self.company))
            .await;
        assert_eq!(status, 200, "{body}");
        body["data"]["channels"]
            .as_array()
            .and_then(|l| l.iter().find(|c| c["external_id"] == self.channel).cloned())
            .expect("the channel is listed")
    }

    /// Downloads an attachment through the API.
    async fn download(&self, url: &str) -> Vec<u8> {
        let response = self
            .srv
            .req(Method::GET, url)
            .send()
            .await
            .expect("download");
        assert_eq!(response.status(), 200, "{url}");
        response.bytes().await.expect("bytes").to_vec()
    }

    /// Sends a reply into a conversation; returns the message's job id.
    async fn reply(&self, conversation: i64, text: &str) -> i64 {
        let (status, body) = self
            .srv
            .form(
                Method::POST,
                &messages_path(self.company, conversation),
                &[("message", text)],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["data"]["id"].as_i64().expect("job id")
    }

    async fn wait_job(&self, job: i64) -> Value {
        let deadline = tokio::time::Instant::now() + SETTLE;
        loop {
            let data = self.srv.job(self.company, self.channel, job).await;
            if data["state"] != "trying_deliver" {
                return data;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "job {job} never settled: {data}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Polls `check` until it answers `Some`, for at most [`SETTLE`].
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + SETTLE;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
