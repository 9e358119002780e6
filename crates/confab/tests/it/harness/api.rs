//! Test data made and read back through the API: companies, channels, conversations,
//! inbound messages, uploads, the message list, and delivery jobs and acks waited for.

use reqwest::Method;
use serde_json::Value;

use super::{TestServer, job_path, messages_path};

/// How long [`TestServer::wait_job`] and [`TestServer::wait_ack`] poll before giving up.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(10);
/// How often they poll.
const POLL: std::time::Duration = std::time::Duration::from_millis(20);

impl TestServer {
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
