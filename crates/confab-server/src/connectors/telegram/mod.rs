//! Telegram bots through the Bot API: the token is checked with `getMe` when the channel is
//! connected; updates arrive by `getUpdates` long polling (one node per bot, under a lease
//! in the database) or, with `--public-url`, at `POST /hooks/telegram/<channel id>`
//! checked against a per-channel `secret_token`; either way they are stored raw before
//! they are acknowledged and processed as leased jobs. Replies go by `sendMessage` and
//! multipart file uploads. Bots get no delivered or read receipts: ack stops at 1.

use std::sync::Arc;
use std::time::Duration;

use confab_store::{Claimed, ClaimedUpdate, Contact, Outcome, UpdateOutcome, UpdateSource};
use serde_json::{Map, Value, json};

use crate::app::{App, FileSource, InboundMessage};
use crate::connectors::outcome::{self, millis};
use crate::connectors::update_outcome;
use crate::secrets::SecretBox;

pub mod api;
pub mod errors;
pub mod inbound;
pub mod pacing;
pub mod poller;
mod send;
pub mod types;

use api::{BotApi, Failure};
use errors::Verdict;
use inbound::{FileRef, Parsed};

/// The connector's name in the channel's `connector` column.
pub const NAME: &str = "telegram";
/// How long a delivery waits for a pacing slot before handing the job back for later.
const PACING_PATIENCE: Duration = Duration::from_secs(3);

/// The Telegram connector of this node.
pub struct Telegram {
    api: BotApi,
    app: Arc<App>,
    pacing: pacing::Pacing,
    /// Where webhooks point (`None`: poll).
    public_url: Option<url::Url>,
    /// How long a node manages a channel without renewing (`--job-lease`): a crashed
    /// node's polling is taken over after this.
    pub lease: Duration,
}

/// Why a token cannot connect a channel.
#[derive(Debug)]
pub enum ConnectError {
    /// Telegram refused it, with its description.
    Refused(String),
    /// Telegram could not be asked.
    Unreachable(String),
}

impl Telegram {
    /// The connector, calling the Bot API at `api_url`.
    ///
    /// # Errors
    /// When its HTTP client cannot be built.
    pub fn new(
        app: Arc<App>,
        api_url: &url::Url,
        public_url: Option<url::Url>,
        lease: Duration,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            api: BotApi::new(api_url)?,
            app,
            pacing: pacing::Pacing::default(),
            public_url,
            lease,
        })
    }

    fn secrets(&self) -> &SecretBox {
        &self.app.secrets
    }

    /// Checks a bot token with `getMe`; answers the settings the channel keeps (the token
    /// sealed, the bot's id and username).
    ///
    /// # Errors
    /// When Telegram refuses the token or cannot be reached.
    pub async fn connect(&self, token: &str) -> Result<Map<String, Value>, ConnectError> {
        let me: types::User =
            self.api
                .call(token, "getMe", &json!({}))
                .await
                .map_err(|f| match f {
                    Failure::Api { description, .. } => ConnectError::Refused(description),
                    Failure::Transport(why) => ConnectError::Unreachable(why),
                })?;
        let mut settings = Map::new();
        settings.insert("token".to_owned(), Value::from(self.secrets().seal(token)));
        settings.insert("bot_id".to_owned(), Value::from(me.id));
        if let Some(username) = me.username {
            settings.insert("bot_username".to_owned(), Value::from(username));
        }
        Ok(settings)
    }

    /// A deleted channel stops receiving: its webhook is removed (best effort; a poller
    /// stops by itself once the channel is gone).
    pub async fn disconnect(&self, settings: &Map<String, Value>) {
        if settings
            .get("webhook_url")
            .and_then(Value::as_str)
            .is_none()
        {
            return;
        }
        let Ok(Some(token)) = self.secrets().open_setting(settings, "token") else {
            return;
        };
        if let Err(e) = self
            .api
            .call::<bool>(&token, "deleteWebhook", &json!({}))
            .await
        {
            tracing::warn!(error = %e, "removing the webhook of a deleted Telegram channel failed");
        }
    }

    /// The channel's bot token, opened.
    fn token(&self, settings: &Map<String, Value>) -> Result<String, String> {
        match self.secrets().open_setting(settings, "token") {
            Ok(Some(token)) => Ok(token),
            Ok(None) => Err("the channel has no bot token".to_owned()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Delivers a claimed job (the delivery worker's call).
    pub async fn deliver_job(&self, job: &Claimed) -> Outcome {
        let (channel, deleted) = &job.channel;
        if *deleted {
            return failed("the channel has been deleted");
        }
        if channel.state == confab_store::ChannelState::Disabled {
            let why = channel
                .last_error
                .as_deref()
                .unwrap_or("the channel is disabled");
            return failed(why);
        }
        let token = match self.token(&channel.settings) {
            Ok(t) => t,
            Err(why) => return failed(&why),
        };
        let chat = &job.conversation.sender_external_id;
        if let Err(wait) = self.pacing.wait(channel.id, chat, PACING_PATIENCE).await {
            return Outcome::Retry {
                reason: "paced: Telegram takes about one message a second per chat".to_owned(),
                at_ms: self.app.now_ms().saturating_add(millis(wait)),
            };
        }
        let failure = match self.send(&token, job).await {
            Ok(id) => {
                return Outcome::Sent {
                    external_public_id: id.to_string(),
                };
            }
            Err(f) => f,
        };
        outcome::settle(&self.app, job, errors::classify(&failure)).await
    }

    /// Processes a stored update: a new message becomes an incoming message (files that
    /// fail to download follow later); files left over from an earlier round are fetched
    /// and attached. `Err` carries what to record when it did not become a message.
    pub async fn process(&self, update: &ClaimedUpdate) -> Option<UpdateOutcome> {
        let (channel, deleted) = &update.channel;
        if *deleted {
            return Some(UpdateOutcome::Skipped {
                reason: "the channel has been deleted".to_owned(),
            });
        }
        let token = match self.token(&channel.settings) {
            Ok(t) => t,
            Err(error) => return Some(UpdateOutcome::Failed { error }),
        };
        if update.message.is_some() {
            return self.fetch_remaining(&token, update).await;
        }
        let incoming = match inbound::parse(&update.payload) {
            Parsed::Message(m) => m,
            Parsed::Unsupported(reason) => {
                metrics::counter!("confab_inbound_updates_total", "provider" => NAME, "result" => "skipped").increment(1);
                return Some(UpdateOutcome::Skipped { reason });
            }
        };
        let (files, left) = self.download_all(&token, &incoming.files).await;
        let pending = update_outcome::pending_text(&left);
        let message = InboundMessage {
            contact: Contact {
                sender_external_id: incoming.chat_id.to_string(),
                name: incoming.name,
            },
            body: incoming.text,
            files,
            source: Some(UpdateSource {
                update_id: update.id,
                lease_until: update.lease_until,
                external_id: incoming.message_id.to_string(),
                pending,
            }),
        };
        match self.app.ingest_inbound(channel.clone(), message).await {
            Ok(_) => {
                metrics::counter!("confab_inbound_updates_total", "provider" => NAME, "result" => "message").increment(1);
                None
            }
            Err(e) => Some(self.retry(update, e.to_string())),
        }
    }

    /// Fetches the files an earlier round could not.
    async fn fetch_remaining(&self, token: &str, update: &ClaimedUpdate) -> Option<UpdateOutcome> {
        let refs: Vec<FileRef> = update_outcome::pending_refs(update);
        let (files, left) = self.download_all(token, &refs).await;
        update_outcome::attach_remaining(&self.app, update, files, &left, "Telegram").await
    }

    fn retry(&self, update: &ClaimedUpdate, error: String) -> UpdateOutcome {
        update_outcome::retry(&self.app, update, error)
    }

    /// Downloads what it can: the files, and the refs still to fetch (transient failures;
    /// a file Telegram will never serve is dropped with a log line).
    async fn download_all(&self, token: &str, refs: &[FileRef]) -> (Vec<FileSource>, Vec<FileRef>) {
        let mut files = Vec::new();
        let mut left = Vec::new();
        for file in refs {
            match self.download(token, file).await {
                Ok(source) => files.push(source),
                Err(f) => match errors::classify(&f) {
                    Verdict::Retry { .. } | Verdict::Broken(_) => left.push(file.clone()),
                    Verdict::NotDelivered(why) => {
                        tracing::warn!(file = %file.file_name, why = %why, "a Telegram file cannot be downloaded; the message is kept without it");
                    }
                },
            }
        }
        (files, left)
    }

    async fn download(&self, token: &str, file: &FileRef) -> Result<FileSource, Failure> {
        let found: types::File = self
            .api
            .call(token, "getFile", &json!({"file_id": file.file_id}))
            .await?;
        let Some(path) = found.file_path else {
            return Err(Failure::Api {
                code: 400,
                description: "Telegram offers no download for this file (larger than 20 MB?)"
                    .to_owned(),
                retry_after: None,
            });
        };
        let bytes = self
            .api
            .download(token, &path, self.app.max_attachment_size)
            .await?;
        Ok(FileSource::Bytes {
            file_name: Some(file.file_name.clone()),
            content_type: Some(file.mime_type.clone()),
            bytes,
        })
    }

    /// The webhook address of a channel, when this server has a public URL.
    pub fn webhook_url(&self, channel_id: i64) -> Option<String> {
        self.public_url.as_ref().map(|base| {
            format!(
                "{}/hooks/telegram/{channel_id}",
                base.as_str().trim_end_matches('/')
            )
        })
    }
}

fn failed(reason: &str) -> Outcome {
    Outcome::Failed {
        reason: reason.to_owned(),
    }
}
