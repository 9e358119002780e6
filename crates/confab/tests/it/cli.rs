//! The `confab` client subcommands, run as a person would, against a real sandbox server.

use serde_json::json;
use tokio::process::Command;

use crate::harness::process::{BIN, confab, confab_json, stdout};
use crate::harness::*;

#[tokio::test]
async fn a_whole_sandbox_conversation_from_the_command_line() {
    let srv = TestServer::start().await;
    let company =
        confab_json(&srv, &["companies", "create", "--name", "Acme"]).await["external_id"]
            .as_i64()
            .expect("id");
    let company_s = company.to_string();
    let channel = confab_json(
        &srv,
        &[
            "channels",
            "create",
            "--company",
            &company_s,
            "--provider",
            "whatsapp",
        ],
    )
    .await["external_id"]
        .as_i64()
        .expect("id");
    let channel_s = channel.to_string();
    let conversation = confab_json(
        &srv,
        &[
            "conversations",
            "create",
            "--company",
            &company_s,
            "--phone",
            "+79250000001",
            "--text",
            "Hello",
        ],
    )
    .await;
    assert_eq!(conversation["sender_external_id"], "79250000001");
    let conv_s = conversation["external_id"]
        .as_i64()
        .expect("id")
        .to_string();

    let inbound = confab_json(
        &srv,
        &[
            "sandbox",
            "inbound",
            "--company",
            &company_s,
            "--channel",
            &channel_s,
            "--from",
            "79250000001",
            "--name",
            "Ivan",
            "--text",
            "Hi!",
        ],
    )
    .await;
    assert_eq!(inbound["conversation_id"].to_string(), conv_s);

    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("price list.txt");
    std::fs::write(&file, b"tea 5, coffee 7").expect("write");
    let job = confab_json(
        &srv,
        &[
            "messages",
            "send",
            "--company",
            &company_s,
            "--conversation",
            &conv_s,
            "--text",
            "Here",
            "--attach",
            file.to_str().expect("path"),
            "--wait",
        ],
    )
    .await;
    assert_eq!(job["state"], "delivered");
    assert_eq!(job["details"], json!({"result": "DELIVERED"}));

    let messages = confab_json(
        &srv,
        &[
            "messages",
            "list",
            "--company",
            &company_s,
            "--conversation",
            &conv_s,
            "--all",
        ],
    )
    .await;
    let items = messages["items"].as_array().expect("items");
    let texts: Vec<&str> = items.iter().filter_map(|m| m["message"].as_str()).collect();
    assert_eq!(texts, ["Hello", "Hi!", "Here"]);
    assert_eq!(items[2]["external_id"], job["message_id"]);
    assert_eq!(items[2]["attachments"][0]["file_name"], "price list.txt");
    assert_eq!(items[2]["attachments"][0]["size"], 15);

    let out = confab(
        &srv,
        &[
            "conversations",
            "note",
            "--company",
            &company_s,
            &conv_s,
            "--note",
            "VIP",
        ],
    )
    .await;
    assert!(out.status.success());
    let out = confab(
        &srv,
        &[
            "conversations",
            "assign",
            "--company",
            &company_s,
            &conv_s,
            "--user",
            &srv.user_id.to_string(),
        ],
    )
    .await;
    assert!(out.status.success());
    let shown = confab_json(
        &srv,
        &["conversations", "show", "--company", &company_s, &conv_s],
    )
    .await;
    assert_eq!(
        (&shown["note"], &shown["assignee_id"], &shown["name"]),
        (&json!("VIP"), &json!(srv.user_id), &json!("Ivan"))
    );

    // The human forms: an aligned table and key/value records.
    let out = confab(
        &srv,
        &[
            "messages",
            "list",
            "--company",
            &company_s,
            "--conversation",
            &conv_s,
        ],
    )
    .await;
    let table = stdout(&out);
    assert!(
        table.contains("Hello") && table.contains("price list.txt") && table.contains("ack"),
        "{table}"
    );
    let out = confab(
        &srv,
        &["conversations", "show", "--company", &company_s, &conv_s],
    )
    .await;
    assert!(
        stdout(&out)
            .lines()
            .any(|l| l.starts_with("note") && l.ends_with("VIP")),
        "{}",
        stdout(&out)
    );
}

#[tokio::test]
async fn lists_page_or_follow_to_the_end() {
    let srv = TestServer::start().await;
    for i in 0..5 {
        srv.company(&format!("C{i}")).await;
    }
    let page = confab_json(&srv, &["companies", "list", "--per", "2"]).await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    let token = page["next_page"].as_str().expect("token").to_owned();
    let next = confab_json(&srv, &["companies", "list", "--per", "2", "--from", &token]).await;
    assert_eq!(next["items"][0]["name"], "C2");
    let all = confab_json(
        &srv,
        &["companies", "list", "--per", "2", "--all", "--desc"],
    )
    .await;
    let names: Vec<&str> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, ["C4", "C3", "C2", "C1", "C0"]);
    assert_eq!(all["next_page"], json!(null));
    let out = confab(&srv, &["companies", "list", "--per", "2"]).await;
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--from"),
        "the human form says how to go on"
    );
}

#[tokio::test]
async fn errors_are_one_clear_line_and_a_failing_exit() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await.to_string();
    for (args, want) in [
        (
            vec!["conversations", "show", "--company", &company, "999"],
            "conversation not found",
        ),
        (vec!["companies", "list", "--per", "0"], "per"),
        (
            vec![
                "channels",
                "create",
                "--company",
                &company,
                "--provider",
                "icq",
            ],
            "--provider",
        ),
        (
            vec![
                "channels",
                "create",
                "--company",
                &company,
                "--provider",
                "telegram",
                "--set",
                "token",
            ],
            "NAME=VALUE",
        ),
        (
            vec![
                "messages",
                "send",
                "--company",
                &company,
                "--conversation",
                "1",
            ],
            "--text",
        ),
    ] {
        let out = confab(&srv, &args).await;
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    let out = Command::new(BIN)
        .args(["companies", "list"])
        .env("CONFAB_URL", &srv.base)
        .env_remove("CONFAB_TOKEN")
        .output()
        .await
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("CONFAB_TOKEN"));
    let out = Command::new(BIN)
        .args(["companies", "list", "--token", "wrong", "--url", &srv.base])
        .output()
        .await
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("401"));
}

#[tokio::test]
async fn shell_completions() {
    let out = Command::new(BIN)
        .args(["completions", "bash"])
        .output()
        .await
        .expect("run");
    assert!(out.status.success());
    let script = String::from_utf8_lossy(&out.stdout);
    assert!(
        script.contains("conversations") && script.contains("--attach"),
        "{script}"
    );
}

#[tokio::test]
async fn conversations_are_filtered_searched_and_counted_from_the_command_line() {
    let srv = TestServer::start().await;
    let (company, channel, started) = srv.fixture().await;
    let (waiting, _) = srv
        .inbound(company, channel, "79250000002", "Where is my parcel?")
        .await;
    let company_s = company.to_string();
    let ids = |v: &serde_json::Value| -> Vec<i64> {
        v["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|c| c["external_id"].as_i64())
            .collect()
    };
    let list = |extra: &[&'static str]| -> Vec<String> {
        ["conversations", "list", "--company", &company_s]
            .iter()
            .chain(extra)
            .map(|s| (*s).to_owned())
            .collect()
    };
    fn args(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    let found = confab_json(&srv, &args(&list(&["--search", "parcel"]))).await;
    assert_eq!(ids(&found), [waiting]);
    let found = confab_json(
        &srv,
        &args(&list(&["--awaiting-reply", "--assignee", "none"])),
    )
    .await;
    assert_eq!(ids(&found), [waiting]);
    let found = confab_json(
        &srv,
        &args(&list(&["--by-last-message", "--desc", "--all"])),
    )
    .await;
    assert_eq!(ids(&found), [waiting, started]);
    let out = confab(&srv, &args(&list(&["--assignee", "someone"]))).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--assignee"));

    let meta = confab_json(&srv, &["conversations", "meta", "--company", &company_s]).await;
    assert_eq!(
        meta,
        json!({"mine": 0, "unassigned": 2, "all": 2, "awaiting_reply": 1})
    );
}
