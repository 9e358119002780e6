//! The event log on PostgreSQL: recorded in the transaction of the change, given its id
//! after commit by the sequencer, read by cursor, pruned by age.
//!
//! Why a sequencer: an identity is handed out when a transaction inserts, but transactions
//! commit in any order. Were the log's ids those numbers, a reader past id 11 could later
//! find id 10 committed late, and skip it for good. Taking a company-wide lock from the
//! insert to the commit (as webhook delivery once did) would keep ids in commit order, but
//! it makes every write of a company wait for the one before it. Instead writers insert
//! with no id and never wait for each other; the sequencer, one transaction at a time on
//! the whole database (an advisory lock, so one node at a time), gives ids in insertion
//! order to the rows committed so far, and commits. Rows committed later get later ids in
//! a later round. So ids become visible in id order, a reader's cursor never skips, and
//! the cost is a short delay before an event is readable (a round runs as soon as a local
//! write wakes it, and every second in case the wake-up went to another node).

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgListener, PgRow};
use sqlx::{PgConnection, PgPool, Row};
use tokio::sync::{Notify, watch};

use crate::{Event, EventBatch, EventQuery, LoggedEvent, StoreError, StoreResult};

/// The advisory lock only a sequencing transaction holds ("confab_e").
const SEQUENCER_LOCK: i64 = 0x636f_6e66_6162_5f65;
/// Rows given ids per round, so one round's transaction stays short.
const ROUND: i64 = 1000;
/// The channel the sequencer notifies after a round that gave ids, for every node's readers.
pub(super) const CHANNEL: &str = "confab_events";
/// How often a node sequences when nothing woke it (a write on a node whose sequencer lost
/// the race for the lock is picked up by the winner's next round, or by this).
const IDLE_ROUND: Duration = Duration::from_secs(1);
/// How soon to try again when another transaction holds the sequencer's lock.
const BUSY_RETRY: Duration = Duration::from_millis(20);

fn from_row(r: &PgRow) -> StoreResult<LoggedEvent> {
    let snapshot: String = r.try_get("snapshot")?;
    let event: Event = serde_json::from_str(&snapshot).map_err(|e| sqlx::Error::ColumnDecode {
        index: "snapshot".to_owned(),
        source: Box::new(e),
    })?;
    Ok(LoggedEvent {
        id: r.try_get("id")?,
        company_id: r.try_get("company_id")?,
        conversation_id: r.try_get("conversation_id")?,
        label: r.try_get("event")?,
        event,
        created_at_ms: r.try_get("created_at")?,
    })
}

/// Inserts one event, without an id yet; answers its `seq`.
pub(super) async fn insert(
    conn: &mut PgConnection,
    company_id: i64,
    conversation_id: Option<i64>,
    event: &Event,
    deliver: bool,
    resend_of: Option<i64>,
    now_ms: i64,
) -> StoreResult<i64> {
    let snapshot = serde_json::to_string(event).map_err(|e| StoreError::Database(Box::new(e)))?;
    Ok(sqlx::query_scalar(
        "INSERT INTO events
           (company_id, conversation_id, event, snapshot, deliver, resend_of, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING seq",
    )
    .bind(company_id)
    .bind(conversation_id)
    .bind(event.label())
    .bind(snapshot)
    .bind(deliver)
    .bind(resend_of)
    .bind(now_ms)
    .fetch_one(&mut *conn)
    .await?)
}

/// Records the events a change caused (as [`rules`](crate::rules) decided them), in order,
/// marked for webhook delivery when the rules say so. Runs inside the caller's transaction
/// and waits for no other writer; the caller wakes the sequencer after committing.
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
    let deliver = crate::rules::delivers_webhooks(has_url.unwrap_or(false));
    for event in events {
        insert(
            conn,
            company_id,
            conversation_id,
            event,
            deliver && event.is_webhook(),
            None,
            now_ms,
        )
        .await?;
    }
    Ok(())
}

/// One sequencing round in the caller's transaction: gives ids to up to [`ROUND`] committed
/// rows in `seq` order, queues those marked for delivery, and notifies every node at
/// commit. `None` when another transaction holds the lock and `wait` is false.
pub(super) async fn sequence(conn: &mut PgConnection, wait: bool) -> StoreResult<Option<u64>> {
    if wait {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(SEQUENCER_LOCK)
            .execute(&mut *conn)
            .await?;
    } else {
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
            .bind(SEQUENCER_LOCK)
            .fetch_one(&mut *conn)
            .await?;
        if !locked {
            return Ok(None);
        }
    }
    let last: i64 = sqlx::query_scalar("SELECT last_id FROM event_log_head")
        .fetch_one(&mut *conn)
        .await?;
    // Read committed: the batch is what was committed when this statement began; a row
    // committed a moment later waits for the next round and gets a higher id.
    let given = sqlx::query(
        "WITH batch AS (
             SELECT seq, row_number() OVER (ORDER BY seq) AS n FROM events
             WHERE id IS NULL ORDER BY seq LIMIT $2)
         UPDATE events e SET id = $1 + b.n FROM batch b WHERE e.seq = b.seq",
    )
    .bind(last)
    .bind(ROUND)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if given == 0 {
        return Ok(Some(0));
    }
    let head = last.saturating_add(i64::try_from(given).unwrap_or(i64::MAX));
    sqlx::query("UPDATE event_log_head SET last_id = $1")
        .bind(head)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO webhook_deliveries (event_id, company_id, next_attempt_at)
         SELECT id, company_id, created_at FROM events
         WHERE id > $1 AND id <= $2 AND deliver",
    )
    .bind(last)
    .bind(head)
    .execute(&mut *conn)
    .await?;
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(CHANNEL)
        .execute(&mut *conn)
        .await?;
    Ok(Some(given))
}

/// The id a sequenced row got (`None` while it has none).
pub(super) async fn id_of(conn: &mut PgConnection, seq: i64) -> StoreResult<Option<i64>> {
    Ok(
        sqlx::query_scalar::<_, Option<i64>>("SELECT id FROM events WHERE seq = $1")
            .bind(seq)
            .fetch_optional(&mut *conn)
            .await?
            .flatten(),
    )
}

/// Runs sequencing rounds on `pool` until nothing is left, waiting for the lock when
/// `wait` (else giving up when another node holds it). Answers how many got ids.
pub(super) async fn sequence_all(pool: &PgPool, wait: bool) -> StoreResult<Option<u64>> {
    let mut total = 0_u64;
    loop {
        let mut tx = pool.begin().await?;
        let round = sequence(&mut tx, wait).await?;
        tx.commit().await?;
        match round {
            None => return Ok(None),
            Some(0) => return Ok(Some(total)),
            Some(n) => total = total.saturating_add(n),
        }
    }
}

/// Reads the company's log after the query's cursor (see [`EventBatch`]).
pub(super) async fn read(
    conn: &mut PgConnection,
    company_id: i64,
    q: &EventQuery,
) -> StoreResult<EventBatch> {
    let pruned: i64 =
        sqlx::query_scalar("SELECT events_pruned_through FROM companies WHERE id = $1")
            .bind(company_id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StoreError::NotFound("company"))?;
    // Read first: the sequencer commits the head with the ids below it, so every id up to
    // it is visible to the next statement.
    let head: i64 = sqlx::query_scalar("SELECT last_id FROM event_log_head")
        .fetch_one(&mut *conn)
        .await?;
    let Some(after) = q.after else {
        return Ok(EventBatch::at_head(head, false));
    };
    if after < pruned {
        return Ok(EventBatch::at_head(head, true));
    }
    let rows = sqlx::query(
        "SELECT id, company_id, conversation_id, event, snapshot, created_at FROM events
         WHERE company_id = $1 AND id > $2 AND id <= $3 AND resend_of IS NULL
           AND (cardinality($4::text[]) = 0 OR event = ANY($4))
           AND ($5::bigint IS NULL OR conversation_id = $5)
         ORDER BY id LIMIT $6",
    )
    .bind(company_id)
    .bind(after)
    .bind(head)
    .bind(&q.labels)
    .bind(q.conversation_id)
    .bind(i64::from(q.limit).saturating_add(1))
    .fetch_all(&mut *conn)
    .await?;
    let events = rows.iter().map(from_row).collect::<StoreResult<Vec<_>>>()?;
    Ok(EventBatch::from_rows(events, q.limit, after, head))
}

/// Deletes up to `limit` of the oldest sequenced events created before `before_ms` with
/// their delivery records, and moves each company's pruning mark past its deleted events.
pub(super) async fn prune(conn: &mut PgConnection, before_ms: i64, limit: u32) -> StoreResult<u64> {
    let gone = sqlx::query(
        "WITH gone AS (
             DELETE FROM events WHERE seq IN (
                 SELECT seq FROM events WHERE created_at < $1 AND id IS NOT NULL
                 ORDER BY created_at, id LIMIT $2)
             RETURNING id, company_id),
         deliveries AS (DELETE FROM webhook_deliveries WHERE event_id IN (SELECT id FROM gone)),
         attempts AS (DELETE FROM webhook_attempts WHERE event_id IN (SELECT id FROM gone)),
         marks AS (
             UPDATE companies c SET events_pruned_through = GREATEST(c.events_pruned_through, m.id)
             FROM (SELECT company_id, MAX(id) AS id FROM gone GROUP BY company_id) m
             WHERE c.id = m.company_id)
         SELECT COUNT(*) FROM gone",
    )
    .bind(before_ms)
    .bind(i64::from(limit))
    .fetch_one(&mut *conn)
    .await?;
    let count: i64 = gone.try_get(0)?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// The background side of the log on one node: the sequencer, woken by local writes and
/// every [`IDLE_ROUND`], and the listener that turns other nodes' rounds into wake-ups of
/// this node's readers. Both stop when the store's last handle is dropped.
pub(super) struct Background {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Background {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Background {
    /// Starts both tasks: the sequencer on `pool`, the listener on `listening` (a pool of
    /// one); `wake` is what writers poke after committing events, `signal` is bumped
    /// whenever new events may be readable.
    pub(super) fn start(
        pool: PgPool,
        listening: PgPool,
        wake: Arc<Notify>,
        signal: Arc<watch::Sender<u64>>,
    ) -> Self {
        let sequencer = tokio::spawn(run_sequencer(pool, wake, signal.clone()));
        let listener = tokio::spawn(run_listener(listening, signal));
        Self {
            tasks: vec![sequencer, listener],
        }
    }
}

fn bump(signal: &watch::Sender<u64>) {
    signal.send_modify(|n| *n = n.wrapping_add(1));
}

async fn run_sequencer(pool: PgPool, wake: Arc<Notify>, signal: Arc<watch::Sender<u64>>) {
    loop {
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(IDLE_ROUND) => {}
        }
        loop {
            match sequence_all(&pool, false).await {
                Ok(Some(given)) => {
                    if given > 0 {
                        bump(&signal);
                    }
                    break;
                }
                // The holder may have looked before our rows committed: look again soon.
                Ok(None) => tokio::time::sleep(BUSY_RETRY).await,
                Err(e) => {
                    tracing::warn!(error = %e, "sequencing events failed; retrying");
                    tokio::time::sleep(IDLE_ROUND).await;
                    break;
                }
            }
        }
    }
}

async fn run_listener(pool: PgPool, signal: Arc<watch::Sender<u64>>) {
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for events; retrying");
                tokio::time::sleep(IDLE_ROUND).await;
                continue;
            }
        };
        if let Err(e) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %e, "cannot listen for events; retrying");
            tokio::time::sleep(IDLE_ROUND).await;
            continue;
        }
        // Whatever was missed while not listening is in the database: readers look again.
        bump(&signal);
        loop {
            match listener.recv().await {
                Ok(_) => bump(&signal),
                Err(e) => {
                    tracing::warn!(error = %e, "listening for events failed; reconnecting");
                    bump(&signal);
                    break;
                }
            }
        }
    }
}
