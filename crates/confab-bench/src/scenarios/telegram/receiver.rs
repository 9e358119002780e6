//! The company webhook receiver of the telegram scenario: a bare axum route on loopback
//! that answers 200 at once and notes when each probe's `message` `new` webhook came.
//!
//! The server delivers one company's webhooks one at a time, so the receiver's own time
//! is on the measured path: it parses the body and takes a short lock, nothing more.

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

/// Every webhook: 200, and the arrival of an incoming probe message noted.
async fn hook(State(seen): State<Arc<Seen>>, body: Bytes) -> StatusCode {
    let now_us = micros_since(seen.epoch);
    if let Some(seq) = probe_of(&body) {
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
}
