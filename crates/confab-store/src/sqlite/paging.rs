//! Keyset paging over id-ordered lists.

use rusqlite::{Connection, Row, params};

use crate::{PageRequest, StoreResult};

/// The SQL fragments and bound values for one page: `id > after ORDER BY id ASC` or
/// `id < after ORDER BY id DESC`, with an open bound on the first page.
pub(super) struct Keyset {
    /// The comparison operator against the last seen id.
    pub op: &'static str,
    /// `ASC` or `DESC`.
    pub order: &'static str,
    /// The last seen id, or the extreme that admits every row.
    pub after: i64,
    /// The row limit.
    pub limit: i64,
}

impl From<PageRequest> for Keyset {
    fn from(page: PageRequest) -> Self {
        if page.descending {
            Keyset {
                op: "<",
                order: "DESC",
                after: page.after.unwrap_or(i64::MAX),
                limit: i64::from(page.limit),
            }
        } else {
            Keyset {
                op: ">",
                order: "ASC",
                after: page.after.unwrap_or(i64::MIN),
                limit: i64::from(page.limit),
            }
        }
    }
}

/// One page of an id-ordered list: `select` is the query up to its `WHERE` conditions,
/// with `?1` bound to `scope`; `key` is the id column the list is ordered by.
pub(super) fn page<T>(
    conn: &Connection,
    select: &str,
    key: &str,
    scope: i64,
    page: PageRequest,
    map: fn(&Row<'_>) -> rusqlite::Result<T>,
) -> StoreResult<Vec<T>> {
    let k = Keyset::from(page);
    let sql = format!(
        "{select} AND {key} {op} ?2 ORDER BY {key} {order} LIMIT ?3",
        op = k.op,
        order = k.order
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params![scope, k.after, k.limit], map)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The ids an `UPDATE ... RETURNING id` gives, in ascending order. The statement is
/// stepped to its end (not read with `query_row`), so it finishes and never holds back
/// the WAL checkpoint (see DESIGN.md).
pub(super) fn returned_ids(mut rows: rusqlite::Rows<'_>) -> StoreResult<Vec<i64>> {
    let mut ids = Vec::new();
    while let Some(row) = rows.next()? {
        ids.push(row.get::<_, i64>(0)?);
    }
    ids.sort_unstable();
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use rusqlite::StatementStatus;

    use super::*;

    /// After an `ANALYZE` (STAT4 samples in the file), paging to new bounds must reuse the
    /// cached plan instead of parsing and planning the query again for every page.
    #[test]
    fn pages_reuse_their_plan_after_analyze() {
        let dir = tempfile::tempdir().expect("dir");
        let conn = super::super::pool::open_connection(&dir.path().join("t.db")).expect("open");
        conn.execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, scope INTEGER NOT NULL);
             CREATE INDEX t_scope ON t (scope, id);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000)
             INSERT INTO t (id, scope) SELECT i, i % 4 FROM n;
             ANALYZE;",
        )
        .expect("schema and statistics");
        let select = "SELECT id FROM t WHERE scope = ?1";
        let ids = |r: &Row<'_>| r.get::<_, i64>(0);
        let mut after = None;
        for _ in 0..20 {
            let request = PageRequest {
                after,
                limit: 50,
                descending: true,
            };
            let rows = page(&conn, select, "id", 1, request, ids).expect("page");
            assert_eq!(rows.len(), 50);
            after = rows.last().copied();
        }
        let sql = format!("{select} AND id < ?2 ORDER BY id DESC LIMIT ?3");
        let reprepared = conn
            .prepare_cached(&sql)
            .expect("cached")
            .get_status(StatementStatus::RePrepare);
        assert_eq!(reprepared, 0, "the page query was planned again per page");
    }
}
