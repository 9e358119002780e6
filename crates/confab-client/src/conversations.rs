//! `/p1/companies/CID/conversations`: list, start, read, note, assign, toggle the Bitrix24
//! open-lines block.

use confab_wire::requests::{Assignment, BitrixOpenlinesBlock, ConversationNote, NewConversation};
use confab_wire::{
    Conversation, ConversationData, ConversationList, ConversationRef, ConversationsMeta,
};
use reqwest::Method;
use serde::Serialize;

use crate::Client;
use crate::error::Result;
use crate::pagination::{ItemStream, ListData, ListParams, Page};

/// Which conversations a filtered list shows, and in what order (the inbox's filters):
/// all that are set must hold.
///
/// ```
/// use confab_client::ConversationFilters;
/// let waiting = ConversationFilters::new().unassigned().awaiting_reply().by_last_message();
/// let found = ConversationFilters::new().search("parcel 7925");
/// # let _ = (waiting, found);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ConversationFilters {
    #[serde(skip_serializing_if = "Option::is_none")]
    assignee_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    awaiting_reply: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    q: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    order: Option<&'static str>,
}

impl ConversationFilters {
    /// No filter: every conversation, by id.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only those assigned to user `user_id`.
    #[must_use]
    pub fn assignee(mut self, user_id: i64) -> Self {
        self.assignee_id = Some(user_id.to_string());
        self
    }

    /// Only those assigned to nobody.
    #[must_use]
    pub fn unassigned(mut self) -> Self {
        self.assignee_id = Some("none".to_owned());
        self
    }

    /// Only those on channel `channel_id`.
    #[must_use]
    pub fn channel(mut self, channel_id: i64) -> Self {
        self.channel_id = Some(channel_id);
        self
    }

    /// Only those whose customer wrote last (waiting for an answer).
    #[must_use]
    pub fn awaiting_reply(mut self) -> Self {
        self.awaiting_reply = Some(true);
        self
    }

    /// Only those whose contact (name, phone, username) or messages match the words of
    /// `q` (each word as a prefix).
    #[must_use]
    pub fn search(mut self, q: impl Into<String>) -> Self {
        self.q = Some(q.into());
        self
    }

    /// By the time of the last activity (newest first with a descending [`ListParams`]).
    #[must_use]
    pub fn by_last_message(mut self) -> Self {
        self.order = Some("last_message");
        self
    }
}

#[derive(Serialize)]
struct ChannelQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    channel_id: Option<i64>,
}

/// A company's conversations: made by [`Client::conversations`].
#[derive(Debug, Clone)]
pub struct Conversations {
    client: Client,
    company_id: i64,
}

impl Client {
    /// The conversations of company `company_id` (`/p1/companies/CID/conversations`).
    ///
    /// ```no_run
    /// use confab_client::NewConversation;
    /// # async fn run(client: confab_client::Client) -> Result<(), confab_client::Error> {
    /// let conversations = client.conversations(1);
    /// let started = conversations
    ///     .create(&NewConversation::whatsapp("79250000001", "Hello"))
    ///     .await?;
    /// conversations.set_note(started.external_id, "VIP customer").await?;
    /// conversations.assign(started.external_id, Some(1)).await?;
    /// # Ok(()) }
    /// ```
    pub fn conversations(&self, company_id: i64) -> Conversations {
        Conversations {
            client: self.clone(),
            company_id,
        }
    }
}

impl Conversations {
    fn path(&self) -> String {
        format!("companies/{}/conversations", self.company_id)
    }

    fn item(&self, conversation_id: i64, action: &str) -> String {
        format!("{}/{conversation_id}{action}", self.path())
    }

    /// One page of the company's conversations, by id.
    ///
    /// # Errors
    /// See [`crate::Error`].
    pub async fn list(&self, params: &ListParams) -> Result<Page<Conversation>> {
        self.client
            .page::<ConversationList>(&self.path(), params)
            .await
    }

    /// Every conversation of the company.
    pub fn stream(&self, params: ListParams) -> ItemStream<Conversation> {
        self.client.items::<ConversationList>(self.path(), params)
    }

    /// One page of the conversations `filters` admit, in their order. Pass the page's
    /// `next_page` back (with the same filters) for the next.
    ///
    /// # Errors
    /// A 400 naming the filter that is malformed; see [`crate::Error`].
    pub async fn find(
        &self,
        filters: &ConversationFilters,
        params: &ListParams,
    ) -> Result<Page<Conversation>> {
        let request = self
            .client
            .request(Method::GET, &self.path())?
            .query(params)
            .query(filters);
        let data: ConversationList = self.client.data(request).await?;
        Ok(data.into_page())
    }

    /// How many conversations each inbox tab holds (mine, unassigned, all, awaiting a
    /// reply), on one channel when `channel_id` is given.
    ///
    /// # Errors
    /// See [`crate::Error`].
    pub async fn meta(&self, channel_id: Option<i64>) -> Result<ConversationsMeta> {
        let request = self
            .client
            .request(Method::GET, &format!("{}/meta", self.path()))?
            .query(&ChannelQuery { channel_id });
        self.client.data(request).await
    }

    /// Starts a conversation (or continues the one with that contact) by sending its first
    /// message, which is delivered asynchronously.
    ///
    /// # Errors
    /// A 400 naming `provider` (no such channel), `phone`, `username` or `text`.
    pub async fn create(&self, conversation: &NewConversation) -> Result<Conversation> {
        let request = self
            .client
            .request(Method::POST, &self.path())?
            .json(conversation);
        let data: ConversationData = self.client.data(request).await?;
        Ok(data.conversation)
    }

    /// One conversation.
    ///
    /// # Errors
    /// A 404 for an unknown conversation.
    pub async fn get(&self, conversation_id: i64) -> Result<Conversation> {
        let request = self
            .client
            .request(Method::GET, &self.item(conversation_id, ""))?;
        let data: ConversationData = self.client.data(request).await?;
        Ok(data.conversation)
    }

    /// Sets the operators' note.
    ///
    /// # Errors
    /// A 404 for an unknown conversation.
    pub async fn set_note(&self, conversation_id: i64, note: &str) -> Result<()> {
        let body = ConversationNote {
            note: note.to_owned(),
        };
        let request = self
            .client
            .request(Method::PUT, &self.item(conversation_id, "/note"))?
            .json(&body);
        self.client.status_word(request).await.map(drop)
    }

    /// Assigns the conversation to the member user `assignee_id`, or unassigns it (`None`).
    ///
    /// # Errors
    /// A 400 naming `assignee_id` when that user is not a member of the company.
    pub async fn assign(&self, conversation_id: i64, assignee_id: Option<i64>) -> Result<()> {
        let body = Assignment { assignee_id };
        let request = self
            .client
            .request(Method::PUT, &self.item(conversation_id, "/assign"))?
            .json(&body);
        let _: ConversationRef = self.client.data(request).await?;
        Ok(())
    }

    /// Sets whether Bitrix24 open lines are blocked for the conversation (`None` flips it,
    /// and is then retried only under its idempotency key, which replays the first flip
    /// instead of undoing it); returns the conversation as it is now.
    ///
    /// # Errors
    /// A 404 for an unknown conversation.
    pub async fn toggle_bitrix_block_openlines(
        &self,
        conversation_id: i64,
        enabled: Option<bool>,
    ) -> Result<Conversation> {
        let body = BitrixOpenlinesBlock { enabled };
        let path = self.item(conversation_id, "/toggle_bitrix_block_openlines");
        let request = self.client.request(Method::PUT, &path)?.json(&body);
        let data: ConversationData = if enabled.is_some() {
            self.client.data(request).await?
        } else {
            self.client.data_once(request).await?
        };
        Ok(data.conversation)
    }
}
