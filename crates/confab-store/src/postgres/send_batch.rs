//! Group commit of sends: concurrent sends share one transaction and its WAL flush.
//!
//! A send is one statement ([`delivery::send`]), but it updates its conversation's row,
//! and a row lock is held until the commit's flush: sends to one conversation used to
//! queue behind each other's flushes, one disk round trip each. Here one task takes every
//! send that is waiting, runs them one after another in one transaction on one
//! connection and commits them together, so a busy conversation's sends wait for one
//! flush per batch, not one each; a lone send is autocommitted as before.
//!
//! A send the rules refuse (an unknown conversation, an attachment already sent) writes
//! nothing, so it does not spoil the batch. When the database fails a statement (a
//! deadlock with another writer, a lost connection), the transaction is rolled back and
//! the batch's sends are retried each alone, side by side, so one send's failure is only
//! its own.
//!
//! A few batches run at a time, each on its own connection, and a batch waits at most
//! [`LOCK_WAIT`] for a row another transaction holds: a conversation held by a slow writer
//! delays the sends batched with its own by that much, not every send of the node.
//!
//! A send handed to the batch is carried out even if its request goes away meanwhile,
//! as a send the SQLite writer thread has taken is.

use std::sync::Arc;

use sqlx::{PgConnection, PgPool};
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::delivery;
use crate::{Job, NewOutgoing, StoreError, StoreResult};

/// Sends committed together at most: bounds the wait of the batch's first send.
const MAX_BATCH: usize = 32;

/// Sends waiting for the batch task; a full queue makes senders wait (back-pressure).
const QUEUE: usize = 1024;

/// Batches being carried out at a time.
const IN_FLIGHT: usize = 4;

/// How long a statement of a batch may wait for another transaction's row lock before the
/// batch gives up and its sends are retried alone.
const LOCK_WAIT: &str = "SET LOCAL lock_timeout = '200ms'";

/// One send waiting for its batch.
struct Pending {
    company_id: i64,
    message: NewOutgoing,
    now_ms: i64,
    answer: oneshot::Sender<StoreResult<Job>>,
}

/// The handle senders queue on; the batch task stops when the last handle is dropped.
pub(super) struct SendBatcher {
    queue: mpsc::Sender<Pending>,
}

impl SendBatcher {
    /// Starts the batch task on the current runtime.
    pub(super) fn start(pool: PgPool) -> Self {
        let (queue, pending) = mpsc::channel(QUEUE);
        tokio::spawn(run(pool, pending));
        Self { queue }
    }

    /// Stores an outgoing message with its job, committed with the sends beside it.
    pub(super) async fn send(
        &self,
        company_id: i64,
        message: NewOutgoing,
        now_ms: i64,
    ) -> StoreResult<Job> {
        let (answer, answered) = oneshot::channel();
        let pending = Pending {
            company_id,
            message,
            now_ms,
            answer,
        };
        if self.queue.send(pending).await.is_err() {
            return Err(StoreError::database("the send batch task has stopped"));
        }
        answered
            .await
            .unwrap_or_else(|_| Err(StoreError::database("the send batch task has stopped")))
    }
}

/// Takes whatever is waiting, up to [`MAX_BATCH`], and commits it, with up to
/// [`IN_FLIGHT`] batches at a time; until the queue closes.
async fn run(pool: PgPool, mut pending: mpsc::Receiver<Pending>) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    loop {
        // A batch is taken only once a slot is free, so sends gather meanwhile.
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let mut batch = Vec::with_capacity(MAX_BATCH);
        if pending.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        let pool = pool.clone();
        tokio::spawn(async move {
            commit(&pool, batch).await;
            drop(slot);
        });
    }
}

/// Carries out a batch and answers each send: together, or, for a lone send or when the
/// database failed the batch, each alone, answered as soon as it is done.
async fn commit(pool: &PgPool, batch: Vec<Pending>) {
    if batch.len() > 1 {
        match together(pool, &batch).await {
            Ok(answers) => {
                for (sent, answer) in batch.into_iter().zip(answers) {
                    answer_to(sent, answer);
                }
                return;
            }
            Err(e) => {
                tracing::debug!(error = %e, sends = batch.len(), "a send batch failed; retrying its sends one by one");
            }
        }
    }
    futures_util::future::join_all(batch.into_iter().map(|p| async move {
        let answer = alone(pool, &p).await;
        answer_to(p, answer);
    }))
    .await;
}

fn answer_to(sent: Pending, answer: StoreResult<Job>) {
    // The sender may have gone away; its send stands all the same.
    let _ = sent.answer.send(answer);
}

/// One autocommitted send.
async fn alone(pool: &PgPool, p: &Pending) -> StoreResult<Job> {
    let mut conn = pool.acquire().await?;
    delivery::send(&mut conn, p.company_id, &p.message, p.now_ms).await
}

/// Every send of the batch in one transaction. `Err` when the database failed one of
/// them or the commit: then nothing of the batch was written.
async fn together(pool: &PgPool, batch: &[Pending]) -> StoreResult<Vec<StoreResult<Job>>> {
    let mut tx = pool.begin().await?;
    match each(&mut tx, batch).await {
        Ok(answers) => {
            tx.commit().await?;
            Ok(answers)
        }
        Err(e) => {
            // Rolled back now, not when the connection is next used: the sends retried
            // alone must not wait for the rows this transaction still holds.
            if let Err(rollback) = tx.rollback().await {
                tracing::debug!(error = %rollback, "rolling back a failed send batch failed");
            }
            Err(e)
        }
    }
}

/// The sends of a batch inside its transaction; `Err` when the database failed one.
async fn each(tx: &mut PgConnection, batch: &[Pending]) -> StoreResult<Vec<StoreResult<Job>>> {
    sqlx::query(LOCK_WAIT).execute(&mut *tx).await?;
    let mut answers = Vec::with_capacity(batch.len());
    for p in batch {
        match delivery::send(tx, p.company_id, &p.message, p.now_ms).await {
            // The database failed: the transaction is aborted.
            Err(e @ StoreError::Database(_)) => return Err(e),
            // Sent, or refused having written nothing.
            answer => answers.push(answer),
        }
    }
    Ok(answers)
}
