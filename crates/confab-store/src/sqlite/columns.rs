//! Typed columns read from SQLite rows without copying their text.

use rusqlite::Row;
use rusqlite::types::Type;

use crate::Ack;
use crate::codec::{Column, decode_ack};

/// The typed value of text column `idx`.
pub(super) fn typed<T: Column>(r: &Row<'_>, idx: usize) -> rusqlite::Result<T> {
    let text = r.get_ref(idx)?.as_str()?;
    T::decode(text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
}

/// The ack of integer column `idx`.
pub(super) fn ack(r: &Row<'_>, idx: usize) -> rusqlite::Result<Ack> {
    let n: i32 = r.get(idx)?;
    decode_ack(n)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Integer, Box::new(e)))
}
