//! Which node polls a channel's messenger: an expiring lease on the channel row, and the
//! messenger cursor that moves only with the updates it fetched.

use sqlx::PgConnection;

use crate::intake_rows;
use crate::{CursorAdvance, PollLease, StoreError, StoreResult};

/// Takes or renews the poll lease of a live channel for `holder`; `None` when another
/// holder's lease runs or the channel is gone. Two nodes asking at once are ordered by the
/// row lock; the second sees the first's lease and is refused.
pub(super) async fn take(
    conn: &mut PgConnection,
    channel_id: i64,
    holder: &str,
    now_ms: i64,
    lease_until: i64,
) -> StoreResult<Option<PollLease>> {
    let cursor: Option<Option<String>> = sqlx::query_scalar(
        "UPDATE channels SET poll_holder = $1, poll_lease_until = $2
         WHERE id = $3 AND deleted_at IS NULL
           AND (poll_holder IS NULL OR poll_lease_until <= $4 OR poll_holder = $1)
         RETURNING poll_cursor",
    )
    .bind(holder)
    .bind(lease_until)
    .bind(channel_id)
    .bind(now_ms)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(cursor.map(|cursor| PollLease {
        lease_until,
        cursor,
    }))
}

/// Gives up `holder`'s lease; a lease someone else holds stays.
pub(super) async fn release(
    conn: &mut PgConnection,
    channel_id: i64,
    holder: &str,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE channels SET poll_holder = NULL, poll_lease_until = NULL
         WHERE id = $1 AND poll_holder = $2",
    )
    .bind(channel_id)
    .bind(holder)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Moves the cursor if `advance`'s holder still holds the lease at `now_ms`; otherwise
/// `Refused` (`poll_lease`), and the caller's transaction is dropped, so a poller that
/// lost its lease stores nothing. The channel row stays locked until the caller commits,
/// so a takeover by another node waits for this batch instead of racing it.
pub(super) async fn advance(
    conn: &mut PgConnection,
    channel_id: i64,
    advance: &CursorAdvance,
    now_ms: i64,
) -> StoreResult<()> {
    let lease: Option<(Option<String>, Option<i64>)> = sqlx::query_as(
        "SELECT poll_holder, poll_lease_until FROM channels WHERE id = $1 FOR UPDATE",
    )
    .bind(channel_id)
    .fetch_optional(&mut *conn)
    .await?;
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
    sqlx::query("UPDATE channels SET poll_cursor = $1 WHERE id = $2")
        .bind(&advance.cursor)
        .bind(channel_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
