//! Typed columns read from PostgreSQL rows without copying their text.

use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::Ack;
use crate::codec::{Column, decode_ack};

/// The typed value of text column `idx` (a position or a name).
pub(super) fn typed<T: Column, I>(r: &PgRow, idx: I) -> sqlx::Result<T>
where
    I: sqlx::ColumnIndex<PgRow> + std::fmt::Display + Copy,
{
    let text: &str = r.try_get(idx)?;
    T::decode(text).map_err(|e| sqlx::Error::ColumnDecode {
        index: idx.to_string(),
        source: Box::new(e),
    })
}

/// The ack of integer column `idx` (a position or a name).
pub(super) fn ack<I>(r: &PgRow, idx: I) -> sqlx::Result<Ack>
where
    I: sqlx::ColumnIndex<PgRow> + std::fmt::Display + Copy,
{
    let n: i32 = r.try_get(idx)?;
    decode_ack(n).map_err(|e| sqlx::Error::ColumnDecode {
        index: idx.to_string(),
        source: Box::new(e),
    })
}
