//! Users and company membership.

use rusqlite::{Connection, OptionalExtension, params};

use crate::{StoreResult, TokenHash, User};

pub(super) fn create(
    conn: &Connection,
    name: &str,
    hash: &TokenHash,
    now_ms: i64,
) -> StoreResult<User> {
    conn.execute(
        "INSERT INTO users (name, token_hash, created_at) VALUES (?1, ?2, ?3)",
        params![name, &hash[..], now_ms],
    )?;
    Ok(User {
        id: conn.last_insert_rowid(),
        name: name.to_owned(),
    })
}

pub(super) fn by_token_hash(conn: &Connection, hash: &TokenHash) -> StoreResult<Option<User>> {
    let found = conn
        .prepare_cached("SELECT id, name, token_hash FROM users WHERE token_hash = ?1")?
        .query_row([&hash[..]], |r| {
            Ok((
                User {
                    id: r.get(0)?,
                    name: r.get(1)?,
                },
                r.get::<_, Vec<u8>>(2)?,
            ))
        })
        .optional()?;
    // The lookup is by hash already; comparing again in constant time means no branch
    // here depends on how much of a guessed hash matched.
    Ok(found.and_then(|(user, stored)| {
        bool::from(subtle::ConstantTimeEq::ct_eq(&stored[..], &hash[..])).then_some(user)
    }))
}

pub(super) fn is_member(conn: &Connection, company_id: i64, user_id: i64) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM memberships WHERE user_id = ?1 AND company_id = ?2")?
        .exists(params![user_id, company_id])?)
}

pub(super) fn replace_token(
    conn: &Connection,
    user_id: i64,
    hash: &TokenHash,
) -> StoreResult<Option<User>> {
    conn.execute(
        "UPDATE users SET token_hash = ?1 WHERE id = ?2",
        params![&hash[..], user_id],
    )?;
    Ok(conn
        .prepare_cached("SELECT id, name FROM users WHERE id = ?1")?
        .query_row([user_id], |r| {
            Ok(User {
                id: r.get(0)?,
                name: r.get(1)?,
            })
        })
        .optional()?)
}
