//! `getUpdates` (long polling) and the webhook methods.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use super::error::ApiError;
use super::params::Params;
use super::routes::Reply;
use super::state::{Shared, Webhook};

const WEBHOOK_CONFLICT: &str = "can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";
const POLL_CONFLICT: &str =
    "terminated by other getUpdates request; make sure that only one bot instance is running";

/// Counts a long poll as active until its future ends (answered or dropped).
struct ActivePoll {
    shared: Arc<Shared>,
    token: String,
}

impl Drop for ActivePoll {
    fn drop(&mut self) {
        if let Some(bot) = self.shared.lock().bots.get_mut(&self.token) {
            bot.active_polls = bot.active_polls.saturating_sub(1);
        }
    }
}

/// `getUpdates {offset, limit, timeout, allowed_updates}`.
pub(crate) async fn get_updates(
    shared: &Arc<Shared>,
    token: &str,
    params: &Params,
) -> Result<Reply, ApiError> {
    let offset = params.i64("offset")?;
    let limit = params.i64("limit")?.unwrap_or(100).clamp(1, 100);
    let limit = usize::try_from(limit).unwrap_or(100);
    let timeout = params.i64("timeout")?.unwrap_or(0).clamp(0, 3600);
    let deadline = Instant::now() + Duration::from_secs(timeout.unsigned_abs());
    let allowed = params.string_list("allowed_updates")?;

    let (mut changed, generation, _active) = {
        let mut state = shared.lock();
        let bot = state.bot(token)?;
        if bot.webhook.is_some() {
            return Err(ApiError::conflict(WEBHOOK_CONFLICT));
        }
        if let Some(kinds) = allowed {
            bot.allowed_updates = (!kinds.is_empty()).then_some(kinds);
        }
        if let Some(offset) = offset {
            bot.confirm_below(offset);
        }
        bot.poll_generation += 1;
        bot.active_polls += 1;
        bot.max_active_polls = bot.max_active_polls.max(bot.active_polls);
        // Wakes an older poll, which then answers 409.
        bot.notify();
        let active = ActivePoll {
            shared: Arc::clone(shared),
            token: token.to_owned(),
        };
        (bot.changed.subscribe(), bot.poll_generation, active)
    };

    loop {
        changed.borrow_and_update();
        {
            let stopped = shared.is_stopped();
            let mut state = shared.lock();
            let bot = state.bot(token)?;
            if bot.poll_generation != generation {
                bot.poll_conflicts += 1;
                return Err(ApiError::conflict(POLL_CONFLICT));
            }
            if bot.webhook.is_some() {
                return Err(ApiError::conflict(WEBHOOK_CONFLICT));
            }
            let batch = bot.batch(limit);
            if !batch.is_empty() || Instant::now() >= deadline || stopped {
                return Ok(Reply::new(Value::Array(batch)));
            }
        }
        // A timeout or a closed channel both mean: look once more, then answer.
        if !matches!(
            tokio::time::timeout_at(deadline, changed.changed()).await,
            Ok(Ok(()))
        ) {
            let mut state = shared.lock();
            let bot = state.bot(token)?;
            return Ok(Reply::new(Value::Array(bot.batch(limit))));
        }
    }
}

fn valid_secret(secret: &str) -> bool {
    (1..=256).contains(&secret.len())
        && secret
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `setWebhook {url, secret_token, allowed_updates, max_connections, drop_pending_updates}`.
pub(crate) fn set_webhook(
    shared: &Shared,
    token: &str,
    params: &Params,
) -> Result<Reply, ApiError> {
    let url = params.str("url").unwrap_or_default();
    if url.is_empty() {
        return delete_webhook(shared, token, params);
    }
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(ApiError::bad_request(
            "bad webhook: An HTTPS URL must be provided for webhook",
        ));
    }
    let secret = params.str("secret_token").filter(|s| !s.is_empty());
    if let Some(secret) = &secret
        && !valid_secret(secret)
    {
        return Err(ApiError::bad_request(
            "secret token contains unallowed characters",
        ));
    }
    let max_connections = params.i64("max_connections")?.unwrap_or(40).clamp(1, 100);
    let allowed = params.string_list("allowed_updates")?;
    let drop_pending = params.bool("drop_pending_updates");

    let mut state = shared.lock();
    let bot = state.bot(token)?;
    let same = bot
        .webhook
        .as_ref()
        .is_some_and(|hook| hook.url == url && hook.secret == secret);
    bot.webhook = Some(Webhook {
        url,
        secret,
        max_connections,
    });
    bot.webhook_generation += 1;
    if let Some(kinds) = allowed {
        bot.allowed_updates = (!kinds.is_empty()).then_some(kinds);
    }
    if drop_pending {
        bot.queue.clear();
        bot.redeliver.clear();
    }
    bot.notify();
    let description = if same {
        "Webhook is already set"
    } else {
        "Webhook was set"
    };
    Ok(Reply::new(json!(true)).with_description(description))
}

/// `deleteWebhook {drop_pending_updates}`.
pub(crate) fn delete_webhook(
    shared: &Shared,
    token: &str,
    params: &Params,
) -> Result<Reply, ApiError> {
    let drop_pending = params.bool("drop_pending_updates");
    let mut state = shared.lock();
    let bot = state.bot(token)?;
    let had = bot.webhook.take().is_some();
    bot.webhook_generation += 1;
    if drop_pending {
        bot.queue.clear();
        bot.redeliver.clear();
    }
    bot.notify();
    let description = if had {
        "Webhook was deleted"
    } else {
        "Webhook is already deleted"
    };
    Ok(Reply::new(json!(true)).with_description(description))
}

/// `getWebhookInfo`.
pub(crate) fn get_webhook_info(shared: &Shared, token: &str) -> Result<Reply, ApiError> {
    let mut state = shared.lock();
    let bot = state.bot(token)?;
    bot.prune_disallowed();
    let mut info = json!({
        "url": bot.webhook.as_ref().map(|h| h.url.clone()).unwrap_or_default(),
        "has_custom_certificate": false,
        "pending_update_count": bot.queue.len(),
    });
    if let Value::Object(map) = &mut info {
        if let Some(hook) = &bot.webhook {
            map.insert("max_connections".into(), json!(hook.max_connections));
            map.insert("ip_address".into(), json!("127.0.0.1"));
        }
        if let Some(kinds) = &bot.allowed_updates {
            map.insert("allowed_updates".into(), json!(kinds));
        }
        if let Some((date, message)) = &bot.last_error {
            map.insert("last_error_date".into(), json!(date));
            map.insert("last_error_message".into(), json!(message));
        }
    }
    Ok(Reply::new(info))
}
