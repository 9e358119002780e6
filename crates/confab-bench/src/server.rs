//! Spawns and stops the real `confab serve` (the release binary next to this one) and
//! times its start-up.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::dataset::Dataset;

/// How long a server may take to answer `/healthz` before the run gives up.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// Finds the release `confab` binary beside this executable. Under `cargo run` it is
/// (re)built first, so the server measured is the source tree's, never a stale build;
/// otherwise it is built only when missing.
pub async fn confab_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locating confab-bench")?;
    let dir = exe
        .parent()
        .ok_or_else(|| anyhow::anyhow!("{} has no parent dir", exe.display()))?;
    let bin = dir.join("confab");
    let cargo = std::env::var("CARGO").ok();
    if bin.is_file() && cargo.is_none() {
        return Ok(bin);
    }
    eprintln!("cargo build --release -p confab");
    let status = tokio::process::Command::new(cargo.unwrap_or_else(|| "cargo".to_owned()))
        .args(["build", "--release", "-p", "confab"])
        .status()
        .await
        .context("running cargo build --release -p confab")?;
    anyhow::ensure!(status.success(), "cargo build --release -p confab failed");
    anyhow::ensure!(
        bin.is_file(),
        "{} is still missing after the build (is confab-bench a release build?)",
        bin.display()
    );
    Ok(bin)
}

/// Where and how a `confab serve` runs.
#[derive(Debug, Clone, Copy)]
pub struct Launch<'a> {
    /// Its `--data-dir`.
    pub data_dir: &'a Path,
    /// Its `--database-url`; SQLite in the data dir when `None`.
    pub database_url: Option<&'a str>,
    /// With `--sandbox` (simulated messengers); without it, channels talk to the real
    /// (or a fake) messenger API.
    pub sandbox: bool,
}

/// A running `confab serve`.
pub struct Server {
    child: tokio::process::Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its process id, for `/proc`.
    pub pid: u32,
    /// From spawning the process to the first 200 from `/healthz`.
    pub startup: Duration,
    log: PathBuf,
}

/// A free loopback port: bound and released at once, so the server can be told its
/// address up front and `/healthz` polled from the moment it is spawned.
fn free_port() -> anyhow::Result<SocketAddr> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").context("finding a free loopback port")?;
    Ok(listener.local_addr()?)
}

/// Whether `addr` answers `GET /healthz` with 200 on a fresh connection.
pub async fn healthz(addr: SocketAddr) -> bool {
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else {
        return false;
    };
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return false;
    }
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.is_ok() && answer.starts_with(b"HTTP/1.1 200")
}

/// The last lines of a log file, for error messages.
pub fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

impl Server {
    /// Starts `confab serve --sandbox` on `dataset` and waits until `/healthz` answers
    /// 200; stdout and stderr go to `log`. `extra` are further arguments of `confab serve`.
    pub async fn start(
        bin: &Path,
        dataset: &Dataset,
        log: &Path,
        rust_log: &str,
        extra: &[String],
    ) -> anyhow::Result<Self> {
        let launch = Launch {
            data_dir: &dataset.data_dir,
            database_url: dataset.database_url.as_deref(),
            sandbox: true,
        };
        Self::launch(bin, &launch, log, rust_log, extra).await
    }

    /// Starts `confab serve` as `launch` says and waits until `/healthz` answers 200;
    /// stdout and stderr go to `log`. `extra` are further arguments of `confab serve`.
    pub async fn launch(
        bin: &Path,
        launch: &Launch<'_>,
        log: &Path,
        rust_log: &str,
        extra: &[String],
    ) -> anyhow::Result<Self> {
        let addr = free_port()?;
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("opening {}", log.display()))?;
        let mut command = tokio::process::Command::new(bin);
        command
            .arg("serve")
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--data-dir")
            .arg(launch.data_dir)
            .args(["--rate-limit", "0", "--max-attachment-size", "2GiB"])
            .args(extra)
            .env("RUST_LOG", rust_log)
            // Settings of the caller's environment must not change what is measured.
            .env_remove("CONFAB_DATABASE_URL")
            .env_remove("CONFAB_BLOB_URL")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .kill_on_drop(true);
        if launch.sandbox {
            command.arg("--sandbox");
        }
        if let Some(url) = launch.database_url {
            command.arg("--database-url").arg(url);
        }
        let started = Instant::now();
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let pid = child
            .id()
            .ok_or_else(|| anyhow::anyhow!("confab serve exited at once"))?;
        loop {
            if healthz(addr).await {
                break;
            }
            if let Some(status) = child.try_wait()? {
                anyhow::bail!(
                    "confab serve exited ({status}) before answering:\n{}",
                    log_tail(log)
                );
            }
            if started.elapsed() > START_TIMEOUT {
                anyhow::bail!(
                    "confab serve did not answer /healthz on {addr} within {START_TIMEOUT:?}:\n{}",
                    log_tail(log)
                );
            }
            // A refused connect returns at once; 1 ms keeps the start-up figure exact
            // to about a millisecond without spinning a core.
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Ok(Self {
            startup: started.elapsed(),
            child,
            addr,
            pid,
            log: log.to_owned(),
        })
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server with SIGTERM (so SQLite checkpoints its WAL), then SIGKILL
    /// after 30 s.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        terminate(self.pid).await;
        match tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await {
            Ok(status) => {
                status?;
            }
            Err(_) => {
                eprintln!(
                    "confab serve (pid {}) ignored SIGTERM for 30 s; killing it:\n{}",
                    self.pid,
                    log_tail(&self.log)
                );
                self.child.kill().await?;
            }
        }
        Ok(())
    }
}

/// Sends SIGTERM to a child of ours by pid (`kill`, since this crate has no unsafe code).
pub async fn terminate(pid: u32) {
    let result = tokio::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .await;
    if let Err(e) = result {
        eprintln!("cannot send SIGTERM to {pid}: {e}");
    }
}
