//! WhatsApp Business numbers through Meta's Cloud API (the Graph API). The token and the
//! number are checked with `GET /<phone_number_id>` when the channel is connected. Meta
//! posts what customers send, and the statuses of what the number sent, to
//! `/hooks/whatsapp_business/<channel id>` (signed with the app secret); each message and
//! status is stored raw before the 200 and processed as a leased job: messages become
//! incoming messages (media fetched by id in a retriable step), statuses move acks.
//! Replies go by `POST /<phone_number_id>/messages`, files uploaded first.

use std::sync::Arc;
use std::time::Duration;

use confab_store::{Claimed, ClaimedUpdate, Contact, Outcome, UpdateOutcome, UpdateSource};
use serde_json::{Map, Value};

use crate::app::{App, FileSource, InboundMessage};
use crate::connectors::outcome::{self, millis};
use crate::connectors::update_outcome;
use crate::secrets::SecretBox;

pub mod api;
pub mod errors;
pub mod inbound;
pub mod pacing;
pub mod send;
mod templates;

use api::{Failure, GraphApi};
use errors::Verdict;
use inbound::{MediaRef, Parsed};

/// The connector's name in the channel's `connector` column.
pub const NAME: &str = "whatsapp_business";
/// How long a delivery waits for a pacing slot before handing the job back for later.
const PACING_PATIENCE: Duration = Duration::from_secs(3);
/// Attempts at a status whose message is not known (yet: the send may still be being
/// recorded) before it is skipped.
const STATUS_ATTEMPTS: i32 = 5;

/// The WhatsApp Business connector of this node.
pub struct WhatsApp {
    api: GraphApi,
    app: Arc<App>,
    pacing: pacing::Pacing,
    public_url: Option<url::Url>,
}

/// Why credentials cannot connect a channel.
#[derive(Debug)]
pub enum ConnectError {
    /// Meta refused them: the parameter at fault and Meta's message.
    Refused(&'static str, String),
    /// Meta could not be asked.
    Unreachable(String),
}

impl WhatsApp {
    /// The connector, calling the Graph API at `api_url`.
    ///
    /// # Errors
    /// When its HTTP client cannot be built.
    pub fn new(
        app: Arc<App>,
        api_url: &url::Url,
        public_url: Option<url::Url>,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            api: GraphApi::new(api_url)?,
            app,
            pacing: pacing::Pacing::default(),
            public_url,
        })
    }

    /// The Graph API client (template sync uses it too).
    pub fn api(&self) -> &GraphApi {
        &self.api
    }

    fn secrets(&self) -> &SecretBox {
        &self.app.secrets
    }

    /// Checks a token and number with `GET /<phone_number_id>`; answers what the channel
    /// keeps besides what was given (the number's display phone and verified name).
    ///
    /// # Errors
    /// When Meta refuses them (naming `token` or `phone_number_id`) or cannot be reached.
    pub async fn connect(
        &self,
        token: &str,
        phone_number_id: &str,
    ) -> Result<Map<String, Value>, ConnectError> {
        let number = self
            .api
            .object(token, phone_number_id)
            .await
            .map_err(|f| match f {
                // Rate limits and Meta's outages say nothing about the credentials.
                f if matches!(errors::classify(&f), Verdict::Retry { .. }) => {
                    ConnectError::Unreachable(f.to_string())
                }
                Failure::Api {
                    code: Some(100),
                    message,
                    ..
                } => ConnectError::Refused("phone_number_id", message),
                Failure::Api {
                    status, message, ..
                } if status >= 500 => ConnectError::Unreachable(message),
                Failure::Api { message, .. } => ConnectError::Refused("token", message),
                Failure::Transport(why) => ConnectError::Unreachable(why),
            })?;
        let mut settings = Map::new();
        for key in ["display_phone_number", "verified_name"] {
            if let Some(v) = number.get(key).and_then(Value::as_str) {
                settings.insert(key.to_owned(), Value::from(v));
            }
        }
        Ok(settings)
    }

    /// The webhook address of a channel, when this server has a public URL.
    pub fn webhook_url(&self, channel_id: i64) -> Option<String> {
        self.public_url.as_ref().map(|base| {
            format!(
                "{}/hooks/whatsapp_business/{channel_id}",
                base.as_str().trim_end_matches('/')
            )
        })
    }

    /// The channel's access token, opened.
    fn token(&self, settings: &Map<String, Value>) -> Result<String, String> {
        match self.secrets().open_setting(settings, "token") {
            Ok(Some(token)) => Ok(token),
            Ok(None) => Err("the channel has no access token".to_owned()),
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
            return failed(
                channel
                    .last_error
                    .as_deref()
                    .unwrap_or("the channel is disabled"),
            );
        }
        let token = match self.token(&channel.settings) {
            Ok(t) => t,
            Err(why) => return failed(&why),
        };
        let Some(number) = phone_number_id(&channel.settings) else {
            return failed("the channel has no phone_number_id");
        };
        let to = &job.conversation.sender_external_id;
        if let Err(wait) = self.pacing.wait(channel.id, to, PACING_PATIENCE).await {
            return Outcome::Retry {
                reason: "paced: WhatsApp takes about one message every 6 seconds per recipient"
                    .to_owned(),
                at_ms: self.app.now_ms().saturating_add(millis(wait)),
            };
        }
        let failure = match self.send(&token, &number, job).await {
            Ok(wamid) => {
                return Outcome::Sent {
                    external_public_id: wamid,
                };
            }
            Err(f) => f,
        };
        outcome::settle(&self.app, job, errors::classify(&failure)).await
    }

    /// Processes a stored update: a message becomes an incoming message (files that fail
    /// to download follow later), a status moves its message's ack. `None` when the update
    /// was completed with its message; otherwise what to record.
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
            Parsed::Status(status) => return Some(self.apply_status(update, status).await),
            Parsed::Unsupported(reason) => {
                metrics::counter!("confab_inbound_updates_total", "provider" => NAME, "result" => "skipped").increment(1);
                return Some(UpdateOutcome::Skipped { reason });
            }
        };
        let (files, left) = self
            .download_all(&token, &incoming.files, update.lease_until)
            .await;
        let message = InboundMessage {
            contact: Contact {
                sender_external_id: incoming.wa_id,
                name: incoming.name,
            },
            body: incoming.text,
            files,
            source: Some(UpdateSource {
                update_id: update.id,
                lease_until: update.lease_until,
                external_id: incoming.wamid,
                pending: update_outcome::pending_text(&left),
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

    async fn apply_status(&self, update: &ClaimedUpdate, status: inbound::Status) -> UpdateOutcome {
        let channel = update.channel.0.id;
        match self
            .app
            .record_messenger_receipt(channel, status.wamid.clone(), status.receipt)
            .await
        {
            Ok(Some(moved)) => {
                metrics::counter!("confab_inbound_updates_total", "provider" => NAME, "result" => "status").increment(1);
                UpdateOutcome::Skipped {
                    reason: if moved {
                        "a status: the message's ack moved".to_owned()
                    } else {
                        "a status that changed nothing (late or repeated)".to_owned()
                    },
                }
            }
            // The send may still be being recorded: soon again, a few times.
            Ok(None) if update.attempts + 1 < STATUS_ATTEMPTS => UpdateOutcome::Retry {
                error: format!(
                    "no message of this channel is known as {} (yet)",
                    status.wamid
                ),
                at_ms: self
                    .app
                    .now_ms()
                    .saturating_add(500 * i64::from(update.attempts.max(1))),
            },
            Ok(None) => UpdateOutcome::Skipped {
                reason: format!(
                    "a status of a message confab did not send ({})",
                    status.wamid
                ),
            },
            Err(e) => self.retry(update, e.to_string()),
        }
    }

    /// Fetches the files an earlier round could not.
    async fn fetch_remaining(&self, token: &str, update: &ClaimedUpdate) -> Option<UpdateOutcome> {
        let refs: Vec<MediaRef> = update_outcome::pending_refs(update);
        let (files, left) = self.download_all(token, &refs, update.lease_until).await;
        update_outcome::attach_remaining(&self.app, update, files, &left, "WhatsApp").await
    }

    fn retry(&self, update: &ClaimedUpdate, error: String) -> UpdateOutcome {
        update_outcome::retry(&self.app, update, error)
    }

    /// Downloads what it can: the files, and the refs still to fetch (transient failures;
    /// a file WhatsApp will never serve is dropped with a log line).
    async fn download_all(
        &self,
        token: &str,
        refs: &[MediaRef],
        lease_until_ms: i64,
    ) -> (Vec<FileSource>, Vec<MediaRef>) {
        // Half the lease at most: the message (and whatever was fetched) must be stored
        // while the update is still ours; slower files are fetched in a later round.
        let budget_ms = (lease_until_ms.saturating_sub(self.app.now_ms()) / 2).max(1000);
        let deadline = tokio::time::Instant::now()
            + Duration::from_millis(u64::try_from(budget_ms).unwrap_or(1000));
        let mut files = Vec::new();
        let mut left = Vec::new();
        for file in refs {
            let Ok(downloaded) =
                tokio::time::timeout_at(deadline, self.download(token, file)).await
            else {
                left.push(file.clone());
                continue;
            };
            match downloaded {
                Ok(source) => files.push(source),
                Err(f) => match errors::classify(&f) {
                    Verdict::Retry { .. } | Verdict::Broken(_) => left.push(file.clone()),
                    Verdict::NotDelivered(why) => {
                        tracing::warn!(file = %file.file_name, why = %why, "a WhatsApp file cannot be downloaded; the message is kept without it");
                    }
                },
            }
        }
        (files, left)
    }

    async fn download(&self, token: &str, file: &MediaRef) -> Result<FileSource, Failure> {
        let media = self.api.media(token, &file.media_id).await?;
        let bytes = self
            .api
            .download(token, &media.url, self.app.max_attachment_size)
            .await?;
        Ok(FileSource::Bytes {
            file_name: Some(file.file_name.clone()),
            content_type: Some(media.mime_type.unwrap_or_else(|| file.mime_type.clone())),
            bytes,
        })
    }
}

/// The channel's `phone_number_id`.
pub fn phone_number_id(settings: &Map<String, Value>) -> Option<String> {
    settings
        .get("phone_number_id")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn failed(reason: &str) -> Outcome {
    Outcome::Failed {
        reason: reason.to_owned(),
    }
}

/// The value at JSON pointer `pointer` in `value`, `null` when there is none (reads of
/// Meta's bodies, which may lack any field).
pub(crate) fn at<'a>(value: &'a Value, pointer: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    value.pointer(pointer).unwrap_or(&NULL)
}

/// Sets `key` of a JSON object (nothing for a value that is not one).
pub(crate) fn set(value: &mut Value, key: &str, to: Value) {
    if let Some(map) = value.as_object_mut() {
        map.insert(key.to_owned(), to);
    }
}
