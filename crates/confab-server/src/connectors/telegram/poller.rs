//! Receiving for every Telegram channel: one node at a time manages a channel, under a
//! lease in the database that another node takes over when its holder dies. The holder
//! either long-polls `getUpdates`, storing each batch together with the next offset (so a
//! restart neither loses nor repeats updates), or, with `--public-url`, registers the
//! channel's webhook and keeps it registered.

use crate::connectors::outcome::millis;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use confab_store::{Channel, ChannelState, CursorAdvance, NewUpdate, StoreError};
use rand::distr::{Alphanumeric, SampleString};
use serde_json::{Map, Value, json};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::api::Failure;
use super::errors::{self, Verdict};
use super::{NAME, Telegram, inbound};

/// `getUpdates`' longest long-poll timeout (shorter when the lease is short: the lease is
/// renewed between polls, so a poll must end well within it).
const MAX_POLL_TIMEOUT: Duration = Duration::from_secs(25);
/// How often the supervisor looks for channels nobody manages.
const SCAN: Duration = Duration::from_secs(2);

/// Finds channels to manage and starts a manager for each this node gets the lease of,
/// until `cancel` fires; managers give their leases back on the way out.
pub async fn run_supervisor(tg: Arc<Telegram>, node: String, cancel: CancellationToken) {
    let mut running: HashMap<i64, JoinHandle<()>> = HashMap::new();
    loop {
        running.retain(|_, task| !task.is_finished());
        match channels(&tg).await {
            Ok(list) => {
                for channel in list {
                    if running.contains_key(&channel.id) || channel.state == ChannelState::Disabled
                    {
                        continue;
                    }
                    let now = tg.app.now_ms();
                    match tg
                        .app
                        .store
                        .lease_poll(channel.id, &node, now, now.saturating_add(millis(tg.lease)))
                        .await
                    {
                        Ok(Some(lease)) => {
                            let manager = Manager {
                                tg: tg.clone(),
                                node: node.clone(),
                                channel_id: channel.id,
                                cursor: lease.cursor,
                                errors: 0,
                            };
                            running.insert(channel.id, tokio::spawn(manager.run(cancel.clone())));
                        }
                        Ok(None) => {}
                        Err(e) => {
                            tracing::error!(error = %e, "taking a Telegram poll lease failed")
                        }
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "listing Telegram channels failed"),
        }
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tg.app.channels_wakeup.woken() => {}
            () = tokio::time::sleep(SCAN) => {}
        }
    }
    for (_, task) in running {
        let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
    }
}

async fn channels(tg: &Telegram) -> Result<Vec<Channel>, StoreError> {
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let page = tg.app.store.connector_channels(NAME, after, 500).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        all.extend(page);
    }
    Ok(all)
}

/// One channel's manager on this node.
struct Manager {
    tg: Arc<Telegram>,
    node: String,
    channel_id: i64,
    /// The next `offset`.
    cursor: Option<String>,
    /// Consecutive failed rounds.
    errors: i64,
}

/// What a round decided.
enum Next {
    /// Go round again now.
    Again,
    /// Go round again after a pause.
    Pause(Duration),
    /// Stop managing the channel.
    Stop,
}

impl Manager {
    async fn run(mut self, cancel: CancellationToken) {
        loop {
            let next = tokio::select! {
                () = cancel.cancelled() => Next::Stop,
                next = self.round() => next,
            };
            match next {
                Next::Again => {}
                Next::Pause(d) => {
                    tokio::select! {
                        () = cancel.cancelled() => break,
                        () = tokio::time::sleep(d) => {}
                    }
                }
                Next::Stop => break,
            }
            if cancel.is_cancelled() {
                break;
            }
        }
        if let Err(e) = self
            .tg
            .app
            .store
            .release_poll(self.channel_id, &self.node)
            .await
        {
            tracing::warn!(channel = self.channel_id, error = %e, "releasing a poll lease failed");
        }
    }

    /// Renews the lease and does one round of the channel's mode.
    async fn round(&mut self) -> Next {
        let app = &self.tg.app;
        let now = app.now_ms();
        match app
            .store
            .lease_poll(
                self.channel_id,
                &self.node,
                now,
                now.saturating_add(millis(self.tg.lease)),
            )
            .await
        {
            Ok(Some(_)) => {}
            Ok(None) => return Next::Stop,
            Err(e) => {
                tracing::error!(channel = self.channel_id, error = %e, "renewing a poll lease failed");
                return Next::Pause(Duration::from_secs(1));
            }
        }
        let channel = match app.store.channel_by_id(self.channel_id).await {
            Ok(Some((channel, false))) if channel.state != ChannelState::Disabled => channel,
            Ok(_) => return Next::Stop,
            Err(e) => {
                tracing::error!(channel = self.channel_id, error = %e, "reading a channel failed");
                return Next::Pause(Duration::from_secs(1));
            }
        };
        let token = match self.tg.token(&channel.settings) {
            Ok(t) => t,
            Err(why) => {
                self.record_error(Some(why)).await;
                return Next::Pause(Duration::from_secs(30));
            }
        };
        match self.tg.webhook_url(channel.id) {
            Some(url) => self.keep_webhook(&channel, &token, url).await,
            None => self.poll(&channel, &token).await,
        }
    }

    async fn poll(&mut self, channel: &Channel, token: &str) -> Next {
        let offset: i64 = self
            .cursor
            .as_deref()
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let timeout = (self.tg.lease / 2)
            .min(MAX_POLL_TIMEOUT)
            .max(Duration::from_secs(1));
        let params = json!({
            "offset": offset,
            "limit": 100,
            "timeout": timeout.as_secs(),
            "allowed_updates": ["message"],
        });
        let got: Result<Vec<Value>, Failure> = self
            .tg
            .api
            .call_within(
                token,
                "getUpdates",
                &params,
                timeout + Duration::from_secs(10),
            )
            .await;
        let updates = match got {
            Ok(updates) => updates,
            Err(failure) => return self.poll_failed(channel, token, failure).await,
        };
        if self.errors > 0 {
            self.errors = 0;
            self.record_error(None).await;
        }
        if updates.is_empty() {
            return Next::Again;
        }
        let next = updates
            .iter()
            .filter_map(|u| u.get("update_id").and_then(Value::as_i64))
            .max()
            .map_or(offset, |max| max.saturating_add(1));
        let batch: Vec<NewUpdate> = updates
            .iter()
            .map(|u| NewUpdate {
                key: inbound::dedupe_key(u),
                payload: u.to_string(),
            })
            .collect();
        let cursor = CursorAdvance {
            holder: self.node.clone(),
            cursor: next.to_string(),
        };
        let app = &self.tg.app;
        match app
            .store
            .accept_updates(channel.id, batch, Some(cursor), app.now_ms())
            .await
        {
            Ok(accepted) => {
                count("stored", accepted.stored);
                count("duplicate", accepted.duplicates);
                self.cursor = Some(next.to_string());
                app.intake_wakeup.wake();
                Next::Again
            }
            Err(StoreError::Refused { .. }) => Next::Stop,
            Err(e) => {
                // Not confirmed to Telegram: the same batch comes again.
                tracing::error!(channel = channel.id, error = %e, "storing Telegram updates failed");
                Next::Pause(Duration::from_secs(1))
            }
        }
    }

    async fn poll_failed(&mut self, channel: &Channel, token: &str, failure: Failure) -> Next {
        metrics::counter!("confab_poll_errors_total", "provider" => NAME).increment(1);
        if let Failure::Api {
            code: 409,
            description,
            ..
        } = &failure
            && description.contains("webhook")
        {
            // A webhook from an earlier --public-url (or another tool) blocks polling.
            tracing::info!(
                channel = channel.id,
                "removing the bot's webhook to poll instead"
            );
            if let Err(e) = self
                .tg
                .api
                .call::<bool>(token, "deleteWebhook", &json!({}))
                .await
            {
                self.record_error(Some(e.to_string())).await;
                return self.backoff();
            }
            return Next::Again;
        }
        match errors::classify(&failure) {
            Verdict::Broken(reason) => {
                if let Err(e) = self.tg.app.break_channel(channel.id, reason).await {
                    tracing::error!(channel = channel.id, error = %e, "disabling a broken channel failed");
                }
                Next::Stop
            }
            Verdict::Retry { after: Some(d), .. } => {
                self.record_error(Some(failure.to_string())).await;
                Next::Pause(d)
            }
            _ => {
                tracing::warn!(channel = channel.id, error = %failure, "polling Telegram failed");
                self.record_error(Some(failure.to_string())).await;
                self.backoff()
            }
        }
    }

    fn backoff(&mut self) -> Next {
        self.errors += 1;
        Next::Pause(errors::backoff(self.errors).min(Duration::from_secs(60)))
    }

    /// Registers the channel's webhook when it is not registered at this address yet.
    async fn keep_webhook(&mut self, channel: &Channel, token: &str, url: String) -> Next {
        let registered = channel.settings.get("webhook_url").and_then(Value::as_str)
            == Some(url.as_str())
            && channel.settings.contains_key("webhook_secret");
        if registered {
            return Next::Pause(self.tg.lease / 3);
        }
        let secret = Alphanumeric.sample_string(&mut rand::rng(), 48);
        let app = &self.tg.app;
        let mut patch = Map::new();
        patch.insert(
            "webhook_secret".to_owned(),
            Value::from(app.secrets.seal(&secret)),
        );
        patch.insert("webhook_url".to_owned(), Value::from(url.clone()));
        // Stored first: Telegram may post as soon as the webhook is set.
        if let Err(e) = app
            .store
            .update_channel_settings(channel.company_id, channel.id, patch)
            .await
        {
            tracing::error!(channel = channel.id, error = %e, "storing a webhook secret failed");
            return Next::Pause(Duration::from_secs(5));
        }
        let params = json!({
            "url": url,
            "secret_token": secret,
            "allowed_updates": ["message"],
        });
        match self.tg.api.call::<bool>(token, "setWebhook", &params).await {
            Ok(_) => {
                tracing::info!(channel = channel.id, "Telegram webhook registered");
                self.record_error(None).await;
                Next::Pause(self.tg.lease / 3)
            }
            Err(failure) => {
                // Forget the address so the next round registers again.
                let mut patch = Map::new();
                patch.insert("webhook_url".to_owned(), Value::Null);
                let _ = app
                    .store
                    .update_channel_settings(channel.company_id, channel.id, patch)
                    .await;
                if let Verdict::Broken(reason) = errors::classify(&failure) {
                    let _ = app.break_channel(channel.id, reason).await;
                    return Next::Stop;
                }
                self.record_error(Some(format!("setting the webhook failed: {failure}")))
                    .await;
                self.backoff()
            }
        }
    }

    async fn record_error(&self, error: Option<String>) {
        if let Err(e) = self
            .tg
            .app
            .store
            .set_channel_error(self.channel_id, error)
            .await
        {
            tracing::warn!(channel = self.channel_id, error = %e, "recording channel health failed");
        }
    }
}

fn count(result: &'static str, n: u32) {
    if n > 0 {
        metrics::counter!("confab_inbound_updates_total", "provider" => NAME, "result" => result)
            .increment(u64::from(n));
    }
}
