//! Keyset paging over id-ordered lists.

use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgConnection};

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
/// with `$1` bound to `scope`; `key` is the id column the list is ordered by, so the
/// page is one range of the `(scope, key)` index.
///
/// `select` and `key` must be fixed SQL written in this crate, never request data: they
/// are pasted into the statement, and only `scope`, the last seen id and the limit are
/// bound (as `$1`, `$2`, `$3`).
pub(super) async fn page<T>(
    conn: &mut PgConnection,
    select: &str,
    key: &str,
    scope: i64,
    page: PageRequest,
    map: fn(&PgRow) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let k = Keyset::from(page);
    let sql = format!(
        "{select} AND {key} {op} $2 ORDER BY {key} {order} LIMIT $3",
        op = k.op,
        order = k.order
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(scope)
        .bind(k.after)
        .bind(k.limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(map).collect()
}
