//! WhatsApp Business (Meta's Cloud API) end to end, against a loopback fake of the Graph
//! API that speaks Meta's wire format and errors, with webhook events signed as Meta signs
//! them: connecting a number, the webhook handshake and signature, inbound messages and
//! media, replies and files, statuses moving acks, error codes ending as specified, and
//! `user_exists`.

use std::time::Duration;

use confab_fakes::whatsapp::FakeWhatsApp;
use confab_fakes::whatsapp::events::{self, Business};
use reqwest::Method;
use serde_json::Value;

use crate::harness::*;

mod connect;
mod inbound;
mod outbound;
mod statuses;
mod templates;
mod templates_api;
mod webhook;

/// A system-user access token (the shape Meta hands out).
const TOKEN: &str = "EAAGtestSystemUserToken0123456789";
/// The business number's id.
const PHONE_ID: &str = "106540352242922";
/// The WhatsApp Business Account.
const WABA: &str = "102290129340398";
/// The Meta app's secret, which signs webhooks.
const APP_SECRET: &str = "5f2b1c0e9d8a7b6c5f2b1c0e9d8a7b6c";
/// The customer.
const CUSTOMER: &str = "79250000001";
/// How long a test waits for something the server does in the background.
const SETTLE: Duration = Duration::from_secs(15);

/// A server without the sandbox and with a public URL, its Graph API pointed at a fake
/// with one number, a company whose webhooks go to a receiver, and a WhatsApp Business
/// channel of that number.
struct Number {
    fake: FakeWhatsApp,
    srv: TestServer,
    rx: Receiver,
    company: i64,
    channel: i64,
    /// The channel's webhook URL, as the creation answered it.
    hook: String,
    /// The verify token the creation answered.
    verify_token: String,
}

/// The fake with the test number.
async fn fake() -> FakeWhatsApp {
    let fake = FakeWhatsApp::start().await.expect("fake WhatsApp");
    fake.add_number(PHONE_ID, WABA, TOKEN);
    fake
}

/// A server of the fake, with `--public-url` unless `public` is false.
async fn server(fake: &FakeWhatsApp, public: bool) -> TestServer {
    let api = url::Url::parse(&fake.base_url()).expect("fake URL");
    let adjust = |c: &mut confab_server::Config| {
        c.sandbox = false;
        c.allow_private_urls = true;
        c.whatsapp_api_url = api;
    };
    if public {
        TestServer::start_public(adjust).await
    } else {
        TestServer::start_with(adjust).await
    }
}

/// The creation parameters of the test number.
fn channel_form() -> Vec<(&'static str, &'static str)> {
    vec![
        ("provider", "whatsapp_business"),
        ("hosting_type", "cloud"),
        ("token", TOKEN),
        ("phone_number_id", PHONE_ID),
        ("waba_id", WABA),
        ("app_secret", APP_SECRET),
    ]
}

/// A company with a webhook receiver.
async fn company(srv: &TestServer, rx: &Receiver) -> i64 {
    let (status, body) = srv
        .form(
            Method::POST,
            "/p1/companies",
            &[("name", "Shop"), ("webhook_url", &rx.url)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["data"]["external_id"].as_i64().expect("company")
}

impl Number {
    async fn start() -> Self {
        Self::start_with_templates(Vec::new()).await
    }

    /// [`Number::start`] with these templates at Meta (`message_templates` items) before
    /// the channel is created.
    async fn start_with_templates(templates: Vec<Value>) -> Self {
        let fake = fake().await;
        fake.seed_templates(WABA, templates);
        let srv = server(&fake, true).await;
        let rx = Receiver::start().await;
        let company = company(&srv, &rx).await;
        let (status, body) = srv
            .form(
                Method::POST,
                &format!("/p1/companies/{company}/channels"),
                &channel_form(),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "created");
        let data = &body["data"];
        Self {
            channel: data["external_id"].as_i64().expect("channel"),
            hook: data["webhook_url"]
                .as_str()
                .expect("webhook_url")
                .to_owned(),
            verify_token: data["verify_token"]
                .as_str()
                .expect("verify_token")
                .to_owned(),
            fake,
            srv,
            rx,
            company,
        }
    }

    fn business() -> Business {
        Business::new(WABA, PHONE_ID)
    }

    /// Posts an event as Meta does, signed; answers the status.
    async fn post(&self, body: &Value) -> u16 {
        events::post(&self.hook, APP_SECRET, body)
            .await
            .expect("post an event")
    }

    /// The customer sends these message objects; the event must be accepted.
    async fn customer_sends(&self, messages: Vec<Value>) {
        let body = Self::business().messages(CUSTOMER, "Ann Lee", messages);
        assert_eq!(self.post(&body).await, 200);
    }

    /// Posts statuses; the event must be accepted.
    async fn statuses(&self, statuses: Vec<Value>) {
        assert_eq!(self.post(&Self::business().statuses(statuses)).await, 200);
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

    /// Waits until the customer's conversation has `n` messages: (its id, its messages).
    async fn wait_messages(&self, n: usize) -> (i64, Vec<Value>) {
        eventually(&format!("{n} messages"), || async {
            let c = self
                .conversations()
                .await
                .into_iter()
                .find(|c| c["sender_external_id"] == CUSTOMER)?;
            let id = c["external_id"].as_i64()?;
            let messages = self.srv.all_messages(self.company, id).await;
            (messages.len() >= n).then_some((id, messages))
        })
        .await
    }

    /// The customer wrote once: their conversation.
    async fn conversation(&self) -> i64 {
        self.customer_sends(vec![events::text("wamid.IN1", "hi")])
            .await;
        self.wait_messages(1).await.0
    }

    /// Sends a reply; answers its job id.
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

    /// Waits until a job is final.
    async fn wait_job(&self, job: i64) -> Value {
        eventually(&format!("job {job} settles"), || async {
            let data = self.srv.job(self.company, self.channel, job).await;
            (data["state"] != "trying_deliver").then_some(data)
        })
        .await
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
