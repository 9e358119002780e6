//! A full disk: writes are refused with 507, a message that says so and `Retry-After`,
//! nothing half-written; `/readyz` says writes fail; everything works again once space
//! is freed. The data dir is a small tmpfs mounted for the test (root only: elsewhere the
//! test says it is skipped; CI runs as root).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::Method;

use crate::backend;
use crate::harness::*;

/// A tmpfs of `size` mounted on a temp dir, unmounted when dropped.
pub struct Tmpfs {
    /// Where it is mounted.
    pub path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmpfs {
    /// A tmpfs for a SQLite data dir, or `None` (saying why the test is skipped) when the
    /// suite runs on PostgreSQL or mounting is not allowed here.
    pub fn for_sqlite_data_dir(size: &str) -> Option<Self> {
        if backend::postgres_admin_url().is_some() {
            eprintln!(
                "skipped: the database is PostgreSQL here; the SQLite run covers a full data dir"
            );
            return None;
        }
        let mounted = Self::mount(size);
        if mounted.is_none() {
            eprintln!("skipped: cannot mount a tmpfs here (not root?); CI runs this as root");
        }
        mounted
    }

    /// Mounts one, or `None` where mounting is not allowed.
    pub fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("mnt");
        std::fs::create_dir(&path).expect("mkdir");
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Self { path, _dir: dir })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.path)
            .status();
    }
}

/// Writes zeros into `path` until the file system refuses.
pub fn fill(path: &Path) {
    let mut file = std::fs::File::create(path).expect("filler");
    let chunk = vec![0u8; 64 * 1024];
    while file.write_all(&chunk).is_ok() {}
    let _ = file.sync_all();
}

#[tokio::test]
async fn a_full_disk_is_a_507_with_retry_after_and_readyz_says_so() {
    let Some(tmpfs) = Tmpfs::for_sqlite_data_dir("24m") else {
        return;
    };
    let data = tmpfs.path.join("data");
    let srv = TestServer::start_with(|c| c.data_dir = data.clone()).await;
    let (company, _, conversation) = srv.fixture().await;
    let (status, _) = srv.get("/readyz").await;
    assert_eq!(status, 200);

    let filler = tmpfs.path.join("filler");
    fill(&filler);
    let text = "x".repeat(4000);
    let mut refused = None;
    for _ in 0..2000 {
        let response = srv
            .req(Method::POST, &messages_path(company, conversation))
            .form(&[("message", text.as_str())])
            .send()
            .await
            .expect("send");
        let status = response.status().as_u16();
        assert_ne!(status, 500, "a full disk is never a bare 500");
        if status == 507 {
            refused = Some(response);
            break;
        }
        assert_eq!(status, 200);
    }
    let response = refused.expect("the disk filled up");
    assert!(response.headers().contains_key("retry-after"));
    let body: serde_json::Value = response.json().await.expect("json");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("storage is full"),
        "{body}"
    );
    let (status, ready) = srv.get("/readyz").await;
    assert_eq!(status, 503, "{ready}");
    assert_eq!(ready["storage"], "failing", "{ready}");

    // An upload is refused the same way (blob storage is on the same disk).
    let (status, body) = srv
        .upload_as(
            &srv.token,
            company,
            conversation,
            "big.bin",
            vec![7u8; 512 * 1024],
        )
        .await;
    assert_eq!(status, 507, "{body}");

    // Space again: writes work, readiness comes back.
    std::fs::remove_file(&filler).expect("free space");
    let (status, body) = srv
        .form(
            Method::POST,
            &messages_path(company, conversation),
            &[("message", "after the cleanup")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (status, _) = srv.get("/readyz").await;
        if status == 200 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "readiness never came back"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn starting_on_a_full_disk_says_disk_full() {
    let Some(tmpfs) = Tmpfs::for_sqlite_data_dir("2m") else {
        return;
    };
    fill(&tmpfs.path.join("filler"));
    let out = tokio::process::Command::new(crate::harness::process::BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(tmpfs.path.join("data"))
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("run confab serve");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("disk full"), "{stderr}");
}
