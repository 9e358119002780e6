//! `/p1/companies/CID/conversations/ID/messages`: list and send.

use confab_wire::requests::NewMessage;
use confab_wire::{Job, Message, MessageList};
use reqwest::Method;

use crate::Client;
use crate::error::Result;
use crate::pagination::{ItemStream, ListParams, Page};

/// A conversation's messages: made by [`Client::messages`].
#[derive(Debug, Clone)]
pub struct Messages {
    client: Client,
    company_id: i64,
    conversation_id: i64,
}

impl Client {
    /// The messages of conversation `conversation_id` of company `company_id`.
    ///
    /// ```no_run
    /// use confab_client::{ListParams, NewMessage};
    /// # async fn run(client: confab_client::Client) -> Result<(), confab_client::Error> {
    /// let messages = client.messages(1, 1);
    /// let job = messages.send(&NewMessage::text("Hi!")).await?;
    /// let job = client.wait_for_job(&job).await?;
    /// for message in messages.list(&ListParams::new().descending()).await?.items {
    ///     println!("{} ack={} {}", message.external_id, message.ack, message.message);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn messages(&self, company_id: i64, conversation_id: i64) -> Messages {
        Messages {
            client: self.clone(),
            company_id,
            conversation_id,
        }
    }
}

impl Messages {
    fn path(&self) -> String {
        format!(
            "companies/{}/conversations/{}/messages",
            self.company_id, self.conversation_id
        )
    }

    /// One page of the conversation's messages, by creation time.
    ///
    /// # Errors
    /// A 404 for an unknown conversation.
    pub async fn list(&self, params: &ListParams) -> Result<Page<Message>> {
        self.client.page::<MessageList>(&self.path(), params).await
    }

    /// Every message of the conversation.
    pub fn stream(&self, params: ListParams) -> ItemStream<Message> {
        self.client.items::<MessageList>(self.path(), params)
    }

    /// Sends a message; returns its delivery job (`trying_deliver` at first: follow it with
    /// [`Client::wait_for_job`]). Never retried, so a message is never sent twice.
    ///
    /// # Errors
    /// A 400 naming `message` (neither text nor attachments), `attachments_ids` or
    /// `interactive`.
    pub async fn send(&self, message: &NewMessage) -> Result<Job> {
        let request = self
            .client
            .request(Method::POST, &self.path())?
            .json(message);
        self.client.data(request).await
    }
}
