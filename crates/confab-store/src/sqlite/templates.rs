//! WhatsApp Business templates: a channel's synced set replaced in one transaction, one
//! seeded, pages of a company's (or a member's companies') live templates, and the
//! templates a send may name.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::Value;

use super::paging;
use crate::{NewTemplate, PageRequest, StoreError, StoreResult, TemplateSync, WabaTemplate};

/// The columns [`from_row`] reads, in its order.
const COLUMNS: &str = "id, company_id, channel_id, waba_id, name, language, status, body, \
     substitutions_count, components, position, created_at, updated_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<WabaTemplate> {
    let components: String = r.get(9)?;
    Ok(WabaTemplate {
        id: r.get(0)?,
        company_id: r.get(1)?,
        channel_id: r.get(2)?,
        waba_id: r.get(3)?,
        name: r.get(4)?,
        language: r.get(5)?,
        status: r.get(6)?,
        body: r.get(7)?,
        substitutions_count: r.get(8)?,
        components: serde_json::from_str(&components).unwrap_or(Value::Array(Vec::new())),
        position: r.get(10)?,
        created_at_ms: r.get(11)?,
        updated_at_ms: r.get(12)?,
    })
}

/// Refuses a channel that is not a live channel of the company.
fn check_channel(conn: &Connection, company_id: i64, channel_id: i64) -> StoreResult<()> {
    super::channels::get(conn, company_id, channel_id)?
        .map(|_| ())
        .ok_or(StoreError::NotFound("channel"))
}

/// Inserts or updates (and un-removes) the channel's template of `t`'s (waba_id,
/// language); answers its id, which an update keeps.
fn upsert(
    conn: &Connection,
    company_id: i64,
    channel_id: i64,
    t: &NewTemplate,
    now_ms: i64,
) -> StoreResult<i64> {
    let components = t.components.to_string();
    let existing: Option<i64> = conn
        .prepare_cached(
            "SELECT id FROM waba_templates WHERE channel_id = ?1 AND waba_id = ?2 AND language = ?3",
        )?
        .query_row(params![channel_id, t.waba_id, t.language], |r| r.get(0))
        .optional()?;
    if let Some(id) = existing {
        conn.execute(
            "UPDATE waba_templates SET name = ?1, status = ?2, body = ?3,
                 substitutions_count = ?4, components = ?5, updated_at = ?6, removed_at = NULL
             WHERE id = ?7",
            params![
                t.name,
                t.status,
                t.body,
                t.substitutions_count,
                components,
                now_ms,
                id
            ],
        )?;
        return Ok(id);
    }
    conn.execute(
        "INSERT INTO waba_templates (company_id, channel_id, waba_id, name, language, status,
             body, substitutions_count, components, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        params![
            company_id,
            channel_id,
            t.waba_id,
            t.name,
            t.language,
            t.status,
            t.body,
            t.substitutions_count,
            components,
            now_ms
        ],
    )?;
    let id = conn.last_insert_rowid();
    // p1's `position` is the id: templates are listed in the order they became known.
    conn.execute(
        "UPDATE waba_templates SET position = id WHERE id = ?1",
        [id],
    )?;
    Ok(id)
}

fn by_id(conn: &Connection, id: i64) -> StoreResult<WabaTemplate> {
    let sql = format!("SELECT {COLUMNS} FROM waba_templates WHERE id = ?1");
    conn.prepare_cached(&sql)?
        .query_row([id], from_row)
        .optional()?
        .ok_or(StoreError::NotFound("template"))
}

/// Makes `templates` the channel's live set (see `Store::replace_templates`).
pub(super) fn replace(
    conn: &Connection,
    company_id: i64,
    channel_id: i64,
    templates: &[NewTemplate],
    now_ms: i64,
) -> StoreResult<TemplateSync> {
    check_channel(conn, company_id, channel_id)?;
    let mut kept = Vec::with_capacity(templates.len());
    for t in templates {
        kept.push(upsert(conn, company_id, channel_id, t, now_ms)?);
    }
    let live: Vec<i64> = conn
        .prepare_cached(
            "SELECT id FROM waba_templates WHERE channel_id = ?1 AND removed_at IS NULL",
        )?
        .query_map([channel_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut removed = 0;
    for id in live.into_iter().filter(|id| !kept.contains(id)) {
        removed += conn.execute(
            "UPDATE waba_templates SET removed_at = ?1, updated_at = ?1 WHERE id = ?2",
            params![now_ms, id],
        )? as u64;
    }
    kept.sort_unstable();
    kept.dedup();
    Ok(TemplateSync {
        stored: kept.len() as u64,
        removed,
    })
}

/// Stores one template of a channel, leaving its others alone.
pub(super) fn seed(
    conn: &Connection,
    company_id: i64,
    channel_id: i64,
    template: &NewTemplate,
    now_ms: i64,
) -> StoreResult<WabaTemplate> {
    check_channel(conn, company_id, channel_id)?;
    let id = upsert(conn, company_id, channel_id, template, now_ms)?;
    by_id(conn, id)
}

/// One page of the company's live templates of live channels.
pub(super) fn list(
    conn: &Connection,
    company_id: i64,
    page: PageRequest,
) -> StoreResult<Vec<WabaTemplate>> {
    let select = format!(
        "SELECT {COLUMNS} FROM waba_templates WHERE company_id = ?1 AND removed_at IS NULL
           AND channel_id IN (SELECT id FROM channels WHERE company_id = ?1 AND deleted_at IS NULL)"
    );
    paging::page(conn, &select, "id", company_id, page, from_row)
}

/// One page of the live templates of every company `user_id` is a member of.
pub(super) fn list_for_member(
    conn: &Connection,
    user_id: i64,
    page: PageRequest,
) -> StoreResult<Vec<WabaTemplate>> {
    let select = format!(
        "SELECT {COLUMNS} FROM waba_templates WHERE removed_at IS NULL
           AND company_id IN (SELECT company_id FROM memberships WHERE user_id = ?1)
           AND channel_id IN (SELECT id FROM channels WHERE deleted_at IS NULL)"
    );
    paging::page(conn, &select, "id", user_id, page, from_row)
}

/// The live templates of a channel that `key` names: by `waba_id` (every language), else
/// by numeric id.
pub(super) fn find(
    conn: &Connection,
    company_id: i64,
    channel_id: i64,
    key: &str,
) -> StoreResult<Vec<WabaTemplate>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM waba_templates
         WHERE company_id = ?1 AND channel_id = ?2 AND waba_id = ?3 AND removed_at IS NULL
         ORDER BY id"
    );
    let named = conn
        .prepare_cached(&sql)?
        .query_map(params![company_id, channel_id, key], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    if !named.is_empty() {
        return Ok(named);
    }
    let Ok(id) = key.trim().parse::<i64>() else {
        return Ok(Vec::new());
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM waba_templates
         WHERE company_id = ?1 AND channel_id = ?2 AND id = ?3 AND removed_at IS NULL"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![company_id, channel_id, id], from_row)
        .optional()?
        .into_iter()
        .collect())
}

/// Keeps a template send with its delivery job (inside the send's transaction).
pub(super) fn attach_to_job(
    conn: &Connection,
    job_id: i64,
    send: &crate::TemplateSend,
) -> StoreResult<()> {
    let text = serde_json::to_string(send).map_err(|e| StoreError::Database(Box::new(e)))?;
    conn.execute(
        "UPDATE jobs SET template = ?1 WHERE id = ?2",
        params![text, job_id],
    )?;
    Ok(())
}

/// The template send kept with a job, if it has one.
pub(super) fn of_job(conn: &Connection, job_id: i64) -> StoreResult<Option<crate::TemplateSend>> {
    let text: Option<String> = conn
        .prepare_cached("SELECT template FROM jobs WHERE id = ?1")?
        .query_row([job_id], |r| r.get(0))
        .optional()?
        .flatten();
    text.map(|t| serde_json::from_str(&t).map_err(|e| StoreError::Database(Box::new(e))))
        .transpose()
}
