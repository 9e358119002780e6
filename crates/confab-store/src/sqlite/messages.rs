//! Message rows: insert, read one, pages by (created_at, id), acks.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::attachments;
use super::conversations::next_id;
use crate::{
    Ack, Conversation, JobState, Message, MessagePageRequest, Receipt, StoreResult, rules,
};

const COLUMNS: &str = "id, conversation_id, channel_id, income, body, ack, send_to_crm, \
     created_at, job_id, external_public_id, interactive";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Message> {
    let interactive: Option<String> = r.get(10)?;
    Ok(Message {
        id: r.get(0)?,
        conversation_id: r.get(1)?,
        channel_id: r.get(2)?,
        income: r.get(3)?,
        body: r.get(4)?,
        ack: super::columns::ack(r, 5)?,
        send_to_crm: r.get(6)?,
        created_at_ms: r.get(7)?,
        job_id: r.get(8)?,
        external_public_id: r.get(9)?,
        interactive: interactive.and_then(|text| serde_json::from_str(&text).ok()),
        attachments: Vec::new(),
    })
}

/// A message to store with [`insert`].
pub(super) struct NewMessage<'a> {
    pub income: bool,
    pub body: &'a str,
    pub ack: Ack,
    pub send_to_crm: bool,
    pub interactive: Option<&'a str>,
    /// The messenger's id of an incoming message a real connector received.
    pub external_public_id: Option<&'a str>,
}

/// Stores a message in the conversation and moves its last-message times and whether it
/// awaits a reply (the message is indexed for search by a trigger). Runs inside the
/// caller's write transaction.
pub(super) fn insert(
    conn: &Connection,
    conversation: &Conversation,
    message: &NewMessage<'_>,
    now_ms: i64,
) -> StoreResult<i64> {
    let id = next_id(conn, "messages")?;
    conn.execute(
        "INSERT INTO messages
           (conversation_id, id, company_id, channel_id, income, body, ack, send_to_crm,
            interactive, external_public_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            conversation.id,
            id,
            conversation.company_id,
            conversation.channel_id,
            message.income,
            message.body,
            message.ack.as_i32(),
            message.send_to_crm,
            message.interactive,
            message.external_public_id,
            now_ms
        ],
    )?;
    let income_time = message.income.then_some(now_ms);
    conn.execute(
        "UPDATE conversations SET last_message_at = ?1, activity_at = ?1,
             last_income_message_at = COALESCE(?2, last_income_message_at),
             awaiting_reply = ?5
         WHERE company_id = ?3 AND id = ?4",
        params![
            now_ms,
            income_time,
            conversation.company_id,
            conversation.id,
            message.income
        ],
    )?;
    Ok(id)
}

/// Fills in the attachments of a batch of messages of one conversation with one query.
fn with_attachments(
    conn: &Connection,
    company_id: i64,
    conversation_id: i64,
    mut messages: Vec<Message>,
) -> StoreResult<Vec<Message>> {
    let ids: Vec<i64> = messages.iter().map(|m| m.id).collect();
    for attachment in attachments::of_messages(conn, company_id, conversation_id, &ids)? {
        if let Some(m) = messages
            .iter_mut()
            .find(|m| Some(m.id) == attachment.message_id)
        {
            m.attachments.push(attachment);
        }
    }
    Ok(messages)
}

pub(super) fn get(
    conn: &Connection,
    company_id: i64,
    conversation_id: i64,
    id: i64,
) -> StoreResult<Option<Message>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM messages WHERE conversation_id = ?1 AND id = ?2 AND company_id = ?3"
    );
    let found = conn
        .prepare_cached(&sql)?
        .query_row(params![conversation_id, id, company_id], from_row)
        .optional()?;
    Ok(with_attachments(
        conn,
        company_id,
        conversation_id,
        found.into_iter().collect(),
    )?
    .pop())
}

/// The last message of each of the company's conversations `conversation_ids`, in that
/// order, from one snapshot.
pub(super) fn last_of(
    conn: &Connection,
    company_id: i64,
    conversation_ids: &[i64],
) -> StoreResult<Vec<Option<Message>>> {
    let last = MessagePageRequest {
        after: None,
        descending: true,
        limit: 1,
    };
    conversation_ids
        .iter()
        .map(|&id| Ok(list(conn, company_id, id, last)?.pop()))
        .collect()
}

pub(super) fn list(
    conn: &Connection,
    company_id: i64,
    conversation_id: i64,
    page: MessagePageRequest,
) -> StoreResult<Vec<Message>> {
    let (op, order, (after_time, after_id)) = if page.descending {
        ("<", "DESC", page.after.unwrap_or((i64::MAX, i64::MAX)))
    } else {
        (">", "ASC", page.after.unwrap_or((i64::MIN, i64::MIN)))
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM messages INDEXED BY messages_by_time
         WHERE conversation_id = ?1 AND company_id = ?2 AND (created_at, id) {op} (?3, ?4)
         ORDER BY created_at {order}, id {order} LIMIT ?5"
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(
            params![
                conversation_id,
                company_id,
                after_time,
                after_id,
                i64::from(page.limit)
            ],
            from_row,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    with_attachments(conn, company_id, conversation_id, rows)
}

/// Moves the ack forward (never back) and records what that causes; returns the message
/// and whether the ack moved.
pub(super) fn advance_ack(
    conn: &Connection,
    company_id: i64,
    conversation_id: i64,
    id: i64,
    ack: Ack,
    now_ms: i64,
) -> StoreResult<Option<(Message, bool)>> {
    let Some(before) = get(conn, company_id, conversation_id, id)? else {
        return Ok(None);
    };
    if !rules::ack_advances(before.ack, ack) {
        return Ok(Some((before, false)));
    }
    // The guard repeats the rule in the statement, so the row can never move back.
    let moved = conn.execute(
        "UPDATE messages SET ack = ?1
         WHERE conversation_id = ?2 AND id = ?3 AND company_id = ?4 AND ack < ?1",
        params![ack.as_i32(), conversation_id, id, company_id],
    )? > 0;
    if !moved {
        return Ok(Some((before, false)));
    }
    let message = Message { ack, ..before };
    if let Some(conversation) = super::conversations::get(conn, company_id, conversation_id)? {
        let events = rules::on_receipt(&conversation, id, ack, moved);
        super::events::record(conn, company_id, Some(conversation_id), &events, now_ms)?;
    }
    Ok(Some((message, true)))
}

/// Applies a messenger's receipt to the outgoing message it knows as `external_id` on
/// `channel_id` (see [`rules::receipt_moves`]); a failure also ends the message's job.
pub(super) fn apply_receipt(
    conn: &Connection,
    channel_id: i64,
    external_id: &str,
    receipt: &Receipt,
    now_ms: i64,
) -> StoreResult<Option<(Message, bool)>> {
    let row: Option<(i64, i64, i64)> = conn
        .prepare_cached(
            "SELECT company_id, conversation_id, id FROM messages
             WHERE channel_id = ?1 AND external_public_id = ?2 AND income = 0
             ORDER BY id LIMIT 1",
        )?
        .query_row(params![channel_id, external_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let Some((company_id, conversation_id, id)) = row else {
        return Ok(None);
    };
    let Some(before) = get(conn, company_id, conversation_id, id)? else {
        return Ok(None);
    };
    let Some(ack) = rules::receipt_moves(before.ack, receipt) else {
        return Ok(Some((before, false)));
    };
    // The guard repeats the rule's premise: the row moves only from the ack it was read at.
    let moved = conn.execute(
        "UPDATE messages SET ack = ?1 WHERE conversation_id = ?2 AND id = ?3 AND ack = ?4",
        params![ack.as_i32(), conversation_id, id, before.ack.as_i32()],
    )? > 0;
    if !moved {
        return Ok(Some((before, false)));
    }
    if let (Receipt::Failed { reason }, Some(job_id)) = (receipt, before.job_id) {
        conn.execute(
            "UPDATE jobs SET state = ?1, reason = ?2, executed_at = COALESCE(executed_at, ?3)
             WHERE id = ?4",
            params![JobState::NotDelivered.as_str(), reason, now_ms, job_id],
        )?;
    }
    let message = Message { ack, ..before };
    if let Some(conversation) = super::conversations::get(conn, company_id, conversation_id)? {
        let events = rules::on_receipt(&conversation, id, ack, true);
        super::events::record(conn, company_id, Some(conversation_id), &events, now_ms)?;
    }
    Ok(Some((message, true)))
}

/// Whether the channel has a conversation with the contact.
pub(super) fn contact_known(
    conn: &Connection,
    channel_id: i64,
    sender_external_id: &str,
) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM conversations WHERE channel_id = ?1 AND sender_external_id = ?2 LIMIT 1",
        )?
        .query_row(params![channel_id, sender_external_id], |_| Ok(()))
        .optional()?
        .is_some())
}
