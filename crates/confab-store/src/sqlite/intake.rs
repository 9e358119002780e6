//! Raw inbound updates: stored (deduplicated) before the messenger is answered, claimed
//! with a lease, and finished once: as a message (in the message's own transaction), with
//! the files fetched for it, or skipped, retried or given up.

use rusqlite::{Connection, OptionalExtension, params};

use super::{attachments, channels, poll_lease};
use crate::intake_rows::{self, LOST_LEASE};
use crate::{
    Accepted, ClaimedUpdate, CursorAdvance, IntakeStats, NewAttachment, NewUpdate, StoreError,
    StoreResult, UpdateMessage, UpdateOutcome, UpdateSource,
};

/// Stores `updates` of the channel, dropping keys it already has, and moves the poller's
/// cursor (refused, storing nothing, when the poller lost its lease). Runs inside the
/// caller's write transaction.
pub(super) fn accept(
    conn: &Connection,
    channel_id: i64,
    updates: &[NewUpdate],
    cursor: Option<&CursorAdvance>,
    now_ms: i64,
) -> StoreResult<Accepted> {
    let company_id: i64 = conn
        .prepare_cached("SELECT company_id FROM channels WHERE id = ?1")?
        .query_row([channel_id], |r| r.get(0))
        .optional()?
        .ok_or(StoreError::NotFound("channel"))?;
    if let Some(cursor) = cursor {
        poll_lease::advance(conn, channel_id, cursor, now_ms)?;
    }
    let mut accepted = Accepted::default();
    let mut insert = conn.prepare_cached(
        "INSERT INTO inbound_updates
           (channel_id, company_id, dedupe_key, payload, due_at, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)
         ON CONFLICT (channel_id, dedupe_key) DO NOTHING",
    )?;
    for update in updates {
        // A key stored before, or earlier in this batch, inserts nothing.
        if insert.execute(params![
            channel_id,
            company_id,
            update.key,
            update.payload,
            now_ms
        ])? > 0
        {
            accepted.stored += 1;
        } else {
            accepted.duplicates += 1;
        }
    }
    if !updates.is_empty() {
        conn.execute(
            "UPDATE channels SET last_inbound_at = ?1 WHERE id = ?2",
            params![now_ms, channel_id],
        )?;
    }
    Ok(accepted)
}

/// Claims up to `limit` due updates until `lease_until`, with the channel each came on.
pub(super) fn claim(
    conn: &Connection,
    now_ms: i64,
    lease_until: i64,
    limit: u32,
) -> StoreResult<Vec<ClaimedUpdate>> {
    // Ordered as the `inbound_updates_pending` index is, so the scan stops after `limit`.
    // A channel with an update under a live lease is passed over: its updates become
    // messages in the order they came only if one claimer works a channel at a time. An
    // update whose message is stored (its files follow later) neither waits nor holds
    // others back.
    let mut stmt = conn.prepare_cached(
        "UPDATE inbound_updates SET lease_until = ?1
         WHERE id IN (
             SELECT id FROM inbound_updates
             WHERE state = 'pending' AND due_at <= ?2
               AND (lease_until IS NULL OR lease_until <= ?2)
               AND (message_id IS NOT NULL OR channel_id NOT IN (
                   SELECT channel_id FROM inbound_updates
                   WHERE state = 'pending' AND lease_until > ?2 AND message_id IS NULL))
             ORDER BY due_at, id LIMIT ?3)
         RETURNING id",
    )?;
    let ids = super::paging::returned_ids(stmt.query(params![lease_until, now_ms, limit])?)?;
    let mut claimed = Vec::with_capacity(ids.len());
    for id in ids {
        let (channel_id, update) = conn
            .prepare_cached(
                "SELECT channel_id, payload, attempts, received_at, conversation_id,
                        message_id, pending
                 FROM inbound_updates WHERE id = ?1",
            )?
            .query_row([id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    Claim {
                        payload: r.get(1)?,
                        attempts: r.get(2)?,
                        received_at_ms: r.get(3)?,
                        conversation_id: r.get(4)?,
                        message_id: r.get(5)?,
                        pending: r.get(6)?,
                    },
                ))
            })?;
        let channel =
            channels::any_state(conn, channel_id)?.ok_or(StoreError::NotFound("channel"))?;
        claimed.push(update.claimed(id, channel, lease_until));
    }
    Ok(claimed)
}

/// The columns of a claimed update's row.
struct Claim {
    payload: String,
    attempts: i32,
    received_at_ms: i64,
    conversation_id: Option<i64>,
    message_id: Option<i64>,
    pending: Option<String>,
}

impl Claim {
    fn claimed(self, id: i64, channel: (crate::Channel, bool), lease_until: i64) -> ClaimedUpdate {
        ClaimedUpdate {
            id,
            channel,
            payload: self.payload,
            attempts: self.attempts,
            lease_until,
            received_at_ms: self.received_at_ms,
            message: self.conversation_id.zip(self.message_id).map(
                |(conversation_id, message_id)| UpdateMessage {
                    conversation_id,
                    message_id,
                },
            ),
            pending: self.pending,
        }
    }
}

/// Ends or postpones a claimed update that did not become a message, if the lease is
/// still the caller's.
pub(super) fn finish(
    conn: &Connection,
    update_id: i64,
    lease_until: i64,
    outcome: &UpdateOutcome,
    now_ms: i64,
) -> StoreResult<bool> {
    let after = intake_rows::after_outcome(outcome, now_ms);
    let changed = conn.execute(
        "UPDATE inbound_updates SET state = ?1, last_error = ?2, finished_at = ?3,
                lease_until = NULL, attempts = attempts + (?4 IS NOT NULL),
                due_at = COALESCE(?4, due_at)
         WHERE id = ?5 AND state = 'pending' AND lease_until = ?6",
        params![
            after.state,
            after.last_error,
            after.finished_at,
            after.retry_at,
            update_id,
            lease_until
        ],
    )?;
    Ok(changed > 0)
}

/// Checks that the caller still holds the update a message is made from; `Refused`
/// (`update`) otherwise, before anything is written. Runs inside the message's write
/// transaction, which the single writer keeps from interleaving with a claim.
pub(super) fn check_held(conn: &Connection, source: &UpdateSource) -> StoreResult<()> {
    let held = conn
        .prepare_cached(
            "SELECT 1 FROM inbound_updates
             WHERE id = ?1 AND state = 'pending' AND lease_until = ?2",
        )?
        .query_row(params![source.update_id, source.lease_until], |_| Ok(()))
        .optional()?;
    held.ok_or_else(|| StoreError::Refused {
        what: "update",
        reason: LOST_LEASE.to_owned(),
    })
}

/// Records the message an update became: done, or still pending for its files (claimable
/// again at once, attempts counted afresh). Runs inside the message's write transaction.
pub(super) fn became_message(
    conn: &Connection,
    source: &UpdateSource,
    conversation_id: i64,
    message_id: i64,
    now_ms: i64,
) -> StoreResult<()> {
    let progress = intake_rows::progress(source.pending.as_deref(), now_ms);
    conn.execute(
        "UPDATE inbound_updates SET state = ?1, finished_at = ?2, pending = ?3,
                due_at = COALESCE(?4, due_at), lease_until = NULL, attempts = 0,
                conversation_id = ?5, message_id = ?6
         WHERE id = ?7",
        params![
            progress.state,
            progress.finished_at,
            progress.pending,
            progress.due_at,
            conversation_id,
            message_id,
            source.update_id
        ],
    )?;
    Ok(())
}

/// Binds files fetched for a claimed update to its message, if the lease is still the
/// caller's and the message exists; `pending` is what remains to fetch.
pub(super) fn attach_files(
    conn: &Connection,
    update_id: i64,
    lease_until: i64,
    files: &[NewAttachment],
    pending: Option<&str>,
    now_ms: i64,
) -> StoreResult<bool> {
    let held: Option<(i64, i64, i64)> = conn
        .prepare_cached(
            "SELECT company_id, conversation_id, message_id FROM inbound_updates
             WHERE id = ?1 AND state = 'pending' AND lease_until = ?2
               AND message_id IS NOT NULL AND conversation_id IS NOT NULL",
        )?
        .query_row(params![update_id, lease_until], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let Some((company_id, conversation_id, message_id)) = held else {
        return Ok(false);
    };
    attachments::create_incoming(conn, company_id, conversation_id, message_id, files, now_ms)?;
    let progress = intake_rows::progress(pending, now_ms);
    conn.execute(
        "UPDATE inbound_updates SET state = ?1, finished_at = ?2, pending = ?3,
                due_at = COALESCE(?4, due_at), lease_until = NULL
         WHERE id = ?5",
        params![
            progress.state,
            progress.finished_at,
            progress.pending,
            progress.due_at,
            update_id
        ],
    )?;
    Ok(true)
}

/// Figures of the pipeline; each is a range of `inbound_updates_by_state`.
pub(super) fn stats(conn: &Connection, now_ms: i64) -> StoreResult<IntakeStats> {
    let (pending, oldest): (i64, Option<i64>) = conn.query_row(
        "SELECT COUNT(*), MIN(received_at) FROM inbound_updates WHERE state = 'pending'",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let count = |state: &str| -> StoreResult<i64> {
        Ok(conn
            .prepare_cached("SELECT COUNT(*) FROM inbound_updates WHERE state = ?1")?
            .query_row([state], |r| r.get(0))?)
    };
    Ok(IntakeStats {
        pending,
        oldest_age_ms: oldest.map_or(0, |t| (now_ms - t).max(0)),
        skipped: count(intake_rows::SKIPPED)?,
        failed: count(intake_rows::FAILED)?,
    })
}
