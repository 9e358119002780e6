//! Idempotency keys on SQLite: claim, mark written (inside a request's write), answer,
//! release, prune. Every statement runs on the writer, so claims of one key are ordered.

use rusqlite::{Connection, OptionalExtension, params};

use crate::StoreResult;
use crate::idempotency::{IdempotencyClaim, KeyClaim, NewIdempotencyKey, StoredAnswer, claim_lost};

/// Claims `new`'s key, takes over an unwritten claim whose lease ended, or says what holds it.
pub(super) fn claim(
    conn: &Connection,
    new: &NewIdempotencyKey,
    now_ms: i64,
) -> StoreResult<KeyClaim> {
    let c = &new.claim;
    let inserted = conn
        .prepare_cached(
            "INSERT INTO idempotency_keys
                 (user_id, key, fingerprint, state, holder, lease_until, created_at)
             VALUES (?1, ?2, ?3, 'in_flight', ?4, ?5, ?6)
             ON CONFLICT (user_id, key) DO NOTHING",
        )?
        .execute(params![
            c.user_id,
            c.key,
            new.fingerprint,
            c.holder,
            new.lease_until,
            now_ms
        ])?;
    if inserted == 1 {
        return Ok(KeyClaim::Claimed);
    }
    type Row = (
        String,
        String,
        String,
        i64,
        Option<i64>,
        Option<String>,
        Option<Vec<u8>>,
    );
    let row: Option<Row> = conn
        .prepare_cached(
            "SELECT fingerprint, state, holder, lease_until, status, content_type, body
             FROM idempotency_keys WHERE user_id = ?1 AND key = ?2",
        )?
        .query_row(params![c.user_id, c.key], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })
        .optional()?;
    // Inserted a moment ago or deleted since cannot both be: the writer runs one at a time.
    let Some((fingerprint, state, holder, lease_until, status, content_type, body)) = row else {
        return Ok(KeyClaim::InFlight {
            lease_until: now_ms,
        });
    };
    if fingerprint != new.fingerprint {
        return Ok(KeyClaim::Reused);
    }
    if let Some(status) = status {
        return Ok(KeyClaim::Answered(StoredAnswer {
            status: u16::try_from(status).unwrap_or(500),
            content_type,
            body: body.unwrap_or_default(),
        }));
    }
    match state.as_str() {
        "in_flight" if lease_until <= now_ms => {
            conn.prepare_cached(
                "UPDATE idempotency_keys SET holder = ?3, lease_until = ?4
                 WHERE user_id = ?1 AND key = ?2 AND state = 'in_flight'",
            )?
            .execute(params![c.user_id, c.key, c.holder, new.lease_until])?;
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
/// (rolling the write back) when another claim took the key over.
pub(super) fn mark_written(conn: &Connection, claim: &IdempotencyClaim) -> StoreResult<()> {
    let marked = conn
        .prepare_cached(
            "UPDATE idempotency_keys SET state = 'written'
             WHERE user_id = ?1 AND key = ?2 AND holder = ?3 AND status IS NULL",
        )?
        .execute(params![claim.user_id, claim.key, claim.holder])?;
    if marked == 0 {
        return Err(claim_lost());
    }
    Ok(())
}

/// Stores the answer of `claim`'s request, once.
pub(super) fn answer(
    conn: &Connection,
    claim: &IdempotencyClaim,
    answer: &StoredAnswer,
) -> StoreResult<bool> {
    let stored = conn
        .prepare_cached(
            "UPDATE idempotency_keys
             SET state = 'answered', status = ?4, content_type = ?5, body = ?6
             WHERE user_id = ?1 AND key = ?2 AND holder = ?3 AND status IS NULL",
        )?
        .execute(params![
            claim.user_id,
            claim.key,
            claim.holder,
            answer.status,
            answer.content_type,
            answer.body
        ])?;
    Ok(stored == 1)
}

/// Deletes `claim` if its request wrote nothing.
pub(super) fn release(conn: &Connection, claim: &IdempotencyClaim) -> StoreResult<bool> {
    let deleted = conn
        .prepare_cached(
            "DELETE FROM idempotency_keys
             WHERE user_id = ?1 AND key = ?2 AND holder = ?3 AND state = 'in_flight'",
        )?
        .execute(params![claim.user_id, claim.key, claim.holder])?;
    Ok(deleted == 1)
}

/// Deletes up to `limit` of the oldest keys created before `before_ms`.
pub(super) fn prune(conn: &Connection, before_ms: i64, limit: u32) -> StoreResult<u64> {
    let deleted = conn
        .prepare_cached(
            "DELETE FROM idempotency_keys WHERE (user_id, key) IN (
                 SELECT user_id, key FROM idempotency_keys
                 WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)",
        )?
        .execute(params![before_ms, limit])?;
    Ok(u64::try_from(deleted).unwrap_or(u64::MAX))
}
