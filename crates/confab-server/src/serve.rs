//! The accept loop: serves the router on a listener with the connection limits `axum::serve`
//! lacks. A connection gets `--header-read-timeout` to send its first request head and
//! (once idle after a response) `--keep-alive-timeout` before its next request starts; a
//! request head that has begun must arrive whole within `--header-read-timeout`, however
//! slowly its bytes trickle in. At most `--max-connections` are open at once; one more is
//! closed at once, counted in `confab_connections_refused_total` and logged. A connection
//! with a request in flight (an event stream, a download, an upload) is never cut here:
//! the request's own limits bound it.
//!
//! On shutdown the loop stops accepting, closes idle connections, lets the requests in
//! flight finish, and returns when every connection is closed.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http_body::Frame;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt;

/// The connection limits of the accept loop.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Connections open at once (already capped by the open-file limit).
    pub max_connections: u32,
    /// Time to send a request head: from connecting, or from its first byte later on.
    pub header_read_timeout: Duration,
    /// Time an idle connection is kept open for its next request.
    pub keep_alive_timeout: Duration,
}

/// How often at most a refused connection is logged.
const REFUSAL_LOG_EVERY: Duration = Duration::from_secs(10);
/// How long the loop pauses after `accept` fails (out of file descriptors, mostly).
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// Serves `app` on `listener` until `shutdown` completes, then finishes the requests in
/// flight and returns once every connection is closed.
pub async fn serve<S>(
    listener: TcpListener,
    app: S,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let slots = Arc::new(Semaphore::new(limits.max_connections as usize));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // hyper's own header timer would also run while a connection is idle between
    // requests, cutting keep-alive short; the watchdog below times both instead.
    builder.http1().keep_alive(true);
    let builder = Arc::new(builder);
    let mut last_refusal_log: Option<Instant> = None;
    let mut refused_since_log = 0u64;
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // EMFILE and ENFILE leave the connection in the backlog; pausing lets
                // closing connections free descriptors instead of spinning.
                tracing::warn!(error = %e, "cannot accept a connection");
                metrics::counter!("confab_connections_accept_errors_total").increment(1);
                tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                continue;
            }
        };
        let (stream, peer) = stream;
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            metrics::counter!("confab_connections_refused_total").increment(1);
            refused_since_log += 1;
            let now = Instant::now();
            if last_refusal_log.is_none_or(|at| now.duration_since(at) >= REFUSAL_LOG_EVERY) {
                tracing::warn!(
                    max_connections = limits.max_connections,
                    refused = refused_since_log,
                    "connections refused: as many are open as --max-connections allows"
                );
                last_refusal_log = Some(now);
                refused_since_log = 0;
            }
            drop(stream);
            continue;
        };
        stream.set_nodelay(true).ok();
        let builder = builder.clone();
        let app = app.clone();
        let stop = stop_rx.clone();
        tokio::spawn(async move {
            metrics::gauge!("confab_connections_open").increment(1.0);
            serve_connection(&builder, stream, peer, app, limits, stop).await;
            metrics::gauge!("confab_connections_open").decrement(1.0);
            drop(slot);
        });
    }
    drop(listener);
    stop_tx.send_replace(true);
    // Every open connection holds a slot: having them all back means all are closed.
    let _all_closed = slots.acquire_many(limits.max_connections).await;
}

/// Why the watchdog closed a connection.
#[derive(Debug, Clone, Copy)]
enum Cut {
    HeaderRead,
    KeepAlive,
}

/// Serves one connection, closing it when the watchdog's deadline passes.
async fn serve_connection<S>(
    builder: &auto::Builder<TokioExecutor>,
    stream: TcpStream,
    peer: SocketAddr,
    app: S,
    limits: ConnectionLimits,
    mut stop: watch::Receiver<bool>,
) where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched {
        inner: stream,
        activity: activity.clone(),
    });
    let service = ConnService {
        app,
        activity: activity.clone(),
        peer,
    };
    let conn = builder.serve_connection(io, service);
    let mut conn = std::pin::pin!(conn);
    let mut stopping = false;
    loop {
        // At shutdown hyper closes an idle connection itself, and a busy one once its
        // response is sent; the deadlines stay as a backstop.
        let deadline = activity.deadline(&limits);
        let sleep = async {
            match deadline {
                Some((at, _)) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            () = sleep => {
                // Activity may have moved the deadline since it was computed.
                if let Some((at, cut)) = activity.deadline(&limits)
                    && at <= Instant::now()
                {
                    let reason = match cut {
                        Cut::HeaderRead => "header_read",
                        Cut::KeepAlive => "keep_alive",
                    };
                    tracing::debug!(reason, "closed a connection past its timeout");
                    metrics::counter!("confab_connections_timed_out_total", "reason" => reason)
                        .increment(1);
                    return;
                }
            }
            () = activity.changed.notified() => {}
            changed = stop.changed(), if !stopping => {
                if changed.is_err() || *stop.borrow() {
                    stopping = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// What the watchdog of one connection knows about it.
struct Activity {
    state: Mutex<ActivityState>,
    /// Woken when the deadline may have moved earlier or gone away.
    changed: Notify,
}

struct ActivityState {
    /// Requests answered or in flight on the connection.
    requests: u64,
    /// Requests whose response has not been sent whole yet.
    in_flight: u32,
    /// When the connection was opened, or last became idle.
    idle_since: Instant,
    /// When the first byte arrived since it became idle (a request head has begun).
    head_started: Option<Instant>,
    /// HTTP/2 sends frames of its own while idle (pings, settings): they start no head.
    http2: bool,
}

impl Activity {
    fn new() -> Self {
        Self {
            state: Mutex::new(ActivityState {
                requests: 0,
                in_flight: 0,
                idle_since: Instant::now(),
                head_started: None,
                http2: false,
            }),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ActivityState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// When the connection is to be closed and why, or `None` while a request is in flight.
    fn deadline(&self, limits: &ConnectionLimits) -> Option<(Instant, Cut)> {
        let state = self.lock();
        if state.in_flight > 0 {
            return None;
        }
        let idle = if state.requests == 0 {
            (
                state.idle_since + limits.header_read_timeout,
                Cut::HeaderRead,
            )
        } else {
            (state.idle_since + limits.keep_alive_timeout, Cut::KeepAlive)
        };
        match state.head_started {
            Some(at) if at + limits.header_read_timeout < idle.0 => {
                Some((at + limits.header_read_timeout, Cut::HeaderRead))
            }
            _ => Some(idle),
        }
    }

    /// Bytes arrived.
    fn read(&self) {
        let mut state = self.lock();
        if state.in_flight == 0 && state.head_started.is_none() && !state.http2 {
            state.head_started = Some(Instant::now());
            drop(state);
            self.changed.notify_one();
        }
    }

    /// A request head arrived whole.
    fn begin(self: &Arc<Self>, http2: bool) -> InFlight {
        let mut state = self.lock();
        state.requests += 1;
        state.in_flight += 1;
        state.head_started = None;
        state.http2 |= http2;
        drop(state);
        self.changed.notify_one();
        InFlight(self.clone())
    }
}

/// One request in flight on a connection, until its response is sent (or dropped).
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        if state.in_flight == 0 {
            state.idle_since = Instant::now();
            state.head_started = None;
        }
        drop(state);
        self.0.changed.notify_one();
    }
}

/// The connection's socket, reporting reads to its watchdog.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// The router as hyper calls it on one connection: each request is in flight until its
/// response body has been sent.
#[derive(Clone)]
struct ConnService<S> {
    app: S,
    activity: Arc<Activity>,
    /// The client's address, given to every request as `ConnectInfo` (the login rate
    /// limit keys on it). Behind a reverse proxy it is the proxy's.
    peer: SocketAddr,
}

impl<S> hyper::service::Service<hyper::Request<Incoming>> for ConnService<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = hyper::Response<TrackedBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, req: hyper::Request<Incoming>) -> Self::Future {
        let in_flight = self.activity.begin(req.version() == hyper::Version::HTTP_2);
        let app = self.app.clone();
        let mut req = req.map(Body::new);
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(self.peer));
        Box::pin(async move {
            let response = app.oneshot(req).await?;
            Ok(response.map(|inner| TrackedBody {
                inner,
                _in_flight: in_flight,
            }))
        })
    }
}

/// A response body that keeps its request in flight until it is sent or dropped.
pub struct TrackedBody {
    inner: Body,
    _in_flight: InFlight,
}

impl http_body::Body for TrackedBody {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Raises the soft open-file limit to the hard one, so `--max-connections` can be
/// reached; returns the soft limit in force (`None` when unknown or unlimited).
pub fn raise_open_file_limit() -> Option<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    // Linux caps descriptors at fs.nr_open (1,048,576 by default) even when the hard
    // limit reads unlimited.
    let target = limit.maximum.unwrap_or(1 << 20);
    if limit.current.is_some_and(|current| current < target) {
        let raised = Rlimit {
            current: Some(target),
            maximum: limit.maximum,
        };
        match setrlimit(Resource::Nofile, raised) {
            Ok(()) => {
                tracing::info!(
                    from = limit.current,
                    to = target,
                    "raised the open-file limit"
                );
                return Some(target);
            }
            Err(e) => {
                tracing::warn!(error = %e, limit = limit.current, "cannot raise the open-file limit");
            }
        }
    }
    limit.current
}

/// Descriptors kept free of connections for the database, blobs, spooled uploads,
/// outgoing requests and logs.
pub const FILE_MARGIN: u64 = 256;

/// `--max-connections`, lowered to fit under `open_files` with [`FILE_MARGIN`] to spare.
pub fn connection_cap(max_connections: u32, open_files: Option<u64>) -> u32 {
    let Some(files) = open_files else {
        return max_connections;
    };
    let fits = files.saturating_sub(FILE_MARGIN).max(1);
    let fits = u32::try_from(fits).unwrap_or(u32::MAX);
    if fits < max_connections {
        tracing::warn!(
            max_connections,
            open_file_limit = files,
            lowered_to = fits,
            "--max-connections is above what the open-file limit allows; lowered"
        );
        fits
    } else {
        max_connections
    }
}

#[cfg(test)]
mod tests {
    use super::connection_cap;

    #[test]
    fn the_cap_fits_under_the_file_limit() {
        assert_eq!(connection_cap(4096, Some(1024)), 1024 - 256);
        assert_eq!(connection_cap(100, Some(1024)), 100);
        assert_eq!(connection_cap(100, None), 100);
        assert_eq!(connection_cap(100, Some(10)), 1);
    }
}
