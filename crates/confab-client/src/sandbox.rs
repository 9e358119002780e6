//! confab's sandbox endpoints (servers started with `--sandbox`; others answer 403): a
//! customer writes or reads, a contact becomes unreachable, a channel's phone goes offline.

use confab_wire::{Message, MessageData, SandboxContact, SandboxEvent, SandboxInbound};
use reqwest::Method;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::Client;
use crate::error::Result;
use crate::upload::Upload;

/// A message a customer writes to a channel.
///
/// ```
/// let hi = confab_client::Inbound::new("79250000001").name("Ivan").message("Hi!");
/// assert_eq!(hi.sender_external_id, "79250000001");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Inbound {
    /// Who writes: the contact's id on the messenger (phone digits for WhatsApp).
    pub sender_external_id: String,
    /// The contact's display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// A file the server fetches and attaches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_url: Option<String>,
}

impl Inbound {
    /// A message from `sender_external_id`.
    pub fn new(sender_external_id: impl Into<String>) -> Self {
        Self {
            sender_external_id: sender_external_id.into(),
            ..Self::default()
        }
    }

    /// With the contact's name.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// With text.
    #[must_use]
    pub fn message(mut self, text: impl Into<String>) -> Self {
        self.message = Some(text.into());
        self
    }

    /// With a file the server fetches.
    #[must_use]
    pub fn file_url(mut self, url: impl Into<String>) -> Self {
        self.file_url = Some(url.into());
        self
    }

    fn form_fields(&self) -> Vec<(String, String)> {
        [
            ("sender_external_id", Some(&self.sender_external_id)),
            ("name", self.name.as_ref()),
            ("message", self.message.as_ref()),
            ("file_url", self.file_url.as_ref()),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.clone())))
        .collect()
    }
}

/// A channel system event the sandbox simulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChannelEvent {
    /// The channel is authorized (state `enabled`).
    Authorized,
    /// The phone running the channel went offline: deliveries fail.
    PhoneOffline,
    /// It is back (state `enabled`).
    PhoneOnline,
    /// The messenger is unreachable: deliveries fail.
    Unavailable,
    /// The channel was disabled: deliveries fail.
    Disabled,
    /// The channel is trying to resume work (state `unavailable`).
    TryingResumeWork,
    /// The history is synchronized (state `enabled`).
    Synchronized,
    /// A QR code to scan is announced (a `qr_code` webhook); the state does not change.
    QrCode,
}

impl ChannelEvent {
    /// The name the API takes.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelEvent::Authorized => "authorized",
            ChannelEvent::PhoneOffline => "phone_offline",
            ChannelEvent::PhoneOnline => "phone_online",
            ChannelEvent::Unavailable => "unavailable",
            ChannelEvent::Disabled => "disabled",
            ChannelEvent::TryingResumeWork => "trying_resume_work",
            ChannelEvent::Synchronized => "synchronized",
            ChannelEvent::QrCode => "qr_code",
        }
    }
}

/// A company's sandbox simulations: made by [`Client::sandbox`].
#[derive(Debug, Clone)]
pub struct Sandbox {
    client: Client,
    company_id: i64,
}

impl Client {
    /// The sandbox simulations of company `company_id` (confab with `--sandbox` only).
    ///
    /// ```no_run
    /// use confab_client::{ChannelEvent, Inbound};
    /// # async fn run(client: confab_client::Client) -> Result<(), confab_client::Error> {
    /// let sandbox = client.sandbox(1);
    /// let got = sandbox.inbound(1, &Inbound::new("79250000001").message("Hi!")).await?;
    /// sandbox.set_contact_reachable(1, "79250000001", false).await?;
    /// sandbox.event(1, ChannelEvent::PhoneOffline).await?;
    /// # Ok(()) }
    /// ```
    pub fn sandbox(&self, company_id: i64) -> Sandbox {
        Sandbox {
            client: self.clone(),
            company_id,
        }
    }
}

impl Sandbox {
    fn channel_path(&self, channel_id: i64, action: &str) -> String {
        format!(
            "companies/{}/channels/{channel_id}/sandbox/{action}",
            self.company_id
        )
    }

    /// A customer writes to channel `channel_id`; their conversation is created when new.
    /// Returns the conversation and the stored message.
    ///
    /// # Errors
    /// A 400 naming `sender_external_id` when it is blank; a 403 without `--sandbox`.
    pub async fn inbound(&self, channel_id: i64, inbound: &Inbound) -> Result<SandboxInbound> {
        let path = self.channel_path(channel_id, "inbound");
        let request = self.client.request(Method::POST, &path)?.json(inbound);
        self.client.data(request).await
    }

    /// [`Sandbox::inbound`] with a file the customer sends (uploaded as the part `file`).
    ///
    /// # Errors
    /// As [`Sandbox::inbound`] and [`crate::Attachments::upload`].
    pub async fn inbound_with_file(
        &self,
        channel_id: i64,
        inbound: &Inbound,
        file: Upload,
    ) -> Result<SandboxInbound> {
        let form = file.into_form(inbound.form_fields()).await?;
        let url = self.client.url(&self.channel_path(channel_id, "inbound"))?;
        let request = self
            .client
            .transfer(Method::POST, url)
            .header(reqwest::header::ACCEPT, "application/json")
            .multipart(form);
        self.client.data(request).await
    }

    /// The customer of conversation `conversation_id` reads the sent message
    /// `message_id` (its ack becomes 3); returns the message.
    ///
    /// # Errors
    /// A 400 naming `message_id` when it is incoming, not yet sent, or of another
    /// conversation.
    pub async fn read(&self, conversation_id: i64, message_id: i64) -> Result<Message> {
        let path = format!(
            "companies/{}/conversations/{conversation_id}/sandbox/read",
            self.company_id
        );
        let mut body = Map::new();
        body.insert("message_id".to_owned(), Value::from(message_id));
        let request = self.client.request(Method::POST, &path)?.json(&body);
        let data: MessageData = self.client.data(request).await?;
        Ok(data.message)
    }

    /// Makes the contact `sender_external_id` of channel `channel_id` unreachable
    /// (deliveries to it end `not_delivered`) or reachable again.
    ///
    /// # Errors
    /// A 400 naming `sender_external_id` when it is blank.
    pub async fn set_contact_reachable(
        &self,
        channel_id: i64,
        sender_external_id: &str,
        reachable: bool,
    ) -> Result<SandboxContact> {
        let mut body = Map::new();
        body.insert(
            "sender_external_id".to_owned(),
            Value::from(sender_external_id),
        );
        body.insert("reachable".to_owned(), Value::from(reachable));
        let path = self.channel_path(channel_id, "contacts");
        let request = self.client.request(Method::POST, &path)?.json(&body);
        self.client.data(request).await
    }

    /// Simulates a system event of channel `channel_id`; returns the channel's state after
    /// it.
    ///
    /// # Errors
    /// A 404 for an unknown channel.
    pub async fn event(&self, channel_id: i64, event: ChannelEvent) -> Result<SandboxEvent> {
        let mut body = Map::new();
        body.insert("event".to_owned(), Value::from(event.as_str()));
        let path = self.channel_path(channel_id, "events");
        let request = self.client.request(Method::POST, &path)?.json(&body);
        self.client.data(request).await
    }
}
