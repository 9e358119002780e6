//! Attachments.

use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgConnection, Row};

use crate::{Attachment, NewAttachment, StoreResult};

const COLUMNS: &str = "id, company_id, conversation_id, message_id, file_name, mime_type, size, \
     blob_key, source_url, created_at";

/// An attachment from a row of [`COLUMNS`].
fn from_row(r: &PgRow) -> StoreResult<Attachment> {
    Ok(Attachment {
        id: r.try_get(0)?,
        company_id: r.try_get(1)?,
        conversation_id: r.try_get(2)?,
        message_id: r.try_get(3)?,
        file_name: r.try_get(4)?,
        mime_type: r.try_get(5)?,
        size: r.try_get(6)?,
        blob_key: r.try_get(7)?,
        source_url: r.try_get(8)?,
        created_at_ms: r.try_get(9)?,
    })
}

/// Inserts an attachment, bound to `message_id` when it arrives with a message.
pub(super) async fn create(
    conn: &mut PgConnection,
    company_id: i64,
    new: &NewAttachment,
    message_id: Option<i64>,
    now_ms: i64,
) -> StoreResult<Attachment> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO attachments
           (company_id, conversation_id, message_id, file_name, mime_type, size, blob_key,
            source_url, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         RETURNING id",
    )
    .bind(company_id)
    .bind(new.conversation_id)
    .bind(message_id)
    .bind(&new.file_name)
    .bind(&new.mime_type)
    .bind(new.size)
    .bind(&new.blob_key)
    .bind(&new.source_url)
    .bind(now_ms)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Attachment {
        id,
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
pub(super) async fn create_incoming(
    conn: &mut PgConnection,
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
        create(conn, company_id, &file, Some(message_id), now_ms).await?;
    }
    Ok(())
}

/// The company's attachment `id`.
pub(super) async fn get(
    conn: &mut PgConnection,
    company_id: i64,
    id: i64,
) -> StoreResult<Option<Attachment>> {
    let sql = format!("SELECT {COLUMNS} FROM attachments WHERE company_id = $1 AND id = $2");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(company_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The attachments bound to any of `message_ids` in one conversation, in upload order.
pub(super) async fn of_messages(
    conn: &mut PgConnection,
    company_id: i64,
    conversation_id: i64,
    message_ids: &[i64],
) -> StoreResult<Vec<Attachment>> {
    of_messages_anywhere(conn, company_id, &[conversation_id], message_ids).await
}

/// The attachments bound to any of `message_ids` in any of the company's conversations
/// `conversation_ids`, in upload order (the range of `attachments_by_message`).
pub(super) async fn of_messages_anywhere(
    conn: &mut PgConnection,
    company_id: i64,
    conversation_ids: &[i64],
    message_ids: &[i64],
) -> StoreResult<Vec<Attachment>> {
    if message_ids.is_empty() {
        return Ok(Vec::new());
    }
    // The ids go as array parameters, so every page size shares one prepared statement.
    let sql = format!(
        "SELECT {COLUMNS} FROM attachments
         WHERE company_id = $1 AND conversation_id = ANY($2) AND message_id = ANY($3)
         ORDER BY id"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(company_id)
        .bind(conversation_ids)
        .bind(message_ids)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(from_row).collect()
}
