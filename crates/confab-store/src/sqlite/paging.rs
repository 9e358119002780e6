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
