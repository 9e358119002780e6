//! Conversations and the messages that find or create them.

use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgConnection, Row};

use super::columns::typed;
use super::paging;
use crate::rules::Found;
use crate::{Channel, Contact, Conversation, PageRequest, StoreError, StoreResult};

pub(super) const COLUMNS: &str = "company_id, id, channel_id, channel_type, sender_external_id, name, avatar, \
     meta, note, assignee_id, bitrix_block_openlines, last_message_at, last_income_message_at, \
     created_at";

/// A conversation from a row of [`COLUMNS`].
pub(super) fn from_row(r: &PgRow) -> StoreResult<Conversation> {
    from_row_at(r, 0)
}

/// A conversation from the [`COLUMNS`] of a row that starts at column `base`.
pub(super) fn from_row_at(r: &PgRow, base: usize) -> StoreResult<Conversation> {
    let meta: String = r.try_get(base + 7)?;
    Ok(Conversation {
        company_id: r.try_get(base)?,
        id: r.try_get(base + 1)?,
        channel_id: r.try_get(base + 2)?,
        channel_type: typed(r, base + 3)?,
        sender_external_id: r.try_get(base + 4)?,
        name: r.try_get(base + 5)?,
        avatar: r.try_get(base + 6)?,
        // Written by this server as a JSON object; anything else reads as empty, as on
        // SQLite.
        meta: serde_json::from_str(&meta).unwrap_or_default(),
        note: r.try_get(base + 8)?,
        assignee_id: r.try_get(base + 9)?,
        bitrix_block_openlines: r.try_get(base + 10)?,
        last_message_at_ms: r.try_get(base + 11)?,
        last_income_message_at_ms: r.try_get(base + 12)?,
        created_at_ms: r.try_get(base + 13)?,
    })
}

/// The next id of `sequence` (`conversations` or `messages`), from the database sequence
/// every node shares, so ids are unique across nodes and never reused.
pub(super) async fn next_id(conn: &mut PgConnection, sequence: &str) -> StoreResult<i64> {
    // Only the sequences the schema defines, named in fixed SQL: the name never reaches
    // the statement.
    let sql = match sequence {
        "conversations" => "SELECT nextval('conversations_id_seq')",
        "messages" => "SELECT nextval('messages_id_seq')",
        _ => {
            return Err(StoreError::database(format!(
                "sequence {sequence} is missing"
            )));
        }
    };
    Ok(sqlx::query_scalar(sql).fetch_one(&mut *conn).await?)
}

/// One page of the company's conversations, by id.
pub(super) async fn list(
    conn: &mut PgConnection,
    company_id: i64,
    page: PageRequest,
) -> StoreResult<Vec<Conversation>> {
    let select = format!("SELECT {COLUMNS} FROM conversations WHERE company_id = $1");
    paging::page(conn, &select, "id", company_id, page, from_row).await
}

/// The company's conversation `id`.
pub(super) async fn get(
    conn: &mut PgConnection,
    company_id: i64,
    id: i64,
) -> StoreResult<Option<Conversation>> {
    let sql = format!("SELECT {COLUMNS} FROM conversations WHERE company_id = $1 AND id = $2");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(company_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The contact's conversation on the channel.
async fn by_contact(
    conn: &mut PgConnection,
    channel: &Channel,
    sender: &str,
) -> StoreResult<Option<Conversation>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM conversations
         WHERE channel_id = $1 AND sender_external_id = $2 AND company_id = $3"
    );
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(channel.id)
        .bind(sender)
        .bind(channel.company_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Finds the contact's conversation on the channel (updating a changed name) or creates it,
/// and says which. Runs inside the caller's write transaction.
pub(super) async fn find_or_create(
    conn: &mut PgConnection,
    channel: &Channel,
    contact: &Contact,
    now_ms: i64,
) -> StoreResult<(Conversation, Found)> {
    // Look first: nearly every message belongs to a conversation that exists, and this
    // way those do not use up a sequence value.
    if let Some(found) = by_contact(conn, channel, &contact.sender_external_id).await? {
        return rename(conn, found, contact).await;
    }
    let id = next_id(conn, "conversations").await?;
    let name = contact
        .name
        .as_deref()
        .unwrap_or(&contact.sender_external_id);
    // Another node may create the same contact's conversation between the look above and
    // this insert. ON CONFLICT waits for that node's transaction and then inserts nothing,
    // without failing (and so aborting) this transaction.
    let sql = format!(
        "INSERT INTO conversations
           (company_id, id, channel_id, channel_type, sender_external_id, name, created_at,
            activity_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
         ON CONFLICT (channel_id, sender_external_id) DO NOTHING
         RETURNING {COLUMNS}"
    );
    let inserted = sqlx::query(AssertSqlSafe(sql))
        .bind(channel.company_id)
        .bind(id)
        .bind(channel.id)
        .bind(channel.provider.as_str())
        .bind(&contact.sender_external_id)
        .bind(name)
        .bind(now_ms)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = inserted else {
        // Read committed: this statement sees the row the other node committed.
        let found = by_contact(conn, channel, &contact.sender_external_id)
            .await?
            .ok_or(StoreError::NotFound("conversation"))?;
        return rename(conn, found, contact).await;
    };
    Ok((from_row(&row)?, Found::Created))
}

/// Gives an existing conversation the contact's name when it brings a different one.
async fn rename(
    conn: &mut PgConnection,
    conversation: Conversation,
    contact: &Contact,
) -> StoreResult<(Conversation, Found)> {
    let Some(name) = contact.name.as_deref().filter(|n| *n != conversation.name) else {
        return Ok((conversation, Found::Unchanged));
    };
    // The name test is repeated in the UPDATE: when two nodes bring the same new name at
    // once, the second waits for the first's row lock, then finds nothing to change, so
    // the rename is announced once.
    let sql = format!(
        "UPDATE conversations SET name = $1
         WHERE company_id = $2 AND id = $3 AND name <> $1
         RETURNING {COLUMNS}"
    );
    let updated = sqlx::query(AssertSqlSafe(sql))
        .bind(name)
        .bind(conversation.company_id)
        .bind(conversation.id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = updated else {
        let current = get(conn, conversation.company_id, conversation.id)
            .await?
            .ok_or(StoreError::NotFound("conversation"))?;
        return Ok((current, Found::Unchanged));
    };
    Ok((from_row(&row)?, Found::Renamed))
}

/// Sets the conversation's note; false when the company has no such conversation.
pub(super) async fn set_note(
    conn: &mut PgConnection,
    company_id: i64,
    id: i64,
    note: &str,
) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE conversations SET note = $1 WHERE company_id = $2 AND id = $3")
        .bind(note)
        .bind(company_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Sets or clears the conversation's assignee; false when the company has no such
/// conversation.
pub(super) async fn set_assignee(
    conn: &mut PgConnection,
    company_id: i64,
    id: i64,
    assignee: Option<i64>,
    now_ms: i64,
) -> StoreResult<bool> {
    let done =
        sqlx::query("UPDATE conversations SET assignee_id = $1 WHERE company_id = $2 AND id = $3")
            .bind(assignee)
            .bind(company_id)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    if let Some(conversation) = get(conn, company_id, id).await? {
        let events = crate::rules::on_assigned(&conversation);
        super::events::record(conn, company_id, Some(id), &events, now_ms).await?;
    }
    Ok(done.rows_affected() > 0)
}

/// Sets the Bitrix open-lines block, or flips it when `enabled` is `None`; the
/// conversation as it is afterwards, `None` when the company has no such conversation.
pub(super) async fn set_bitrix(
    conn: &mut PgConnection,
    company_id: i64,
    id: i64,
    enabled: Option<bool>,
) -> StoreResult<Option<Conversation>> {
    // Flipped in the statement, not read and written back, so two flips never collapse
    // into one.
    let sql = format!(
        "UPDATE conversations
         SET bitrix_block_openlines = COALESCE($1, NOT bitrix_block_openlines)
         WHERE company_id = $2 AND id = $3
         RETURNING {COLUMNS}"
    );
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(enabled)
        .bind(company_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}
