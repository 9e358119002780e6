//! Attachments.

use rusqlite::{Connection, OptionalExtension, params};

use crate::{Attachment, NewAttachment, StoreResult};

pub(super) fn create(
    conn: &Connection,
    company_id: i64,
    new: &NewAttachment,
    now_ms: i64,
) -> StoreResult<Attachment> {
    conn.execute(
        "INSERT INTO attachments
           (company_id, conversation_id, file_name, mime_type, size, blob_key, source_url, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            company_id,
            new.conversation_id,
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
        message_id: None,
        file_name: new.file_name.clone(),
        mime_type: new.mime_type.clone(),
        size: new.size,
        blob_key: new.blob_key.clone(),
        source_url: new.source_url.clone(),
        created_at_ms: now_ms,
    })
}

pub(super) fn get(conn: &Connection, company_id: i64, id: i64) -> StoreResult<Option<Attachment>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, company_id, conversation_id, message_id, file_name, mime_type, size,
                    blob_key, source_url, created_at
             FROM attachments WHERE company_id = ?1 AND id = ?2",
        )?
        .query_row(params![company_id, id], |r| {
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
        })
        .optional()?)
}
