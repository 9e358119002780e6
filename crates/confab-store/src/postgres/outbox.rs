//! Webhook delivery, one consumer of the event log: the events queued while the company
//! had a URL, claimed one company at a time in id order by any node, each attempt recorded.

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::paging;
use crate::{Attempt, ClaimedEvent, Event, OutboxEvent, PageRequest, StoreError, StoreResult};

/// The columns [`from_row`] reads. A macro so every statement stays one `&'static str`.
/// A delivery with its event: `d` is `webhook_deliveries`, `e` is `events`.
macro_rules! select {
    () => {
        "SELECT d.event_id AS id, d.company_id, e.conversation_id, e.event, e.snapshot, \
         d.state, d.attempts, d.next_attempt_at, d.last_status, d.last_error, e.created_at, \
         d.finished_at FROM webhook_deliveries d JOIN events e ON e.id = d.event_id"
    };
}

fn from_row(r: &PgRow) -> StoreResult<OutboxEvent> {
    let snapshot: String = r.try_get("snapshot")?;
    // Unlike a message's `interactive`, an event that does not parse cannot be delivered
    // or shown, so it is an error rather than a blank.
    let event: Event = serde_json::from_str(&snapshot).map_err(|e| sqlx::Error::ColumnDecode {
        index: "snapshot".to_owned(),
        source: Box::new(e),
    })?;
    Ok(OutboxEvent {
        id: r.try_get("id")?,
        company_id: r.try_get("company_id")?,
        conversation_id: r.try_get("conversation_id")?,
        label: r.try_get("event")?,
        event,
        state: r.try_get("state")?,
        attempts: i64::from(r.try_get::<i32, _>("attempts")?),
        next_attempt_at_ms: r.try_get("next_attempt_at")?,
        last_status: r.try_get::<Option<i32>, _>("last_status")?.map(i64::from),
        last_error: r.try_get("last_error")?,
        created_at_ms: r.try_get("created_at")?,
        finished_at_ms: r.try_get("finished_at")?,
    })
}

/// One delivery with its event.
pub(super) async fn by_id(conn: &mut PgConnection, id: i64) -> StoreResult<OutboxEvent> {
    let row = sqlx::query(concat!(select!(), " WHERE d.event_id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("webhook delivery"))?;
    from_row(&row)
}

/// Claims the oldest pending event of up to `limit` companies whose head event is due and
/// not leased. Only a company's oldest pending event is ever in flight, so each company's
/// events arrive in the order they happened.
///
/// Deliveries are queued by the sequencer, which gives ids in commit order, so a
/// company's deliveries appear in id order and the oldest pending one is its true head.
///
/// Across nodes: the heads are computed over every pending event, and a company whose
/// head is leased, or locked by another node's claim at this moment (`SKIP LOCKED`), is
/// skipped for this round; its next event is never considered, since it is not a head.
/// A head locked only after its claimer committed is re-checked on its new version, which
/// fails on the fresh lease (or on its new state, if it was delivered meanwhile), so each
/// attempt is claimed by one node.
pub(super) async fn claim(
    conn: &mut PgConnection,
    now_ms: i64,
    lease_until: i64,
    limit: u32,
) -> StoreResult<Vec<ClaimedEvent>> {
    // The conditions of the locking step are on `e`, the row being locked, rather than on
    // the `heads` copy: only those are re-evaluated on a row changed by another node.
    // MATERIALIZED, so each CTE runs once and no more than `limit` rows are ever locked.
    let mut ids: Vec<i64> = sqlx::query_scalar(
        "WITH heads AS MATERIALIZED (
             SELECT DISTINCT ON (company_id) event_id FROM webhook_deliveries
             WHERE state = 'pending'
             ORDER BY company_id, event_id),
         due AS MATERIALIZED (
             SELECT e.event_id FROM webhook_deliveries e
             JOIN heads h ON h.event_id = e.event_id
             WHERE e.state = 'pending' AND e.next_attempt_at <= $2
               AND (e.lease_until IS NULL OR e.lease_until <= $2)
             ORDER BY e.event_id LIMIT $3
             FOR UPDATE OF e SKIP LOCKED)
         UPDATE webhook_deliveries w SET lease_until = $1, attempts = w.attempts + 1
         FROM due WHERE w.event_id = due.event_id
         RETURNING w.event_id",
    )
    .bind(lease_until)
    .bind(now_ms)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    ids.sort_unstable();
    let mut claimed = Vec::with_capacity(ids.len());
    for id in ids {
        let outbox = by_id(conn, id).await?;
        let row = sqlx::query("SELECT webhook_url, webhook_secret FROM companies WHERE id = $1")
            .bind(outbox.company_id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StoreError::NotFound("company"))?;
        let webhook_url: Option<String> = row.try_get("webhook_url")?;
        let webhook_secret: Option<String> = row.try_get("webhook_secret")?;
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
pub(super) async fn record_attempt(
    conn: &mut PgConnection,
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
    // The lease check runs on the newest row version, so a node whose lease expired and
    // was taken over cannot overwrite the new holder's attempt.
    let changed = sqlx::query(
        "UPDATE webhook_deliveries
         SET state = $1, finished_at = $2, next_attempt_at = COALESCE($3, next_attempt_at),
             last_status = $4, last_error = $5, lease_until = NULL
         WHERE event_id = $6 AND state = 'pending' AND lease_until = $7",
    )
    .bind(state)
    .bind(finished)
    .bind(next)
    .bind(attempt.status.map(i32::from))
    .bind(attempt.error.as_deref())
    .bind(id)
    .bind(lease_until)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if changed > 0 {
        sqlx::query(
            "INSERT INTO webhook_attempts (event_id, attempt, at, status, error)
             SELECT event_id, attempts, $2, $3, $4 FROM webhook_deliveries WHERE event_id = $1",
        )
        .bind(id)
        .bind(now_ms)
        .bind(attempt.status.map(i32::from))
        .bind(attempt.error.as_deref())
        .execute(&mut *conn)
        .await?;
    }
    Ok(changed > 0)
}

/// One page of the company's delivery log, by event id.
pub(super) async fn list(
    conn: &mut PgConnection,
    company_id: i64,
    page: PageRequest,
) -> StoreResult<Vec<OutboxEvent>> {
    let select = concat!(select!(), " WHERE d.company_id = $1");
    paging::page(conn, select, "d.event_id", company_id, page, from_row).await
}

/// Records a copy of one of the company's delivered-or-not events as a new event marked
/// for delivery (so order is kept: it goes last), and answers the copy's `seq`; it gets its
/// id, and its delivery record, when sequenced. The copy exists only to be delivered:
/// readers of the log skip it.
pub(super) async fn resend(
    conn: &mut PgConnection,
    company_id: i64,
    id: i64,
    now_ms: i64,
) -> StoreResult<Option<i64>> {
    let Some(row) = sqlx::query(concat!(
        select!(),
        " WHERE d.company_id = $1 AND d.event_id = $2"
    ))
    .bind(company_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let original = from_row(&row)?;
    let seq = super::events::insert(
        conn,
        company_id,
        original.conversation_id,
        &original.event,
        true,
        Some(original.id),
        now_ms,
    )
    .await?;
    Ok(Some(seq))
}
