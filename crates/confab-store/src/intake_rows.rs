//! How each step of the inbound pipeline changes a stored update's row, written once for
//! both backends so they cannot drift. The store only persists these; what an update
//! means is the connector's business.

use crate::UpdateOutcome;

/// Stored and not yet processed, or with files still to fetch for its message.
pub(crate) const PENDING: &str = "pending";
/// Became a message, files and all.
pub(crate) const DONE: &str = "done";
/// Nothing in it becomes a message.
pub(crate) const SKIPPED: &str = "skipped";
/// Given up on.
pub(crate) const FAILED: &str = "failed";

/// The row of a claimed update that ended, or was postponed, without becoming a message.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct AfterOutcome<'a> {
    /// The new state.
    pub state: &'static str,
    /// Why, for people.
    pub last_error: &'a str,
    /// Set when the update is final.
    pub finished_at: Option<i64>,
    /// When a postponed update is due again; its attempts grow by one.
    pub retry_at: Option<i64>,
}

/// The row after `outcome` at `now_ms` (the lease is released in every case).
pub(crate) fn after_outcome(outcome: &UpdateOutcome, now_ms: i64) -> AfterOutcome<'_> {
    match outcome {
        UpdateOutcome::Skipped { reason } => AfterOutcome {
            state: SKIPPED,
            last_error: reason,
            finished_at: Some(now_ms),
            retry_at: None,
        },
        UpdateOutcome::Retry { error, at_ms } => AfterOutcome {
            state: PENDING,
            last_error: error,
            finished_at: None,
            retry_at: Some(*at_ms),
        },
        UpdateOutcome::Failed { error } => AfterOutcome {
            state: FAILED,
            last_error: error,
            finished_at: Some(now_ms),
            retry_at: None,
        },
    }
}

/// The row of a claimed update whose message is stored (or whose files were fetched),
/// when `pending` files are still to fetch.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Progress<'a> {
    /// Done, or still pending for its files.
    pub state: &'static str,
    /// Set when the update is done.
    pub finished_at: Option<i64>,
    /// The files still to fetch.
    pub pending: Option<&'a str>,
    /// When the update is claimable again for its files: at once.
    pub due_at: Option<i64>,
}

/// The row after progress at `now_ms` (the lease is released in every case, so the next
/// step is claimed like any update).
pub(crate) fn progress(pending: Option<&str>, now_ms: i64) -> Progress<'_> {
    match pending {
        None => Progress {
            state: DONE,
            finished_at: Some(now_ms),
            pending: None,
            due_at: None,
        },
        Some(pending) => Progress {
            state: PENDING,
            finished_at: None,
            pending: Some(pending),
            due_at: Some(now_ms),
        },
    }
}

/// Why a message made from an update is refused when its worker lost the update's lease.
pub(crate) const LOST_LEASE: &str = "the update is no longer held by this worker";

/// Why `holder` cannot move a channel's cursor at `now_ms` when the channel's poll lease
/// is `current`'s until `until`, if it cannot: it must hold a lease that still runs.
pub(crate) fn poll_lease_lost(
    current: Option<&str>,
    until: Option<i64>,
    holder: &str,
    now_ms: i64,
) -> Option<String> {
    if current != Some(holder) {
        return Some(format!("{holder} does not hold the channel's poll lease"));
    }
    if until.is_none_or(|until| until <= now_ms) {
        return Some(format!("{holder}'s poll lease of the channel has expired"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_retry_stays_pending_and_counts_an_attempt() {
        let skipped = UpdateOutcome::Skipped {
            reason: "sticker".to_owned(),
        };
        assert_eq!(
            after_outcome(&skipped, 5),
            AfterOutcome {
                state: SKIPPED,
                last_error: "sticker",
                finished_at: Some(5),
                retry_at: None
            }
        );
        let retry = UpdateOutcome::Retry {
            error: "timeout".to_owned(),
            at_ms: 9,
        };
        assert_eq!(after_outcome(&retry, 5).state, PENDING);
        assert_eq!(after_outcome(&retry, 5).retry_at, Some(9));
        assert_eq!(after_outcome(&retry, 5).finished_at, None);
        let failed = UpdateOutcome::Failed {
            error: "bad".to_owned(),
        };
        assert_eq!(after_outcome(&failed, 5).state, FAILED);
        assert_eq!(after_outcome(&failed, 5).finished_at, Some(5));
    }

    #[test]
    fn only_a_running_lease_of_the_holder_moves_the_cursor() {
        assert_eq!(poll_lease_lost(Some("a"), Some(10), "a", 9), None);
        assert!(poll_lease_lost(Some("a"), Some(10), "a", 10).is_some());
        assert!(poll_lease_lost(Some("b"), Some(10), "a", 9).is_some());
        assert!(poll_lease_lost(None, None, "a", 9).is_some());
    }

    #[test]
    fn pending_files_keep_the_update_claimable_at_once() {
        assert_eq!(
            progress(None, 7),
            Progress {
                state: DONE,
                finished_at: Some(7),
                pending: None,
                due_at: None
            }
        );
        assert_eq!(
            progress(Some("[1]"), 7),
            Progress {
                state: PENDING,
                finished_at: None,
                pending: Some("[1]"),
                due_at: Some(7)
            }
        );
    }
}
