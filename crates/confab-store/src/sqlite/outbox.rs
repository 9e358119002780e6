//! Webhook delivery, one consumer of the event log: the events queued while the company
//! had a URL, claimed one company at a time in id order, each attempt recorded.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::paging;
use crate::{Attempt, ClaimedEvent, Event, OutboxEvent, PageRequest, StoreError, StoreResult};

/// A delivery with its event: `d` is `webhook_deliveries`, `e` is `events`.
const SELECT: &str = "SELECT d.event_id, d.company_id, e.conversation_id, e.event, e.snapshot, \
     d.state, d.attempts, d.next_attempt_at, d.last_status, d.last_error, e.created_at, \
     d.finished_at FROM webhook_deliveries d JOIN events e ON e.id = d.event_id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<OutboxEvent> {
    let snapshot: String = r.get(4)?;
    let event: Event = serde_json::from_str(&snapshot).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(OutboxEvent {
        id: r.get(0)?,
        company_id: r.get(1)?,
        conversation_id: r.get(2)?,
        label: r.get(3)?,
        event,
        state: r.get(5)?,
        attempts: r.get(6)?,
        next_attempt_at_ms: r.get(7)?,
        last_status: r.get(8)?,
        last_error: r.get(9)?,
        created_at_ms: r.get(10)?,
        finished_at_ms: r.get(11)?,
    })
}

/// Queues a recorded event for webhook delivery, due now. Runs inside the caller's write
/// transaction, beside the event's insert.
pub(super) fn queue(
    conn: &Connection,
    event_id: i64,
    company_id: i64,
    now_ms: i64,
) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO webhook_deliveries (event_id, company_id, next_attempt_at)
         VALUES (?1, ?2, ?3)",
    )?
    .execute(params![event_id, company_id, now_ms])?;
    Ok(())
}

fn by_id(conn: &Connection, id: i64) -> StoreResult<OutboxEvent> {
    let sql = format!("{SELECT} WHERE d.event_id = ?1");
    conn.prepare_cached(&sql)?
        .query_row([id], from_row)
        .optional()?
        .ok_or(StoreError::NotFound("webhook delivery"))
}

/// Claims the oldest pending event of up to `limit` companies whose head event is due and
/// not leased. Only a company's oldest pending event is ever in flight, so each company's
/// events arrive in the order they happened.
pub(super) fn claim(
    conn: &Connection,
    now_ms: i64,
    lease_until: i64,
    limit: u32,
) -> StoreResult<Vec<ClaimedEvent>> {
    let mut stmt = conn.prepare_cached(
        "UPDATE webhook_deliveries SET lease_until = ?1, attempts = attempts + 1
         WHERE event_id IN (
             SELECT head.event_id FROM (
                 SELECT MIN(event_id) AS id FROM webhook_deliveries
                 WHERE state = 'pending' GROUP BY company_id) AS heads
             JOIN webhook_deliveries head ON head.event_id = heads.id
             WHERE head.next_attempt_at <= ?2
               AND (head.lease_until IS NULL OR head.lease_until <= ?2)
             ORDER BY head.event_id LIMIT ?3)
         RETURNING event_id",
    )?;
    let ids = super::paging::returned_ids(stmt.query(params![lease_until, now_ms, limit])?)?;
    let mut claimed = Vec::with_capacity(ids.len());
    for id in ids {
        let outbox = by_id(conn, id)?;
        let (webhook_url, webhook_secret) = conn
            .prepare_cached("SELECT webhook_url, webhook_secret FROM companies WHERE id = ?1")?
            .query_row([outbox.company_id], |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?,
                    r.get::<_, Option<String>>(1)?,
                ))
            })?;
        claimed.push(ClaimedEvent {
            outbox,
            webhook_url,
            webhook_secret: webhook_secret.unwrap_or_default(),
            lease_until,
        });
    }
    Ok(claimed)
}

/// Records an attempt's outcome if the lease is still held; false when it is not.
pub(super) fn record_attempt(
    conn: &Connection,
    id: i64,
    lease_until: i64,
    attempt: &Attempt,
    now_ms: i64,
) -> StoreResult<bool> {
    let (state, finished, next) = match (attempt.delivered, attempt.retry_at_ms) {
        (true, _) => ("delivered", Some(now_ms), None),
        (false, Some(at)) => ("pending", None, Some(at)),
        (false, None) => ("failed", Some(now_ms), None),
    };
    let changed = conn.execute(
        "UPDATE webhook_deliveries
         SET state = ?1, finished_at = ?2, next_attempt_at = COALESCE(?3, next_attempt_at),
             last_status = ?4, last_error = ?5, lease_until = NULL
         WHERE event_id = ?6 AND state = 'pending' AND lease_until = ?7",
        params![
            state,
            finished,
            next,
            attempt.status,
            attempt.error,
            id,
            lease_until
        ],
    )?;
    if changed > 0 {
        conn.prepare_cached(
            "INSERT INTO webhook_attempts (event_id, attempt, at, status, error)
             SELECT event_id, attempts, ?2, ?3, ?4 FROM webhook_deliveries WHERE event_id = ?1",
        )?
        .execute(params![id, now_ms, attempt.status, attempt.error])?;
    }
    Ok(changed > 0)
}

pub(super) fn list(
    conn: &Connection,
    company_id: i64,
    page: PageRequest,
) -> StoreResult<Vec<OutboxEvent>> {
    let select = format!("{SELECT} WHERE d.company_id = ?1");
    paging::page(conn, &select, "d.event_id", company_id, page, from_row)
}

/// Queues a copy of a recorded event as a new event (so order is kept: it goes last). The
/// copy is in the log only to be delivered: readers of the log skip it.
pub(super) fn resend(
    conn: &Connection,
    company_id: i64,
    id: i64,
    now_ms: i64,
) -> StoreResult<Option<OutboxEvent>> {
    let sql = format!("{SELECT} WHERE d.company_id = ?1 AND d.event_id = ?2");
    let Some(original) = conn
        .prepare_cached(&sql)?
        .query_row(params![company_id, id], from_row)
        .optional()?
    else {
        return Ok(None);
    };
    let copy = super::events::insert(
        conn,
        company_id,
        original.conversation_id,
        &original.event,
        Some(original.id),
        now_ms,
    )?;
    queue(conn, copy, company_id, now_ms)?;
    by_id(conn, copy).map(Some)
}
