//! Connections to the SQLite file: one writer, a small pool of readers.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::Connection;
use rusqlite::config::DbConfig;

use crate::StoreResult;

/// Opens a connection with the settings every confab connection shares.
pub(super) fn open_connection(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open(path)?;
    // With statistics in the file (after an `ANALYZE`, which SQLite keeps with STAT4
    // samples), the planner would read the bound value of every range parameter, so each
    // new keyset bound re-parsed and re-planned the page query: a fifth of a list's CPU.
    // Confab's queries have one good plan whatever the values; this keeps it.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    // Every query confab makes fits, so none is parsed again after its first use.
    conn.set_prepared_statement_cache_capacity(64);
    // WAL lets readers run beside the one writer; FULL makes an answered write survive a
    // power cut, not only a crash; the size limit keeps the WAL from growing without bound.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 10000;
         PRAGMA journal_size_limit = 67108864;
         PRAGMA mmap_size = 268435456;",
    )?;
    Ok(conn)
}

/// Reader connections, opened on demand and kept for reuse.
#[derive(Clone)]
pub(super) struct ReaderPool {
    path: PathBuf,
    idle: Arc<Mutex<Vec<Connection>>>,
}

/// A reader taken from the pool; it goes back when dropped, so a connection is never lost,
/// even when the request that asked for it has gone away.
pub(super) struct Reader {
    conn: Option<Connection>,
    idle: Arc<Mutex<Vec<Connection>>>,
}

impl ReaderPool {
    pub(super) fn new(path: PathBuf) -> Self {
        Self {
            path,
            idle: Arc::default(),
        }
    }

    /// Readers waiting in the pool for a query.
    pub(super) fn idle(&self) -> usize {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// An idle reader, or a new one.
    pub(super) fn get(&self) -> StoreResult<Reader> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match idle {
            Some(conn) => conn,
            None => {
                let conn = open_connection(&self.path)?;
                conn.execute_batch("PRAGMA query_only = ON;")?;
                conn
            }
        };
        Ok(Reader {
            conn: Some(conn),
            idle: self.idle.clone(),
        })
    }
}

impl std::ops::Deref for Reader {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        // Only `drop` takes the connection out.
        self.conn.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // A connection still inside a transaction would answer later reads from an old
            // snapshot: it is closed instead of kept.
            if !conn.is_autocommit() {
                return;
            }
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            // A burst may open many readers; keep a handful.
            if idle.len() < 16 {
                idle.push(conn);
            }
        }
    }
}

/// Runs `f` inside one read transaction, so all its statements see one snapshot and take
/// the WAL read lock once. BEGIN and ROLLBACK are cached statements: `execute_batch` would
/// parse them on every call.
pub(super) fn in_snapshot<R>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> StoreResult<R>,
) -> StoreResult<R> {
    conn.prepare_cached("BEGIN")?.execute([])?;
    let result = f(conn);
    // Nothing was written, so ROLLBACK just ends it; SQLite may have ended it already
    // after some errors.
    if !conn.is_autocommit() {
        conn.prepare_cached("ROLLBACK")?.execute([])?;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(conn: &Connection) -> StoreResult<i64> {
        Ok(conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?)
    }

    #[test]
    fn a_snapshot_spans_its_statements_and_ends_with_them() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("t.db");
        let writer = open_connection(&path).expect("writer");
        writer
            .execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")
            .expect("schema");
        let pool = ReaderPool::new(path);
        let reader = pool.get().expect("reader");
        let (inside_before, inside_after) = in_snapshot(&reader, |c| {
            let before = count(c)?;
            writer.execute("INSERT INTO t VALUES (2)", [])?;
            Ok((before, count(c)?))
        })
        .expect("snapshot");
        // Both statements saw the snapshot of the first; the next read sees the write.
        assert_eq!((inside_before, inside_after), (1, 1));
        assert!(reader.is_autocommit());
        assert_eq!(count(&reader).expect("count"), 2);

        // A reader given back inside a transaction is closed, not pooled.
        drop(reader);
        assert_eq!(pool.idle(), 1);
        let reader = pool.get().expect("reader");
        reader.execute_batch("BEGIN").expect("begin");
        drop(reader);
        assert_eq!(pool.idle(), 0);
    }
}
