//! Outgoing webhooks: the dispatcher that delivers the outbox, the test ping, and signing.
//!
//! Each company's events go out one at a time in the order they happened (only a company's
//! oldest pending event is ever claimed), companies independently of each other (a slow
//! or hanging endpoint holds up only its own company), each attempt is recorded, a failed attempt is
//! retried after `--webhook-retry-delay` until `--webhook-max-attempts`, then the event is
//! dropped and marked `failed`. Only an exact 200 counts as delivered, as Pact requires.

use std::sync::Arc;
use std::time::Duration;

use confab_store::{Attempt, ClaimedEvent};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::app::App;
use crate::domain::time::unix_seconds;
use crate::net::FetchError;
use crate::worker::WorkerState;

/// How often the dispatcher looks for due events when nothing woke it.
const POLL: Duration = Duration::from_millis(200);
/// Attempts in flight at once over all companies (at most one per company).
const IN_FLIGHT: u32 = 32;

/// The Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`)
/// for `body`, signed with the company's `secret`.
pub fn signature_headers(
    secret: &str,
    id: &str,
    body: &[u8],
    now_ms: i64,
) -> Vec<(&'static str, String)> {
    let timestamp = unix_seconds(now_ms);
    let mut headers = vec![
        (standardwebhooks::HEADER_WEBHOOK_ID, id.to_owned()),
        (
            standardwebhooks::HEADER_WEBHOOK_TIMESTAMP,
            timestamp.to_string(),
        ),
    ];
    match standardwebhooks::Webhook::new(secret).and_then(|w| w.sign(id, timestamp, body)) {
        Ok(signature) => headers.push((standardwebhooks::HEADER_WEBHOOK_SIGNATURE, signature)),
        Err(e) => tracing::error!(error = %e, "cannot sign a webhook; sending it unsigned"),
    }
    headers
}

/// POSTs Pact's test request to `url`; `Err` says, for people, why the URL cannot be used.
pub async fn ping(app: &App, url: &str, secret: &str) -> Result<(), String> {
    let url = Url::parse(url).map_err(|e| format!("is not a URL: {e}"))?;
    let body = br#"{"source":"pact.im","operation":"test"}"#.to_vec();
    let id = format!("ping_{}", app.now_ms());
    let headers = signature_headers(secret, &id, &body, app.now_ms());
    match app.fetcher.post_json(&url, body, &headers).await {
        Ok(status) if status == reqwest::StatusCode::OK => Ok(()),
        Ok(status) => Err(format!(
            "the test request {{\"source\":\"pact.im\",\"operation\":\"test\"}} was answered \
             with HTTP {status}; the endpoint must answer 200"
        )),
        Err(FetchError::Refused(why)) => Err(format!(
            "{why}; such targets are allowed only with --allow-private-urls"
        )),
        Err(e) => Err(format!("the test request failed: {e}")),
    }
}

/// Runs the dispatcher until `cancel` fires.
///
/// Each attempt runs as its own task: the loop claims as many events as there are free
/// slots (at most [`IN_FLIGHT`] at once, over all companies) and goes on claiming as
/// attempts finish, so a company whose endpoint hangs until `--webhook-timeout` holds
/// one slot and delays only its own events. A company's next event is claimed only once
/// the attempt on its head is recorded (the store claims heads alone), so its order holds.
pub async fn run_dispatcher(state: WorkerState, cancel: CancellationToken) {
    let lease = i64::try_from(state.config.webhook_timeout.as_millis())
        .unwrap_or(i64::MAX)
        .saturating_mul(2)
        .saturating_add(5_000);
    let slots = Arc::new(Semaphore::new(IN_FLIGHT as usize));
    let mut attempts = JoinSet::new();
    loop {
        crate::ops::Heartbeats::beat(&state.heartbeats.webhooks);
        while attempts.try_join_next().is_some() {}
        let free = u32::try_from(slots.available_permits())
            .unwrap_or(0)
            .min(IN_FLIGHT);
        let mut claimed = Vec::new();
        if free > 0 {
            let now = state.app.now_ms();
            match state
                .app
                .store
                .claim_webhook_events(now, now.saturating_add(lease), free)
                .await
            {
                Ok(events) => claimed = events,
                Err(e) => tracing::error!(error = %e, "claiming webhook events failed"),
            }
        }
        let got_work = !claimed.is_empty();
        for event in claimed {
            // Never waits: no more events were claimed than there were free slots.
            let Ok(slot) = slots.clone().acquire_owned().await else {
                break;
            };
            let state = state.clone();
            attempts.spawn(async move {
                deliver(&state, event).await;
                drop(slot);
                // The company's next event (or a retry) may be due now.
                state.app.webhook_wakeup.wake();
            });
        }
        if got_work && slots.available_permits() > 0 {
            continue;
        }
        tokio::select! {
            () = cancel.cancelled() => break,
            () = state.app.webhook_wakeup.woken() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
    // Attempts in flight end within the webhook timeout; one cut short is retried once
    // its lease expires.
    let drain = state
        .config
        .webhook_timeout
        .saturating_add(Duration::from_secs(1));
    if tokio::time::timeout(drain, async {
        while attempts.join_next().await.is_some() {}
    })
    .await
    .is_err()
    {
        tracing::warn!("webhook attempts still running at shutdown; they will be retried");
    }
}

/// One attempt to deliver one event, recorded whatever happens.
async fn deliver(state: &WorkerState, claimed: ClaimedEvent) {
    let event = &claimed.outbox;
    let result = match &claimed.webhook_url {
        None => Err((None, "the company has no webhook_url any more".to_owned())),
        Some(url) => attempt(state, &claimed, url).await,
    };
    let now = state.app.now_ms();
    let record = match result {
        Ok(()) => Attempt {
            status: Some(200),
            error: None,
            delivered: true,
            retry_at_ms: None,
        },
        Err((status, error)) => {
            let attempts = u32::try_from(event.attempts).unwrap_or(u32::MAX);
            let retry =
                claimed.webhook_url.is_some() && attempts < state.config.webhook_max_attempts;
            let delay =
                i64::try_from(state.config.webhook_retry_delay.as_millis()).unwrap_or(i64::MAX);
            tracing::info!(event = event.id, attempts, %error, retry, "webhook attempt failed");
            Attempt {
                status,
                error: Some(error),
                delivered: false,
                retry_at_ms: retry.then(|| now.saturating_add(delay)),
            }
        }
    };
    match state
        .app
        .store
        .record_webhook_attempt(event.id, claimed.lease_until, record, now)
        .await
    {
        Ok(true) => {}
        Ok(false) => tracing::warn!(event = event.id, "webhook attempt outlived its lease"),
        Err(e) => {
            tracing::error!(event = event.id, error = %e, "recording a webhook attempt failed")
        }
    }
}

async fn attempt(
    state: &WorkerState,
    claimed: &ClaimedEvent,
    url: &str,
) -> Result<(), (Option<u16>, String)> {
    let event = &claimed.outbox;
    let url = Url::parse(url).map_err(|e| (None, format!("webhook_url is not a URL: {e}")))?;
    let body = crate::render::webhook::body(event.company_id, &event.event, state.app.now_ms());
    let body = serde_json::to_vec(&body).map_err(|e| (None, format!("cannot render: {e}")))?;
    let id = format!("evt_{}", event.id);
    let headers = signature_headers(&claimed.webhook_secret, &id, &body, state.app.now_ms());
    match state.app.fetcher.post_json(&url, body, &headers).await {
        Ok(status) if status == reqwest::StatusCode::OK => Ok(()),
        Ok(status) => Err((Some(status.as_u16()), format!("answered HTTP {status}"))),
        Err(e) => Err((None, e.to_string())),
    }
}
