//! What becomes of a stored inbound update whose processing did not finish, the same for
//! every messenger: its files fetched in a later round, a retry after a jittered backoff,
//! or, after days of those, kept failed.

use confab_store::{ClaimedUpdate, UpdateOutcome};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::outcome::millis;
use super::telegram::errors::backoff;
use crate::app::{App, FileSource};

/// Attempts at an update's files before the message is kept without them.
pub const FILE_ATTEMPTS: i32 = 8;
/// Attempts at storing an update before it is kept as failed (about two days of the
/// capped backoff).
pub const UPDATE_ATTEMPTS: i32 = 300;

/// An update that failed with `error`: tried again after a backoff that grows with its
/// attempts, or kept failed once they run out, so nothing is retried for ever.
pub fn retry(app: &App, update: &ClaimedUpdate, error: String) -> UpdateOutcome {
    if update.attempts + 1 >= UPDATE_ATTEMPTS {
        return UpdateOutcome::Failed { error };
    }
    let wait = backoff(i64::from(update.attempts));
    UpdateOutcome::Retry {
        error,
        at_ms: app.now_ms().saturating_add(millis(wait)),
    }
}

/// The file references an earlier round could not fetch (none when unreadable: the
/// message itself is already stored).
pub fn pending_refs<R: DeserializeOwned>(update: &ClaimedUpdate) -> Vec<R> {
    update
        .pending
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or_default()
}

/// The references still to fetch, as kept with the update (`None` when all are in).
pub fn pending_text<R: Serialize>(left: &[R]) -> Option<String> {
    if left.is_empty() {
        None
    } else {
        serde_json::to_string(left).ok()
    }
}

/// Attaches the files a later round fetched to the update's message and keeps the ones
/// still `left`; when none came, the update is tried again until `FILE_ATTEMPTS`, then
/// kept failed naming `messenger`. `None` when the update was completed.
pub async fn attach_remaining<R: Serialize>(
    app: &App,
    update: &ClaimedUpdate,
    files: Vec<FileSource>,
    left: &[R],
    messenger: &str,
) -> Option<UpdateOutcome> {
    if files.is_empty() && !left.is_empty() {
        if update.attempts + 1 >= FILE_ATTEMPTS {
            return Some(UpdateOutcome::Failed {
                error: format!(
                    "{} file(s) could not be downloaded from {messenger}",
                    left.len()
                ),
            });
        }
        return Some(retry(
            app,
            update,
            format!("downloading a file from {messenger} failed"),
        ));
    }
    let company = update.channel.0.company_id;
    match app
        .attach_fetched(
            company,
            update.id,
            update.lease_until,
            files,
            pending_text(left),
        )
        .await
    {
        Ok(_) => None,
        Err(e) => Some(retry(app, update, e.to_string())),
    }
}
