//! What a connector's classified send failure means for the claimed job, the same for
//! every messenger: a retry (with the messenger's wait or a jittered backoff, until the
//! job is a day old), the end of this message, or a broken channel.

use std::time::Duration;

use confab_store::{Claimed, Outcome};

use super::telegram::errors::{Verdict, backoff};
use crate::app::App;

/// A delivery still retrying after this long ends not delivered instead.
const GIVE_UP_AFTER_MS: i64 = 24 * 3600 * 1000;

/// The outcome of `job` after a failure classified as `verdict`; a broken channel is
/// disabled first (which ends its other queued jobs).
pub async fn settle(app: &App, job: &Claimed, verdict: Verdict) -> Outcome {
    match verdict {
        Verdict::NotDelivered(reason) => Outcome::Failed { reason },
        Verdict::Broken(reason) => {
            let channel = job.channel.0.id;
            if let Err(e) = app.break_channel(channel, reason.clone()).await {
                tracing::error!(channel, error = %e, "disabling a broken channel failed");
            }
            Outcome::Failed { reason }
        }
        Verdict::Retry { reason, after } => {
            let now = app.now_ms();
            if now.saturating_sub(job.job.created_at_ms) > GIVE_UP_AFTER_MS {
                return Outcome::Failed {
                    reason: format!("gave up after 24 hours: {reason}"),
                };
            }
            let wait = after.unwrap_or_else(|| backoff(job.job.attempts - 1));
            Outcome::Retry {
                reason,
                at_ms: now.saturating_add(millis(wait)),
            }
        }
    }
}

/// A duration in whole milliseconds (saturating).
pub fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
