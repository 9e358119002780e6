//! Members: what the calls send (paths, methods, JSON bodies), how pages are followed,
//! and a last-admin 409 kept distinguishable; against a local peer.

use confab_client::{ListParams, Role};
use serde_json::{Value, json};

use crate::harness::{Answer, Peer};

fn member(user_id: i64, role: &str) -> Value {
    json!({"user_id": user_id, "name": format!("user {user_id}"), "role": role,
           "added_at": "2026-01-01T00:00:00.000Z"})
}

fn ok(data: Value) -> Answer {
    Answer::json(&json!({"status": "ok", "data": data}).to_string())
}

#[tokio::test]
async fn member_calls_send_what_the_server_expects() {
    let peer = Peer::start().await;
    peer.script([
        ok(json!({"members": [member(1, "admin")], "next_page": "p2"})),
        ok(json!({"members": [member(2, "agent")], "next_page": null})),
        ok(json!({"member": member(3, "agent")})),
        ok(json!({"member": member(3, "admin")})),
        ok(json!({"member": member(3, "admin")})),
        Answer::with(
            409,
            r#"{"status":"error","message":"a company keeps at least one admin","errors":[]}"#,
        ),
    ]);
    let members = peer.client().members(7);

    let all = members
        .stream(ListParams::new().per(1))
        .collect_all()
        .await
        .expect("two pages");
    assert_eq!(
        all.iter().map(|m| (m.user_id, m.role)).collect::<Vec<_>>(),
        vec![(1, Role::Admin), (2, Role::Agent)]
    );
    let added = members.add(3, Role::Agent).await.expect("add");
    assert_eq!((added.user_id, added.role), (3, Role::Agent));
    let changed = members.set_role(3, Role::Admin).await.expect("role");
    assert_eq!(changed.role, Role::Admin);
    let removed = members.remove(3).await.expect("remove");
    assert_eq!(removed.user_id, 3);
    let last = members.remove(1).await.expect_err("the last admin");
    assert_eq!(last.status(), Some(409));
    assert!(!last.is_not_found());

    let seen = peer.seen();
    let calls: Vec<(String, String)> = seen
        .iter()
        .map(|s| (s.method.to_string(), s.uri.to_string()))
        .collect();
    assert_eq!(
        calls,
        vec![
            ("GET".into(), "/p1/companies/7/members?per=1".into()),
            ("GET".into(), "/p1/companies/7/members?from=p2&per=1".into()),
            ("POST".into(), "/p1/companies/7/members".into()),
            ("PUT".into(), "/p1/companies/7/members/3".into()),
            ("DELETE".into(), "/p1/companies/7/members/3".into()),
            ("DELETE".into(), "/p1/companies/7/members/1".into()),
        ]
    );
    let body = |i: usize| -> Value { serde_json::from_slice(&seen[i].body).expect("JSON body") };
    assert_eq!(body(2), json!({"user_id": 3, "role": "agent"}));
    assert_eq!(body(3), json!({"role": "admin"}));
    assert!(seen[4].body.is_empty());
}
