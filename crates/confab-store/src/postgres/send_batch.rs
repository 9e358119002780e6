//! Group commit of sends: concurrent sends share one transaction and its WAL flush.
//!
//! A send is one statement ([`delivery::send`]), but it updates its conversation's row,
//! and a row lock is held until the commit's flush: sends to one conversation used to
//! queue behind each other's flushes, one disk round trip each. Here the sends of a node
//! go to a few lanes, chosen by conversation, so one conversation's sends always meet in
//! the same lane. A lane takes every send waiting in it, runs them one after another in
//! one transaction on one connection and commits them together: a busy conversation's
//! sends wait for one flush per batch, not one each, and two lanes of a node never wait
//! for each other's rows. A lone send is autocommitted as before.
//!
//! A send the rules refuse (an unknown conversation, an attachment already sent) writes
//! nothing, so it does not spoil the batch. When the database fails a statement (a
//! deadlock with another writer, a lost connection), the transaction is rolled back and
//! the batch's sends are retried each alone, side by side, so one send's failure is only
//! its own. A batch waits at most [`LOCK_WAIT`] for a row another transaction holds, and
//! lone and retried sends run beside the lane rather than in it: a conversation held by
//! a slow writer delays its own sends, not its lane's.
//!
//! A send handed to a lane is carried out even if its request goes away meanwhile, as a
//! send the SQLite writer thread has taken is.

use std::sync::Arc;

use sqlx::{PgConnection, PgPool};
use tokio::sync::{mpsc, oneshot};

use super::delivery;
use crate::{Job, NewOutgoing, StoreError, StoreResult};

/// Sends committed together at most: bounds the wait of the batch's first send.
const MAX_BATCH: usize = 32;

/// Sends waiting in a lane; a full lane makes senders wait (back-pressure).
const QUEUE: usize = 1024;

/// Lanes of a node: batches carried out at a time.
const LANES: usize = 4;

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

/// The handle senders queue on; the lanes stop when the last handle is dropped.
pub(super) struct SendBatcher {
    lanes: Vec<mpsc::Sender<Pending>>,
}

impl SendBatcher {
    /// Starts the lanes on the current runtime.
    pub(super) fn start(pool: PgPool) -> Self {
        let pool = Arc::new(pool);
        let lanes = (0..LANES)
            .map(|_| {
                let (queue, pending) = mpsc::channel(QUEUE);
                tokio::spawn(lane(pool.clone(), pending));
                queue
            })
            .collect();
        Self { lanes }
    }

    /// Stores an outgoing message with its job, committed with the sends beside it.
    pub(super) async fn send(
        &self,
        company_id: i64,
        message: NewOutgoing,
        now_ms: i64,
    ) -> StoreResult<Job> {
        let stopped = || StoreError::database("the send lanes have stopped");
        let lane = usize::try_from(message.conversation_id.rem_euclid(LANES as i64))
            .ok()
            .and_then(|n| self.lanes.get(n))
            .ok_or_else(stopped)?;
        let (answer, answered) = oneshot::channel();
        let pending = Pending {
            company_id,
            message,
            now_ms,
            answer,
        };
        lane.send(pending).await.map_err(|_| stopped())?;
        answered.await.unwrap_or_else(|_| Err(stopped()))
    }
}

/// One lane: takes whatever is waiting in it, up to [`MAX_BATCH`], and commits it; until
/// its queue closes.
async fn lane(pool: Arc<PgPool>, mut pending: mpsc::Receiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while pending.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let taken = std::mem::replace(&mut batch, Vec::with_capacity(MAX_BATCH));
        if taken.len() == 1 {
            tokio::spawn(each_alone(pool.clone(), taken));
            continue;
        }
        match together(&pool, &taken).await {
            Ok(answers) => {
                for (sent, answer) in taken.into_iter().zip(answers) {
                    answer_to(sent, answer);
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, sends = taken.len(), "a send batch failed; retrying its sends one by one");
                tokio::spawn(each_alone(pool.clone(), taken));
            }
        }
    }
}

/// Each send autocommitted on its own, side by side, each answered when done.
async fn each_alone(pool: Arc<PgPool>, sends: Vec<Pending>) {
    futures_util::future::join_all(sends.into_iter().map(|p| {
        let pool = pool.clone();
        async move {
            let answer = alone(&pool, &p).await;
            answer_to(p, answer);
        }
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
