//! Users and company membership.

use std::sync::LazyLock;

use rusqlite::{Connection, OptionalExtension, params};

use crate::{Company, StoreResult, TokenHash, User};

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

/// The caller, and when a member, the company with what was read of it.
pub(super) type Authorized<T> = Option<(User, Option<(Company, T)>)>;

/// [`authorize`], then, when the caller is a member, `read` of the company (by id) on the
/// same connection: callers run it in one snapshot, so the check and the read agree.
pub(super) fn authorize_then<T>(
    conn: &Connection,
    hash: &TokenHash,
    company_id: i64,
    read: impl FnOnce(&Connection, i64) -> StoreResult<T>,
) -> StoreResult<Authorized<T>> {
    let Some((user, company)) = authorize(conn, hash, company_id)? else {
        return Ok(None);
    };
    let Some(company) = company else {
        return Ok(Some((user, None)));
    };
    let found = read(conn, company.id)?;
    Ok(Some((user, Some((company, found)))))
}

/// The user of `hash` and, if they are a member of it, company `company_id`, in one
/// statement (one read transaction, so one round of SQLite's file locks).
pub(super) fn authorize(
    conn: &Connection,
    hash: &TokenHash,
    company_id: i64,
) -> StoreResult<Option<(User, Option<Company>)>> {
    // Built once: this runs on every company-addressed request.
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT u.id, u.name, u.token_hash, {}
             FROM users u
             LEFT JOIN memberships m ON m.user_id = u.id AND m.company_id = ?2
             LEFT JOIN companies c ON c.id = m.company_id
             WHERE u.token_hash = ?1",
            super::companies::COLUMNS_LIST
        )
    });
    let found = conn
        .prepare_cached(&SQL)?
        .query_row(params![&hash[..], company_id], |r| {
            let user = User {
                id: r.get(0)?,
                name: r.get(1)?,
            };
            let stored: Vec<u8> = r.get(2)?;
            let company = match r.get::<_, Option<i64>>(3)? {
                Some(_) => Some(super::companies::from_row_at(r, 3)?),
                None => None,
            };
            Ok((user, stored, company))
        })
        .optional()?;
    // As in `by_token_hash`: the final comparison runs in constant time.
    Ok(found.and_then(|(user, stored, company)| {
        bool::from(subtle::ConstantTimeEq::ct_eq(&stored[..], &hash[..])).then_some((user, company))
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
