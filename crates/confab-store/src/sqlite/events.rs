//! The event log: every event recorded in the transaction of the change that causes it,
//! read by cursor, pruned by age.
//!
//! SQLite has one writer (`group_commit`), and a group commits all of its rows at once, so
//! ids become visible in id order: a reader past id N can never later find an event below
//! N. The head is read before the events, so everything up to it is already visible.

use std::cell::Cell;

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::{Event, EventBatch, EventQuery, LoggedEvent, StoreError, StoreResult};

fn from_row(r: &Row<'_>) -> rusqlite::Result<LoggedEvent> {
    let snapshot: String = r.get(4)?;
    let event: Event = serde_json::from_str(&snapshot).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(LoggedEvent {
        id: r.get(0)?,
        company_id: r.get(1)?,
        conversation_id: r.get(2)?,
        label: r.get(3)?,
        event,
        created_at_ms: r.get(5)?,
    })
}

thread_local! {
    /// Whether the writer thread inserted an event since it last looked: the writer wakes
    /// the log's readers after a commit only then, so a claim or an attempt record (which
    /// record nothing) does not send every open stream to the database.
    static RECORDED: Cell<bool> = const { Cell::new(false) };
}

/// Whether this thread inserted an event since the last call (and forgets it).
pub(super) fn take_recorded() -> bool {
    RECORDED.with(|r| r.replace(false))
}

/// Inserts one event; answers its id.
pub(super) fn insert(
    conn: &Connection,
    company_id: i64,
    conversation_id: Option<i64>,
    event: &Event,
    resend_of: Option<i64>,
    now_ms: i64,
) -> StoreResult<i64> {
    let snapshot = serde_json::to_string(event).map_err(|e| StoreError::Database(Box::new(e)))?;
    conn.prepare_cached(
        "INSERT INTO events (company_id, conversation_id, event, snapshot, resend_of, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        company_id,
        conversation_id,
        event.label(),
        snapshot,
        resend_of,
        now_ms
    ])?;
    RECORDED.with(|r| r.set(true));
    Ok(conn.last_insert_rowid())
}

/// Records the events a change caused (as [`rules`](crate::rules) decided them), in order,
/// and queues them for webhook delivery when the rules say so. Runs inside the caller's
/// write transaction.
pub(super) fn record(
    conn: &Connection,
    company_id: i64,
    conversation_id: Option<i64>,
    events: &[Event],
    now_ms: i64,
) -> StoreResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let has_url: bool = conn
        .prepare_cached("SELECT webhook_url IS NOT NULL FROM companies WHERE id = ?1")?
        .query_row([company_id], |r| r.get(0))
        .optional()?
        .unwrap_or(false);
    let deliver = crate::rules::delivers_webhooks(has_url);
    for event in events {
        let id = insert(conn, company_id, conversation_id, event, None, now_ms)?;
        if deliver && event.is_webhook() {
            super::outbox::queue(conn, id, company_id, now_ms)?;
        }
    }
    Ok(())
}

/// The newest event id ever given (0 before the first). Not `MAX(id)`: once pruning has
/// emptied the log that would fall back below the pruning marks, and a reader sent to the
/// head would find its cursor expired again, for ever.
fn head(conn: &Connection) -> StoreResult<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)",
        )?
        .query_row([], |r| r.get(0))?)
}

/// Reads the company's log after the query's cursor (see [`EventBatch`]).
pub(super) fn read(conn: &Connection, company_id: i64, q: &EventQuery) -> StoreResult<EventBatch> {
    let pruned: Option<i64> = conn
        .prepare_cached("SELECT events_pruned_through FROM companies WHERE id = ?1")?
        .query_row([company_id], |r| r.get(0))
        .optional()?;
    let pruned = pruned.ok_or(StoreError::NotFound("company"))?;
    // Read first: every id up to it is committed, so reading up to it misses nothing.
    let head = head(conn)?;
    let Some(after) = q.after else {
        return Ok(EventBatch::at_head(head, false));
    };
    if after < pruned {
        return Ok(EventBatch::at_head(head, true));
    }
    let labels = serde_json::to_string(&q.labels).map_err(|e| StoreError::Database(Box::new(e)))?;
    let limit = i64::from(q.limit);
    let rows = conn
        .prepare_cached(
            "SELECT id, company_id, conversation_id, event, snapshot, created_at FROM events
             WHERE company_id = ?1 AND id > ?2 AND id <= ?3 AND resend_of IS NULL
               AND (?4 = '[]' OR event IN (SELECT value FROM json_each(?4)))
               AND (?5 IS NULL OR conversation_id = ?5)
             ORDER BY id LIMIT ?6",
        )?
        .query_map(
            params![
                company_id,
                after,
                head,
                labels,
                q.conversation_id,
                limit + 1
            ],
            from_row,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(EventBatch::from_rows(rows, q.limit, after, head))
}

/// Deletes up to `limit` of the oldest events created before `before_ms` with their
/// delivery records, and moves each company's pruning mark past its deleted events.
pub(super) fn prune(conn: &Connection, before_ms: i64, limit: u32) -> StoreResult<u64> {
    let gone: Vec<(i64, i64)> = conn
        .prepare_cached(
            "DELETE FROM events WHERE id IN (
                 SELECT id FROM events WHERE created_at < ?1 ORDER BY created_at, id LIMIT ?2)
             RETURNING id, company_id",
        )?
        .query_map(params![before_ms, limit], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut by_company: std::collections::BTreeMap<i64, i64> = std::collections::BTreeMap::new();
    for (id, company) in &gone {
        let mark = by_company.entry(*company).or_insert(*id);
        *mark = (*mark).max(*id);
        conn.prepare_cached("DELETE FROM webhook_deliveries WHERE event_id = ?1")?
            .execute([id])?;
        conn.prepare_cached("DELETE FROM webhook_attempts WHERE event_id = ?1")?
            .execute([id])?;
    }
    for (company, mark) in by_company {
        conn.prepare_cached(
            "UPDATE companies SET events_pruned_through = MAX(events_pruned_through, ?2)
             WHERE id = ?1",
        )?
        .execute(params![company, mark])?;
    }
    Ok(u64::try_from(gone.len()).unwrap_or(u64::MAX))
}
