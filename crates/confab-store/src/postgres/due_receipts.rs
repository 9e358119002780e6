//! Receipts a send leaves due (the sandbox's device receipt): recorded beside the send,
//! claimed with a lease once due (one node at a time), removed once applied.

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::columns::ack;
use crate::{DueReceipt, Job, StoreResult, rules};

/// Records the receipt the rules say follows a send of `job` through a channel of
/// `connector`, if any. Runs inside the transaction that records the send.
pub(super) async fn after_send(
    conn: &mut PgConnection,
    job: &Job,
    connector: &str,
    sent: bool,
    now_ms: i64,
) -> StoreResult<()> {
    let Some(due) = rules::due_receipt_after_send(connector, sent) else {
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO due_receipts (company_id, conversation_id, message_id, ack, sent_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (conversation_id, message_id, ack) DO NOTHING",
    )
    .bind(job.company_id)
    .bind(job.conversation_id)
    .bind(job.message_id)
    .bind(due.as_i32())
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn from_row(r: &PgRow) -> sqlx::Result<DueReceipt> {
    Ok(DueReceipt {
        id: r.try_get("id")?,
        company_id: r.try_get("company_id")?,
        conversation_id: r.try_get("conversation_id")?,
        message_id: r.try_get("message_id")?,
        ack: ack(r, "ack")?,
        sent_at_ms: r.try_get("sent_at")?,
        lease_until: r.try_get("lease_until")?,
    })
}

/// Claims up to `limit` receipts of sends recorded at or before `sent_before_ms` whose
/// lease is free or expired (at `now_ms`), oldest first, until `lease_until`.
pub(super) async fn claim(
    conn: &mut PgConnection,
    sent_before_ms: i64,
    now_ms: i64,
    lease_until: i64,
    limit: u32,
) -> StoreResult<Vec<DueReceipt>> {
    // The conditions are on the row being locked, so they are re-evaluated on a row
    // another node changed meanwhile; SKIP LOCKED lets nodes claim side by side.
    let rows = sqlx::query(
        "WITH due AS MATERIALIZED (
             SELECT id FROM due_receipts
             WHERE sent_at <= $2 AND (lease_until IS NULL OR lease_until <= $3)
             ORDER BY sent_at, id LIMIT $4
             FOR UPDATE SKIP LOCKED)
         UPDATE due_receipts r SET lease_until = $1
         FROM due WHERE r.id = due.id
         RETURNING r.id, r.company_id, r.conversation_id, r.message_id, r.ack, r.sent_at,
                   r.lease_until",
    )
    .bind(lease_until)
    .bind(sent_before_ms)
    .bind(now_ms)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    let mut claimed = rows
        .iter()
        .map(from_row)
        .collect::<sqlx::Result<Vec<_>>>()?;
    claimed.sort_by_key(|r| (r.sent_at_ms, r.id));
    Ok(claimed)
}

/// Removes an applied receipt if its lease is still held; false when it is not.
pub(super) async fn complete(
    conn: &mut PgConnection,
    id: i64,
    lease_until: i64,
) -> StoreResult<bool> {
    let removed = sqlx::query("DELETE FROM due_receipts WHERE id = $1 AND lease_until = $2")
        .bind(id)
        .bind(lease_until)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(removed > 0)
}
