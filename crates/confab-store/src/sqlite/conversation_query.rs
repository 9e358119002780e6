//! Filtered and searched conversation lists, and the inbox's tab counts.
//!
//! Search runs on the FTS5 tables `message_search` and `contact_search`, which triggers
//! fill in the transaction that writes the message or the conversation.

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

use super::conversations::{COLUMNS, from_row};
use crate::{
    AssigneeFilter, Conversation, ConversationCounts, ConversationFilter, ConversationOrder,
    ConversationQuery, SearchTerms, StoreResult,
};

/// The FTS5 query for `terms`: every word as a quoted prefix, all of them required. The
/// words are letters and digits only (see [`SearchTerms`]), so quoting cannot be broken.
fn fts_query(terms: &SearchTerms) -> String {
    let words: Vec<String> = terms.words().iter().map(|w| format!("\"{w}\"*")).collect();
    words.join(" ")
}

/// The `AND ...` conditions of `filter`, with their values pushed onto `values` (`?1` is
/// the company id).
fn conditions(filter: &ConversationFilter, values: &mut Vec<Value>) -> String {
    let mut sql = String::new();
    let mut bind = |sql: &mut String, fragment: &str, value: Value| {
        values.push(value);
        sql.push_str(&fragment.replace('#', &format!("?{}", values.len())));
    };
    if let Some(channel_id) = filter.channel_id {
        bind(&mut sql, " AND channel_id = #", Value::Integer(channel_id));
    }
    match filter.assignee {
        Some(AssigneeFilter::User(user_id)) => {
            bind(&mut sql, " AND assignee_id = #", Value::Integer(user_id));
        }
        Some(AssigneeFilter::Nobody) => sql.push_str(" AND assignee_id IS NULL"),
        None => {}
    }
    if filter.awaiting_reply {
        sql.push_str(" AND awaiting_reply");
    }
    if let Some(terms) = &filter.search {
        let fts = fts_query(terms);
        bind(
            &mut sql,
            " AND (id IN (SELECT conversation_id FROM message_search
                          WHERE message_search MATCH # AND company_id = ?1)",
            Value::Text(fts.clone()),
        );
        bind(
            &mut sql,
            " OR id IN (SELECT rowid FROM contact_search
                        WHERE contact_search MATCH # AND company_id = ?1)",
            Value::Text(fts),
        );
        if let Some(digits) = terms.phone_digits() {
            // Digits only: no LIKE wildcards can come from the user.
            bind(
                &mut sql,
                " OR sender_external_id LIKE #",
                Value::Text(format!("%{digits}%")),
            );
        }
        sql.push(')');
    }
    sql
}

/// One page of the company's conversations that pass `query`'s filters, in its order.
pub(super) fn list(
    conn: &Connection,
    company_id: i64,
    query: &ConversationQuery,
) -> StoreResult<Vec<Conversation>> {
    let mut values = vec![Value::Integer(company_id)];
    let filters = conditions(&query.filter, &mut values);
    let (op, dir) = if query.descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    let (key, order) = match query.order {
        ConversationOrder::Id => ("id", format!("id {dir}")),
        ConversationOrder::LastMessage => {
            ("(activity_at, id)", format!("activity_at {dir}, id {dir}"))
        }
    };
    let mut keyset = String::new();
    if let Some((sort_key, id)) = query.after {
        match query.order {
            ConversationOrder::Id => values.push(Value::Integer(id)),
            ConversationOrder::LastMessage => {
                values.push(Value::Integer(sort_key));
                values.push(Value::Integer(id));
            }
        }
        let bound = match query.order {
            ConversationOrder::Id => format!("?{}", values.len()),
            ConversationOrder::LastMessage => {
                format!("(?{}, ?{})", values.len() - 1, values.len())
            }
        };
        keyset = format!(" AND {key} {op} {bound}");
    }
    values.push(Value::Integer(i64::from(query.limit)));
    let sql = format!(
        "SELECT {COLUMNS} FROM conversations WHERE company_id = ?1{filters}{keyset}
         ORDER BY {order} LIMIT ?{limit}",
        limit = values.len()
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params_from_iter(values), from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The tab counts of the company's conversations (on one channel when given); `mine`
/// counts those assigned to `user_id`.
pub(super) fn counts(
    conn: &Connection,
    company_id: i64,
    user_id: i64,
    channel_id: Option<i64>,
) -> StoreResult<ConversationCounts> {
    let filter = ConversationFilter {
        channel_id,
        ..ConversationFilter::default()
    };
    let mut values = vec![Value::Integer(company_id), Value::Integer(user_id)];
    let filters = conditions(&filter, &mut values);
    let sql = format!(
        "SELECT COUNT(*), COALESCE(SUM(assignee_id = ?2), 0),
                COALESCE(SUM(assignee_id IS NULL), 0), COALESCE(SUM(awaiting_reply), 0)
         FROM conversations WHERE company_id = ?1{filters}"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params_from_iter(values), |r| {
            Ok(ConversationCounts {
                all: r.get(0)?,
                mine: r.get(1)?,
                unassigned: r.get(2)?,
                awaiting_reply: r.get(3)?,
            })
        })?)
}
