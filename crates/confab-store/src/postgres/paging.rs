//! TODO(postgres): port of sqlite/paging.rs.

#![allow(dead_code, unused_variables, unused_imports)]

use serde_json::{Map, Value};
use sqlx::PgConnection;

use crate::*;

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
