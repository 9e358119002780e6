//! confab's sandbox endpoints (servers started with `--sandbox`; others answer 403): a
//! customer writes or reads, a contact becomes unreachable, a channel's phone goes offline.

use confab_wire::requests::{
    ChannelEvent, ContactReachability, Inbound, ReadReceipt, SimulatedEvent,
};
use confab_wire::{Message, MessageData, SandboxContact, SandboxEvent, SandboxInbound};
use reqwest::Method;

use crate::Client;
use crate::error::Result;
use crate::upload::Upload;

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
        let fields = inbound
            .fields()
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        let form = file.into_form(fields).await?;
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
        let body = ReadReceipt { message_id };
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
        let body = ContactReachability {
            sender_external_id: sender_external_id.to_owned(),
            reachable,
        };
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
        let body = SimulatedEvent { event };
        let path = self.channel_path(channel_id, "events");
        let request = self.client.request(Method::POST, &path)?.json(&body);
        self.client.data(request).await
    }
}
