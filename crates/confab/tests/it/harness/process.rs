//! The real `confab` binary run as a process: `confab user create`, `confab serve` and the
//! address it announces, the client subcommands against a [`TestServer`], and requests to a
//! served process by its base URL. Tests stop such a process with `child.kill()` or cut it
//! off with `child.start_kill()` (SIGKILL, as `kill -9`).

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::{TestServer, call};

/// The `confab` binary this test build made.
pub const BIN: &str = env!("CARGO_BIN_EXE_confab");

/// `confab user create`; returns the token it printed.
pub async fn create_user(data_dir: &Path, name: &str) -> String {
    let out = Command::new(BIN)
        .args(["user", "create", "--name", name, "--data-dir"])
        .arg(data_dir)
        .envs(crate::backend::env_for(data_dir).await)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("run confab user create");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "token alone on stdout: {stdout:?}");
    lines[0].to_owned()
}

/// A running `confab serve` and the base URL it announced.
pub struct Serve {
    pub child: Child,
    pub base: String,
}

/// `confab serve` on `data_dir` (and its database and blob storage) with extra flags.
pub async fn serve(data_dir: &Path, extra: &[&str]) -> Serve {
    serve_with(data_dir, crate::backend::env_for(data_dir).await, extra).await
}

/// `confab serve` on `data_dir` with extra variables `env` (the database and blob storage
/// it shares with other nodes) and extra flags.
pub async fn serve_with(
    data_dir: &Path,
    env: Vec<(&'static str, String)>,
    extra: &[&str],
) -> Serve {
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .envs(env)
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn confab serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("announces readiness in time")
        .expect("read stdout")
        .expect("a line");
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    Serve { child, base }
}

// ---- the client subcommands ----

/// Runs `confab ARGS` against `srv` with the first user's token.
pub async fn confab(srv: &TestServer, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("CONFAB_URL", &srv.base)
        .env("CONFAB_TOKEN", &srv.token)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("run confab")
}

/// Runs `confab --json ARGS`, expects success, and parses stdout.
pub async fn confab_json(srv: &TestServer, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = confab(srv, &all).await;
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// A process's stdout as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// ---- requests to a served process by its base URL ----

/// POST of a form with `token`.
pub async fn post_form(base: &str, token: &str, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    call(
        reqwest::Client::new()
            .post(format!("{base}{path}"))
            .header("X-Private-Api-Token", token)
            .form(form),
    )
    .await
}

/// GET with `token`.
pub async fn get(base: &str, token: &str, path: &str) -> (u16, Value) {
    call(
        reqwest::Client::new()
            .get(format!("{base}{path}"))
            .header("X-Private-Api-Token", token),
    )
    .await
}

/// Polls `GET path` until `done` holds for the answer (bounded); returns the answer.
pub async fn poll_until(
    base: &str,
    token: &str,
    path: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (s, b) = get(base, token, path).await;
        assert_eq!(s, 200, "{path}: {b}");
        if done(&b) {
            return b;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{path} never settled: {b}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A company "Acme" with a channel of `provider`, made through the API: (company, channel).
pub async fn company_with_channel(base: &str, token: &str, provider: &str) -> (i64, i64) {
    let (_, b) = post_form(base, token, "/p1/companies", &[("name", "Acme")]).await;
    let company = b["data"]["external_id"].as_i64().expect("id");
    let (_, b) = post_form(
        base,
        token,
        &format!("/p1/companies/{company}/channels"),
        &[("provider", provider)],
    )
    .await;
    (company, b["data"]["external_id"].as_i64().expect("id"))
}
