//! Raw inbound updates: stored (deduplicated) before the messenger is answered, claimed
//! with `FOR UPDATE SKIP LOCKED` and a lease, and finished once: as a message (in the
//! message's own transaction), with the files fetched for it, or skipped, retried or given
//! up.

use sqlx::PgConnection;

use super::{attachments, channels, poll_lease};
use crate::intake_rows::{self, LOST_LEASE};
use crate::{
    Accepted, ClaimedUpdate, CursorAdvance, IntakeStats, NewAttachment, NewUpdate, StoreError,
    StoreResult, UpdateMessage, UpdateOutcome, UpdateSource,
};

/// Stores `updates` of the channel, dropping keys it already has, and moves the poller's
/// cursor (refused, storing nothing, when the poller lost its lease). Runs inside the
/// caller's transaction.
pub(super) async fn accept(
    conn: &mut PgConnection,
    channel_id: i64,
    updates: &[NewUpdate],
    cursor: Option<&CursorAdvance>,
    now_ms: i64,
) -> StoreResult<Accepted> {
    let company_id: i64 = sqlx::query_scalar("SELECT company_id FROM channels WHERE id = $1")
        .bind(channel_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("channel"))?;
    if let Some(cursor) = cursor {
        poll_lease::advance(conn, channel_id, cursor, now_ms).await?;
    }
    if updates.is_empty() {
        return Ok(Accepted::default());
    }
    let keys: Vec<&str> = updates.iter().map(|u| u.key.as_str()).collect();
    let payloads: Vec<&str> = updates.iter().map(|u| u.payload.as_str()).collect();
    // One statement for the batch, in the order given. A key stored before, or earlier in
    // this batch, inserts nothing (DO NOTHING also settles a key a concurrent batch is
    // inserting: this one waits for it, then skips it).
    let stored = sqlx::query(
        "INSERT INTO inbound_updates
           (channel_id, company_id, dedupe_key, payload, due_at, received_at)
         SELECT $1, $2, u.key, u.payload, $5, $5
         FROM UNNEST($3::TEXT[], $4::TEXT[]) WITH ORDINALITY AS u (key, payload, n)
         ORDER BY u.n
         ON CONFLICT (channel_id, dedupe_key) DO NOTHING",
    )
    .bind(channel_id)
    .bind(company_id)
    .bind(&keys)
    .bind(&payloads)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    sqlx::query("UPDATE channels SET last_inbound_at = $1 WHERE id = $2")
        .bind(now_ms)
        .bind(channel_id)
        .execute(&mut *conn)
        .await?;
    let stored = u32::try_from(stored).unwrap_or(u32::MAX);
    let total = u32::try_from(updates.len()).unwrap_or(u32::MAX);
    Ok(Accepted {
        stored,
        duplicates: total.saturating_sub(stored),
    })
}

/// The columns of a claimed update's row.
#[derive(sqlx::FromRow)]
struct Claim {
    channel_id: i64,
    payload: String,
    attempts: i32,
    received_at: i64,
    conversation_id: Option<i64>,
    message_id: Option<i64>,
    pending: Option<String>,
}

/// The transaction lock claims of inbound updates take turns under.
const CLAIM_LOCK: i64 = 0x636f_6e66_6162_0002;

/// Claims up to `limit` due updates until `lease_until`, with the channel each came on.
///
/// Exactly one node wins each update, as with delivery jobs: candidates are locked
/// `FOR UPDATE SKIP LOCKED`, and a row another claimer committed meanwhile is re-checked
/// on its new version, which its fresh lease fails.
pub(super) async fn claim(
    conn: &mut PgConnection,
    now_ms: i64,
    lease_until: i64,
    limit: u32,
) -> StoreResult<Vec<ClaimedUpdate>> {
    // A channel with an update under a live lease is passed over: its updates become
    // messages in the order they came only if one node works a channel at a time. Claims
    // take turns (a transaction lock) so each sees the leases the one before committed;
    // they are short, and a busy claimer is not worth racing. An update whose message is
    // stored (its files follow later) neither waits nor holds others back.
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(CLAIM_LOCK)
        .execute(&mut *conn)
        .await?;
    // Ordered as `inbound_updates_pending` is; MATERIALIZED so the locking subquery runs
    // once (see the job claim).
    let mut ids: Vec<i64> = sqlx::query_scalar(
        "WITH due AS MATERIALIZED (
             SELECT id FROM inbound_updates
             WHERE state = 'pending' AND due_at <= $2
               AND (lease_until IS NULL OR lease_until <= $2)
               AND (message_id IS NOT NULL OR channel_id NOT IN (
                   SELECT channel_id FROM inbound_updates
                   WHERE state = 'pending' AND lease_until > $2 AND message_id IS NULL))
             ORDER BY due_at, id LIMIT $3
             FOR UPDATE SKIP LOCKED)
         UPDATE inbound_updates SET lease_until = $1
         FROM due WHERE inbound_updates.id = due.id
         RETURNING inbound_updates.id",
    )
    .bind(lease_until)
    .bind(now_ms)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    ids.sort_unstable();
    let mut claimed = Vec::with_capacity(ids.len());
    for id in ids {
        let row: Claim = sqlx::query_as(
            "SELECT channel_id, payload, attempts, received_at, conversation_id, message_id,
                    pending
             FROM inbound_updates WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
        let channel = channels::any_state(conn, row.channel_id)
            .await?
            .ok_or(StoreError::NotFound("channel"))?;
        claimed.push(ClaimedUpdate {
            id,
            channel,
            payload: row.payload,
            attempts: row.attempts,
            lease_until,
            received_at_ms: row.received_at,
            message: row.conversation_id.zip(row.message_id).map(
                |(conversation_id, message_id)| UpdateMessage {
                    conversation_id,
                    message_id,
                },
            ),
            pending: row.pending,
        });
    }
    Ok(claimed)
}

/// Ends or postpones a claimed update that did not become a message, if the lease is
/// still the caller's (checked on the newest row version, so a worker whose lease was
/// taken over finishes nothing).
pub(super) async fn finish(
    conn: &mut PgConnection,
    update_id: i64,
    lease_until: i64,
    outcome: &UpdateOutcome,
    now_ms: i64,
) -> StoreResult<bool> {
    let after = intake_rows::after_outcome(outcome, now_ms);
    let changed = sqlx::query(
        "UPDATE inbound_updates SET state = $1, last_error = $2, finished_at = $3,
                lease_until = NULL,
                attempts = attempts + CASE WHEN $4::BIGINT IS NULL THEN 0 ELSE 1 END,
                due_at = COALESCE($4, due_at)
         WHERE id = $5 AND state = 'pending' AND lease_until = $6",
    )
    .bind(after.state)
    .bind(after.last_error)
    .bind(after.finished_at)
    .bind(after.retry_at)
    .bind(update_id)
    .bind(lease_until)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(changed > 0)
}

/// Checks that the caller still holds the update a message is made from; `Refused`
/// (`update`) otherwise, before anything is written. The row stays locked until the
/// message's transaction ends, so no other worker can claim or finish it meanwhile.
pub(super) async fn check_held(conn: &mut PgConnection, source: &UpdateSource) -> StoreResult<()> {
    let held: Option<i32> = sqlx::query_scalar(
        "SELECT 1 FROM inbound_updates
         WHERE id = $1 AND state = 'pending' AND lease_until = $2
         FOR UPDATE",
    )
    .bind(source.update_id)
    .bind(source.lease_until)
    .fetch_optional(&mut *conn)
    .await?;
    held.map(|_| ()).ok_or_else(|| StoreError::Refused {
        what: "update",
        reason: LOST_LEASE.to_owned(),
    })
}

/// Records the message an update became: done, or still pending for its files (claimable
/// again at once, attempts counted afresh). Runs inside the message's transaction.
pub(super) async fn became_message(
    conn: &mut PgConnection,
    source: &UpdateSource,
    conversation_id: i64,
    message_id: i64,
    now_ms: i64,
) -> StoreResult<()> {
    let progress = intake_rows::progress(source.pending.as_deref(), now_ms);
    sqlx::query(
        "UPDATE inbound_updates SET state = $1, finished_at = $2, pending = $3,
                due_at = COALESCE($4, due_at), lease_until = NULL, attempts = 0,
                conversation_id = $5, message_id = $6
         WHERE id = $7",
    )
    .bind(progress.state)
    .bind(progress.finished_at)
    .bind(progress.pending)
    .bind(progress.due_at)
    .bind(conversation_id)
    .bind(message_id)
    .bind(source.update_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Binds files fetched for a claimed update to its message, if the lease is still the
/// caller's and the message exists; `pending` is what remains to fetch.
pub(super) async fn attach_files(
    conn: &mut PgConnection,
    update_id: i64,
    lease_until: i64,
    files: &[NewAttachment],
    pending: Option<&str>,
    now_ms: i64,
) -> StoreResult<bool> {
    let held: Option<(i64, i64, i64)> = sqlx::query_as(
        "SELECT company_id, conversation_id, message_id FROM inbound_updates
         WHERE id = $1 AND state = 'pending' AND lease_until = $2
           AND message_id IS NOT NULL AND conversation_id IS NOT NULL
         FOR UPDATE",
    )
    .bind(update_id)
    .bind(lease_until)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((company_id, conversation_id, message_id)) = held else {
        return Ok(false);
    };
    attachments::create_incoming(conn, company_id, conversation_id, message_id, files, now_ms)
        .await?;
    let progress = intake_rows::progress(pending, now_ms);
    sqlx::query(
        "UPDATE inbound_updates SET state = $1, finished_at = $2, pending = $3,
                due_at = COALESCE($4, due_at), lease_until = NULL
         WHERE id = $5",
    )
    .bind(progress.state)
    .bind(progress.finished_at)
    .bind(progress.pending)
    .bind(progress.due_at)
    .bind(update_id)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// Figures of the pipeline in one round trip; each is a range of
/// `inbound_updates_by_state`.
pub(super) async fn stats(conn: &mut PgConnection, now_ms: i64) -> StoreResult<IntakeStats> {
    let (pending, oldest, skipped, failed): (i64, Option<i64>, i64, i64) = sqlx::query_as(
        "SELECT
             (SELECT COUNT(*) FROM inbound_updates WHERE state = 'pending'),
             (SELECT MIN(received_at) FROM inbound_updates WHERE state = 'pending'),
             (SELECT COUNT(*) FROM inbound_updates WHERE state = 'skipped'),
             (SELECT COUNT(*) FROM inbound_updates WHERE state = 'failed')",
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(IntakeStats {
        pending,
        oldest_age_ms: oldest.map_or(0, |t| (now_ms - t).max(0)),
        skipped,
        failed,
    })
}
