//! Where a write that is one atomic statement runs: on a pooled connection in autocommit
//! (one round trip, no `BEGIN`/`COMMIT`), unless the request holds an idempotency key,
//! whose marking must commit with the write in one transaction.

use std::ops::{Deref, DerefMut};

use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, Postgres, Transaction};

use crate::StoreResult;

/// A connection for one write statement; [`SingleWrite::finish`] makes it durable.
pub(super) enum SingleWrite {
    /// No idempotency key: the statement commits on its own.
    Autocommit(PoolConnection<Postgres>),
    /// The request's key is marked written first in this transaction.
    Marked(Transaction<'static, Postgres>),
}

impl SingleWrite {
    /// Commits the marked transaction; an autocommitted statement already is durable.
    /// Dropping a `SingleWrite` without finishing rolls a marked transaction back.
    pub(super) async fn finish(self) -> StoreResult<()> {
        if let Self::Marked(tx) = self {
            tx.commit().await?;
        }
        Ok(())
    }
}

impl Deref for SingleWrite {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        match self {
            Self::Autocommit(conn) => conn,
            Self::Marked(tx) => tx,
        }
    }
}

impl DerefMut for SingleWrite {
    fn deref_mut(&mut self) -> &mut PgConnection {
        match self {
            Self::Autocommit(conn) => conn,
            Self::Marked(tx) => tx,
        }
    }
}
