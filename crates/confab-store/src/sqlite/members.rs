//! A company's members and their roles.
//!
//! A company always keeps an admin. SQLite has one writer, so counting the admins and then
//! changing one in the same transaction cannot race another change.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{conversations, events, paging};
use crate::{Member, PageRequest, Role, StoreError, StoreResult, User, UserSummary, rules};

const SELECT: &str = "SELECT m.user_id, u.name, m.role, m.added_at \
     FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.company_id = ?1";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Member> {
    Ok(Member {
        user_id: r.get(0)?,
        name: r.get(1)?,
        role: super::columns::typed(r, 2)?,
        added_at_ms: r.get(3)?,
    })
}

pub(super) fn list(
    conn: &Connection,
    company_id: i64,
    page: PageRequest,
) -> StoreResult<Vec<Member>> {
    paging::page(conn, SELECT, "m.user_id", company_id, page, from_row)
}

fn get(conn: &Connection, company_id: i64, user_id: i64) -> StoreResult<Option<Member>> {
    let sql = format!("{SELECT} AND m.user_id = ?2");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![company_id, user_id], from_row)
        .optional()?)
}

fn member(conn: &Connection, company_id: i64, user_id: i64) -> StoreResult<Member> {
    get(conn, company_id, user_id)?.ok_or(StoreError::NotFound("member"))
}

fn admins(conn: &Connection, company_id: i64) -> StoreResult<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT COUNT(*) FROM memberships WHERE company_id = ?1 AND role = 'admin'",
        )?
        .query_row([company_id], |r| r.get(0))?)
}

/// Refuses a change that takes away the company's last admin.
fn keep_an_admin(conn: &Connection, company_id: i64, leaving: &Member) -> StoreResult<()> {
    let others = admins(conn, company_id)?.saturating_sub(i64::from(leaving.role == Role::Admin));
    let others = usize::try_from(others).unwrap_or(0);
    match rules::refuse_losing_last_admin(leaving.role, &leaving.name, others) {
        Some(reason) => Err(StoreError::Refused {
            what: "role",
            reason,
        }),
        None => Ok(()),
    }
}

pub(super) fn add(
    conn: &Connection,
    company_id: i64,
    user_id: i64,
    role: Role,
    now_ms: i64,
) -> StoreResult<Member> {
    let user_exists = conn
        .prepare_cached("SELECT 1 FROM users WHERE id = ?1")?
        .exists([user_id])?;
    if !user_exists {
        return Err(StoreError::NotFound("user"));
    }
    let added = conn
        .prepare_cached(
            "INSERT INTO memberships (user_id, company_id, role, added_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![user_id, company_id, role.as_str(), now_ms])?;
    if added == 0 {
        return Err(StoreError::Conflict { what: "user_id" });
    }
    member(conn, company_id, user_id)
}

pub(super) fn set_role(
    conn: &Connection,
    company_id: i64,
    user_id: i64,
    role: Role,
) -> StoreResult<Member> {
    let current = member(conn, company_id, user_id)?;
    if role != Role::Admin {
        keep_an_admin(conn, company_id, &current)?;
    }
    conn.prepare_cached("UPDATE memberships SET role = ?3 WHERE company_id = ?1 AND user_id = ?2")?
        .execute(params![company_id, user_id, role.as_str()])?;
    Ok(Member { role, ..current })
}

pub(super) fn remove(
    conn: &Connection,
    company_id: i64,
    user_id: i64,
    now_ms: i64,
) -> StoreResult<Member> {
    let leaving = member(conn, company_id, user_id)?;
    keep_an_admin(conn, company_id, &leaving)?;
    let assigned: Vec<i64> = conn
        .prepare_cached(
            "UPDATE conversations SET assignee_id = NULL WHERE company_id = ?1 AND assignee_id = ?2
             RETURNING id",
        )?
        .query_map(params![company_id, user_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in assigned {
        if let Some(conversation) = conversations::get(conn, company_id, id)? {
            events::record(
                conn,
                company_id,
                Some(id),
                &rules::on_unassigned(&conversation),
                now_ms,
            )?;
        }
    }
    conn.prepare_cached("DELETE FROM memberships WHERE company_id = ?1 AND user_id = ?2")?
        .execute(params![company_id, user_id])?;
    Ok(leaving)
}

pub(super) fn list_users(conn: &Connection) -> StoreResult<Vec<UserSummary>> {
    let mut users: Vec<UserSummary> = conn
        .prepare("SELECT id, name FROM users ORDER BY id")?
        .query_map([], |r| {
            Ok(UserSummary {
                user: User {
                    id: r.get(0)?,
                    name: r.get(1)?,
                },
                company_ids: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt =
        conn.prepare("SELECT user_id, company_id FROM memberships ORDER BY user_id, company_id")?;
    let pairs = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
    for pair in pairs {
        let (user_id, company_id) = pair?;
        if let Some(u) = users.iter_mut().find(|u| u.user.id == user_id) {
            u.company_ids.push(company_id);
        }
    }
    Ok(users)
}
