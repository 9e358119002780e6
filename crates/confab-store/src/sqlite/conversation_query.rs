//! Filtered and searched conversation lists, and the inbox's tab counts.
//!
//! Search runs on the FTS5 tables `message_search` and `contact_search`, which triggers
//! fill in the transaction that writes the message or the conversation.

use rusqlite::types::Value;
use rusqlite::{Connection, params, params_from_iter};

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
    let (sql, values) = statement(company_id, query);
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params_from_iter(values), from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The page query of [`list`] and its values.
fn statement(company_id: i64, query: &ConversationQuery) -> (String, Vec<Value>) {
    let mut values = vec![Value::Integer(company_id)];
    let filters = conditions(&query.filter, &mut values);
    let (op, dir) = if query.descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    // The index is named, not left to the planner: with statistics it may prefer the
    // contact index for `channel_id = ?` and then sort every match, a cost that grows with
    // the list. The table itself is the id order (WITHOUT ROWID, keyed on company and id).
    let (source, key, order) = match query.order {
        ConversationOrder::Id => ("NOT INDEXED", "id", format!("id {dir}")),
        ConversationOrder::LastMessage => (
            "INDEXED BY conversations_by_activity",
            "(activity_at, id)",
            format!("activity_at {dir}, id {dir}"),
        ),
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
        "SELECT {COLUMNS} FROM conversations {source} WHERE company_id = ?1{filters}{keyset}
         ORDER BY {order} LIMIT ?{limit}",
        limit = values.len()
    );
    (sql, values)
}

/// The tab counts of the company's conversations (on one channel when given); `mine`
/// counts those assigned to `user_id`. A sum over the company's few tally rows, which the
/// triggers of migration 0015 keep as conversations are written: the cost does not grow
/// with the company.
pub(super) fn counts(
    conn: &Connection,
    company_id: i64,
    user_id: i64,
    channel_id: Option<i64>,
) -> StoreResult<ConversationCounts> {
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE(SUM(conversations), 0),
                    COALESCE(SUM(CASE WHEN assignee_id = ?2 THEN conversations END), 0),
                    COALESCE(SUM(CASE WHEN assignee_id = 0 THEN conversations END), 0),
                    COALESCE(SUM(CASE WHEN awaiting_reply THEN conversations END), 0)
             FROM conversation_tallies
             WHERE company_id = ?1 AND (?3 IS NULL OR channel_id = ?3)",
        )?
        .query_row(params![company_id, user_id, channel_id], |r| {
            Ok(ConversationCounts {
                all: r.get(0)?,
                mine: r.get(1)?,
                unassigned: r.get(2)?,
                awaiting_reply: r.get(3)?,
            })
        })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plan of `query`'s page statement, one line per step.
    fn plan(conn: &Connection, query: &ConversationQuery) -> StoreResult<String> {
        let (sql, values) = statement(1, query);
        let lines = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?
            .query_map(params_from_iter(values), |r| r.get::<_, String>(3))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(lines.join("\n"))
    }

    /// Every page, first or deep, filtered or not, is one walk of an index in the list's
    /// order from the key on: never a sort of everything that matches.
    #[test]
    fn pages_walk_an_index_in_order() -> StoreResult<()> {
        let dir = tempfile::tempdir().map_err(|e| crate::StoreError::database(e.to_string()))?;
        let mut conn = super::super::pool::open_connection(&dir.path().join("t.db"))?;
        super::super::migrate::run(&mut conn)?;
        let filters = [
            ConversationFilter::default(),
            ConversationFilter {
                assignee: Some(AssigneeFilter::Nobody),
                channel_id: Some(3),
                awaiting_reply: true,
                search: None,
            },
            ConversationFilter {
                search: SearchTerms::parse("привет 7926"),
                ..ConversationFilter::default()
            },
        ];
        for filter in filters {
            for order in [ConversationOrder::Id, ConversationOrder::LastMessage] {
                for (after, descending) in [(None, false), (Some((5, 9)), true)] {
                    let query = ConversationQuery {
                        filter: filter.clone(),
                        order,
                        after,
                        descending,
                        limit: 51,
                    };
                    let plan = plan(&conn, &query)?;
                    assert!(
                        !plan.contains("TEMP B-TREE FOR ORDER BY"),
                        "{query:?}\n{plan}"
                    );
                    let index = match order {
                        ConversationOrder::Id => "PRIMARY KEY",
                        ConversationOrder::LastMessage => "conversations_by_activity",
                    };
                    assert!(plan.contains(index), "{query:?}\n{plan}");
                }
            }
        }
        Ok(())
    }
}
