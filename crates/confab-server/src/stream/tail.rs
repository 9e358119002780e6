//! One reader of a company's event log per node, shared by all of that company's open
//! streams.
//!
//! Why: the store's signal wakes every stream on every event, and a stream that reads the
//! store itself makes one event cost a read and a render per open stream: a thousand
//! streams on one company turned 50 events a second into 50,000 queries a second and held
//! PostgreSQL half a second behind. A tail reads each new stretch of the log once, renders
//! each body once, and hands the result to every subscribed stream, which only filters.
//!
//! The store stays the only source of events: a stream reads the store itself until it is
//! caught up (a resume, a reset), and again whenever a chunk does not start where it is
//! (it subscribed late) or it fell behind the broadcast (`Lagged`). So the tail is an
//! optimisation of the common case and never the reason an event is missed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use confab_store::{EventQuery, LoggedEvent, Store};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::app::App;

/// Chunks a subscriber may fall behind by before it reads the store itself.
const BACKLOG: usize = 256;
/// Events one read of the tail takes.
const READ: u32 = 500;

/// One event as every stream sends it.
#[derive(Debug)]
pub struct SharedEvent {
    /// The event id.
    pub id: i64,
    /// Its label (`message.new`).
    pub label: String,
    /// The conversation it is about, for the `conversation_id` filter.
    pub conversation_id: Option<i64>,
    /// The webhook body, compact JSON, rendered once.
    pub body: String,
}

/// A stretch of the company's log: every event with an id in `(after, next_after]`.
#[derive(Debug)]
pub struct Chunk {
    /// The stretch starts after this id.
    pub after: i64,
    /// And ends with this one: a stream that took the chunk is at `next_after`.
    pub next_after: i64,
    /// The company's events in the stretch, oldest first.
    pub events: Vec<SharedEvent>,
}

/// A running tail; its task stops when the last subscription is dropped.
struct Running {
    sender: broadcast::Sender<Arc<Chunk>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One stream's place on its company's tail.
pub struct Subscription {
    /// The chunks published since the subscription.
    pub chunks: broadcast::Receiver<Arc<Chunk>>,
    _tail: Arc<Running>,
}

/// The tails of one node, one per company with open streams.
#[derive(Clone, Default)]
pub struct Tails {
    running: Arc<Mutex<HashMap<i64, Weak<Running>>>>,
}

impl std::fmt::Debug for Tails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tails").finish_non_exhaustive()
    }
}

impl Tails {
    /// A subscription to `company_id`'s tail, started if it is not running. Subscribe
    /// before the stream's own first read, so no chunk falls between the two.
    pub fn subscribe(
        &self,
        app: &Arc<App>,
        company_id: i64,
        closing: &CancellationToken,
    ) -> Subscription {
        let mut running = self
            .running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(tail) = running.get(&company_id).and_then(Weak::upgrade) {
            return Subscription {
                chunks: tail.sender.subscribe(),
                _tail: tail,
            };
        }
        running.retain(|_, tail| tail.strong_count() > 0);
        let (sender, chunks) = broadcast::channel(BACKLOG);
        let task = tokio::spawn(follow(
            app.clone(),
            company_id,
            sender.clone(),
            closing.clone(),
        ));
        let tail = Arc::new(Running { sender, task });
        running.insert(company_id, Arc::downgrade(&tail));
        Subscription {
            chunks,
            _tail: tail,
        }
    }
}

fn shared(app: &App, event: &LoggedEvent) -> SharedEvent {
    SharedEvent {
        id: event.id,
        label: event.label.clone(),
        conversation_id: event.conversation_id,
        body: crate::render::webhook::body(event.company_id, &event.event, app.now_ms())
            .to_string(),
    }
}

/// The tail's task: from the head on, reads each new stretch of the log once and
/// publishes its events. Ends when the server closes (dropping the sender ends every
/// subscriber), or is aborted with its last subscription.
async fn follow(
    app: Arc<App>,
    company_id: i64,
    sender: broadcast::Sender<Arc<Chunk>>,
    closing: CancellationToken,
) {
    let store: Arc<dyn Store> = app.store.clone();
    let mut signal = store.event_signal();
    // Where the last published chunk ended: the next one starts here, so a subscriber can
    // tell whether it missed anything.
    let mut published = None;
    let mut cursor = None;
    loop {
        signal.borrow_and_update();
        loop {
            let query = EventQuery {
                after: cursor,
                limit: READ,
                ..EventQuery::default()
            };
            let batch = match store.read_events(company_id, query).await {
                Ok(batch) => batch,
                Err(e) => {
                    // Subscribers read the store themselves on the next chunk that does
                    // not start where they are; the tail tries again on the next change.
                    tracing::warn!(company_id, error = %e, "reading events for a tail failed");
                    break;
                }
            };
            let after = published.or(cursor).unwrap_or(batch.next_after);
            if batch.expired {
                // Events behind the tail were pruned (it was stuck that long): the next chunk
                // starts past every subscriber, who then reads the store and gets the reset.
                published = Some(batch.next_after);
            } else if !batch.events.is_empty() {
                let chunk = Chunk {
                    after,
                    next_after: batch.next_after,
                    events: batch.events.iter().map(|e| shared(&app, e)).collect(),
                };
                // No subscriber right now is fine: the last one's drop ends this task.
                sender.send(Arc::new(chunk)).ok();
                published = Some(batch.next_after);
            } else if published.is_none() {
                published = Some(after);
            }
            cursor = Some(batch.next_after);
            if !batch.has_more {
                break;
            }
        }
        tokio::select! {
            () = closing.cancelled() => return,
            changed = signal.changed() => if changed.is_err() { return },
        }
    }
}
