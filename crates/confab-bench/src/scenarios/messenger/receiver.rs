//! The company webhook receiver of the messenger scenarios: a bare axum route on loopback
//! that answers 200 at once and notes when each probe's `message` `new` webhook came, and
//! the `message` `ack` webhooks a messenger's delivery statuses cause.
//!
//! The server delivers one company's webhooks one at a time, so the receiver's own time
//! is on the measured path: it parses the body and takes a short lock, nothing more.

use std::collections::HashSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use anyhow::Context as _;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::sse::{NOT_RECEIVED, PROBE, micros_since};

/// What the receiver saw.
struct Seen {
    epoch: Instant,
    /// When each probe's incoming `message` `new` came (µs since the epoch), by sequence.
    receipts: Mutex<Vec<u32>>,
    /// Probe webhooks received (first arrivals only).
    received: AtomicU64,
    /// Probe webhooks received again.
    duplicates: AtomicU64,
    /// The `message` `ack` webhooks beyond "sent".
    acks: Mutex<Acks>,
}

/// The `message` `ack` webhooks of acks beyond "sent" (1, which confab's own send sets):
/// the ones a messenger's delivered and read statuses cause.
#[derive(Debug, Clone, Default)]
pub struct Acks {
    /// Webhooks received (each is one ack change applied).
    pub applied: u64,
    /// When the last came (µs since the epoch).
    pub last_us: u32,
    /// The messages whose ack reached "read" (3).
    pub read: HashSet<i64>,
}

/// A running receiver; it stops when dropped.
pub struct Receiver {
    /// `http://127.0.0.1:PORT/hook`, the company's `webhook_url`.
    pub url: String,
    seen: Arc<Seen>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Receiver {
    /// Starts a receiver for `probes` probe messages, timing them from `epoch`.
    pub async fn start(probes: usize, epoch: Instant) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .context("binding the webhook receiver")?;
        let url = format!("http://{}/hook", listener.local_addr()?);
        let seen = Arc::new(Seen {
            epoch,
            receipts: Mutex::new(vec![NOT_RECEIVED; probes]),
            received: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            acks: Mutex::new(Acks::default()),
        });
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(hook))
            .with_state(seen.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serving = axum::serve(listener, app).with_graceful_shutdown(async move {
                // A dropped sender is a stop as well.
                let _ = stopped.await;
            });
            if let Err(e) = serving.await {
                eprintln!("the webhook receiver stopped: {e}");
            }
        });
        Ok(Self {
            url,
            seen,
            stop: Some(stop),
            task,
        })
    }

    /// Probe webhooks received so far (first arrivals).
    pub fn received(&self) -> u64 {
        self.seen.received.load(Ordering::Relaxed)
    }

    /// Probe webhooks received more than once.
    pub fn duplicates(&self) -> u64 {
        self.seen.duplicates.load(Ordering::Relaxed)
    }

    /// When each probe's webhook came (µs since the epoch; [`NOT_RECEIVED`] if not).
    pub fn receipts(&self) -> Vec<u32> {
        self.seen
            .receipts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The ack webhooks beyond "sent" so far.
    pub fn acks(&self) -> Acks {
        self.seen
            .acks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Stops serving and waits for the server task.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Every webhook: 200, and the arrival of an incoming probe message or an ack noted.
async fn hook(State(seen): State<Arc<Seen>>, body: Bytes) -> StatusCode {
    let now_us = micros_since(seen.epoch);
    if let Some((message, ack)) = ack_of(&body) {
        let mut acks = seen.acks.lock().unwrap_or_else(PoisonError::into_inner);
        acks.applied += 1;
        acks.last_us = acks.last_us.max(now_us);
        if ack >= READ {
            acks.read.insert(message);
        }
    } else if let Some(seq) = probe_of(&body) {
        let mut receipts = seen.receipts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = receipts.get_mut(seq) {
            if *slot == NOT_RECEIVED {
                *slot = now_us;
                seen.received.fetch_add(1, Ordering::Relaxed);
            } else {
                seen.duplicates.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    StatusCode::OK
}

/// The "read" ack.
const READ: i64 = 3;

/// The message id and ack of a `message` `ack` webhook beyond "sent", if it is one.
fn ack_of(body: &[u8]) -> Option<(i64, i64)> {
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    if json.get("type")?.as_str()? != "message" || json.get("event")?.as_str()? != "ack" {
        return None;
    }
    let ack = json.pointer("/data/ack")?.as_i64()?;
    let message = json.pointer("/data/external_id")?.as_i64()?;
    (ack > 1).then_some((message, ack))
}

/// The probe sequence number of an incoming `message` `new` webhook, if it is one.
fn probe_of(body: &[u8]) -> Option<usize> {
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    let is_new_message = json.get("type")?.as_str()? == "message"
        && json.get("event")?.as_str()? == "new"
        && json.pointer("/data/income")?.as_bool()?;
    if !is_new_message {
        return None;
    }
    json.pointer("/data/message")?
        .as_str()?
        .strip_prefix(PROBE)?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_incoming_probes_only() {
        let incoming = br#"{"type":"message","event":"new","data":{"income":true,"message":"stream-probe-7"}}"#;
        let outgoing = br#"{"type":"message","event":"new","data":{"income":false,"message":"stream-probe-7"}}"#;
        let other = br#"{"source":"pact.im","operation":"test"}"#;
        assert_eq!(probe_of(incoming), Some(7));
        assert_eq!(probe_of(outgoing), None);
        assert_eq!(probe_of(other), None);
    }

    #[test]
    fn finds_acks_beyond_sent() {
        let read = br#"{"type":"message","event":"ack","data":{"external_id":42,"ack":3}}"#;
        let sent = br#"{"type":"message","event":"ack","data":{"external_id":42,"ack":1}}"#;
        let new = br#"{"type":"message","event":"new","data":{"external_id":42,"ack":3}}"#;
        assert_eq!(ack_of(read), Some((42, 3)));
        assert_eq!(ack_of(sent), None);
        assert_eq!(ack_of(new), None);
    }
}
