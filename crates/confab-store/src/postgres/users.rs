//! Users and company membership.

use std::sync::LazyLock;

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::paging::Keyset;
use crate::{Company, Conversation, PageRequest, StoreResult, TokenHash, User};

/// Creates a user who signs in with the token hashing to `hash`.
pub(super) async fn create(
    conn: &mut PgConnection,
    name: &str,
    hash: &TokenHash,
    now_ms: i64,
) -> StoreResult<User> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (name, token_hash, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(name)
    .bind(&hash[..])
    .bind(now_ms)
    .fetch_one(&mut *conn)
    .await?;
    Ok(User {
        id,
        name: name.to_owned(),
    })
}

/// The user whose token hashes to `hash`.
pub(super) async fn by_token_hash(
    conn: &mut PgConnection,
    hash: &TokenHash,
) -> StoreResult<Option<User>> {
    let Some(row) = sqlx::query("SELECT id, name, token_hash FROM users WHERE token_hash = $1")
        .bind(&hash[..])
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    verified_user(&row, hash)
}

/// The user in columns 0–2 (id, name, token hash) of `row`, if the stored hash is `hash`.
/// The lookup is by hash already; comparing again in constant time means no branch here
/// depends on how much of a guessed hash matched.
fn verified_user(row: &PgRow, hash: &TokenHash) -> StoreResult<Option<User>> {
    let stored: Vec<u8> = row.try_get(2)?;
    if !bool::from(subtle::ConstantTimeEq::ct_eq(&stored[..], &hash[..])) {
        return Ok(None);
    }
    Ok(Some(User {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
    }))
}

/// The user of `hash` and, if they are a member of it, company `company_id`, in one
/// round trip.
pub(super) async fn authorize(
    conn: &mut PgConnection,
    hash: &TokenHash,
    company_id: i64,
) -> StoreResult<Option<(User, Option<Company>)>> {
    let sql = format!(
        "SELECT u.id, u.name, u.token_hash, {}
         FROM users u
         LEFT JOIN memberships m ON m.user_id = u.id AND m.company_id = $2
         LEFT JOIN companies c ON c.id = m.company_id
         WHERE u.token_hash = $1",
        super::companies::COLUMNS_LIST
    );
    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&hash[..])
        .bind(company_id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let Some(user) = verified_user(&row, hash)? else {
        return Ok(None);
    };
    let company = match row.try_get::<Option<i64>, _>(3)? {
        Some(_) => Some(super::companies::from_row_at(&row, 3)?),
        None => None,
    };
    Ok(Some((user, company)))
}

/// Where the conversation's columns start in a row of [`authorize_conversation`]: after
/// the user's three and the company's.
const CONVERSATION_BASE: usize = 3 + 9;

/// [`authorize`], and when the user is a member, the company's conversation
/// `conversation_id` (`None`: no such conversation in that company), in one round trip:
/// the details request, the most frequent read.
pub(super) async fn authorize_conversation(
    conn: &mut PgConnection,
    hash: &TokenHash,
    company_id: i64,
    conversation_id: i64,
) -> StoreResult<Option<(User, Option<(Company, Option<Conversation>)>)>> {
    // The conversation is read only through the membership's company, so a non-member
    // learns nothing of it.
    let sql = format!(
        "SELECT u.id, u.name, u.token_hash, {}, v.*
         FROM users u
         LEFT JOIN memberships m ON m.user_id = u.id AND m.company_id = $2
         LEFT JOIN companies c ON c.id = m.company_id
         LEFT JOIN LATERAL (SELECT {} FROM conversations
                            WHERE company_id = c.id AND id = $3) v ON TRUE
         WHERE u.token_hash = $1",
        super::companies::COLUMNS_LIST,
        super::conversations::COLUMNS,
    );
    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&hash[..])
        .bind(company_id)
        .bind(conversation_id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let Some(user) = verified_user(&row, hash)? else {
        return Ok(None);
    };
    if row.try_get::<Option<i64>, _>(3)?.is_none() {
        return Ok(Some((user, None)));
    }
    let company = super::companies::from_row_at(&row, 3)?;
    // The conversation's id column is NULL when the lateral read found nothing.
    let conversation = match row.try_get::<Option<i64>, _>(CONVERSATION_BASE + 1)? {
        Some(_) => Some(super::conversations::from_row_at(&row, CONVERSATION_BASE)?),
        None => None,
    };
    Ok(Some((user, Some((company, conversation)))))
}

/// The statement of [`authorize_list`] in one direction: `op` compares the id with the
/// last seen one (`$3`), `order` is `ASC` or `DESC`.
fn authorize_list_sql(op: &str, order: &str) -> String {
    // The page is read only through the membership's company, so a non-member learns
    // nothing of its rows; LEFT JOIN LATERAL keeps the caller's row when the page is
    // empty (its columns are then NULL).
    format!(
        "SELECT u.id, u.name, u.token_hash, {}, v.*
         FROM users u
         LEFT JOIN memberships m ON m.user_id = u.id AND m.company_id = $2
         LEFT JOIN companies c ON c.id = m.company_id
         LEFT JOIN LATERAL (SELECT {} FROM conversations
                            WHERE company_id = c.id AND id {op} $3
                            ORDER BY id {order} LIMIT $4) v ON TRUE
         WHERE u.token_hash = $1",
        super::companies::COLUMNS_LIST,
        super::conversations::COLUMNS,
    )
}

/// [`authorize`], and when the user is a member, one page of the company's conversations
/// by id (what [`super::conversations::list`] reads), in one round trip: the Pact list
/// page. Every row carries the caller and the company again; only the first row's are
/// read.
pub(super) async fn authorize_list(
    conn: &mut PgConnection,
    hash: &TokenHash,
    company_id: i64,
    page: PageRequest,
) -> StoreResult<Option<(User, Option<(Company, Vec<Conversation>)>)>> {
    // Fixed text, built once: sqlx prepares each statement once per connection and finds
    // it again by this text, without copying it on every request.
    static ASCENDING: LazyLock<String> = LazyLock::new(|| authorize_list_sql(">", "ASC"));
    static DESCENDING: LazyLock<String> = LazyLock::new(|| authorize_list_sql("<", "DESC"));
    let keyset = Keyset::from(page);
    let sql: &'static str = if page.descending {
        DESCENDING.as_str()
    } else {
        ASCENDING.as_str()
    };
    let rows = sqlx::query(sql)
        .bind(&hash[..])
        .bind(company_id)
        .bind(keyset.after)
        .bind(keyset.limit)
        .fetch_all(&mut *conn)
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let Some(user) = verified_user(first, hash)? else {
        return Ok(None);
    };
    if first.try_get::<Option<i64>, _>(3)?.is_none() {
        return Ok(Some((user, None)));
    }
    let company = super::companies::from_row_at(first, 3)?;
    let mut conversations = Vec::with_capacity(rows.len());
    for row in &rows {
        // The conversation's id column is NULL in the one row of an empty page.
        if row
            .try_get::<Option<i64>, _>(CONVERSATION_BASE + 1)?
            .is_some()
        {
            conversations.push(super::conversations::from_row_at(row, CONVERSATION_BASE)?);
        }
    }
    // The outer query has no ORDER BY of its own (a sort node on every page would cost
    // the database CPU): with its single caller row the rows come in the lateral read's
    // order, and this makes that a guarantee; on sorted rows it is one pass.
    if page.descending {
        conversations.sort_by_key(|c| std::cmp::Reverse(c.id));
    } else {
        conversations.sort_by_key(|c| c.id);
    }
    Ok(Some((user, Some((company, conversations)))))
}

/// Whether the user is a member of the company.
pub(super) async fn is_member(
    conn: &mut PgConnection,
    company_id: i64,
    user_id: i64,
) -> StoreResult<bool> {
    let found = sqlx::query("SELECT 1 FROM memberships WHERE user_id = $1 AND company_id = $2")
        .bind(user_id)
        .bind(company_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(found.is_some())
}

/// Gives the user a new token, so the old one stops working; `None` when there is no
/// such user.
pub(super) async fn replace_token(
    conn: &mut PgConnection,
    user_id: i64,
    hash: &TokenHash,
) -> StoreResult<Option<User>> {
    let row = sqlx::query("UPDATE users SET token_hash = $1 WHERE id = $2 RETURNING id, name")
        .bind(&hash[..])
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| {
        Ok(User {
            id: r.try_get(0)?,
            name: r.try_get(1)?,
        })
    })
    .transpose()
}
