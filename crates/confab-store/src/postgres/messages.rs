//! Message rows: insert, read one, pages by (created_at, id), acks.

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::attachments;
use crate::{
    Ack, Conversation, JobState, Message, MessagePageRequest, Receipt, StoreResult, rules,
};

/// The columns [`from_row`] reads. A macro rather than a `const`, so every statement is
/// one `&'static str` (sqlx takes those without `AssertSqlSafe` and caches them).
macro_rules! columns {
    () => {
        "id, conversation_id, channel_id, income, body, ack, send_to_crm, created_at, job_id, \
         external_public_id, interactive"
    };
}

fn from_row(r: &PgRow) -> sqlx::Result<Message> {
    let interactive: Option<String> = r.try_get("interactive")?;
    Ok(Message {
        id: r.try_get("id")?,
        conversation_id: r.try_get("conversation_id")?,
        channel_id: r.try_get("channel_id")?,
        income: r.try_get("income")?,
        body: r.try_get("body")?,
        ack: super::columns::ack(r, "ack")?,
        send_to_crm: r.try_get("send_to_crm")?,
        created_at_ms: r.try_get("created_at")?,
        job_id: r.try_get("job_id")?,
        external_public_id: r.try_get("external_public_id")?,
        // As on SQLite: a value that no longer parses reads as absent rather than failing
        // the whole conversation.
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

/// Stores a message in the conversation (its search vector is a generated column) and
/// moves its last-message times and whether it awaits a reply. Runs inside the caller's
/// transaction.
pub(super) async fn insert(
    conn: &mut PgConnection,
    conversation: &Conversation,
    message: &NewMessage<'_>,
    now_ms: i64,
) -> StoreResult<i64> {
    // The sequence is shared by every node, so ids never collide across the cluster.
    let id: i64 = sqlx::query_scalar("SELECT nextval('messages_id_seq')")
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO messages
           (conversation_id, id, company_id, channel_id, income, body, ack, send_to_crm,
            interactive, external_public_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(conversation.id)
    .bind(id)
    .bind(conversation.company_id)
    .bind(conversation.channel_id)
    .bind(message.income)
    .bind(message.body)
    .bind(message.ack.as_i32())
    .bind(message.send_to_crm)
    .bind(message.interactive)
    .bind(message.external_public_id)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    let income_time = message.income.then_some(now_ms);
    sqlx::query(
        "UPDATE conversations SET last_message_at = $1, activity_at = $1,
             last_income_message_at = COALESCE($2, last_income_message_at),
             awaiting_reply = $5
         WHERE company_id = $3 AND id = $4",
    )
    .bind(now_ms)
    .bind(income_time)
    .bind(conversation.company_id)
    .bind(conversation.id)
    .bind(message.income)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// Fills in the attachments of a batch of messages of one conversation with one query.
async fn with_attachments(
    conn: &mut PgConnection,
    company_id: i64,
    conversation_id: i64,
    mut messages: Vec<Message>,
) -> StoreResult<Vec<Message>> {
    if messages.is_empty() {
        return Ok(messages);
    }
    let ids: Vec<i64> = messages.iter().map(|m| m.id).collect();
    for attachment in attachments::of_messages(conn, company_id, conversation_id, &ids).await? {
        if let Some(m) = messages
            .iter_mut()
            .find(|m| Some(m.id) == attachment.message_id)
        {
            m.attachments.push(attachment);
        }
    }
    Ok(messages)
}

/// One message of the company's conversation, with its attachments.
pub(super) async fn get(
    conn: &mut PgConnection,
    company_id: i64,
    conversation_id: i64,
    id: i64,
) -> StoreResult<Option<Message>> {
    let found = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM messages WHERE conversation_id = $1 AND id = $2 AND company_id = $3"
    ))
    .bind(conversation_id)
    .bind(id)
    .bind(company_id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| from_row(&r))
    .transpose()?;
    Ok(with_attachments(
        conn,
        company_id,
        conversation_id,
        found.into_iter().collect(),
    )
    .await?
    .pop())
}

/// One page of the conversation's messages, keyed on (created_at, id): one range of the
/// `messages_by_time` index in either direction.
pub(super) async fn list(
    conn: &mut PgConnection,
    company_id: i64,
    conversation_id: i64,
    page: MessagePageRequest,
) -> StoreResult<Vec<Message>> {
    // Two fixed statements rather than one with pasted-in operators, so both stay
    // `&'static str` and prepared once per connection.
    let (sql, (after_time, after_id)) = if page.descending {
        (
            concat!(
                "SELECT ",
                columns!(),
                " FROM messages
                 WHERE conversation_id = $1 AND company_id = $2 AND (created_at, id) < ($3, $4)
                 ORDER BY created_at DESC, id DESC LIMIT $5"
            ),
            page.after.unwrap_or((i64::MAX, i64::MAX)),
        )
    } else {
        (
            concat!(
                "SELECT ",
                columns!(),
                " FROM messages
                 WHERE conversation_id = $1 AND company_id = $2 AND (created_at, id) > ($3, $4)
                 ORDER BY created_at ASC, id ASC LIMIT $5"
            ),
            page.after.unwrap_or((i64::MIN, i64::MIN)),
        )
    };
    let rows = sqlx::query(sql)
        .bind(conversation_id)
        .bind(company_id)
        .bind(after_time)
        .bind(after_id)
        .bind(i64::from(page.limit))
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(from_row)
        .collect::<sqlx::Result<Vec<_>>>()?;
    with_attachments(conn, company_id, conversation_id, rows).await
}

/// The last message of each of the company's conversations `conversation_ids`, in that
/// order: two round trips (the messages, then their attachments) whatever the count.
pub(super) async fn last_of(
    conn: &mut PgConnection,
    company_id: i64,
    conversation_ids: &[i64],
) -> StoreResult<Vec<Option<Message>>> {
    if conversation_ids.is_empty() {
        return Ok(Vec::new());
    }
    // One index probe of `messages_by_time` per conversation, from the newest end.
    let sql = concat!(
        "SELECT last.* FROM unnest($2::BIGINT[]) AS wanted(conversation_id)
         CROSS JOIN LATERAL (
             SELECT ",
        columns!(),
        " FROM messages m
             WHERE m.conversation_id = wanted.conversation_id AND m.company_id = $1
             ORDER BY m.created_at DESC, m.id DESC LIMIT 1) last"
    );
    let mut found = sqlx::query(sql)
        .bind(company_id)
        .bind(conversation_ids)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(from_row)
        .collect::<sqlx::Result<Vec<_>>>()?;
    let message_ids: Vec<i64> = found.iter().map(|m| m.id).collect();
    for attachment in
        attachments::of_messages_anywhere(conn, company_id, conversation_ids, &message_ids).await?
    {
        if let Some(m) = found
            .iter_mut()
            .find(|m| Some(m.id) == attachment.message_id)
        {
            m.attachments.push(attachment);
        }
    }
    Ok(conversation_ids
        .iter()
        .map(|id| {
            found
                .iter()
                .position(|m| m.conversation_id == *id)
                .map(|at| found.swap_remove(at))
        })
        .collect())
}

/// Moves the ack forward (never back) and records what that causes; returns the message
/// and whether the ack moved.
pub(super) async fn advance_ack(
    conn: &mut PgConnection,
    company_id: i64,
    conversation_id: i64,
    id: i64,
    ack: Ack,
    now_ms: i64,
) -> StoreResult<Option<(Message, bool)>> {
    let Some(before) = get(conn, company_id, conversation_id, id).await? else {
        return Ok(None);
    };
    if !rules::ack_advances(before.ack, ack) {
        return Ok(Some((before, false)));
    }
    // The guard repeats the rule in the statement: it is re-checked on the newest row
    // version when two nodes race on the same message, so only one of them moves it and
    // announces it.
    let moved = sqlx::query(
        "UPDATE messages SET ack = $1
         WHERE conversation_id = $2 AND id = $3 AND company_id = $4 AND ack < $1",
    )
    .bind(ack.as_i32())
    .bind(conversation_id)
    .bind(id)
    .bind(company_id)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        > 0;
    if !moved {
        let current = get(conn, company_id, conversation_id, id).await?;
        return Ok(current.map(|m| (m, false)));
    }
    let message = Message { ack, ..before };
    if let Some(conversation) = super::conversations::get(conn, company_id, conversation_id).await?
    {
        let events = rules::on_receipt(&conversation, id, ack, moved);
        super::events::record(conn, company_id, Some(conversation_id), &events, now_ms).await?;
    }
    Ok(Some((message, true)))
}

/// Applies a messenger's receipt to the outgoing message it knows as `external_id` on
/// `channel_id` (see [`rules::receipt_moves`]); a failure also ends the message's job.
pub(super) async fn apply_receipt(
    conn: &mut PgConnection,
    channel_id: i64,
    external_id: &str,
    receipt: &Receipt,
    now_ms: i64,
) -> StoreResult<Option<(Message, bool)>> {
    // The row lock makes receipts of one message from several nodes apply one after the
    // other, each to the ack the last one left (a guard alone would drop the loser's).
    let row = sqlx::query(
        "SELECT company_id, conversation_id, id FROM messages
         WHERE channel_id = $1 AND external_public_id = $2 AND NOT income
         ORDER BY id LIMIT 1
         FOR UPDATE",
    )
    .bind(channel_id)
    .bind(external_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let company_id: i64 = row.try_get(0)?;
    let conversation_id: i64 = row.try_get(1)?;
    let id: i64 = row.try_get(2)?;
    let Some(before) = get(conn, company_id, conversation_id, id).await? else {
        return Ok(None);
    };
    let Some(ack) = rules::receipt_moves(before.ack, receipt) else {
        return Ok(Some((before, false)));
    };
    // Under the lock the guard always holds; it stays as a second line of defence.
    let moved = sqlx::query(
        "UPDATE messages SET ack = $1 WHERE conversation_id = $2 AND id = $3 AND ack = $4",
    )
    .bind(ack.as_i32())
    .bind(conversation_id)
    .bind(id)
    .bind(before.ack.as_i32())
    .execute(&mut *conn)
    .await?
    .rows_affected()
        > 0;
    if !moved {
        let current = get(conn, company_id, conversation_id, id).await?;
        return Ok(current.map(|m| (m, false)));
    }
    if let (Receipt::Failed { reason }, Some(job_id)) = (receipt, before.job_id) {
        sqlx::query(
            "UPDATE jobs SET state = $1, reason = $2, executed_at = COALESCE(executed_at, $3)
             WHERE id = $4",
        )
        .bind(JobState::NotDelivered.as_str())
        .bind(reason)
        .bind(now_ms)
        .bind(job_id)
        .execute(&mut *conn)
        .await?;
    }
    let message = Message { ack, ..before };
    if let Some(conversation) = super::conversations::get(conn, company_id, conversation_id).await?
    {
        let events = rules::on_receipt(&conversation, id, ack, true);
        super::events::record(conn, company_id, Some(conversation_id), &events, now_ms).await?;
    }
    Ok(Some((message, true)))
}

/// Whether the channel has a conversation with the contact.
pub(super) async fn contact_known(
    conn: &mut PgConnection,
    channel_id: i64,
    sender_external_id: &str,
) -> StoreResult<bool> {
    Ok(sqlx::query(
        "SELECT 1 FROM conversations WHERE channel_id = $1 AND sender_external_id = $2 LIMIT 1",
    )
    .bind(channel_id)
    .bind(sender_external_id)
    .fetch_optional(&mut *conn)
    .await?
    .is_some())
}
