//! Passwords and browser sessions.

use rusqlite::{Connection, OptionalExtension, params};

use crate::{LoginUser, NewSession, Session, StoreError, StoreResult, TokenHash, User};

pub(super) fn set_password(
    conn: &Connection,
    user_id: i64,
    password_hash: &str,
) -> StoreResult<Option<User>> {
    let Some(user) = conn
        .prepare_cached("SELECT id, name FROM users WHERE id = ?1")?
        .query_row([user_id], |r| {
            Ok(User {
                id: r.get(0)?,
                name: r.get(1)?,
            })
        })
        .optional()?
    else {
        return Ok(None);
    };
    // Checked here (the partial unique index is the backstop) to answer a Conflict that
    // names the rule rather than a bare constraint error.
    let taken = conn
        .prepare_cached(
            "SELECT 1 FROM users WHERE name = ?1 AND id <> ?2 AND password_hash IS NOT NULL",
        )?
        .exists(params![user.name, user_id])?;
    if taken {
        return Err(StoreError::Conflict { what: "name" });
    }
    conn.execute(
        "UPDATE users SET password_hash = ?1 WHERE id = ?2",
        params![password_hash, user_id],
    )?;
    revoke(conn, user_id)?;
    Ok(Some(user))
}

pub(super) fn login_user(conn: &Connection, name: &str) -> StoreResult<Option<LoginUser>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, name, password_hash FROM users
             WHERE name = ?1 AND password_hash IS NOT NULL",
        )?
        .query_row([name], |r| {
            Ok(LoginUser {
                user: User {
                    id: r.get(0)?,
                    name: r.get(1)?,
                },
                password_hash: r.get(2)?,
            })
        })
        .optional()?)
}

pub(super) fn create(conn: &Connection, session: &NewSession) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        &session.id_hash[..],
        session.user_id,
        session.created_at,
        session.expires_at
    ])?;
    Ok(())
}

pub(super) fn find(
    conn: &Connection,
    id_hash: &TokenHash,
    now_ms: i64,
) -> StoreResult<Option<Session>> {
    let found = conn
        .prepare_cached(
            "SELECT u.id, u.name, s.created_at, s.expires_at, s.id_hash
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id_hash = ?1 AND s.expires_at > ?2",
        )?
        .query_row(params![&id_hash[..], now_ms], |r| {
            Ok((
                Session {
                    user: User {
                        id: r.get(0)?,
                        name: r.get(1)?,
                    },
                    created_at: r.get(2)?,
                    expires_at: r.get(3)?,
                },
                r.get::<_, Vec<u8>>(4)?,
            ))
        })
        .optional()?;
    // As for API tokens: the lookup is by hash; the final comparison is constant-time.
    Ok(found.and_then(|(session, stored)| {
        bool::from(subtle::ConstantTimeEq::ct_eq(&stored[..], &id_hash[..])).then_some(session)
    }))
}

pub(super) fn delete(conn: &Connection, id_hash: &TokenHash) -> StoreResult<bool> {
    let deleted = conn
        .prepare_cached("DELETE FROM sessions WHERE id_hash = ?1")?
        .execute([&id_hash[..]])?;
    Ok(deleted > 0)
}

pub(super) fn revoke(conn: &Connection, user_id: i64) -> StoreResult<u64> {
    let deleted = conn
        .prepare_cached("DELETE FROM sessions WHERE user_id = ?1")?
        .execute([user_id])?;
    Ok(u64::try_from(deleted).unwrap_or(u64::MAX))
}

pub(super) fn prune(conn: &Connection, now_ms: i64, limit: u32) -> StoreResult<u64> {
    let deleted = conn
        .prepare_cached(
            "DELETE FROM sessions WHERE id_hash IN (
                 SELECT id_hash FROM sessions WHERE expires_at <= ?1
                 ORDER BY expires_at LIMIT ?2)",
        )?
        .execute(params![now_ms, limit])?;
    Ok(u64::try_from(deleted).unwrap_or(u64::MAX))
}
