//! WhatsApp Business templates: a channel's synced set replaced in one transaction, one
//! seeded, pages of a company's (or a member's companies') live templates, and the
//! templates a send may name.

use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::paging;
use crate::{
    NewTemplate, PageRequest, StoreError, StoreResult, TemplateSend, TemplateSync, WabaTemplate,
};

/// The columns [`from_row`] reads, in its order. A macro so statements stay `&'static str`.
macro_rules! columns {
    () => {
        "id, company_id, channel_id, waba_id, name, language, status, body, \
         substitutions_count, components, position, created_at, updated_at"
    };
}

fn from_row(r: &PgRow) -> StoreResult<WabaTemplate> {
    let components: String = r.try_get(9)?;
    Ok(WabaTemplate {
        id: r.try_get(0)?,
        company_id: r.try_get(1)?,
        channel_id: r.try_get(2)?,
        waba_id: r.try_get(3)?,
        name: r.try_get(4)?,
        language: r.try_get(5)?,
        status: r.try_get(6)?,
        body: r.try_get(7)?,
        substitutions_count: r.try_get(8)?,
        components: serde_json::from_str(&components).unwrap_or(Value::Array(Vec::new())),
        position: r.try_get(10)?,
        created_at_ms: r.try_get(11)?,
        updated_at_ms: r.try_get(12)?,
    })
}

/// Refuses a channel that is not a live channel of the company.
async fn check_channel(
    conn: &mut PgConnection,
    company_id: i64,
    channel_id: i64,
) -> StoreResult<()> {
    super::channels::get(conn, company_id, channel_id)
        .await?
        .map(|_| ())
        .ok_or(StoreError::NotFound("channel"))
}

/// Inserts or updates (and un-removes) the channel's template of `t`'s (waba_id,
/// language); answers its id, which an update keeps.
async fn upsert(
    conn: &mut PgConnection,
    company_id: i64,
    channel_id: i64,
    t: &NewTemplate,
    now_ms: i64,
) -> StoreResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO waba_templates (company_id, channel_id, waba_id, name, language, status,
             body, substitutions_count, components, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
         ON CONFLICT (channel_id, waba_id, language) DO UPDATE SET
             name = EXCLUDED.name, status = EXCLUDED.status, body = EXCLUDED.body,
             substitutions_count = EXCLUDED.substitutions_count,
             components = EXCLUDED.components, updated_at = EXCLUDED.updated_at,
             removed_at = NULL
         RETURNING id",
    )
    .bind(company_id)
    .bind(channel_id)
    .bind(&t.waba_id)
    .bind(&t.name)
    .bind(&t.language)
    .bind(&t.status)
    .bind(&t.body)
    .bind(t.substitutions_count)
    .bind(t.components.to_string())
    .bind(now_ms)
    .fetch_one(&mut *conn)
    .await?;
    // p1's `position` is the id: templates are listed in the order they became known.
    sqlx::query("UPDATE waba_templates SET position = id WHERE id = $1 AND position = 0")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(id)
}

async fn by_id(conn: &mut PgConnection, id: i64) -> StoreResult<WabaTemplate> {
    let row = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM waba_templates WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound("template"))?;
    from_row(&row)
}

/// Makes `templates` the channel's live set (see `Store::replace_templates`).
pub(super) async fn replace(
    conn: &mut PgConnection,
    company_id: i64,
    channel_id: i64,
    templates: &[NewTemplate],
    now_ms: i64,
) -> StoreResult<TemplateSync> {
    check_channel(conn, company_id, channel_id).await?;
    let mut kept = Vec::with_capacity(templates.len());
    for t in templates {
        kept.push(upsert(conn, company_id, channel_id, t, now_ms).await?);
    }
    let removed = sqlx::query(
        "UPDATE waba_templates SET removed_at = $1, updated_at = $1
         WHERE channel_id = $2 AND removed_at IS NULL AND NOT (id = ANY($3))",
    )
    .bind(now_ms)
    .bind(channel_id)
    .bind(&kept)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    kept.sort_unstable();
    kept.dedup();
    Ok(TemplateSync {
        stored: kept.len() as u64,
        removed,
    })
}

/// Stores one template of a channel, leaving its others alone.
pub(super) async fn seed(
    conn: &mut PgConnection,
    company_id: i64,
    channel_id: i64,
    template: &NewTemplate,
    now_ms: i64,
) -> StoreResult<WabaTemplate> {
    check_channel(conn, company_id, channel_id).await?;
    let id = upsert(conn, company_id, channel_id, template, now_ms).await?;
    by_id(conn, id).await
}

/// One page of the company's live templates of live channels.
pub(super) async fn list(
    conn: &mut PgConnection,
    company_id: i64,
    page: PageRequest,
) -> StoreResult<Vec<WabaTemplate>> {
    let select = concat!(
        "SELECT ",
        columns!(),
        " FROM waba_templates WHERE company_id = $1 AND removed_at IS NULL
           AND channel_id IN (SELECT id FROM channels WHERE company_id = $1 AND deleted_at IS NULL)"
    );
    paging::page(conn, select, "id", company_id, page, from_row).await
}

/// One page of the live templates of every company `user_id` is a member of.
pub(super) async fn list_for_member(
    conn: &mut PgConnection,
    user_id: i64,
    page: PageRequest,
) -> StoreResult<Vec<WabaTemplate>> {
    let select = concat!(
        "SELECT ",
        columns!(),
        " FROM waba_templates WHERE removed_at IS NULL
           AND company_id IN (SELECT company_id FROM memberships WHERE user_id = $1)
           AND channel_id IN (SELECT id FROM channels WHERE deleted_at IS NULL)"
    );
    paging::page(conn, select, "id", user_id, page, from_row).await
}

/// The live templates of a channel that `key` names: by `waba_id` (every language), else
/// by numeric id.
pub(super) async fn find(
    conn: &mut PgConnection,
    company_id: i64,
    channel_id: i64,
    key: &str,
) -> StoreResult<Vec<WabaTemplate>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM waba_templates
         WHERE company_id = $1 AND channel_id = $2 AND waba_id = $3 AND removed_at IS NULL
         ORDER BY id"
    ))
    .bind(company_id)
    .bind(channel_id)
    .bind(key)
    .fetch_all(&mut *conn)
    .await?;
    if !rows.is_empty() {
        return rows.iter().map(from_row).collect();
    }
    let Ok(id) = key.trim().parse::<i64>() else {
        return Ok(Vec::new());
    };
    let row = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM waba_templates
         WHERE company_id = $1 AND channel_id = $2 AND id = $3 AND removed_at IS NULL"
    ))
    .bind(company_id)
    .bind(channel_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).into_iter().collect()
}

/// Keeps a template send with its delivery job (inside the send's transaction).
pub(super) async fn attach_to_job(
    conn: &mut PgConnection,
    job_id: i64,
    send: &TemplateSend,
) -> StoreResult<()> {
    let text = serde_json::to_string(send).map_err(|e| StoreError::Database(Box::new(e)))?;
    sqlx::query("UPDATE jobs SET template = $1 WHERE id = $2")
        .bind(text)
        .bind(job_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The template send kept with a job, if it has one.
pub(super) async fn of_job(
    conn: &mut PgConnection,
    job_id: i64,
) -> StoreResult<Option<TemplateSend>> {
    let text: Option<String> = sqlx::query_scalar("SELECT template FROM jobs WHERE id = $1")
        .bind(job_id)
        .fetch_optional(&mut *conn)
        .await?
        .flatten();
    text.map(|t| serde_json::from_str(&t).map_err(|e| StoreError::Database(Box::new(e))))
        .transpose()
}
