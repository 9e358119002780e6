//! Companies.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::paging;
use crate::{Company, CompanyPatch, NewCompany, PageRequest, Role, StoreResult};

const COLUMNS: &str = "c.id, c.name, c.phone, c.description, c.webhook_url, c.hidden, \
     c.created_at, c.webhook_secret, m.role";

/// The columns, in `from_row_at` order.
pub(super) const COLUMNS_LIST: &str = COLUMNS;

fn from_row(r: &Row<'_>) -> rusqlite::Result<Company> {
    from_row_at(r, 0)
}

/// A company from the `COLUMNS` starting at column `base`.
pub(super) fn from_row_at(r: &Row<'_>, base: usize) -> rusqlite::Result<Company> {
    Ok(Company {
        id: r.get(base)?,
        name: r.get(base + 1)?,
        phone: r.get(base + 2)?,
        description: r.get(base + 3)?,
        webhook_url: r.get(base + 4)?,
        hidden: r.get(base + 5)?,
        created_at_ms: r.get(base + 6)?,
        webhook_secret: r.get::<_, Option<String>>(base + 7)?.unwrap_or_default(),
        member_role: super::columns::typed(r, base + 8)?,
    })
}

pub(super) fn create(
    conn: &Connection,
    creator: i64,
    new: &NewCompany,
    now_ms: i64,
) -> StoreResult<Company> {
    conn.execute(
        "INSERT INTO companies (name, phone, description, webhook_url, created_at, webhook_secret)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            new.name,
            new.phone,
            new.description,
            new.webhook_url,
            now_ms,
            new.webhook_secret
        ],
    )?;
    let id = conn.last_insert_rowid();
    conn.execute(
        "INSERT INTO memberships (user_id, company_id, role, added_at) VALUES (?1, ?2, ?3, ?4)",
        params![creator, id, Role::Admin.as_str(), now_ms],
    )?;
    Ok(Company {
        id,
        name: new.name.clone(),
        phone: new.phone.clone(),
        description: new.description.clone(),
        webhook_url: new.webhook_url.clone(),
        hidden: false,
        created_at_ms: now_ms,
        webhook_secret: new.webhook_secret.clone(),
        member_role: Role::Admin,
    })
}

pub(super) fn list_for_member(
    conn: &Connection,
    user_id: i64,
    page: PageRequest,
) -> StoreResult<Vec<Company>> {
    let select = format!(
        "SELECT {COLUMNS} FROM memberships m JOIN companies c ON c.id = m.company_id
         WHERE m.user_id = ?1"
    );
    paging::page(conn, &select, "m.company_id", user_id, page, from_row)
}

pub(super) fn for_member(
    conn: &Connection,
    user_id: i64,
    company_id: i64,
) -> StoreResult<Option<Company>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM memberships m JOIN companies c ON c.id = m.company_id
         WHERE m.user_id = ?1 AND m.company_id = ?2"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![user_id, company_id], from_row)
        .optional()?)
}

pub(super) fn update(conn: &Connection, company_id: i64, patch: &CompanyPatch) -> StoreResult<()> {
    // Each present field is one small UPDATE: simpler than building SQL, and it all runs
    // in the caller's single transaction.
    if let Some(name) = &patch.name {
        conn.execute(
            "UPDATE companies SET name = ?1 WHERE id = ?2",
            params![name, company_id],
        )?;
    }
    if let Some(phone) = &patch.phone {
        conn.execute(
            "UPDATE companies SET phone = ?1 WHERE id = ?2",
            params![phone, company_id],
        )?;
    }
    if let Some(description) = &patch.description {
        conn.execute(
            "UPDATE companies SET description = ?1 WHERE id = ?2",
            params![description, company_id],
        )?;
    }
    if let Some(url) = &patch.webhook_url {
        conn.execute(
            "UPDATE companies SET webhook_url = ?1 WHERE id = ?2",
            params![url, company_id],
        )?;
    }
    if let Some(secret) = &patch.webhook_secret {
        conn.execute(
            "UPDATE companies SET webhook_secret = ?1 WHERE id = ?2",
            params![secret, company_id],
        )?;
    }
    if let Some(hidden) = patch.hidden {
        conn.execute(
            "UPDATE companies SET hidden = ?1 WHERE id = ?2",
            params![hidden, company_id],
        )?;
    }
    Ok(())
}
