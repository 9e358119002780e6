//! A PostgreSQL outage under load: requests are answered 503 with `Retry-After` within
//! seconds (never a bare 500, never a 30 s hang), `/readyz` says so within about a second,
//! and the server recovers by itself when the database is back. Runs on a cluster of its
//! own (stopping the suite's shared one would fail every other test), so it needs the
//! PostgreSQL binaries: it runs in the PostgreSQL phase of `scripts/test`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::process::Command;

use crate::backend;
use crate::harness::process::{BIN, Serve, company_with_channel, serve_with};
use crate::harness::*;

/// A throwaway PostgreSQL cluster on a free loopback port.
struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

fn pg_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("pg_ctl").exists())
        .collect();
    found.sort();
    found.pop()
}

/// Runs a PostgreSQL tool as the `postgres` user (it refuses to run as root).
async fn as_pg(tool: &Path, args: &[&str]) -> bool {
    let mut command = Command::new("runuser");
    command.args(["-u", "postgres", "--"]).arg(tool).args(args);
    command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success())
}

impl Cluster {
    async fn start() -> Option<Self> {
        let bin = pg_bin()?;
        let dir = tempfile::tempdir().ok()?;
        let _ = std::process::Command::new("chown")
            .arg("postgres")
            .arg(dir.path())
            .status();
        let data = dir.path().join("pg");
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").ok()?;
            l.local_addr().ok()?.port()
        };
        let initdb = bin.join("initdb");
        let data_text = data.to_str()?.to_owned();
        if !as_pg(
            &initdb,
            &[
                "-D",
                &data_text,
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        )
        .await
        {
            return None;
        }
        let cluster = Self {
            bin,
            data,
            dir,
            port,
        };
        cluster.up().await.then_some(cluster)
    }

    async fn up(&self) -> bool {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("pg.log");
        as_pg(
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                self.data.to_str().unwrap_or_default(),
                "-l",
                log.to_str().unwrap_or_default(),
                "-w",
                "-o",
                &options,
                "start",
            ],
        )
        .await
    }

    async fn down(&self) -> bool {
        as_pg(
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                self.data.to_str().unwrap_or_default(),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        )
        .await
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args(["-D"])
            .arg(&self.data)
            .args(["-m", "immediate", "stop"])
            .status();
    }
}

async fn timed_get(http: &reqwest::Client, url: &str, token: &str) -> (u16, bool, Duration) {
    let started = Instant::now();
    let response = http
        .get(url)
        .header("X-Private-Api-Token", token)
        .timeout(Duration::from_secs(40))
        .send()
        .await
        .expect("an answer");
    let retry_after = response.headers().contains_key("retry-after");
    (response.status().as_u16(), retry_after, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_is_a_quick_503_and_recovers_by_itself() {
    if backend::postgres_admin_url().is_none() {
        eprintln!("skipped: needs PostgreSQL (scripts/test runs it in its PostgreSQL phase)");
        return;
    }
    let Some(cluster) = Cluster::start().await else {
        eprintln!("skipped: cannot start a PostgreSQL cluster of its own here (not root?)");
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let env = vec![("CONFAB_DATABASE_URL", cluster.url())];
    let out = Command::new(BIN)
        .args(["user", "create", "--name", "ops", "--data-dir"])
        .arg(&data)
        .envs(env.clone())
        .output()
        .await
        .expect("user create");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let Serve { mut child, base } = serve_with(&data, env, &["--sandbox"]).await;
    let (company, _) = company_with_channel(&base, &token, "whatsapp").await;
    let http = reqwest::Client::new();
    let list = format!("{base}/p1/companies/{company}/conversations");
    assert_eq!(timed_get(&http, &list, &token).await.0, 200);

    assert!(cluster.down().await, "stop the cluster");
    // Requests during the outage: quick 503s with Retry-After.
    for _ in 0..5 {
        let (status, retry_after, took) = timed_get(&http, &list, &token).await;
        assert_eq!(status, 503, "an outage is a 503");
        assert!(retry_after, "with Retry-After");
        assert!(took < Duration::from_secs(5), "answered in {took:?}");
    }
    let started = Instant::now();
    let (status, _) = call(http.get(format!("{base}/readyz"))).await;
    assert_eq!(status, 503);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    // Back up: the server recovers without a restart.
    assert!(cluster.up().await, "start the cluster again");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, _, _) = timed_get(&http, &list, &token).await;
        if status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "never recovered: {status}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let (status, ready) = call(http.get(format!("{base}/readyz"))).await;
    assert_eq!(status, 200, "{ready}");
    child.start_kill().ok();
}
