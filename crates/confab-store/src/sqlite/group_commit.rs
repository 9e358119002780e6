//! The one writer connection, on a thread of its own, committing writes in groups.
//!
//! A durable commit costs one fsync of the WAL, and an fsync costs the same for one write
//! as for a hundred. So the writer takes every write waiting in its queue, runs each in a
//! savepoint of one `BEGIN IMMEDIATE` transaction (a failing write rolls back only its
//! own changes), commits once, and only then answers them all. Nothing is acknowledged
//! before it is on disk; under load, many writes share one fsync.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use rusqlite::{Connection, Transaction, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

use crate::{StoreError, StoreResult};

/// Most writes one transaction takes, so a long queue still gets answers in steady steps.
const MAX_GROUP: usize = 512;

/// A write waiting for the writer: run inside the group's transaction, then told whether
/// the group committed.
trait Job: Send {
    /// Runs the write in a savepoint of `tx`, keeping its result for `finish`; false when
    /// its changes could not be rolled back, so the whole group must be.
    fn run(&mut self, tx: &Transaction<'_>) -> bool;
    /// Answers the caller: its own result if the group committed, else the commit's error.
    fn finish(self: Box<Self>, committed: Result<(), String>);
}

struct Write<R, F> {
    work: Option<F>,
    result: Option<StoreResult<R>>,
    reply: oneshot::Sender<StoreResult<R>>,
}

impl<R, F> Job for Write<R, F>
where
    R: Send,
    F: FnOnce(&Transaction<'_>) -> StoreResult<R> + Send,
{
    fn run(&mut self, tx: &Transaction<'_>) -> bool {
        let Some(work) = self.work.take() else {
            return true;
        };
        let (result, sound) = in_savepoint(tx, work);
        self.result = Some(result);
        sound
    }

    fn finish(self: Box<Self>, committed: Result<(), String>) {
        let answer = match (committed, self.result) {
            (Ok(()), Some(result)) => result,
            (Ok(()), None) => Err(StoreError::database("the write did not run")),
            (Err(e), _) => Err(StoreError::database(e)),
        };
        // The caller may have gone away (client disconnected); the write stands anyway.
        self.reply.send(answer).ok();
    }
}

/// Runs `work` between `SAVEPOINT` and `RELEASE`, rolling back to the savepoint when it
/// fails or panics, so the other writes of the group are unaffected. The flag is false
/// when the rollback itself failed and the transaction can no longer be trusted.
fn in_savepoint<R>(
    tx: &Transaction<'_>,
    work: impl FnOnce(&Transaction<'_>) -> StoreResult<R>,
) -> (StoreResult<R>, bool) {
    if let Err(e) = tx.execute_batch("SAVEPOINT write") {
        return (Err(e.into()), false);
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| work(tx)))
        .unwrap_or_else(|_| Err(StoreError::database("a store write panicked")));
    let undo = match &outcome {
        Ok(_) => "RELEASE write",
        Err(_) => "ROLLBACK TO write; RELEASE write",
    };
    match tx.execute_batch(undo) {
        Ok(()) => (outcome, true),
        Err(e) => (Err(e.into()), false),
    }
}

/// The handle writes are sent through; the writer thread stops when every handle is gone.
#[derive(Clone)]
pub(super) struct Writer {
    // Declared (so dropped) before `_thread`, which is held for its drop only: when the
    // last handle goes, every sender is gone before the thread is waited for.
    queue: mpsc::UnboundedSender<Box<dyn Job>>,
    _thread: Arc<WriterThread>,
}

/// The writer thread, joined when the last handle is dropped: it finishes what is queued
/// and closes its connection first, so whoever opens the database next (the bench loader
/// switching the journal mode, a restarted store) does not race a connection that is
/// still going away.
struct WriterThread(Option<std::thread::JoinHandle<()>>);

impl Drop for WriterThread {
    fn drop(&mut self) {
        if let Some(thread) = self.0.take() {
            // A handle dropped by the writer itself cannot wait for itself.
            if thread.thread().id() != std::thread::current().id() {
                // A panic of the writer was already reported to every waiting write.
                thread.join().ok();
            }
        }
    }
}

impl Writer {
    /// Moves `conn` to a new writer thread; `recorded` is called after each commit that
    /// inserted events into the log.
    pub(super) fn start(
        conn: Connection,
        recorded: impl Fn() + Send + 'static,
    ) -> StoreResult<Self> {
        let (queue, jobs) = mpsc::unbounded_channel();
        let thread = std::thread::Builder::new()
            .name("confab-sqlite-writer".to_owned())
            .spawn(move || run(conn, jobs, recorded))
            .map_err(|e| StoreError::database(format!("cannot start the writer thread: {e}")))?;
        Ok(Self {
            queue,
            _thread: Arc::new(WriterThread(Some(thread))),
        })
    }

    /// Runs `f` in the next group's transaction; answers once that group is on disk.
    pub(super) async fn write<R, F>(&self, f: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> StoreResult<R> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Write {
            work: Some(f),
            result: None,
            reply,
        };
        self.queue
            .send(Box::new(job))
            .map_err(|_| StoreError::database("the writer thread has stopped"))?;
        answer
            .await
            .map_err(|_| StoreError::database("the writer thread has stopped"))?
    }
}

/// The writer thread: waits for a write, takes whatever else is queued, commits the group.
fn run(mut conn: Connection, mut jobs: mpsc::UnboundedReceiver<Box<dyn Job>>, recorded: impl Fn()) {
    let mut group: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_GROUP);
    while let Some(first) = jobs.blocking_recv() {
        group.push(first);
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let committed = commit_group(&mut conn, &mut group);
        // Taken whatever happened, so a rolled-back group's events do not linger.
        if super::events::take_recorded() && committed.is_ok() {
            recorded();
        }
        for job in group.drain(..) {
            job.finish(committed.clone());
        }
    }
}

fn commit_group(conn: &mut Connection, group: &mut [Box<dyn Job>]) -> Result<(), String> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| format!("cannot begin a write: {e}"))?;
    for job in group.iter_mut() {
        if !job.run(&tx) {
            // Dropping the transaction rolls every write of the group back.
            return Err("a write could not be rolled back alone; the group was undone".to_owned());
        }
    }
    tx.commit().map_err(|e| format!("cannot commit: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writer() -> (tempfile::TempDir, Writer, std::path::PathBuf) {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("t.db");
        let conn = Connection::open(&path).expect("open");
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER UNIQUE)")
            .expect("schema");
        (dir, Writer::start(conn, || {}).expect("start"), path)
    }

    fn stored(path: &std::path::Path) -> Vec<i64> {
        let conn = Connection::open(path).expect("open");
        let mut stmt = conn.prepare("SELECT x FROM t ORDER BY x").expect("prepare");
        stmt.query_map([], |r| r.get(0))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_failing_or_panicking_write_is_undone_alone() {
        let (_dir, writer, path) = writer();
        let writes = (0..200_i64).map(|i| {
            let writer = writer.clone();
            tokio::spawn(async move {
                writer
                    .write(move |tx| {
                        tx.execute("INSERT INTO t (x) VALUES (?1)", [i])?;
                        match i % 50 {
                            // Changed something, then failed: the change must go.
                            7 => {
                                tx.execute("INSERT INTO t (x) VALUES (?1)", [1000 + i])?;
                                Err(StoreError::NotFound("x"))
                            }
                            // A broken rule of the database, after a change.
                            8 => tx
                                .execute("INSERT INTO t (x) VALUES (?1)", [i])
                                .map(|_| ())
                                .map_err(StoreError::from),
                            9 => panic!("write {i} panics"),
                            _ => Ok(()),
                        }
                    })
                    .await
            })
        });
        let mut ok = Vec::new();
        for (i, handle) in (0..200_i64).zip(writes.collect::<Vec<_>>()) {
            match handle.await.expect("task") {
                Ok(()) => ok.push(i),
                Err(_) => assert!(matches!(i % 50, 7..=9), "write {i} failed"),
            }
        }
        assert_eq!(ok.len(), 200 - 12);
        assert_eq!(stored(&path), ok, "exactly the answered writes are stored");
        // The writer goes on after all that.
        writer
            .write(|tx| Ok(tx.execute("INSERT INTO t (x) VALUES (5000)", [])?))
            .await
            .expect("write after failures");
        assert!(stored(&path).contains(&5000));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_last_handle_dropped_releases_the_database() {
        for round in 0..5 {
            let (_dir, writer, path) = writer();
            let copy = writer.clone();
            // Megabytes in the WAL, so closing the connection (which checkpoints them into
            // the file) takes long enough for a racing open to see it.
            writer
                .write(|tx| {
                    Ok(tx.execute_batch(
                        "ALTER TABLE t ADD COLUMN pad BLOB;
                         INSERT INTO t (x, pad)
                           WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
                                                   WHERE i < 4000)
                           SELECT i, randomblob(1000) FROM n",
                    )?)
                })
                .await
                .expect("write");
            drop(writer);
            drop(copy);
            // Leaving WAL mode needs the database to itself, and there is no busy timeout:
            // the writer's connection must already be closed.
            let conn = Connection::open(&path).expect("open");
            let mode: String = conn
                .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
                .unwrap_or_else(|e| panic!("round {round}: the database is still held: {e}"));
            assert_eq!(mode, "delete", "round {round}");
        }
    }
}
