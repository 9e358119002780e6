//! Teams from the outside: `confab user list`, the typed client's members calls, and
//! `confab members ...` run as a person would.

use confab_client::{ListParams, Role};
use serde_json::Value;
use tokio::process::Command;

use crate::harness::process::{BIN, confab, confab_json, stdout};
use crate::harness::*;

/// `confab [--json] user list` on `srv`'s database.
async fn user_list(srv: &TestServer, json: bool) -> std::process::Output {
    let data_dir = srv.data_dir();
    let mut command = Command::new(BIN);
    if json {
        command.arg("--json");
    }
    let out = command
        .args(["user", "list", "--data-dir"])
        .arg(&data_dir)
        .envs(crate::backend::env_for(&data_dir).await)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("run confab user list");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[tokio::test]
async fn user_list_shows_every_user_and_their_companies() {
    let srv = TestServer::start().await;
    let client = srv.client();
    let acme = client
        .companies()
        .create(&confab_client::NewCompany::new("Acme"))
        .await
        .expect("company");
    let globex = client
        .companies()
        .create(&confab_client::NewCompany::new("Globex"))
        .await
        .expect("company");
    let (bob, _) = srv.new_user("bob").await;

    let listed: Value =
        serde_json::from_slice(&user_list(&srv, true).await.stdout).expect("JSON on stdout");
    let users = listed["users"].as_array().expect("users");
    assert_eq!(users.len(), 2, "{listed}");
    assert_eq!(users[0]["id"], srv.user_id);
    assert_eq!(users[0]["name"], "tester");
    assert_eq!(users[0]["company_ids"], serde_json::json!([acme, globex]));
    assert_eq!(users[1]["id"], bob);
    assert_eq!(users[1]["name"], "bob");
    assert_eq!(users[1]["company_ids"], serde_json::json!([]));

    let table = stdout(&user_list(&srv, false).await);
    assert!(table.contains("companies"), "{table}");
    let tester_row = table
        .lines()
        .find(|l| l.contains("tester"))
        .unwrap_or_else(|| panic!("no tester row: {table}"));
    assert!(tester_row.contains(&format!("{acme}, {globex}")), "{table}");
    let bob_row = table
        .lines()
        .find(|l| l.contains("bob"))
        .unwrap_or_else(|| panic!("no bob row: {table}"));
    assert!(bob_row.contains('-'), "{table}");
}

#[tokio::test]
async fn members_round_trip_through_the_client() {
    let srv = TestServer::start().await;
    let client = srv.client();
    let company = client
        .companies()
        .create(&confab_client::NewCompany::new("Acme"))
        .await
        .expect("company");
    let members = client.members(company);
    let (bob, bob_token) = srv.new_user("bob").await;

    // The creator is the one admin.
    let page = members.list(&ListParams::new()).await.expect("list");
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].user_id, srv.user_id);
    assert_eq!(page.items[0].role, Role::Admin);
    assert_eq!(page.next_page, None);

    // An agent joins and may list, but not manage.
    let added = members.add(bob, Role::Agent).await.expect("add bob");
    assert_eq!(
        (added.user_id, added.name.as_str(), added.role),
        (bob, "bob", Role::Agent)
    );
    let as_bob = confab_client::Client::new(&srv.base, bob_token).expect("client");
    let seen = as_bob
        .members(company)
        .stream(ListParams::new().per(1))
        .collect_all()
        .await
        .expect("an agent lists the members");
    assert_eq!(
        seen.iter().map(|m| (m.user_id, m.role)).collect::<Vec<_>>(),
        vec![(srv.user_id, Role::Admin), (bob, Role::Agent)]
    );
    let refused = as_bob
        .members(company)
        .set_role(bob, Role::Admin)
        .await
        .expect_err("an agent cannot promote themselves");
    assert_eq!(refused.status(), Some(403), "{refused}");

    // Bad input is named.
    let again = members
        .add(bob, Role::Admin)
        .await
        .expect_err("already a member");
    assert_eq!(again.status(), Some(400), "{again}");
    let detail = again.parameter("user_id").expect("names user_id");
    assert_eq!(detail.code, "conflict");
    let unknown = members
        .add(bob + 1000, Role::Agent)
        .await
        .expect_err("no such user");
    assert_eq!(unknown.status(), Some(404), "{unknown}");

    // Roles change; the last admin stays.
    let promoted = members.set_role(bob, Role::Admin).await.expect("promote");
    assert_eq!(promoted.role, Role::Admin);
    let demoted = members.set_role(bob, Role::Agent).await.expect("demote");
    assert_eq!(demoted.role, Role::Agent);
    let last = members
        .set_role(srv.user_id, Role::Agent)
        .await
        .expect_err("the last admin cannot be demoted");
    assert_eq!(last.status(), Some(409), "{last}");
    let last = members
        .remove(srv.user_id)
        .await
        .expect_err("the last admin cannot leave");
    assert_eq!(last.status(), Some(409), "{last}");

    // Removal answers the member as they were.
    let removed = members.remove(bob).await.expect("remove bob");
    assert_eq!((removed.user_id, removed.role), (bob, Role::Agent));
    let left = members.list(&ListParams::new()).await.expect("list");
    assert_eq!(
        left.items.iter().map(|m| m.user_id).collect::<Vec<_>>(),
        vec![srv.user_id]
    );
    let gone = as_bob
        .members(company)
        .list(&ListParams::new())
        .await
        .expect_err("bob is no member any more");
    assert!(gone.is_not_found(), "{gone}");
}

#[tokio::test]
async fn members_from_the_command_line() {
    let srv = TestServer::start().await;
    let company = srv
        .client()
        .companies()
        .create(&confab_client::NewCompany::new("Acme"))
        .await
        .expect("company");
    let company_s = company.to_string();
    let (bob, _) = srv.new_user("bob").await;
    let bob_s = bob.to_string();

    let added = confab_json(
        &srv,
        &[
            "members",
            "add",
            "--company",
            &company_s,
            "--user",
            &bob_s,
            "--role",
            "agent",
        ],
    )
    .await;
    assert_eq!(added["user_id"], bob);
    assert_eq!(added["role"], "agent");

    let listed = confab_json(&srv, &["members", "list", "--company", &company_s]).await;
    let items = listed["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{listed}");
    assert_eq!(items[0]["user_id"], srv.user_id);
    assert_eq!(items[0]["name"], "tester");
    assert_eq!(items[0]["role"], "admin");
    assert_eq!(items[1]["user_id"], bob);
    assert_eq!(items[1]["role"], "agent");
    assert!(items[1]["added_at"].as_str().is_some(), "{listed}");
    assert_eq!(listed["next_page"], Value::Null);

    let changed = confab_json(
        &srv,
        &[
            "members",
            "role",
            "--company",
            &company_s,
            "--user",
            &bob_s,
            "--role",
            "admin",
        ],
    )
    .await;
    assert_eq!(changed["role"], "admin");

    let table = stdout(&confab(&srv, &["members", "list", "--company", &company_s, "--all"]).await);
    let bob_row = table
        .lines()
        .find(|l| l.contains("bob"))
        .unwrap_or_else(|| panic!("no bob row: {table}"));
    assert!(bob_row.contains("admin"), "{table}");

    let removed = confab_json(
        &srv,
        &[
            "members",
            "remove",
            "--company",
            &company_s,
            "--user",
            &bob_s,
        ],
    )
    .await;
    assert_eq!(removed["user_id"], bob);

    // The last admin: a failure, with the server's reason on stderr.
    let out = confab(
        &srv,
        &[
            "members",
            "remove",
            "--company",
            &company_s,
            "--user",
            &srv.user_id.to_string(),
        ],
    )
    .await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("409"), "{stderr}");

    // A role the command line does not know is refused before any call.
    let out = confab(
        &srv,
        &[
            "members",
            "add",
            "--company",
            &company_s,
            "--user",
            &bob_s,
            "--role",
            "owner",
        ],
    )
    .await;
    assert!(!out.status.success());
}
