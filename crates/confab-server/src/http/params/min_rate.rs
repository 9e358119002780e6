//! The minimum transfer rate of an upload (`--upload-min-rate` over
//! `--upload-rate-window`): a body that sends less than the rate allows in a window ends
//! with [`TooSlow`], so a client trickling bytes cannot hold an upload slot for long.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use tokio::time::{Instant, Sleep};

/// Why an upload was ended: it sent less than the minimum in a window.
#[derive(Debug, thiserror::Error)]
#[error(
    "the upload sent {received} bytes in {window_s} s, slower than the minimum of \
     {min_rate} bytes/s (--upload-min-rate over --upload-rate-window)"
)]
pub struct TooSlow {
    received: u64,
    window_s: f64,
    min_rate: u64,
}

/// A body stream that fails with [`TooSlow`] when a window passes with too few bytes.
pub struct MinRate<S> {
    inner: S,
    min_rate: u64,
    window: Duration,
    /// Bytes a window must bring.
    min_bytes: u64,
    received: u64,
    window_end: Pin<Box<Sleep>>,
    done: bool,
}

impl<S> MinRate<S> {
    /// `inner`, held to `min_rate` bytes a second over each `window`.
    pub fn new(inner: S, min_rate: u64, window: Duration) -> Self {
        let min_bytes =
            u64::try_from(u128::from(min_rate).saturating_mul(window.as_millis()) / 1000)
                .unwrap_or(u64::MAX);
        Self {
            inner,
            min_rate,
            window,
            min_bytes,
            received: 0,
            window_end: Box::pin(tokio::time::sleep(window)),
            done: false,
        }
    }
}

impl<S> Stream for MinRate<S>
where
    S: Stream<Item = Result<Bytes, io::Error>> + Unpin,
{
    type Item = Result<Bytes, io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                self.received = self.received.saturating_add(chunk.len() as u64);
                return Poll::Ready(Some(Ok(chunk)));
            }
            Poll::Ready(other) => return Poll::Ready(other),
            Poll::Pending => {}
        }
        if self.min_bytes == 0 {
            return Poll::Pending;
        }
        while self.window_end.as_mut().poll(cx).is_ready() {
            if self.received < self.min_bytes {
                self.done = true;
                return Poll::Ready(Some(Err(io::Error::other(TooSlow {
                    received: self.received,
                    window_s: self.window.as_secs_f64(),
                    min_rate: self.min_rate,
                }))));
            }
            self.received = 0;
            let next = Instant::now() + self.window;
            self.window_end.as_mut().reset(next);
        }
        Poll::Pending
    }
}

/// The [`TooSlow`] inside a body-read error, if that is what it was.
pub fn too_slow<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a TooSlow> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(slow) = e.downcast_ref::<TooSlow>() {
            return Some(slow);
        }
        if let Some(io) = e.downcast_ref::<io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(slow) = inner.downcast_ref::<TooSlow>()
        {
            return Some(slow);
        }
        current = e.source();
    }
    None
}
