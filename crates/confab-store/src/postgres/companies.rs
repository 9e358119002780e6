//! Companies.

use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgConnection, Row};

use super::paging;
use crate::{Company, CompanyPatch, NewCompany, PageRequest, Role, StoreResult};

const COLUMNS: &str = "c.id, c.name, c.phone, c.description, c.webhook_url, c.hidden, \
     c.created_at, c.webhook_secret, m.role";

/// The columns, in `from_row_at` order.
pub(super) const COLUMNS_LIST: &str = COLUMNS;

/// A company from a row of [`COLUMNS`].
fn from_row(r: &PgRow) -> StoreResult<Company> {
    from_row_at(r, 0)
}

/// A company from the [`COLUMNS`] starting at column `base`.
pub(super) fn from_row_at(r: &PgRow, base: usize) -> StoreResult<Company> {
    Ok(Company {
        id: r.try_get(base)?,
        name: r.try_get(base + 1)?,
        phone: r.try_get(base + 2)?,
        description: r.try_get(base + 3)?,
        webhook_url: r.try_get(base + 4)?,
        hidden: r.try_get(base + 5)?,
        created_at_ms: r.try_get(base + 6)?,
        webhook_secret: r
            .try_get::<Option<String>, _>(base + 7)?
            .unwrap_or_default(),
        member_role: super::columns::typed(r, base + 8)?,
    })
}

/// Creates a company with `creator` as its first member.
pub(super) async fn create(
    conn: &mut PgConnection,
    creator: i64,
    new: &NewCompany,
    now_ms: i64,
) -> StoreResult<Company> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO companies (name, phone, description, webhook_url, created_at, webhook_secret)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id",
    )
    .bind(&new.name)
    .bind(&new.phone)
    .bind(&new.description)
    .bind(&new.webhook_url)
    .bind(now_ms)
    .bind(&new.webhook_secret)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO memberships (user_id, company_id, role, added_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(creator)
    .bind(id)
    .bind(Role::Admin.as_str())
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
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

/// One page of the companies the user is a member of, by company id.
pub(super) async fn list_for_member(
    conn: &mut PgConnection,
    user_id: i64,
    page: PageRequest,
) -> StoreResult<Vec<Company>> {
    // Paged on the membership key, so a page is one range of the (user_id, company_id)
    // primary key.
    let select = format!(
        "SELECT {COLUMNS} FROM memberships m JOIN companies c ON c.id = m.company_id
         WHERE m.user_id = $1"
    );
    paging::page(conn, &select, "m.company_id", user_id, page, from_row).await
}

/// The company, when the user is a member of it.
pub(super) async fn for_member(
    conn: &mut PgConnection,
    user_id: i64,
    company_id: i64,
) -> StoreResult<Option<Company>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM memberships m JOIN companies c ON c.id = m.company_id
         WHERE m.user_id = $1 AND m.company_id = $2"
    );
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(user_id)
        .bind(company_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Sets the fields present in `patch`; a nested `None` clears an optional field.
pub(super) async fn update(
    conn: &mut PgConnection,
    company_id: i64,
    patch: &CompanyPatch,
) -> StoreResult<()> {
    let CompanyPatch {
        name,
        phone,
        description,
        webhook_url,
        hidden,
        webhook_secret,
    } = patch;
    if name.is_none()
        && phone.is_none()
        && description.is_none()
        && webhook_url.is_none()
        && hidden.is_none()
        && webhook_secret.is_none()
    {
        return Ok(());
    }
    // One fixed statement for every patch (one round trip, one prepared plan): a field
    // that cannot be cleared keeps its value on NULL; one that can be cleared comes with
    // a flag saying whether it is set at all.
    sqlx::query(
        "UPDATE companies SET
           name = COALESCE($1, name),
           phone = CASE WHEN $2 THEN $3 ELSE phone END,
           description = CASE WHEN $4 THEN $5 ELSE description END,
           webhook_url = CASE WHEN $6 THEN $7 ELSE webhook_url END,
           hidden = COALESCE($8, hidden),
           webhook_secret = COALESCE($9, webhook_secret)
         WHERE id = $10",
    )
    .bind(name)
    .bind(phone.is_some())
    .bind(phone.as_ref().and_then(Option::as_deref))
    .bind(description.is_some())
    .bind(description.as_ref().and_then(Option::as_deref))
    .bind(webhook_url.is_some())
    .bind(webhook_url.as_ref().and_then(Option::as_deref))
    .bind(*hidden)
    .bind(webhook_secret)
    .bind(company_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
