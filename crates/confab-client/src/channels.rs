//! `/p1/companies/CID/channels`: list, connect, update credentials, disable.

use confab_wire::requests::{ChannelCredentials, NewChannel, WriteFirst};
use confab_wire::{Channel, ChannelList, ExternalId, Job, Provider};
use reqwest::Method;
use serde_json::Value;

use crate::Client;
use crate::error::Result;
use crate::pagination::{ItemStream, ListParams, Page};

/// A channel's provider settings as the API names them (`token`, `login`, `password`,
/// `phone`, `hosting_type`, `sync_messages_from`, `via_qr_code`, `data`, ...), sent as a
/// JSON object as given. Empty is fine for confab's sandbox. The typed forms are
/// [`NewChannel`] ([`Channels::connect`]) and [`ChannelCredentials`]
/// ([`Channels::set_credentials`]); this one also takes what they do not type, such as
/// `sync_messages_from` as an RFC 3339 time.
pub type ChannelSettings = serde_json::Map<String, Value>;

/// A company's channels: made by [`Client::channels`].
#[derive(Debug, Clone)]
pub struct Channels {
    client: Client,
    company_id: i64,
}

impl Client {
    /// The channels of company `company_id` (`/p1/companies/CID/channels`).
    ///
    /// ```no_run
    /// use confab_client::{ChannelSettings, Provider};
    /// # async fn run(client: confab_client::Client) -> Result<(), confab_client::Error> {
    /// let channels = client.channels(1);
    /// let whatsapp = channels.create(Provider::Whatsapp, ChannelSettings::new()).await?;
    ///
    /// let mut telegram = ChannelSettings::new();
    /// telegram.insert("token".into(), "123:ABC".into());
    /// let bot = channels.create(Provider::Telegram, telegram).await?;
    ///
    /// // the same, typed
    /// use confab_client::NewChannel;
    /// let viber = channels.connect(&NewChannel::new(Provider::Viber).token("abc")).await?;
    /// # Ok(()) }
    /// ```
    pub fn channels(&self, company_id: i64) -> Channels {
        Channels {
            client: self.clone(),
            company_id,
        }
    }
}

impl Channels {
    fn path(&self) -> String {
        format!("companies/{}/channels", self.company_id)
    }

    /// One page of the company's live channels, by id.
    ///
    /// # Errors
    /// See [`crate::Error`].
    pub async fn list(&self, params: &ListParams) -> Result<Page<Channel>> {
        self.client.page::<ChannelList>(&self.path(), params).await
    }

    /// Every live channel of the company.
    pub fn stream(&self, params: ListParams) -> ItemStream<Channel> {
        self.client.items::<ChannelList>(self.path(), params)
    }

    /// Connects a channel: `channel` names the provider and its settings; returns its id.
    ///
    /// # Errors
    /// A 400 naming `provider` when the company already has a live channel of it (one per
    /// provider), or naming a refused setting.
    pub async fn connect(&self, channel: &NewChannel) -> Result<i64> {
        let request = self
            .client
            .request(Method::POST, &self.path())?
            .json(channel);
        let created: ExternalId = self.client.data(request).await?;
        Ok(created.external_id)
    }

    /// Connects a channel of `provider` with its `settings` (untyped: see
    /// [`ChannelSettings`]); returns its id.
    ///
    /// # Errors
    /// A 400 naming `provider` when the company already has a live channel of it (one per
    /// provider), or naming a refused setting.
    pub async fn create(&self, provider: Provider, settings: ChannelSettings) -> Result<i64> {
        let mut body = settings;
        body.insert("provider".to_owned(), Value::from(provider.as_str()));
        let request = self.client.request(Method::POST, &self.path())?.json(&body);
        let created: ExternalId = self.client.data(request).await?;
        Ok(created.external_id)
    }

    /// Updates the channel's credentials (`token`; `login`/`password` for avito and
    /// instagram); returns its id.
    ///
    /// # Errors
    /// A 400 naming the credential when none of its provider's is given; a 404 for an
    /// unknown channel.
    pub async fn set_credentials(
        &self,
        channel_id: i64,
        credentials: &ChannelCredentials,
    ) -> Result<i64> {
        let path = format!("{}/{channel_id}", self.path());
        let request = self.client.request(Method::PUT, &path)?.json(credentials);
        let updated: ExternalId = self.client.data(request).await?;
        Ok(updated.external_id)
    }

    /// [`Channels::set_credentials`] with untyped settings (see [`ChannelSettings`]).
    ///
    /// # Errors
    /// A 400 naming the credential when none is given; a 404 for an unknown channel.
    pub async fn update(&self, channel_id: i64, settings: ChannelSettings) -> Result<i64> {
        let path = format!("{}/{channel_id}", self.path());
        let request = self.client.request(Method::PUT, &path)?.json(&settings);
        let updated: ExternalId = self.client.data(request).await?;
        Ok(updated.external_id)
    }

    /// Writes first, through a whatsapp channel, to `phone` (which has never written):
    /// starts the conversation with `message` and returns its delivery job. Never retried.
    ///
    /// # Errors
    /// A 400 naming `phone` or `message`; a 400 for channels of other providers.
    pub async fn write_first(&self, channel_id: i64, phone: &str, message: &str) -> Result<Job> {
        let body = WriteFirst::new(phone, message);
        let path = format!("{}/{channel_id}/conversations", self.path());
        let request = self.client.request(Method::POST, &path)?.json(&body);
        self.client.data(request).await
    }

    /// Disables the channel: its conversations stay readable and the provider is free for
    /// a new channel.
    ///
    /// # Errors
    /// A 404 for an unknown or already disabled channel.
    pub async fn delete(&self, channel_id: i64) -> Result<()> {
        let path = format!("{}/{channel_id}", self.path());
        let request = self.client.request(Method::DELETE, &path)?;
        self.client.status_word(request).await.map(drop)
    }
}
