//! The real `confab` binary: user create, serve, the data-dir lock, SIGTERM, and `kill -9`
//! persistence.

use std::process::Stdio;
use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::harness::process::{
    BIN, company_with_channel, create_user, get, poll_until, post_form, serve,
};
use crate::harness::{call, call_soft};

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
        .envs(crate::backend::env_for(&data).await)
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
        .envs(crate::backend::env_for(&data).await)
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

#[tokio::test]
async fn deliveries_cut_off_by_kill_9_finish_once_after_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let token = create_user(&data, "alice").await;
    let slow = ["--sandbox", "--sandbox-latency", "5s", "--job-lease", "1s"];
    let mut server = serve(&data, &slow).await;
    let base = server.base.clone();
    let (company, channel) = company_with_channel(&base, &token, "whatsapp").await;
    let (s, b) = post_form(
        &base,
        &token,
        &format!("/p1/companies/{company}/conversations"),
        &[
            ("provider", "whatsapp"),
            ("phone", "79250000001"),
            ("text", "first"),
        ],
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let conversation = b["data"]["conversation"]["external_id"]
        .as_i64()
        .expect("id");
    let messages_path = format!("/p1/companies/{company}/conversations/{conversation}/messages");
    let mut texts = vec!["first".to_owned()];
    let mut jobs = Vec::new();
    for i in 0..6 {
        let text = format!("message {i}");
        let (s, b) = post_form(&base, &token, &messages_path, &[("message", &text)]).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["data"]["state"], "trying_deliver", "{b}");
        jobs.push(b["data"]["id"].as_i64().expect("job id"));
        texts.push(text);
    }
    let (_, b) = get(&base, &token, &format!("{messages_path}?per=100")).await;
    let before = b["data"]["messages"].as_array().expect("list").clone();
    assert_eq!(before.len(), texts.len(), "{b}");
    jobs.insert(0, before[0]["job_id"].as_i64().expect("first job"));
    // The message of each job, in sending order.
    let message_ids: Vec<i64> = jobs
        .iter()
        .map(|job| {
            let found: Vec<i64> = before
                .iter()
                .filter(|m| m["job_id"] == *job)
                .filter_map(|m| m["external_id"].as_i64())
                .collect();
            assert_eq!(found.len(), 1, "job {job}: {before:?}");
            found[0]
        })
        .collect();
    // Let the worker claim them (a 5 s send each) and outlive its 1 s lease a few times
    // (a delivery renews its lease, so nothing is claimed twice), then cut the server off
    // mid-delivery.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    server.child.start_kill().expect("SIGKILL");
    server.child.wait().await.expect("wait");

    let fast = [
        "--sandbox",
        "--sandbox-latency",
        "10ms",
        "--job-lease",
        "1s",
    ];
    let mut again = serve(&data, &fast).await;
    let base = again.base.clone();
    for (job, message) in jobs.iter().zip(&message_ids) {
        let path = format!("/p1/companies/{company}/channels/{channel}/jobs/{job}");
        let b = poll_until(&base, &token, &path, |b| {
            b["data"]["state"] != "trying_deliver"
        })
        .await;
        let created = b["data"]["created_at"].clone();
        assert_eq!(
            b,
            json!({"status": "ok", "data": {"id": job, "company_id": company,
                "channel": {"id": channel, "type": "whatsapp"}, "conversation_id": conversation,
                "state": "delivered", "message_id": message, "details": {"result": "DELIVERED"},
                "created_at": created}})
        );
    }
    // Exactly the sent messages, each once, in order, each sent (ack 1, then 2).
    let b = poll_until(&base, &token, &format!("{messages_path}?per=100"), |b| {
        b["data"]["messages"]
            .as_array()
            .is_some_and(|l| l.iter().all(|m| m["ack"] == 2))
    })
    .await;
    let after = b["data"]["messages"].as_array().expect("list");
    let got: Vec<(i64, String, i64)> = after
        .iter()
        .map(|m| {
            (
                m["external_id"].as_i64().expect("id"),
                m["message"].as_str().expect("text").to_owned(),
                m["job_id"].as_i64().expect("job"),
            )
        })
        .collect();
    let want: Vec<(i64, String, i64)> = message_ids
        .iter()
        .zip(&texts)
        .zip(&jobs)
        .map(|((id, text), job)| (*id, text.clone(), *job))
        .collect();
    assert_eq!(got, want);
    for m in after {
        let id = m["external_id"].as_i64().expect("id");
        assert_eq!(m["external_public_id"], format!("sandbox-{id}"), "{m}");
    }
    // No job beyond the ones sent.
    let last = jobs.iter().max().copied().unwrap_or(0);
    let (s, _) = get(
        &base,
        &token,
        &format!(
            "/p1/companies/{company}/channels/{channel}/jobs/{}",
            last + 1
        ),
    )
    .await;
    assert_eq!(s, 404);
    again.child.kill().await.ok();
    again.child.wait().await.ok();

    // Each job was handed to a connector at most twice: once by the killed server (its
    // lease renewed while the send ran, never re-claimed), once after the restart.
    let location = crate::backend::location_for(&data).await;
    let store = confab_store::open(location.database_url.as_deref(), &data, 1)
        .await
        .expect("open store");
    for job in &jobs {
        let stored = store
            .get_job(company, channel, *job)
            .await
            .expect("read job")
            .expect("job");
        assert!(
            (1..=2).contains(&stored.attempts),
            "job {job} attempted {} times",
            stored.attempts
        );
    }
}

#[tokio::test]
async fn webhook_events_survive_kill_9_while_the_receiver_is_down() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let token = create_user(&data, "alice").await;
    let rx = crate::harness::Receiver::start().await;
    let flags = [
        "--sandbox",
        "--allow-private-urls",
        "--webhook-retry-delay",
        "100ms",
        "--webhook-max-attempts",
        "1000",
    ];
    let mut server = serve(&data, &flags).await;
    let base = server.base.clone();
    let (s, b) = post_form(
        &base,
        &token,
        "/p1/companies",
        &[("name", "Acme"), ("webhook_url", &rx.url)],
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let company = b["data"]["external_id"].as_i64().expect("id");
    let (_, b) = post_form(
        &base,
        &token,
        &format!("/p1/companies/{company}/channels"),
        &[("provider", "telegram")],
    )
    .await;
    let channel = b["data"]["external_id"].as_i64().expect("id");

    // The receiver is down: every event waits in the outbox.
    rx.answer_next(&[503; 100_000]);
    for i in 0..5 {
        let (s, _) = post_form(
            &base,
            &token,
            &format!("/p1/companies/{company}/channels/{channel}/sandbox/inbound"),
            &[("sender_external_id", "u1"), ("message", &i.to_string())],
        )
        .await;
        assert_eq!(s, 200);
    }
    server.child.start_kill().expect("SIGKILL");
    server.child.wait().await.expect("wait");

    rx.recover();
    let mut again = serve(&data, &flags).await;
    let events = rx.wait_delivered(6).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rx.delivered().len(), 6, "an event answered 200 came again");
    assert_eq!(events[0]["type"], "conversation");
    let texts: Vec<&str> = events[1..]
        .iter()
        .filter_map(|e| e["data"]["message"].as_str())
        .collect();
    assert_eq!(texts, ["0", "1", "2", "3", "4"]);
    again.child.kill().await.ok();
}

#[tokio::test]
async fn token_rotation_revokes_the_old_token_at_once() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let old = create_user(&data, "alice").await;
    let mut server = serve(&data, &[]).await;
    assert_eq!(get(&server.base, &old, "/p1/companies").await.0, 200);
    let out = Command::new(BIN)
        .args(["user", "token", "rotate", "--user", "1", "--data-dir"])
        .arg(&data)
        .envs(crate::backend::env_for(&data).await)
        .output()
        .await
        .expect("run rotate");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new = String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned();
    assert_ne!(new, old);
    assert_eq!(get(&server.base, &old, "/p1/companies").await.0, 401);
    assert_eq!(get(&server.base, &new, "/p1/companies").await.0, 200);
    let out = Command::new(BIN)
        .args(["user", "token", "rotate", "--user", "99", "--data-dir"])
        .arg(&data)
        .envs(crate::backend::env_for(&data).await)
        .output()
        .await
        .expect("run rotate");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no user 99"));
    assert!(out.stdout.is_empty());
    server.child.kill().await.ok();
}

#[tokio::test]
async fn every_answered_write_survives_kill_9_under_load() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let token = create_user(&data, "alice").await;
    let mut server = serve(&data, &["--sandbox"]).await;
    let base = server.base.clone();
    let (company, channel) = company_with_channel(&base, &token, "telegram").await;

    // Eight writers post as fast as they can; each keeps what the server answered 200 to.
    let answered = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(i64, i64)>::new()));
    let stop = stop_flag();
    let mut writers = Vec::new();
    for w in 0..8 {
        let (base, token, answered, stop) =
            (base.clone(), token.clone(), answered.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            for i in 0..10_000 {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let sender = format!("w{w}-{i}");
                let request = http
                    .post(format!(
                        "{base}/p1/companies/{company}/channels/{channel}/sandbox/inbound"
                    ))
                    .header("X-Private-Api-Token", &token)
                    .form(&[("sender_external_id", sender.as_str()), ("message", "x")]);
                match call_soft(request).await {
                    Some((200, body)) => {
                        let c = body["data"]["conversation_id"]
                            .as_i64()
                            .expect("conversation");
                        let m = body["data"]["message_id"].as_i64().expect("message");
                        answered.lock().expect("lock").push((c, m));
                    }
                    _ => break,
                }
            }
        }));
    }
    // Kill in the middle of the load.
    while answered.lock().expect("lock").len() < 200 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.child.start_kill().expect("SIGKILL");
    server.child.wait().await.expect("wait");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for writer in writers {
        writer.await.expect("writer");
    }
    let answered = answered.lock().expect("lock").clone();
    assert!(answered.len() >= 200);

    let mut again = serve(&data, &["--sandbox"]).await;
    let http = reqwest::Client::new();
    let mut stored = std::collections::HashSet::new();
    let mut from: Option<String> = None;
    loop {
        let mut url = format!(
            "{}/p1/companies/{company}/conversations?per=100",
            again.base
        );
        if let Some(token) = &from {
            url.push_str(&format!("&from={token}"));
        }
        let (s, b) = call(http.get(url).header("X-Private-Api-Token", &token)).await;
        assert_eq!(s, 200);
        for c in b["data"]["conversations"].as_array().expect("list") {
            stored.insert(c["external_id"].as_i64().expect("id"));
        }
        match b["data"]["next_page"].as_str() {
            Some(next) => from = Some(next.to_owned()),
            None => break,
        }
    }
    let lost: Vec<_> = answered
        .iter()
        .filter(|(c, _)| !stored.contains(c))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} answered writes lost: {lost:?}",
        lost.len(),
        answered.len()
    );
    // And each answered message is there too.
    for (c, m) in answered.iter().step_by(17) {
        let (s, b) = call(
            http.get(format!(
                "{}/p1/companies/{company}/conversations/{c}/messages",
                again.base
            ))
            .header("X-Private-Api-Token", &token),
        )
        .await;
        assert_eq!(s, 200);
        assert!(
            b["data"]["messages"]
                .as_array()
                .expect("list")
                .iter()
                .any(|x| x["external_id"] == *m),
            "message {m} lost"
        );
    }
    again.child.kill().await.ok();
}

/// A flag the writers poll to stop.
fn stop_flag() -> std::sync::Arc<std::sync::atomic::AtomicBool> {
    std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false))
}

#[tokio::test]
async fn info_logs_carry_no_tokens_secrets_or_message_bodies() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let token = create_user(&data, "alice").await;
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--sandbox",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(&data)
        .envs(crate::backend::env_for(&data).await)
        // Info, plus the per-request lines (debug) of the HTTP layer.
        .env("RUST_LOG", "info,confab_server::http=debug")
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
    let secret_text = "very private customer words";
    let (company, channel) = company_with_channel(&base, &token, "whatsapp").await;
    post_form(
        &base,
        &token,
        &format!("/p1/companies/{company}/conversations"),
        &[
            ("provider", "whatsapp"),
            ("phone", "79250000001"),
            ("text", secret_text),
        ],
    )
    .await;
    post_form(
        &base,
        &token,
        &format!("/p1/companies/{company}/channels/{channel}/sandbox/inbound"),
        &[
            ("sender_external_id", "79250000001"),
            ("message", secret_text),
        ],
    )
    .await;
    // The token in the query string must not reach the logs either.
    let http = reqwest::Client::new();
    call(http.get(format!("{base}/p1/companies?private_api_token={token}"))).await;
    let (_, details) = get(&base, &token, &format!("/p1/companies/{company}")).await;
    let webhook_secret = details["data"]["company"]["webhook_secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    tokio::time::sleep(Duration::from_millis(500)).await;
    child.kill().await.ok();
    let out = child.wait_with_output().await.expect("output");
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(logs.contains("answered"), "info logs were written: {logs}");
    for (what, needle) in [
        ("token", token.as_str()),
        ("message body", secret_text),
        ("webhook secret", webhook_secret.as_str()),
    ] {
        assert!(!logs.contains(needle), "the {what} is in the logs");
    }
}
