//! Channel sign-ins (`channel_signins`): one row per channel that started one.

use rusqlite::{Connection, OptionalExtension, params};

use super::columns::typed;
use super::{channels, health};
use crate::{ChannelState, SignIn, SignInStep, StoreResult};

/// The sign-in of a live channel of the company; the default for a channel without one,
/// `None` when there is no such channel.
pub(super) fn get(
    conn: &Connection,
    company_id: i64,
    channel_id: i64,
) -> StoreResult<Option<SignIn>> {
    if channels::get(conn, company_id, channel_id)?.is_none() {
        return Ok(None);
    }
    let row = conn
        .prepare_cached(
            "SELECT step, code, code_expires_at, attempts, password
             FROM channel_signins WHERE channel_id = ?1",
        )?
        .query_row([channel_id], |r| {
            Ok(SignIn {
                step: typed(r, 0)?,
                code: r.get(1)?,
                code_expires_at_ms: r.get(2)?,
                attempts: r.get(3)?,
                password: r.get(4)?,
            })
        })
        .optional()?;
    Ok(Some(row.unwrap_or_default()))
}

/// Replaces the sign-in of a live channel, setting the channel's state (silently) when
/// given; false when there is no such channel.
pub(super) fn save(
    conn: &Connection,
    company_id: i64,
    channel_id: i64,
    signin: &SignIn,
    state: Option<ChannelState>,
    now_ms: i64,
) -> StoreResult<bool> {
    if channels::get(conn, company_id, channel_id)?.is_none() {
        return Ok(false);
    }
    conn.prepare_cached(
        "INSERT INTO channel_signins
            (channel_id, step, code, code_expires_at, attempts, password, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (channel_id) DO UPDATE SET
            step = excluded.step, code = excluded.code,
            code_expires_at = excluded.code_expires_at, attempts = excluded.attempts,
            password = excluded.password, updated_at = excluded.updated_at",
    )?
    .execute(params![
        channel_id,
        signin.step.as_str(),
        signin.code,
        signin.code_expires_at_ms,
        signin.attempts,
        signin.password,
        now_ms
    ])?;
    if let Some(state) = state {
        channels::set_state(conn, company_id, channel_id, state)?;
    }
    Ok(true)
}

/// Counts one wrong attempt; the count after it, `None` without a sign-in under way.
pub(super) fn count_attempt(
    conn: &Connection,
    company_id: i64,
    channel_id: i64,
    now_ms: i64,
) -> StoreResult<Option<u32>> {
    if channels::get(conn, company_id, channel_id)?.is_none() {
        return Ok(None);
    }
    Ok(conn
        .prepare_cached(
            "UPDATE channel_signins SET attempts = attempts + 1, updated_at = ?2
             WHERE channel_id = ?1 AND step <> 'idle'
             RETURNING attempts",
        )?
        .query_row(params![channel_id, now_ms], |r| r.get(0))
        .optional()?)
}

/// Ends the sign-in (the password stays), enables the channel and announces `authorized`;
/// false when there is no such channel.
pub(super) fn complete(
    conn: &Connection,
    company_id: i64,
    channel_id: i64,
    now_ms: i64,
) -> StoreResult<bool> {
    if !health::set_state(
        conn,
        company_id,
        channel_id,
        "authorized",
        ChannelState::Enabled,
        now_ms,
    )? {
        return Ok(false);
    }
    conn.prepare_cached(
        "UPDATE channel_signins
         SET step = ?2, code = NULL, code_expires_at = NULL, attempts = 0, updated_at = ?3
         WHERE channel_id = ?1",
    )?
    .execute(params![channel_id, SignInStep::Idle.as_str(), now_ms])?;
    Ok(true)
}
