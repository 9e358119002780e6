//! Channels.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::{Map, Value};

use super::columns::typed;
use super::paging;
use crate::{Channel, ChannelState, NewChannel, PageRequest, Provider, StoreError, StoreResult};

/// The columns [`from_row`] reads, in its order.
pub(super) const COLUMNS: &str =
    "id, company_id, provider, connector, settings, created_at, state, last_inbound_at, last_error";

/// A channel from a row that starts with [`COLUMNS`].
pub(super) fn from_row(r: &Row<'_>) -> rusqlite::Result<Channel> {
    let settings: String = r.get(4)?;
    Ok(Channel {
        id: r.get(0)?,
        company_id: r.get(1)?,
        provider: typed(r, 2)?,
        connector: r.get(3)?,
        settings: serde_json::from_str(&settings).unwrap_or_default(),
        created_at_ms: r.get(5)?,
        state: typed(r, 6)?,
        last_inbound_at_ms: r.get(7)?,
        last_error: r.get(8)?,
    })
}

/// A channel from a row of [`COLUMNS`] followed by whether it is deleted.
fn with_deleted_from_row(r: &Row<'_>) -> rusqlite::Result<(Channel, bool)> {
    Ok((from_row(r)?, r.get(9)?))
}

fn settings_text(settings: &Map<String, Value>) -> StoreResult<String> {
    serde_json::to_string(settings).map_err(|e| StoreError::Database(Box::new(e)))
}

pub(super) fn create(
    conn: &Connection,
    company_id: i64,
    new: &NewChannel,
    now_ms: i64,
) -> StoreResult<Channel> {
    if by_provider(conn, company_id, new.provider)?.is_some() {
        return Err(StoreError::Conflict { what: "provider" });
    }
    conn.execute(
        "INSERT INTO channels (company_id, provider, connector, settings, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            company_id,
            new.provider.as_str(),
            new.connector,
            settings_text(&new.settings)?,
            now_ms
        ],
    )?;
    Ok(Channel {
        id: conn.last_insert_rowid(),
        company_id,
        provider: new.provider,
        connector: new.connector.clone(),
        settings: new.settings.clone(),
        created_at_ms: now_ms,
        state: ChannelState::Enabled,
        last_inbound_at_ms: None,
        last_error: None,
    })
}

pub(super) fn list(
    conn: &Connection,
    company_id: i64,
    page: PageRequest,
) -> StoreResult<Vec<Channel>> {
    let select =
        format!("SELECT {COLUMNS} FROM channels WHERE company_id = ?1 AND deleted_at IS NULL");
    paging::page(conn, &select, "id", company_id, page, from_row)
}

pub(super) fn get(
    conn: &Connection,
    company_id: i64,
    channel_id: i64,
) -> StoreResult<Option<Channel>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM channels WHERE company_id = ?1 AND id = ?2 AND deleted_at IS NULL"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![company_id, channel_id], from_row)
        .optional()?)
}

pub(super) fn by_provider(
    conn: &Connection,
    company_id: i64,
    provider: Provider,
) -> StoreResult<Option<Channel>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM channels
         WHERE company_id = ?1 AND provider = ?2 AND deleted_at IS NULL"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![company_id, provider.as_str()], from_row)
        .optional()?)
}

pub(super) fn merge_settings(
    conn: &Connection,
    company_id: i64,
    channel_id: i64,
    patch: Map<String, Value>,
) -> StoreResult<bool> {
    let Some(mut channel) = get(conn, company_id, channel_id)? else {
        return Ok(false);
    };
    channel.settings.extend(patch);
    conn.execute(
        "UPDATE channels SET settings = ?1 WHERE company_id = ?2 AND id = ?3",
        params![settings_text(&channel.settings)?, company_id, channel_id],
    )?;
    Ok(true)
}

pub(super) fn soft_delete(
    conn: &Connection,
    company_id: i64,
    channel_id: i64,
    now_ms: i64,
) -> StoreResult<bool> {
    let changed = conn.execute(
        "UPDATE channels SET deleted_at = ?1
         WHERE company_id = ?2 AND id = ?3 AND deleted_at IS NULL",
        params![now_ms, company_id, channel_id],
    )?;
    Ok(changed > 0)
}

pub(super) fn set_state(
    conn: &Connection,
    company_id: i64,
    channel_id: i64,
    state: ChannelState,
) -> StoreResult<bool> {
    let changed = conn.execute(
        "UPDATE channels SET state = ?1 WHERE company_id = ?2 AND id = ?3 AND deleted_at IS NULL",
        params![state.as_str(), company_id, channel_id],
    )?;
    Ok(changed > 0)
}

pub(super) fn set_contact_reachable(
    conn: &Connection,
    channel_id: i64,
    sender: &str,
    reachable: bool,
) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO sandbox_contacts (channel_id, sender_external_id, unreachable) VALUES (?1, ?2, ?3)
         ON CONFLICT (channel_id, sender_external_id) DO UPDATE SET unreachable = excluded.unreachable",
        params![channel_id, sender, !reachable],
    )?;
    Ok(())
}

/// A channel whichever company owns it, deleted or not, and whether it is deleted (for
/// workers and inbound hooks, which act for no company in particular).
pub(super) fn any_state(
    conn: &Connection,
    channel_id: i64,
) -> StoreResult<Option<(Channel, bool)>> {
    let sql = format!("SELECT {COLUMNS}, deleted_at IS NOT NULL FROM channels WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([channel_id], with_deleted_from_row)
        .optional()?)
}

/// One page (by id, after `after_id`) of the live channels of every company delivered by
/// `connector`.
pub(super) fn of_connector(
    conn: &Connection,
    connector: &str,
    after_id: i64,
    limit: u32,
) -> StoreResult<Vec<Channel>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM channels
         WHERE connector = ?1 AND deleted_at IS NULL AND id > ?2
         ORDER BY id LIMIT ?3"
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params![connector, after_id, limit], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// One page (by id, after `after_id`) of every channel, deleted ones too.
pub(super) fn all(conn: &Connection, after_id: i64, limit: u32) -> StoreResult<Vec<Channel>> {
    let sql = format!("SELECT {COLUMNS} FROM channels WHERE id > ?1 ORDER BY id LIMIT ?2");
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params![after_id, limit], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Replaces a channel's settings as a whole, deleted or not; `NotFound` when there is no
/// such channel.
pub(super) fn replace_settings(
    conn: &Connection,
    channel_id: i64,
    settings: &Map<String, Value>,
) -> StoreResult<()> {
    let changed = conn.execute(
        "UPDATE channels SET settings = ?1 WHERE id = ?2",
        params![settings_text(settings)?, channel_id],
    )?;
    found(changed)
}

/// Records (or clears) the connector's last problem with the channel's messenger;
/// `NotFound` when there is no such channel.
pub(super) fn set_error(
    conn: &Connection,
    channel_id: i64,
    error: Option<&str>,
) -> StoreResult<()> {
    let changed = conn.execute(
        "UPDATE channels SET last_error = ?1 WHERE id = ?2",
        params![error, channel_id],
    )?;
    found(changed)
}

/// `NotFound` (`channel`) when a statement by channel id changed no row.
fn found(changed: usize) -> StoreResult<()> {
    if changed == 0 {
        return Err(StoreError::NotFound("channel"));
    }
    Ok(())
}
