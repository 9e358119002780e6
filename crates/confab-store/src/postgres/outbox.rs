//! The webhook outbox: events recorded in the transaction of the change that causes them,
//! claimed one company at a time in id order by any node, each attempt recorded.

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::paging;
use crate::{Attempt, ClaimedEvent, Event, OutboxEvent, PageRequest, StoreError, StoreResult};

/// The columns [`from_row`] reads. A macro so every statement stays one `&'static str`.
macro_rules! columns {
    () => {
        "id, company_id, conversation_id, event, snapshot, state, attempts, next_attempt_at, \
         last_status, last_error, created_at, finished_at"
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

/// Takes the company's row lock until the caller's transaction ends, when `webhook_url`
/// is set (with `only_with_url`) or always; returns whether the company was found.
///
/// Why: event ids come from an identity, handed out when a transaction inserts, but
/// transactions commit in any order. Were event 11 of a company committed before event
/// 10, a dispatcher could see 11 as the company's oldest pending event and deliver it
/// first. Holding the company's row from before the insert until commit makes a company's
/// events commit in id order, so any snapshot that sees an event also sees every older
/// one. `FOR NO KEY UPDATE` conflicts only with itself and with writes to the company
/// row; foreign-key checks of rows that reference the company (`FOR KEY SHARE`) are not
/// held up.
async fn lock_company(
    conn: &mut PgConnection,
    company_id: i64,
    only_with_url: bool,
) -> StoreResult<bool> {
    // The URL condition is re-checked on the newest row version after any wait, so an
    // event is recorded only if the URL is still set once the lock is ours.
    let sql = if only_with_url {
        "SELECT 1 FROM companies WHERE id = $1 AND webhook_url IS NOT NULL FOR NO KEY UPDATE"
    } else {
        "SELECT 1 FROM companies WHERE id = $1 FOR NO KEY UPDATE"
    };
    let found: Option<i32> = sqlx::query_scalar(sql)
        .bind(company_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(found.is_some())
}

fn snapshot_of(event: &Event) -> StoreResult<String> {
    serde_json::to_string(event).map_err(|e| StoreError::Database(Box::new(e)))
}

/// Inserts an event row; the caller holds the company's lock (see [`lock_company`]).
async fn insert(
    conn: &mut PgConnection,
    company_id: i64,
    conversation_id: Option<i64>,
    label: &str,
    snapshot: &str,
    now_ms: i64,
) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO webhook_events
           (company_id, conversation_id, event, snapshot, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $5)
         RETURNING id",
    )
    .bind(company_id)
    .bind(conversation_id)
    .bind(label)
    .bind(snapshot)
    .bind(now_ms)
    .fetch_one(&mut *conn)
    .await?)
}

/// Records the events a change caused (as [`rules`](crate::rules) decided them), in order,
/// if the rules record the company's events at all. Runs inside the caller's transaction;
/// the company's lock is taken only when something is recorded.
pub(super) async fn record(
    conn: &mut PgConnection,
    company_id: i64,
    conversation_id: Option<i64>,
    events: &[Event],
    now_ms: i64,
) -> StoreResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let has_url: Option<bool> =
        sqlx::query_scalar("SELECT webhook_url IS NOT NULL FROM companies WHERE id = $1")
            .bind(company_id)
            .fetch_optional(&mut *conn)
            .await?;
    if !crate::rules::delivers_webhooks(has_url.unwrap_or(false)) {
        return Ok(());
    }
    // The lock re-reads the URL on the newest row version: a URL cleared meanwhile means
    // there is nobody to tell after all.
    if !lock_company(conn, company_id, true).await? {
        return Ok(());
    }
    for event in events {
        let snapshot = snapshot_of(event)?;
        insert(
            conn,
            company_id,
            conversation_id,
            event.label(),
            &snapshot,
            now_ms,
        )
        .await?;
    }
    Ok(())
}

async fn by_id(conn: &mut PgConnection, id: i64) -> StoreResult<OutboxEvent> {
    let row = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM webhook_events WHERE id = $1"
    ))
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
             SELECT DISTINCT ON (company_id) id FROM webhook_events
             WHERE state = 'pending'
             ORDER BY company_id, id),
         due AS MATERIALIZED (
             SELECT e.id FROM webhook_events e JOIN heads h ON h.id = e.id
             WHERE e.state = 'pending' AND e.next_attempt_at <= $2
               AND (e.lease_until IS NULL OR e.lease_until <= $2)
             ORDER BY e.id LIMIT $3
             FOR UPDATE OF e SKIP LOCKED)
         UPDATE webhook_events w SET lease_until = $1, attempts = w.attempts + 1
         FROM due WHERE w.id = due.id
         RETURNING w.id",
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
        "UPDATE webhook_events
         SET state = $1, finished_at = $2, next_attempt_at = COALESCE($3, next_attempt_at),
             last_status = $4, last_error = $5, lease_until = NULL
         WHERE id = $6 AND state = 'pending' AND lease_until = $7",
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
    Ok(changed > 0)
}

/// One page of the company's delivery log, by event id.
pub(super) async fn list(
    conn: &mut PgConnection,
    company_id: i64,
    page: PageRequest,
) -> StoreResult<Vec<OutboxEvent>> {
    let select = concat!(
        "SELECT ",
        columns!(),
        " FROM webhook_events WHERE company_id = $1"
    );
    paging::page(conn, select, "id", company_id, page, from_row).await
}

/// Queues a copy of a recorded event as a new event (so order is kept: it goes last).
pub(super) async fn resend(
    conn: &mut PgConnection,
    company_id: i64,
    id: i64,
    now_ms: i64,
) -> StoreResult<Option<OutboxEvent>> {
    let Some(row) = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM webhook_events WHERE company_id = $1 AND id = $2"
    ))
    .bind(company_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let original = from_row(&row)?;
    // Like `record`, so the copy commits in id order with the company's other events;
    // unlike it, a resend is queued whether or not a URL is set (as on SQLite).
    lock_company(conn, company_id, false).await?;
    let snapshot = snapshot_of(&original.event)?;
    let new_id = insert(
        conn,
        company_id,
        original.conversation_id,
        &original.label,
        &snapshot,
        now_ms,
    )
    .await?;
    by_id(conn, new_id).await.map(Some)
}
