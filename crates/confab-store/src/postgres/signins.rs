//! Channel sign-ins (`channel_signins`): one row per channel that started one.

use sqlx::{PgConnection, Row};

use super::columns::typed;
use super::{channels, health};
use crate::{ChannelState, SignIn, SignInStep, StoreResult};

/// Whether the company has this live channel, locking its row until the transaction
/// ends so sign-in changes of one channel happen one at a time.
async fn lock_channel(
    conn: &mut PgConnection,
    company_id: i64,
    channel_id: i64,
) -> StoreResult<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM channels
         WHERE company_id = $1 AND id = $2 AND deleted_at IS NULL FOR UPDATE",
    )
    .bind(company_id)
    .bind(channel_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.is_some())
}

/// The sign-in of a live channel of the company; the default for a channel without one,
/// `None` when there is no such channel.
pub(super) async fn get(
    conn: &mut PgConnection,
    company_id: i64,
    channel_id: i64,
) -> StoreResult<Option<SignIn>> {
    if channels::get(conn, company_id, channel_id).await?.is_none() {
        return Ok(None);
    }
    let row = sqlx::query(
        "SELECT step, code, code_expires_at, attempts, password
         FROM channel_signins WHERE channel_id = $1",
    )
    .bind(channel_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else {
        return Ok(Some(SignIn::default()));
    };
    let attempts: i32 = r.try_get(3)?;
    Ok(Some(SignIn {
        step: typed(&r, 0)?,
        code: r.try_get(1)?,
        code_expires_at_ms: r.try_get(2)?,
        attempts: u32::try_from(attempts).unwrap_or(0),
        password: r.try_get(4)?,
    }))
}

/// Replaces the sign-in of a live channel, setting the channel's state (silently) when
/// given; false when there is no such channel.
pub(super) async fn save(
    conn: &mut PgConnection,
    company_id: i64,
    channel_id: i64,
    signin: &SignIn,
    state: Option<ChannelState>,
    now_ms: i64,
) -> StoreResult<bool> {
    if !lock_channel(conn, company_id, channel_id).await? {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO channel_signins
            (channel_id, step, code, code_expires_at, attempts, password, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (channel_id) DO UPDATE SET
            step = EXCLUDED.step, code = EXCLUDED.code,
            code_expires_at = EXCLUDED.code_expires_at, attempts = EXCLUDED.attempts,
            password = EXCLUDED.password, updated_at = EXCLUDED.updated_at",
    )
    .bind(channel_id)
    .bind(signin.step.as_str())
    .bind(&signin.code)
    .bind(signin.code_expires_at_ms)
    .bind(i32::try_from(signin.attempts).unwrap_or(i32::MAX))
    .bind(&signin.password)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    if let Some(state) = state {
        channels::set_state(conn, company_id, channel_id, state).await?;
    }
    Ok(true)
}

/// Counts one wrong attempt; the count after it, `None` without a sign-in under way.
pub(super) async fn count_attempt(
    conn: &mut PgConnection,
    company_id: i64,
    channel_id: i64,
    now_ms: i64,
) -> StoreResult<Option<u32>> {
    if !lock_channel(conn, company_id, channel_id).await? {
        return Ok(None);
    }
    let attempts: Option<i32> = sqlx::query_scalar(
        "UPDATE channel_signins SET attempts = attempts + 1, updated_at = $2
         WHERE channel_id = $1 AND step <> 'idle'
         RETURNING attempts",
    )
    .bind(channel_id)
    .bind(now_ms)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(attempts.map(|n| u32::try_from(n).unwrap_or(0)))
}

/// Ends the sign-in (the password stays), enables the channel and announces `authorized`;
/// false when there is no such channel.
pub(super) async fn complete(
    conn: &mut PgConnection,
    company_id: i64,
    channel_id: i64,
    now_ms: i64,
) -> StoreResult<bool> {
    if !lock_channel(conn, company_id, channel_id).await? {
        return Ok(false);
    }
    if !health::set_state(
        conn,
        company_id,
        channel_id,
        "authorized",
        ChannelState::Enabled,
        now_ms,
    )
    .await?
    {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE channel_signins
         SET step = $2, code = NULL, code_expires_at = NULL, attempts = 0, updated_at = $3
         WHERE channel_id = $1",
    )
    .bind(channel_id)
    .bind(SignInStep::Idle.as_str())
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}
