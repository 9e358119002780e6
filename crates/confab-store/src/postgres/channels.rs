//! Channels, and the sandbox's per-contact reachability.

use serde_json::{Map, Value};
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgConnection, Row};

use super::columns::typed;
use super::paging;
use crate::{Channel, ChannelState, NewChannel, PageRequest, Provider, StoreError, StoreResult};

/// The columns [`from_row`] reads, in its order.
pub(super) const COLUMNS: &str =
    "id, company_id, provider, connector, settings, created_at, state, last_inbound_at, last_error";

/// A channel from a row that starts with [`COLUMNS`].
pub(super) fn from_row(r: &PgRow) -> StoreResult<Channel> {
    let settings: String = r.try_get(4)?;
    Ok(Channel {
        id: r.try_get(0)?,
        company_id: r.try_get(1)?,
        provider: typed(r, 2)?,
        connector: r.try_get(3)?,
        // Settings were written by this server as a JSON object; anything else reads as
        // empty, as on SQLite.
        settings: serde_json::from_str(&settings).unwrap_or_default(),
        created_at_ms: r.try_get(5)?,
        state: typed(r, 6)?,
        last_inbound_at_ms: r.try_get(7)?,
        last_error: r.try_get(8)?,
    })
}

fn settings_text(settings: &Map<String, Value>) -> StoreResult<String> {
    serde_json::to_string(settings).map_err(|e| StoreError::Database(Box::new(e)))
}

/// Whether `e` is the live-provider unique index refusing a second live channel.
fn is_provider_conflict(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|db| {
        db.is_unique_violation() && db.constraint() == Some("channels_live_provider")
    })
}

/// Creates a channel; `Conflict { what: "provider" }` when the company already has a
/// live channel for the provider.
pub(super) async fn create(
    conn: &mut PgConnection,
    company_id: i64,
    new: &NewChannel,
    now_ms: i64,
) -> StoreResult<Channel> {
    // The check gives the common case its answer without a failed statement; the unique
    // index decides when two nodes create the same provider at once.
    if by_provider(conn, company_id, new.provider).await?.is_some() {
        return Err(StoreError::Conflict { what: "provider" });
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO channels (company_id, provider, connector, settings, created_at)
         VALUES ($1, $2, $3, $4, $5)
         RETURNING id",
    )
    .bind(company_id)
    .bind(new.provider.as_str())
    .bind(&new.connector)
    .bind(settings_text(&new.settings)?)
    .bind(now_ms)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| {
        if is_provider_conflict(&e) {
            StoreError::Conflict { what: "provider" }
        } else {
            e.into()
        }
    })?;
    Ok(Channel {
        id,
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

/// One page of the company's live channels, by id.
pub(super) async fn list(
    conn: &mut PgConnection,
    company_id: i64,
    page: PageRequest,
) -> StoreResult<Vec<Channel>> {
    let select =
        format!("SELECT {COLUMNS} FROM channels WHERE company_id = $1 AND deleted_at IS NULL");
    paging::page(conn, &select, "id", company_id, page, from_row).await
}

/// The company's live channel `channel_id`.
pub(super) async fn get(
    conn: &mut PgConnection,
    company_id: i64,
    channel_id: i64,
) -> StoreResult<Option<Channel>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM channels WHERE company_id = $1 AND id = $2 AND deleted_at IS NULL"
    );
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(company_id)
        .bind(channel_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The company's live channel for `provider`.
pub(super) async fn by_provider(
    conn: &mut PgConnection,
    company_id: i64,
    provider: Provider,
) -> StoreResult<Option<Channel>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM channels
         WHERE company_id = $1 AND provider = $2 AND deleted_at IS NULL"
    );
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(company_id)
        .bind(provider.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Merges `patch` into the channel's settings (top-level keys replace); false when the
/// company has no such live channel. Runs inside the caller's transaction.
pub(super) async fn merge_settings(
    conn: &mut PgConnection,
    company_id: i64,
    channel_id: i64,
    patch: Map<String, Value>,
) -> StoreResult<bool> {
    // FOR UPDATE holds the row until the caller commits, so a merge running on another
    // node at the same time waits and then merges into this one's result instead of
    // overwriting it.
    let Some(settings) = sqlx::query_scalar::<_, String>(
        "SELECT settings FROM channels
         WHERE company_id = $1 AND id = $2 AND deleted_at IS NULL
         FOR UPDATE",
    )
    .bind(company_id)
    .bind(channel_id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(false);
    };
    let mut settings: Map<String, Value> = serde_json::from_str(&settings).unwrap_or_default();
    settings.extend(patch);
    sqlx::query("UPDATE channels SET settings = $1 WHERE company_id = $2 AND id = $3")
        .bind(settings_text(&settings)?)
        .bind(company_id)
        .bind(channel_id)
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

/// Marks the channel deleted, which frees its provider for a new channel; false when
/// the company has no such live channel.
pub(super) async fn soft_delete(
    conn: &mut PgConnection,
    company_id: i64,
    channel_id: i64,
    now_ms: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE channels SET deleted_at = $1
         WHERE company_id = $2 AND id = $3 AND deleted_at IS NULL",
    )
    .bind(now_ms)
    .bind(company_id)
    .bind(channel_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Sets the channel's connection state; false when the company has no such live channel.
pub(super) async fn set_state(
    conn: &mut PgConnection,
    company_id: i64,
    channel_id: i64,
    state: ChannelState,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE channels SET state = $1 WHERE company_id = $2 AND id = $3 AND deleted_at IS NULL",
    )
    .bind(state.as_str())
    .bind(company_id)
    .bind(channel_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Records whether the sandbox can deliver to the contact on the channel.
pub(super) async fn set_contact_reachable(
    conn: &mut PgConnection,
    channel_id: i64,
    sender: &str,
    reachable: bool,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sandbox_contacts (channel_id, sender_external_id, unreachable)
         VALUES ($1, $2, $3)
         ON CONFLICT (channel_id, sender_external_id)
         DO UPDATE SET unreachable = EXCLUDED.unreachable",
    )
    .bind(channel_id)
    .bind(sender)
    .bind(!reachable)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A channel whichever company owns it, deleted or not, and whether it is deleted (for
/// workers and inbound hooks, which act for no company in particular).
pub(super) async fn any_state(
    conn: &mut PgConnection,
    channel_id: i64,
) -> StoreResult<Option<(Channel, bool)>> {
    let sql = format!("SELECT {COLUMNS}, deleted_at IS NOT NULL FROM channels WHERE id = $1");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(channel_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref()
        .map(|r| Ok((from_row(r)?, r.try_get(9)?)))
        .transpose()
}

/// One page (by id, after `after_id`) of the live channels of every company delivered by
/// `connector`.
pub(super) async fn of_connector(
    conn: &mut PgConnection,
    connector: &str,
    after_id: i64,
    limit: u32,
) -> StoreResult<Vec<Channel>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM channels
         WHERE connector = $1 AND deleted_at IS NULL AND id > $2
         ORDER BY id LIMIT $3"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(connector)
        .bind(after_id)
        .bind(i64::from(limit))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(from_row).collect()
}

/// One page (by id, after `after_id`) of every channel, deleted ones too.
pub(super) async fn all(
    conn: &mut PgConnection,
    after_id: i64,
    limit: u32,
) -> StoreResult<Vec<Channel>> {
    let sql = format!("SELECT {COLUMNS} FROM channels WHERE id > $1 ORDER BY id LIMIT $2");
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(after_id)
        .bind(i64::from(limit))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Replaces a channel's settings as a whole, deleted or not; `NotFound` when there is no
/// such channel.
pub(super) async fn replace_settings(
    conn: &mut PgConnection,
    channel_id: i64,
    settings: &Map<String, Value>,
) -> StoreResult<()> {
    let done = sqlx::query("UPDATE channels SET settings = $1 WHERE id = $2")
        .bind(settings_text(settings)?)
        .bind(channel_id)
        .execute(&mut *conn)
        .await?;
    found(done.rows_affected())
}

/// Records (or clears) the connector's last problem with the channel's messenger;
/// `NotFound` when there is no such channel.
pub(super) async fn set_error(
    conn: &mut PgConnection,
    channel_id: i64,
    error: Option<&str>,
) -> StoreResult<()> {
    let done = sqlx::query("UPDATE channels SET last_error = $1 WHERE id = $2")
        .bind(error)
        .bind(channel_id)
        .execute(&mut *conn)
        .await?;
    found(done.rows_affected())
}

/// `NotFound` (`channel`) when a statement by channel id changed no row.
fn found(changed: u64) -> StoreResult<()> {
    if changed == 0 {
        return Err(StoreError::NotFound("channel"));
    }
    Ok(())
}
