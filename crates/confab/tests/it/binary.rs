//! The real `confab` binary: user create, serve, the data-dir lock, SIGTERM, and `kill -9`
//! persistence.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::harness::call;

const BIN: &str = env!("CARGO_BIN_EXE_confab");

/// `confab user create`; returns the token it printed.
async fn create_user(data_dir: &Path, name: &str) -> String {
    let out = Command::new(BIN)
        .args(["user", "create", "--name", name, "--data-dir"])
        .arg(data_dir)
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
struct Serve {
    child: Child,
    base: String,
}

async fn serve(data_dir: &Path, extra: &[&str]) -> Serve {
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
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

fn client(token: &str) -> (reqwest::Client, String) {
    (reqwest::Client::new(), token.to_owned())
}

async fn post_form(
    base: &str,
    token: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let (http, token) = client(token);
    call(
        http.post(format!("{base}{path}"))
            .header("X-Private-Api-Token", token)
            .form(form),
    )
    .await
}

async fn get(base: &str, token: &str, path: &str) -> (u16, serde_json::Value) {
    let (http, token) = client(token);
    call(
        http.get(format!("{base}{path}"))
            .header("X-Private-Api-Token", token),
    )
    .await
}

#[tokio::test]
async fn user_ids_start_at_one_and_tokens_work_with_a_running_server() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let first = create_user(&data, "alice").await;
    let mut server = serve(&data, &["--sandbox"]).await;
    // A user created while the server runs can use it at once.
    let second = create_user(&data, "bob").await;
    assert_ne!(first, second);
    let (s, b) = post_form(&server.base, &first, "/p1/companies", &[("name", "Acme")]).await;
    assert_eq!(s, 200, "{b}");
    let company = b["data"]["external_id"].as_i64().expect("id");
    let (s, _) = get(&server.base, &second, "/p1/companies").await;
    assert_eq!(s, 200);
    // Alice is user 1: assigning to 1 in her company works, to 2 (bob, not a member) not.
    post_form(
        &server.base,
        &first,
        &format!("/p1/companies/{company}/channels"),
        &[("provider", "whatsapp")],
    )
    .await;
    let (_, b) = post_form(
        &server.base,
        &first,
        &format!("/p1/companies/{company}/conversations"),
        &[
            ("provider", "whatsapp"),
            ("phone", "79250000001"),
            ("text", "Hi"),
        ],
    )
    .await;
    let conversation = b["data"]["conversation"]["external_id"]
        .as_i64()
        .expect("id");
    let http = reqwest::Client::new();
    let assign = |id: &'static str| {
        http.put(format!(
            "{}/p1/companies/{company}/conversations/{conversation}/assign",
            server.base
        ))
        .header("X-Private-Api-Token", &first)
        .form(&[("assignee_id", id)])
    };
    assert_eq!(call(assign("1")).await.0, 200);
    assert_eq!(call(assign("2")).await.0, 400);
    server.child.kill().await.ok();
}

#[tokio::test]
async fn a_second_server_on_the_same_data_dir_refuses_to_start() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let mut first = serve(&data, &[]).await;
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .output()
        .await
        .expect("run second serve");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("in use by another confab serve"),
        "{stderr}"
    );
    // The first one is unharmed.
    let (s, _) = call(reqwest::Client::new().get(format!("{}/healthz", first.base))).await;
    assert_eq!(s, 200);
    first.child.kill().await.ok();
}

#[tokio::test]
async fn sigterm_shuts_down_cleanly() {
    let dir = tempfile::tempdir().expect("dir");
    let mut server = serve(&dir.path().join("data"), &[]).await;
    let pid = server.child.id().expect("pid");
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .await
        .expect("kill");
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(20), server.child.wait())
        .await
        .expect("exits in time")
        .expect("wait");
    assert!(exit.success(), "{exit:?}");
}

#[tokio::test]
async fn answered_writes_survive_kill_9() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let token = create_user(&data, "alice").await;
    let mut server = serve(&data, &["--sandbox"]).await;
    let base = server.base.clone();
    let (_, b) = post_form(&base, &token, "/p1/companies", &[("name", "Acme")]).await;
    let company = b["data"]["external_id"].as_i64().expect("id");
    post_form(
        &base,
        &token,
        &format!("/p1/companies/{company}/channels"),
        &[("provider", "whatsapp")],
    )
    .await;
    let mut conversations = Vec::new();
    for i in 0..20 {
        let phone = format!("792500000{i:02}");
        let (s, b) = post_form(
            &base,
            &token,
            &format!("/p1/companies/{company}/conversations"),
            &[("provider", "whatsapp"), ("phone", &phone), ("text", "Hi")],
        )
        .await;
        assert_eq!(s, 200);
        conversations.push(
            b["data"]["conversation"]["external_id"]
                .as_i64()
                .expect("id"),
        );
    }
    let last = *conversations.last().expect("one");
    let http = reqwest::Client::new();
    let (s, _) = call(
        http.request(
            Method::PUT,
            format!("{base}/p1/companies/{company}/conversations/{last}/note"),
        )
        .header("X-Private-Api-Token", &token)
        .form(&[("note", "keep me")]),
    )
    .await;
    assert_eq!(s, 200);

    server.child.start_kill().expect("SIGKILL");
    server.child.wait().await.expect("wait");

    let mut again = serve(&data, &["--sandbox"]).await;
    let (s, b) = get(
        &again.base,
        &token,
        &format!("/p1/companies/{company}/conversations?per=100"),
    )
    .await;
    assert_eq!(s, 200);
    let ids: Vec<i64> = b["data"]["conversations"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["external_id"].as_i64())
        .collect();
    assert_eq!(ids, conversations);
    let (_, b) = get(
        &again.base,
        &token,
        &format!("/p1/companies/{company}/conversations/{last}"),
    )
    .await;
    assert_eq!(b["data"]["conversation"]["note"], json!("keep me"));
    again.child.kill().await.ok();
}

#[tokio::test]
async fn env_vars_configure_serve() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("envdata");
    let token = create_user(&data, "alice").await;
    let mut child = Command::new(BIN)
        .arg("serve")
        .env("CONFAB_LISTEN", "127.0.0.1:0")
        .env("CONFAB_DATA_DIR", &data)
        .env("CONFAB_SANDBOX", "true")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("in time")
        .expect("read")
        .expect("line");
    assert!(line.contains("(sandbox)"), "{line}");
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("address")
        .to_owned();
    // The token made for that data dir works: the server really uses CONFAB_DATA_DIR.
    let (s, _) = get(&base, &token, "/p1/companies").await;
    assert_eq!(s, 200);
    child.kill().await.ok();
}

#[tokio::test]
async fn bad_flags_fail_clearly() {
    let out = Command::new(BIN)
        .args(["serve", "--listen", "nonsense"])
        .output()
        .await
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--listen"));
    let out = Command::new(BIN)
        .args(["user", "create", "--name", " "])
        .output()
        .await
        .expect("run");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
}
