//! A company's members and their roles.
//!
//! A company always keeps an admin. Any change that may take one away first locks the
//! company's admin rows (`FOR UPDATE`), so two changes of two admins at once cannot both
//! see the other still there.

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::{conversations, events, paging};
use crate::{Member, PageRequest, Role, StoreError, StoreResult, User, UserSummary, rules};

macro_rules! select {
    () => {
        "SELECT m.user_id, u.name, m.role, m.added_at \
         FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.company_id = $1"
    };
}

fn from_row(r: &PgRow) -> StoreResult<Member> {
    Ok(Member {
        user_id: r.try_get(0)?,
        name: r.try_get(1)?,
        role: super::columns::typed(r, 2)?,
        added_at_ms: r.try_get(3)?,
    })
}

pub(super) async fn list(
    conn: &mut PgConnection,
    company_id: i64,
    page: PageRequest,
) -> StoreResult<Vec<Member>> {
    paging::page(conn, select!(), "m.user_id", company_id, page, from_row).await
}

async fn member(conn: &mut PgConnection, company_id: i64, user_id: i64) -> StoreResult<Member> {
    let row = sqlx::query(concat!(select!(), " AND m.user_id = $2"))
        .bind(company_id)
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("member"))?;
    from_row(&row)
}

/// Refuses a change that takes away the company's last admin; holds the admins' rows
/// until the caller's transaction ends.
async fn keep_an_admin(
    conn: &mut PgConnection,
    company_id: i64,
    leaving: &Member,
) -> StoreResult<()> {
    let admins: Vec<i64> = sqlx::query_scalar(
        "SELECT user_id FROM memberships WHERE company_id = $1 AND role = 'admin' FOR UPDATE",
    )
    .bind(company_id)
    .fetch_all(&mut *conn)
    .await?;
    let others = admins.iter().filter(|id| **id != leaving.user_id).count();
    match rules::refuse_losing_last_admin(leaving.role, &leaving.name, others) {
        Some(reason) => Err(StoreError::Refused {
            what: "role",
            reason,
        }),
        None => Ok(()),
    }
}

pub(super) async fn add(
    conn: &mut PgConnection,
    company_id: i64,
    user_id: i64,
    role: Role,
    now_ms: i64,
) -> StoreResult<Member> {
    let user: Option<i32> = sqlx::query_scalar("SELECT 1 FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?;
    if user.is_none() {
        return Err(StoreError::NotFound("user"));
    }
    let added = sqlx::query(
        "INSERT INTO memberships (user_id, company_id, role, added_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING",
    )
    .bind(user_id)
    .bind(company_id)
    .bind(role.as_str())
    .bind(now_ms)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if added == 0 {
        return Err(StoreError::Conflict { what: "user_id" });
    }
    member(conn, company_id, user_id).await
}

pub(super) async fn set_role(
    conn: &mut PgConnection,
    company_id: i64,
    user_id: i64,
    role: Role,
) -> StoreResult<Member> {
    let current = member(conn, company_id, user_id).await?;
    if role != Role::Admin && current.role == Role::Admin {
        keep_an_admin(conn, company_id, &current).await?;
    }
    sqlx::query("UPDATE memberships SET role = $3 WHERE company_id = $1 AND user_id = $2")
        .bind(company_id)
        .bind(user_id)
        .bind(role.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(Member { role, ..current })
}

pub(super) async fn remove(
    conn: &mut PgConnection,
    company_id: i64,
    user_id: i64,
    now_ms: i64,
) -> StoreResult<Member> {
    let leaving = member(conn, company_id, user_id).await?;
    if leaving.role == Role::Admin {
        keep_an_admin(conn, company_id, &leaving).await?;
    }
    // The statement below moves many conversations between tallies, taking their rows in
    // whatever order it meets the conversations; locking the company's tallies first, in
    // key order, keeps it from deadlocking with single moves (which lock in key order).
    sqlx::query(
        "SELECT 1 FROM conversation_tallies WHERE company_id = $1
         ORDER BY channel_id, assignee_id, awaiting_reply FOR UPDATE",
    )
    .bind(company_id)
    .fetch_all(&mut *conn)
    .await?;
    let assigned: Vec<i64> = sqlx::query_scalar(
        "UPDATE conversations SET assignee_id = NULL WHERE company_id = $1 AND assignee_id = $2
         RETURNING id",
    )
    .bind(company_id)
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?;
    for id in assigned {
        if let Some(conversation) = conversations::get(conn, company_id, id).await? {
            let changed = rules::on_unassigned(&conversation);
            events::record(conn, company_id, Some(id), &changed, now_ms).await?;
        }
    }
    sqlx::query("DELETE FROM memberships WHERE company_id = $1 AND user_id = $2")
        .bind(company_id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(leaving)
}

pub(super) async fn list_users(conn: &mut PgConnection) -> StoreResult<Vec<UserSummary>> {
    let rows = sqlx::query(
        "SELECT u.id, u.name,
                COALESCE(array_agg(m.company_id ORDER BY m.company_id)
                         FILTER (WHERE m.company_id IS NOT NULL), '{}') AS companies
         FROM users u LEFT JOIN memberships m ON m.user_id = u.id
         GROUP BY u.id, u.name ORDER BY u.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(UserSummary {
                user: User {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                },
                company_ids: r.try_get(2)?,
            })
        })
        .collect()
}
