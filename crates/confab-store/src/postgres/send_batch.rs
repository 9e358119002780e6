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
//! each send of the batch is retried alone, so one send's failure is only its own.
//!
//! A send handed to the batch is carried out even if its request goes away meanwhile,
//! as a send the SQLite writer thread has taken is.

use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};

use super::delivery;
use crate::{Job, NewOutgoing, StoreError, StoreResult};

/// Sends committed together at most: bounds the wait of the batch's first send.
const MAX_BATCH: usize = 32;

/// Sends waiting for the batch task; a full queue makes senders wait (back-pressure).
const QUEUE: usize = 1024;

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

/// Takes whatever is waiting, up to [`MAX_BATCH`], and commits it; until the queue closes.
async fn run(pool: PgPool, mut pending: mpsc::Receiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while pending.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let answers = commit(&pool, &batch).await;
        for (sent, answer) in batch.drain(..).zip(answers) {
            // The sender may have gone away; its send stands all the same.
            let _ = sent.answer.send(answer);
        }
    }
}

/// Carries out a batch and answers each send, in the batch's order.
async fn commit(pool: &PgPool, batch: &[Pending]) -> Vec<StoreResult<Job>> {
    if batch.len() > 1 {
        match together(pool, batch).await {
            Ok(answers) => return answers,
            Err(e) => {
                tracing::debug!(error = %e, sends = batch.len(), "a send batch failed; retrying its sends one by one");
            }
        }
    }
    let mut answers = Vec::with_capacity(batch.len());
    for p in batch {
        answers.push(alone(pool, p).await);
    }
    answers
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
    let mut answers = Vec::with_capacity(batch.len());
    for p in batch {
        match delivery::send(&mut tx, p.company_id, &p.message, p.now_ms).await {
            // The database failed: the transaction is aborted.
            Err(e @ StoreError::Database(_)) => return Err(e),
            // Sent, or refused having written nothing.
            answer => answers.push(answer),
        }
    }
    tx.commit().await?;
    Ok(answers)
}
