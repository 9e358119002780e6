//! A channel's health: its connection state (announced as a `system` event), the
//! connector's last error, and breaking a channel whose credentials the messenger revoked.

use sqlx::PgConnection;

use super::{channels, delivery, events};
use crate::{ChannelState, Outcome, StoreResult, rules};

/// Sets a live channel's state after system event `event` and announces it; false when
/// there is no such channel. Runs inside the caller's transaction, which must wake the
/// sequencer after committing.
pub(super) async fn set_state(
    conn: &mut PgConnection,
    company_id: i64,
    channel_id: i64,
    event: &str,
    state: ChannelState,
    now_ms: i64,
) -> StoreResult<bool> {
    if !channels::set_state(conn, company_id, channel_id, state).await? {
        return Ok(false);
    }
    let events = rules::on_channel_event(channel_id, event, now_ms);
    events::record(conn, company_id, None, &events, now_ms).await?;
    Ok(true)
}

/// Disables a live channel with `reason` as its last error and ends every queued job of
/// it that no worker holds as a failed delivery; how many jobs ended, `None` when there
/// is no such live channel. Runs inside the caller's transaction, which must wake the
/// sequencer after committing.
pub(super) async fn break_channel(
    conn: &mut PgConnection,
    channel_id: i64,
    reason: &str,
    now_ms: i64,
) -> StoreResult<Option<u64>> {
    // Locked first, so a concurrent state change or poll lease waits for this one.
    let company_id: Option<i64> = sqlx::query_scalar(
        "SELECT company_id FROM channels WHERE id = $1 AND deleted_at IS NULL FOR UPDATE",
    )
    .bind(channel_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(company_id) = company_id else {
        return Ok(None);
    };
    let disabled = ChannelState::Disabled;
    if !set_state(
        conn,
        company_id,
        channel_id,
        disabled.as_str(),
        disabled,
        now_ms,
    )
    .await?
    {
        return Ok(None);
    }
    channels::set_error(conn, channel_id, Some(reason)).await?;
    // Each job is leased to this transaction for the moment (`lease_until = now`), so the
    // one finishing code path (its row, its events) ends it; a job a worker holds is left
    // to that worker, whose delivery will fail on the disabled channel. A job a claimer
    // is locking right now is waited for and then re-checked: its fresh lease keeps it.
    let mut ids: Vec<i64> = sqlx::query_scalar(
        "UPDATE jobs SET lease_until = $1
         WHERE channel_id = $2 AND state = 'trying_deliver'
           AND (lease_until IS NULL OR lease_until <= $1)
         RETURNING id",
    )
    .bind(now_ms)
    .bind(channel_id)
    .fetch_all(&mut *conn)
    .await?;
    ids.sort_unstable();
    let failed = Outcome::Failed {
        reason: reason.to_owned(),
    };
    let mut ended = 0_u64;
    for id in ids {
        if delivery::finish(conn, id, now_ms, &failed, now_ms)
            .await?
            .is_some()
        {
            ended += 1;
        }
    }
    Ok(Some(ended))
}
