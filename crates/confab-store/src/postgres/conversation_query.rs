//! Filtered and searched conversation lists, and the inbox's tab counts.
//!
//! Search runs on the generated `search` vectors of `conversations` (the contact) and
//! `messages` (the text), each with a GIN index, written with the row itself.

use sqlx::{AssertSqlSafe, PgConnection, Row};

use super::conversations::{COLUMNS, from_row};
use crate::{
    AssigneeFilter, Conversation, ConversationCounts, ConversationFilter, ConversationOrder,
    ConversationQuery, SearchTerms, StoreResult,
};

/// A value bound to a numbered placeholder.
enum Bound {
    Int(i64),
    Text(String),
}

/// The tsquery text for `terms`: every word as a prefix, all of them required. The words
/// are letters and digits only (see [`SearchTerms`]), so none can be an operator.
fn tsquery(terms: &SearchTerms) -> String {
    let words: Vec<String> = terms.words().iter().map(|w| format!("{w}:*")).collect();
    words.join(" & ")
}

/// The `AND ...` conditions of `filter`, with their values pushed onto `values` (`$1` is
/// the company id).
fn conditions(filter: &ConversationFilter, values: &mut Vec<Bound>) -> String {
    let mut sql = String::new();
    let mut bind = |sql: &mut String, fragment: &str, value: Bound| {
        values.push(value);
        sql.push_str(&fragment.replace('#', &format!("${}", values.len())));
    };
    if let Some(channel_id) = filter.channel_id {
        bind(&mut sql, " AND channel_id = #", Bound::Int(channel_id));
    }
    match filter.assignee {
        Some(AssigneeFilter::User(user_id)) => {
            bind(&mut sql, " AND assignee_id = #", Bound::Int(user_id));
        }
        Some(AssigneeFilter::Nobody) => sql.push_str(" AND assignee_id IS NULL"),
        None => {}
    }
    if filter.awaiting_reply {
        sql.push_str(" AND awaiting_reply");
    }
    if let Some(terms) = &filter.search {
        bind(
            &mut sql,
            " AND (search @@ to_tsquery('simple', #)
                   OR id IN (SELECT conversation_id FROM messages
                             WHERE company_id = $1 AND search @@ to_tsquery('simple', #))",
            Bound::Text(tsquery(terms)),
        );
        if let Some(digits) = terms.phone_digits() {
            // Digits only: no LIKE wildcards can come from the user.
            bind(
                &mut sql,
                " OR sender_external_id LIKE #",
                Bound::Text(format!("%{digits}%")),
            );
        }
        sql.push(')');
    }
    sql
}

/// Runs `sql` with `values` bound in order.
async fn fetch(
    conn: &mut PgConnection,
    sql: String,
    values: Vec<Bound>,
) -> StoreResult<Vec<sqlx::postgres::PgRow>> {
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for value in values {
        query = match value {
            Bound::Int(v) => query.bind(v),
            Bound::Text(v) => query.bind(v),
        };
    }
    Ok(query.fetch_all(&mut *conn).await?)
}

/// One page of the company's conversations that pass `query`'s filters, in its order.
pub(super) async fn list(
    conn: &mut PgConnection,
    company_id: i64,
    query: &ConversationQuery,
) -> StoreResult<Vec<Conversation>> {
    let mut values = vec![Bound::Int(company_id)];
    let filters = conditions(&query.filter, &mut values);
    let (op, dir) = if query.descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    let mut keyset = String::new();
    if let Some((sort_key, id)) = query.after {
        keyset = match query.order {
            ConversationOrder::Id => {
                values.push(Bound::Int(id));
                format!(" AND id {op} ${}", values.len())
            }
            ConversationOrder::LastMessage => {
                values.push(Bound::Int(sort_key));
                values.push(Bound::Int(id));
                format!(
                    " AND (activity_at, id) {op} (${}, ${})",
                    values.len() - 1,
                    values.len()
                )
            }
        };
    }
    let order = match query.order {
        ConversationOrder::Id => format!("id {dir}"),
        ConversationOrder::LastMessage => format!("activity_at {dir}, id {dir}"),
    };
    values.push(Bound::Int(i64::from(query.limit)));
    let sql = format!(
        "SELECT {COLUMNS} FROM conversations WHERE company_id = $1{filters}{keyset}
         ORDER BY {order} LIMIT ${limit}",
        limit = values.len()
    );
    fetch(conn, sql, values)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// The tab counts of the company's conversations (on one channel when given); `mine`
/// counts those assigned to `user_id`. A sum over the company's few tally rows, which the
/// trigger of migration 0013 keeps as conversations are written: the cost does not grow
/// with the company.
pub(super) async fn counts(
    conn: &mut PgConnection,
    company_id: i64,
    user_id: i64,
    channel_id: Option<i64>,
) -> StoreResult<ConversationCounts> {
    let row = sqlx::query(
        "SELECT COALESCE(SUM(conversations), 0)::BIGINT,
                COALESCE(SUM(conversations) FILTER (WHERE assignee_id = $2), 0)::BIGINT,
                COALESCE(SUM(conversations) FILTER (WHERE assignee_id = 0), 0)::BIGINT,
                COALESCE(SUM(conversations) FILTER (WHERE awaiting_reply), 0)::BIGINT
         FROM conversation_tallies
         WHERE company_id = $1 AND ($3::BIGINT IS NULL OR channel_id = $3)",
    )
    .bind(company_id)
    .bind(user_id)
    .bind(channel_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(ConversationCounts {
        all: row.try_get(0)?,
        mine: row.try_get(1)?,
        unassigned: row.try_get(2)?,
        awaiting_reply: row.try_get(3)?,
    })
}
