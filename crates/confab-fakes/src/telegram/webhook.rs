//! The webhook pusher: one task per bot POSTs queued updates to the bot's webhook,
//! one at a time and in order, retrying failures after a delay.

use std::sync::Arc;

use serde_json::Value;

use super::messages::unix_now;
use super::state::Shared;

/// The header carrying the webhook's `secret_token`.
pub const SECRET_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";

/// One push to make.
struct Job {
    url: String,
    secret: Option<String>,
    body: Value,
    update_id: i64,
    generation: u64,
    from_redeliver: bool,
}

/// The next push for the bot, if a webhook is set and an update is waiting.
fn next_job(shared: &Shared, token: &str) -> Option<Job> {
    let mut state = shared.lock();
    let bot = state.bot(token).ok()?;
    let hook = bot.webhook.clone()?;
    bot.prune_disallowed();
    let (update, from_redeliver) = match bot.redeliver.front() {
        Some(update) => (update, true),
        None => (bot.queue.front()?, false),
    };
    Some(Job {
        url: hook.url,
        secret: hook.secret,
        body: update.value.clone(),
        update_id: update.id,
        generation: bot.webhook_generation,
        from_redeliver,
    })
}

/// A 2xx answer confirms the update (one marked duplicate is pushed once more).
fn confirm(shared: &Shared, token: &str, job: &Job) {
    let mut state = shared.lock();
    let Ok(bot) = state.bot(token) else { return };
    if bot.webhook_generation != job.generation {
        return;
    }
    if job.from_redeliver {
        if bot.redeliver.front().is_some_and(|u| u.id == job.update_id) {
            bot.redeliver.pop_front();
        }
        return;
    }
    if let Some(front) = bot.queue.front_mut()
        && front.id == job.update_id
    {
        if front.duplicate {
            front.duplicate = false;
        } else {
            bot.queue.pop_front();
        }
    }
}

/// Records a failed push for `getWebhookInfo`; returns the delay before the next try.
fn record_error(shared: &Shared, token: &str, message: String) -> std::time::Duration {
    let mut state = shared.lock();
    let delay = state.webhook_retry_delay;
    if let Some(bot) = state.bots.get_mut(token) {
        bot.last_error = Some((unix_now(), message));
    }
    delay
}

async fn push(shared: &Shared, job: &Job) -> Result<(), String> {
    let mut request = shared.http.post(&job.url).json(&job.body);
    if let Some(secret) = &job.secret {
        request = request.header(SECRET_HEADER, secret);
    }
    match request.send().await {
        Ok(response) if response.status().is_success() => Ok(()),
        Ok(response) => Err(format!(
            "Wrong response from the webhook: {}",
            response.status()
        )),
        Err(error) if error.is_timeout() => Err("Read timeout expired".to_owned()),
        Err(error) if error.is_connect() => Err("Connection refused".to_owned()),
        Err(error) => Err(error.to_string()),
    }
}

/// Runs until the fake stops (the task is aborted then).
pub(crate) async fn run(shared: Arc<Shared>, token: String) {
    let Some(mut changed) = shared.subscribe(&token) else {
        return;
    };
    loop {
        changed.borrow_and_update();
        match next_job(&shared, &token) {
            None => {
                if changed.changed().await.is_err() {
                    return;
                }
            }
            Some(job) => match push(&shared, &job).await {
                Ok(()) => confirm(&shared, &token, &job),
                Err(message) => {
                    let delay = record_error(&shared, &token, message);
                    tokio::time::sleep(delay).await;
                }
            },
        }
    }
}
