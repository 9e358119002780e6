//! Conversations and the messages that find or create them.

use std::sync::LazyLock;

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::columns::typed;
use super::paging;
use crate::rules::Found;
use crate::{Channel, Contact, Conversation, PageRequest, StoreResult};

pub(super) const COLUMNS: &str = "company_id, id, channel_id, channel_type, sender_external_id, name, avatar, \
     meta, note, assignee_id, bitrix_block_openlines, last_message_at, last_income_message_at, \
     created_at";

pub(super) fn from_row(r: &Row<'_>) -> rusqlite::Result<Conversation> {
    // Nearly every conversation's meta is `{}`: read it in place and skip the parser then.
    let meta = match r.get_ref(7)?.as_str()? {
        "{}" => serde_json::Map::new(),
        text => serde_json::from_str(text).unwrap_or_default(),
    };
    Ok(Conversation {
        company_id: r.get(0)?,
        id: r.get(1)?,
        channel_id: r.get(2)?,
        channel_type: typed(r, 3)?,
        sender_external_id: r.get(4)?,
        name: r.get(5)?,
        avatar: r.get(6)?,
        meta,
        note: r.get(8)?,
        assignee_id: r.get(9)?,
        bitrix_block_openlines: r.get(10)?,
        last_message_at_ms: r.get(11)?,
        last_income_message_at_ms: r.get(12)?,
        created_at_ms: r.get(13)?,
    })
}

/// The next id of a sequence; runs inside the caller's write transaction.
pub(super) fn next_id(conn: &Connection, sequence: &str) -> StoreResult<i64> {
    let mut stmt = conn.prepare_cached(
        "UPDATE sequences SET last_id = last_id + 1 WHERE name = ?1 RETURNING last_id",
    )?;
    // Step the statement to its end (not `query_row`), so it is finished and the WAL
    // checkpoint is never held back by a half-read statement.
    let mut rows = stmt.query([sequence])?;
    let mut id = None;
    while let Some(row) = rows.next()? {
        id = Some(row.get(0)?);
    }
    id.ok_or(crate::StoreError::database(format!(
        "sequence {sequence} is missing"
    )))
}

pub(super) fn list(
    conn: &Connection,
    company_id: i64,
    page: PageRequest,
) -> StoreResult<Vec<Conversation>> {
    let select = format!("SELECT {COLUMNS} FROM conversations WHERE company_id = ?1");
    paging::page(conn, &select, "id", company_id, page, from_row)
}

pub(super) fn get(
    conn: &Connection,
    company_id: i64,
    id: i64,
) -> StoreResult<Option<Conversation>> {
    // Built once: the details request runs it every time.
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!("SELECT {COLUMNS} FROM conversations WHERE company_id = ?1 AND id = ?2")
    });
    Ok(conn
        .prepare_cached(&SQL)?
        .query_row(params![company_id, id], from_row)
        .optional()?)
}

fn by_contact(
    conn: &Connection,
    channel_id: i64,
    sender: &str,
) -> StoreResult<Option<Conversation>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM conversations WHERE channel_id = ?1 AND sender_external_id = ?2"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![channel_id, sender], from_row)
        .optional()?)
}

/// Finds the contact's conversation on the channel (updating a changed name) or creates it,
/// and says which. Runs inside the caller's write transaction.
pub(super) fn find_or_create(
    conn: &Connection,
    channel: &Channel,
    contact: &Contact,
    now_ms: i64,
) -> StoreResult<(Conversation, Found)> {
    if let Some(conversation) = by_contact(conn, channel.id, &contact.sender_external_id)? {
        let Some(name) = contact.name.as_deref().filter(|n| *n != conversation.name) else {
            return Ok((conversation, Found::Unchanged));
        };
        conn.execute(
            "UPDATE conversations SET name = ?1 WHERE company_id = ?2 AND id = ?3",
            params![name, conversation.company_id, conversation.id],
        )?;
        let conversation = get(conn, channel.company_id, conversation.id)?
            .ok_or(crate::StoreError::NotFound("conversation"))?;
        return Ok((conversation, Found::Renamed));
    }
    let id = next_id(conn, "conversations")?;
    let name = contact
        .name
        .as_deref()
        .unwrap_or(&contact.sender_external_id);
    conn.execute(
        "INSERT INTO conversations
           (company_id, id, channel_id, channel_type, sender_external_id, name, created_at,
            activity_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![
            channel.company_id,
            id,
            channel.id,
            channel.provider.as_str(),
            contact.sender_external_id,
            name,
            now_ms
        ],
    )?;
    let conversation =
        get(conn, channel.company_id, id)?.ok_or(crate::StoreError::NotFound("conversation"))?;
    Ok((conversation, Found::Created))
}

pub(super) fn set_note(
    conn: &Connection,
    company_id: i64,
    id: i64,
    note: &str,
) -> StoreResult<bool> {
    let changed = conn.execute(
        "UPDATE conversations SET note = ?1 WHERE company_id = ?2 AND id = ?3",
        params![note, company_id, id],
    )?;
    Ok(changed > 0)
}

pub(super) fn set_assignee(
    conn: &Connection,
    company_id: i64,
    id: i64,
    assignee: Option<i64>,
    now_ms: i64,
) -> StoreResult<bool> {
    let changed = conn.execute(
        "UPDATE conversations SET assignee_id = ?1 WHERE company_id = ?2 AND id = ?3",
        params![assignee, company_id, id],
    )?;
    if let Some(conversation) = get(conn, company_id, id)? {
        let events = crate::rules::on_assigned(&conversation);
        super::events::record(conn, company_id, Some(id), &events, now_ms)?;
    }
    Ok(changed > 0)
}

pub(super) fn set_bitrix(
    conn: &Connection,
    company_id: i64,
    id: i64,
    enabled: Option<bool>,
) -> StoreResult<Option<Conversation>> {
    conn.execute(
        "UPDATE conversations
         SET bitrix_block_openlines = COALESCE(?1, NOT bitrix_block_openlines)
         WHERE company_id = ?2 AND id = ?3",
        params![enabled, company_id, id],
    )?;
    get(conn, company_id, id)
}
