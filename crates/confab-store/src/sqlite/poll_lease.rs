//! Which node polls a channel's messenger: an expiring lease on the channel row, and the
//! messenger cursor that moves only with the updates it fetched.

use rusqlite::{Connection, OptionalExtension, params};

use crate::intake_rows;
use crate::{CursorAdvance, PollLease, StoreError, StoreResult};

/// Takes or renews the poll lease of a live channel for `holder`; `None` when another
/// holder's lease runs or the channel is gone.
pub(super) fn take(
    conn: &Connection,
    channel_id: i64,
    holder: &str,
    now_ms: i64,
    lease_until: i64,
) -> StoreResult<Option<PollLease>> {
    let taken = conn.execute(
        "UPDATE channels SET poll_holder = ?1, poll_lease_until = ?2
         WHERE id = ?3 AND deleted_at IS NULL
           AND (poll_holder IS NULL OR poll_lease_until <= ?4 OR poll_holder = ?1)",
        params![holder, lease_until, channel_id, now_ms],
    )?;
    if taken == 0 {
        return Ok(None);
    }
    let cursor: Option<String> = conn
        .prepare_cached("SELECT poll_cursor FROM channels WHERE id = ?1")?
        .query_row([channel_id], |r| r.get(0))?;
    Ok(Some(PollLease {
        lease_until,
        cursor,
    }))
}

/// Gives up `holder`'s lease; a lease someone else holds stays.
pub(super) fn release(conn: &Connection, channel_id: i64, holder: &str) -> StoreResult<()> {
    conn.execute(
        "UPDATE channels SET poll_holder = NULL, poll_lease_until = NULL
         WHERE id = ?1 AND poll_holder = ?2",
        params![channel_id, holder],
    )?;
    Ok(())
}

/// Moves the cursor if `advance`'s holder still holds the lease at `now_ms`; otherwise
/// `Refused` (`poll_lease`), which rolls back the caller's transaction, so a poller that
/// lost its lease stores nothing. Runs inside the caller's write transaction.
pub(super) fn advance(
    conn: &Connection,
    channel_id: i64,
    advance: &CursorAdvance,
    now_ms: i64,
) -> StoreResult<()> {
    let lease: Option<(Option<String>, Option<i64>)> = conn
        .prepare_cached("SELECT poll_holder, poll_lease_until FROM channels WHERE id = ?1")?
        .query_row([channel_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((holder, until)) = lease else {
        return Err(StoreError::NotFound("channel"));
    };
    if let Some(reason) =
        intake_rows::poll_lease_lost(holder.as_deref(), until, &advance.holder, now_ms)
    {
        return Err(StoreError::Refused {
            what: "poll_lease",
            reason,
        });
    }
    conn.execute(
        "UPDATE channels SET poll_cursor = ?1 WHERE id = ?2",
        params![advance.cursor, channel_id],
    )?;
    Ok(())
}
