//! Idempotency keys on PostgreSQL: claim, mark written (inside a request's write), answer,
//! release, prune. Claims of one key on any node are ordered by the key's row lock.

use sqlx::{PgConnection, Row};

use crate::StoreResult;
use crate::idempotency::{IdempotencyClaim, KeyClaim, NewIdempotencyKey, StoredAnswer, claim_lost};

/// Claims `new`'s key, takes over an unwritten claim whose lease ended, or says what holds
/// it. Runs in a transaction of its own: the row stays locked until it commits.
pub(super) async fn claim(
    conn: &mut PgConnection,
    new: &NewIdempotencyKey,
    now_ms: i64,
) -> StoreResult<KeyClaim> {
    let c = &new.claim;
    // A key pruned between the insert and the read is free: the insert is tried again
    // (twice is enough: a pruned key is not pruned again before it expires).
    let mut tries = 0;
    let row = loop {
        tries += 1;
        // A concurrent insert of the same key makes this wait for that transaction, then
        // do nothing: the row read below is then the other claim's.
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys
                 (user_id, key, fingerprint, state, holder, lease_until, created_at)
             VALUES ($1, $2, $3, 'in_flight', $4, $5, $6)
             ON CONFLICT (user_id, key) DO NOTHING",
        )
        .bind(c.user_id)
        .bind(&c.key)
        .bind(&new.fingerprint)
        .bind(&c.holder)
        .bind(new.lease_until)
        .bind(now_ms)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(KeyClaim::Claimed);
        }
        let row = sqlx::query(
            "SELECT fingerprint, state, holder, lease_until, status, content_type, body
             FROM idempotency_keys WHERE user_id = $1 AND key = $2 FOR UPDATE",
        )
        .bind(c.user_id)
        .bind(&c.key)
        .fetch_optional(&mut *conn)
        .await?;
        match row {
            Some(row) => break row,
            None if tries < 3 => continue,
            // Still gone and never inserted: the caller may simply try again.
            None => {
                return Ok(KeyClaim::InFlight {
                    lease_until: now_ms,
                });
            }
        }
    };
    let fingerprint: String = row.try_get(0)?;
    let state: String = row.try_get(1)?;
    let holder: String = row.try_get(2)?;
    let lease_until: i64 = row.try_get(3)?;
    let status: Option<i32> = row.try_get(4)?;
    if fingerprint != new.fingerprint {
        return Ok(KeyClaim::Reused);
    }
    if let Some(status) = status {
        let body: Option<Vec<u8>> = row.try_get(6)?;
        return Ok(KeyClaim::Answered(StoredAnswer {
            status: u16::try_from(status).unwrap_or(500),
            content_type: row.try_get(5)?,
            body: body.unwrap_or_default(),
        }));
    }
    match state.as_str() {
        "in_flight" if lease_until <= now_ms => {
            sqlx::query(
                "UPDATE idempotency_keys SET holder = $3, lease_until = $4
                 WHERE user_id = $1 AND key = $2 AND state = 'in_flight'",
            )
            .bind(c.user_id)
            .bind(&c.key)
            .bind(&c.holder)
            .bind(new.lease_until)
            .execute(&mut *conn)
            .await?;
            Ok(KeyClaim::Claimed)
        }
        "in_flight" => Ok(KeyClaim::InFlight { lease_until }),
        _ => Ok(KeyClaim::Written {
            holder,
            lease_until,
        }),
    }
}

/// Marks `claim`'s key written, inside the transaction of the request's write; refuses
/// when another claim took the key over (the caller then drops the transaction).
pub(super) async fn mark_written(
    conn: &mut PgConnection,
    claim: &IdempotencyClaim,
) -> StoreResult<()> {
    let marked = sqlx::query(
        "UPDATE idempotency_keys SET state = 'written'
         WHERE user_id = $1 AND key = $2 AND holder = $3 AND status IS NULL",
    )
    .bind(claim.user_id)
    .bind(&claim.key)
    .bind(&claim.holder)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if marked == 0 {
        return Err(claim_lost());
    }
    Ok(())
}

/// Stores the answer of `claim`'s request, once.
pub(super) async fn answer(
    conn: &mut PgConnection,
    claim: &IdempotencyClaim,
    answer: &StoredAnswer,
) -> StoreResult<bool> {
    let stored = sqlx::query(
        "UPDATE idempotency_keys
         SET state = 'answered', status = $4, content_type = $5, body = $6
         WHERE user_id = $1 AND key = $2 AND holder = $3 AND status IS NULL",
    )
    .bind(claim.user_id)
    .bind(&claim.key)
    .bind(&claim.holder)
    .bind(i32::from(answer.status))
    .bind(&answer.content_type)
    .bind(&answer.body)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(stored == 1)
}

/// Deletes `claim` if its request wrote nothing.
pub(super) async fn release(
    conn: &mut PgConnection,
    claim: &IdempotencyClaim,
) -> StoreResult<bool> {
    let deleted = sqlx::query(
        "DELETE FROM idempotency_keys
         WHERE user_id = $1 AND key = $2 AND holder = $3 AND state = 'in_flight'",
    )
    .bind(claim.user_id)
    .bind(&claim.key)
    .bind(&claim.holder)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(deleted == 1)
}

/// Deletes up to `limit` of the oldest keys created before `before_ms`.
pub(super) async fn prune(conn: &mut PgConnection, before_ms: i64, limit: u32) -> StoreResult<u64> {
    let deleted = sqlx::query(
        "DELETE FROM idempotency_keys WHERE (user_id, key) IN (
             SELECT user_id, key FROM idempotency_keys
             WHERE created_at < $1 ORDER BY created_at LIMIT $2
             FOR UPDATE SKIP LOCKED)",
    )
    .bind(before_ms)
    .bind(i64::from(limit))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(deleted)
}
