//! Passwords and browser sessions.

use sqlx::{PgConnection, Row};

use crate::{LoginUser, NewSession, Session, StoreError, StoreResult, TokenHash, User};

/// Sets the password and ends the user's sessions; run inside the caller's transaction.
pub(super) async fn set_password(
    conn: &mut PgConnection,
    user_id: i64,
    password_hash: &str,
) -> StoreResult<Option<User>> {
    // The row lock orders two password changes of one user; the name check below then
    // sees the other's outcome or the partial unique index refuses the later commit.
    let Some(row) = sqlx::query("SELECT id, name FROM users WHERE id = $1 FOR UPDATE")
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let user = User {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
    };
    let taken = sqlx::query(
        "SELECT 1 FROM users WHERE name = $1 AND id <> $2 AND password_hash IS NOT NULL",
    )
    .bind(&user.name)
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?
    .is_some();
    if taken {
        return Err(StoreError::Conflict { what: "name" });
    }
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    revoke(conn, user_id).await?;
    Ok(Some(user))
}

/// The user named `name` who has a password, with its hash.
pub(super) async fn login_user(
    conn: &mut PgConnection,
    name: &str,
) -> StoreResult<Option<LoginUser>> {
    let row = sqlx::query(
        "SELECT id, name, password_hash FROM users WHERE name = $1 AND password_hash IS NOT NULL",
    )
    .bind(name)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(LoginUser {
            user: User {
                id: r.try_get(0)?,
                name: r.try_get(1)?,
            },
            password_hash: r.try_get(2)?,
        })
    })
    .transpose()
}

/// Stores a new session.
pub(super) async fn create(conn: &mut PgConnection, session: &NewSession) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&session.id_hash[..])
    .bind(session.user_id)
    .bind(session.created_at)
    .bind(session.expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The unexpired session of `id_hash`.
pub(super) async fn find(
    conn: &mut PgConnection,
    id_hash: &TokenHash,
    now_ms: i64,
) -> StoreResult<Option<Session>> {
    let Some(row) = sqlx::query(
        "SELECT u.id, u.name, s.created_at, s.expires_at, s.id_hash
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id_hash = $1 AND s.expires_at > $2",
    )
    .bind(&id_hash[..])
    .bind(now_ms)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    // As for API tokens: the lookup is by hash; the final comparison is constant-time.
    let stored: Vec<u8> = row.try_get(4)?;
    if !bool::from(subtle::ConstantTimeEq::ct_eq(&stored[..], &id_hash[..])) {
        return Ok(None);
    }
    Ok(Some(Session {
        user: User {
            id: row.try_get(0)?,
            name: row.try_get(1)?,
        },
        created_at: row.try_get(2)?,
        expires_at: row.try_get(3)?,
    }))
}

/// Deletes one session; true when there was one.
pub(super) async fn delete(conn: &mut PgConnection, id_hash: &TokenHash) -> StoreResult<bool> {
    let deleted = sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(&id_hash[..])
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(deleted > 0)
}

/// Deletes every session of a user.
pub(super) async fn revoke(conn: &mut PgConnection, user_id: i64) -> StoreResult<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?
        .rows_affected())
}

/// Deletes a batch of expired sessions.
pub(super) async fn prune(conn: &mut PgConnection, now_ms: i64, limit: u32) -> StoreResult<u64> {
    Ok(sqlx::query(
        "DELETE FROM sessions WHERE id_hash IN (
             SELECT id_hash FROM sessions WHERE expires_at <= $1
             ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
    )
    .bind(now_ms)
    .bind(i64::from(limit))
    .execute(&mut *conn)
    .await?
    .rows_affected())
}
