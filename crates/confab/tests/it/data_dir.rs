//! The data dir holds message bodies and channel credentials: confab creates it readable by
//! its user only, and says so when an existing one is open to others.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::backend;
use crate::harness::process::{BIN, company_with_channel, create_user};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Runs `confab serve` on `data` until a channel and an inbound message exist; answers
/// its stderr.
async fn serve_once(data: &Path) -> String {
    let token = create_user(data, "alice").await;
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--sandbox",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(data)
        .envs(backend::env_for(data).await)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("in time")
        .expect("read")
        .expect("line");
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("address")
        .to_owned();
    let (company, channel) = company_with_channel(&base, &token, "whatsapp").await;
    let (status, _) = process_post(&base, &token, company, channel).await;
    assert_eq!(status, 200);
    child.kill().await.ok();
    let out = child.wait_with_output().await.expect("output");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

async fn process_post(
    base: &str,
    token: &str,
    company: i64,
    channel: i64,
) -> (u16, serde_json::Value) {
    crate::harness::process::post_form(
        base,
        token,
        &format!("/p1/companies/{company}/channels/{channel}/sandbox/inbound"),
        &[
            ("sender_external_id", "79250000001"),
            ("message", "private words"),
        ],
    )
    .await
}

#[tokio::test]
async fn a_new_data_dir_and_its_files_are_private() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("fresh").join("data");
    let logs = serve_once(&data).await;
    assert_eq!(mode(&data), 0o700, "the data dir");
    assert_eq!(mode(&data.join("secret.key")), 0o600, "the key file");
    if backend::postgres_admin_url().is_none() {
        for file in ["confab.db", "confab.db-wal"] {
            let path = data.join(file);
            if path.exists() {
                assert_eq!(mode(&path), 0o600, "{file}");
            }
        }
        assert_eq!(mode(&data.join("confab.db")), 0o600);
    }
    assert!(!logs.contains("open to other users"), "{logs}");
}

#[tokio::test]
async fn an_existing_data_dir_open_to_others_is_reported() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let logs = serve_once(&data).await;
    assert!(logs.contains("open to other users"), "{logs}");
    assert!(logs.contains("chmod 700"), "{logs}");
}
