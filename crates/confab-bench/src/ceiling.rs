//! The ceiling: a bare axum server that answers one fixed JSON body to every request, the
//! most any HTTP server on this stack could do for a body of that size. It runs in its
//! own process (a hidden mode of this binary) so its CPU time is read from `/proc` the
//! same way as confab's.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context as _;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use tokio::io::AsyncBufReadExt as _;

/// What the ceiling prints first on stdout, followed by its address.
pub const READY: &str = "ceiling listening on http://";

/// Serves the bytes of `body_file` on 127.0.0.1 (a free port, printed) until killed.
pub async fn serve(body_file: &Path) -> anyhow::Result<()> {
    let body = Bytes::from(
        std::fs::read(body_file).with_context(|| format!("reading {}", body_file.display()))?,
    );
    let app = axum::Router::new()
        .fallback(answer)
        // Uploads are read to the end like confab reads them, whatever their size.
        .layer(DefaultBodyLimit::disable())
        .with_state(body);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("{READY}{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// Reads the request body to the end and drops it, then answers the fixed body.
async fn answer(State(fixed): State<Bytes>, body: Body) -> Response {
    if let Err(e) = axum::body::to_bytes(body, usize::MAX).await {
        return (axum::http::StatusCode::BAD_REQUEST, e.to_string()).into_response();
    }
    ([(header::CONTENT_TYPE, "application/json")], fixed).into_response()
}

/// A running ceiling process.
pub struct Ceiling {
    child: tokio::process::Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its process id, for `/proc`.
    pub pid: u32,
}

impl Ceiling {
    /// Starts this binary in ceiling mode answering the bytes of `body_file`.
    pub async fn start(body_file: &Path) -> anyhow::Result<Self> {
        let args = [
            std::ffi::OsStr::new("ceiling"),
            "--body-file".as_ref(),
            body_file.as_os_str(),
        ];
        Self::spawn(&args).await
    }

    /// Starts this binary with `args` (a hidden ceiling mode that prints [`READY`] and its
    /// address first) and waits for that line.
    pub async fn spawn(args: &[&std::ffi::OsStr]) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("locating confab-bench")?;
        let mut child = tokio::process::Command::new(exe)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("starting the ceiling server")?;
        let pid = child
            .id()
            .ok_or_else(|| anyhow::anyhow!("the ceiling server exited at once"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("the ceiling server has no stdout"))?;
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .context("the ceiling server did not start within 30 s")??
            .ok_or_else(|| anyhow::anyhow!("the ceiling server exited before listening"))?;
        let addr = line
            .strip_prefix(READY)
            .ok_or_else(|| anyhow::anyhow!("unexpected first line from the ceiling: {line:?}"))?
            .parse()
            .with_context(|| format!("the ceiling's address in {line:?}"))?;
        Ok(Self { child, addr, pid })
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the ceiling (it holds no state worth a graceful stop).
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.child.kill().await?;
        Ok(())
    }
}
