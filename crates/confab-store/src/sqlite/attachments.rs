//! Attachments.

use std::fmt::Write as _;
use std::sync::LazyLock;

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::{Attachment, NewAttachment, StoreResult};

const COLUMNS: &str = "id, company_id, conversation_id, message_id, file_name, mime_type, size, \
     blob_key, source_url, created_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Attachment> {
    Ok(Attachment {
        id: r.get(0)?,
        company_id: r.get(1)?,
        conversation_id: r.get(2)?,
        message_id: r.get(3)?,
        file_name: r.get(4)?,
        mime_type: r.get(5)?,
        size: r.get(6)?,
        blob_key: r.get(7)?,
        source_url: r.get(8)?,
        created_at_ms: r.get(9)?,
    })
}

/// Inserts an attachment, bound to `message_id` when it arrives with a message.
pub(super) fn create(
    conn: &Connection,
    company_id: i64,
    new: &NewAttachment,
    message_id: Option<i64>,
    now_ms: i64,
) -> StoreResult<Attachment> {
    conn.execute(
        "INSERT INTO attachments
           (company_id, conversation_id, message_id, file_name, mime_type, size, blob_key,
            source_url, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            company_id,
            new.conversation_id,
            message_id,
            new.file_name,
            new.mime_type,
            new.size,
            new.blob_key,
            new.source_url,
            now_ms
        ],
    )?;
    Ok(Attachment {
        id: conn.last_insert_rowid(),
        company_id,
        conversation_id: new.conversation_id,
        message_id,
        file_name: new.file_name.clone(),
        mime_type: new.mime_type.clone(),
        size: new.size,
        blob_key: new.blob_key.clone(),
        source_url: new.source_url.clone(),
        created_at_ms: now_ms,
    })
}

/// Stores the files that came with (or were fetched for) an incoming message, bound to it
/// in its conversation (whatever conversation the files name).
pub(super) fn create_incoming(
    conn: &Connection,
    company_id: i64,
    conversation_id: i64,
    message_id: i64,
    files: &[NewAttachment],
    now_ms: i64,
) -> StoreResult<()> {
    for file in files {
        let file = NewAttachment {
            conversation_id,
            ..file.clone()
        };
        create(conn, company_id, &file, Some(message_id), now_ms)?;
    }
    Ok(())
}

pub(super) fn get(conn: &Connection, company_id: i64, id: i64) -> StoreResult<Option<Attachment>> {
    let sql = format!("SELECT {COLUMNS} FROM attachments WHERE company_id = ?1 AND id = ?2");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![company_id, id], from_row)
        .optional()?)
}

/// One statement for every page size: the ids come as one JSON array parameter, so the
/// statement is parsed and planned once per connection and then reused from the cache.
/// (With one `?` per id and the scope written into the text, every page prepared a new
/// statement, which cost more than reading its rows.)
static OF_MESSAGES: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {COLUMNS} FROM attachments
         WHERE company_id = ?1 AND conversation_id = ?2
           AND message_id IN (SELECT value FROM json_each(?3))"
    )
});

/// The attachments bound to any of `message_ids` in one conversation, in upload order.
pub(super) fn of_messages(
    conn: &Connection,
    company_id: i64,
    conversation_id: i64,
    message_ids: &[i64],
) -> StoreResult<Vec<Attachment>> {
    if message_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids = String::with_capacity(message_ids.len() * 8 + 2);
    ids.push('[');
    for (i, id) in message_ids.iter().enumerate() {
        if i > 0 {
            ids.push(',');
        }
        // Writing to a String cannot fail.
        let _ = write!(ids, "{id}");
    }
    ids.push(']');
    // Sorted here, not by ORDER BY id: the planner would then walk the conversation's
    // index in id order, over every attachment it has, to skip a sort of a few rows.
    let mut rows = conn
        .prepare_cached(&OF_MESSAGES)?
        .query_map(params![company_id, conversation_id, ids], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.sort_unstable_by_key(|a: &Attachment| a.id);
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reading a page's attachments must look the messages up, not walk every attachment
    /// of the conversation (which grows without bound in a long-lived conversation).
    #[test]
    fn attachments_of_messages_are_looked_up_by_message() {
        let dir = tempfile::tempdir().expect("dir");
        let mut conn = super::super::pool::open_connection(&dir.path().join("t.db")).expect("open");
        super::super::migrate::run(&mut conn).expect("migrate");
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", *OF_MESSAGES))
            .expect("explain")
            .query_map(params![1, 2, "[1,2,3]"], |r| r.get::<_, String>(3))
            .expect("plan")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        assert!(
            plan.iter().any(|step| {
                step.contains("attachments_by_message") && step.contains("message_id=?")
            }),
            "{plan:?}"
        );
    }
}
