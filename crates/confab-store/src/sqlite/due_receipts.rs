//! Receipts a send leaves due (the sandbox's device receipt): recorded beside the send,
//! claimed with a lease once due, removed once applied.

use rusqlite::{Connection, Row, params};

use super::columns::ack;
use crate::{DueReceipt, Job, StoreResult, rules};

/// Records the receipt the rules say follows a send of `job` through a channel of
/// `connector`, if any. Runs inside the transaction that records the send.
pub(super) fn after_send(
    conn: &Connection,
    job: &Job,
    connector: &str,
    sent: bool,
    now_ms: i64,
) -> StoreResult<()> {
    let Some(due) = rules::due_receipt_after_send(connector, sent) else {
        return Ok(());
    };
    conn.prepare_cached(
        "INSERT INTO due_receipts (company_id, conversation_id, message_id, ack, sent_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (conversation_id, message_id, ack) DO NOTHING",
    )?
    .execute(params![
        job.company_id,
        job.conversation_id,
        job.message_id,
        due.as_i32(),
        now_ms
    ])?;
    Ok(())
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<DueReceipt> {
    Ok(DueReceipt {
        id: r.get(0)?,
        company_id: r.get(1)?,
        conversation_id: r.get(2)?,
        message_id: r.get(3)?,
        ack: ack(r, 4)?,
        sent_at_ms: r.get(5)?,
        lease_until: r.get(6)?,
    })
}

/// Claims up to `limit` receipts of sends recorded at or before `sent_before_ms` whose
/// lease is free or expired (at `now_ms`), oldest first, until `lease_until`.
pub(super) fn claim(
    conn: &Connection,
    sent_before_ms: i64,
    now_ms: i64,
    lease_until: i64,
    limit: u32,
) -> StoreResult<Vec<DueReceipt>> {
    let mut stmt = conn.prepare_cached(
        "UPDATE due_receipts SET lease_until = ?1
         WHERE id IN (
             SELECT id FROM due_receipts
             WHERE sent_at <= ?2 AND (lease_until IS NULL OR lease_until <= ?3)
             ORDER BY sent_at, id LIMIT ?4)
         RETURNING id, company_id, conversation_id, message_id, ack, sent_at, lease_until",
    )?;
    let mut claimed = stmt
        .query_map(
            params![lease_until, sent_before_ms, now_ms, limit],
            from_row,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    claimed.sort_by_key(|r| (r.sent_at_ms, r.id));
    Ok(claimed)
}

/// Removes an applied receipt if its lease is still held; false when it is not.
pub(super) fn complete(conn: &Connection, id: i64, lease_until: i64) -> StoreResult<bool> {
    let removed = conn
        .prepare_cached("DELETE FROM due_receipts WHERE id = ?1 AND lease_until = ?2")?
        .execute(params![id, lease_until])?;
    Ok(removed > 0)
}
