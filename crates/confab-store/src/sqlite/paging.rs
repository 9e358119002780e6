//! Keyset paging over id-ordered lists.

use crate::PageRequest;

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
