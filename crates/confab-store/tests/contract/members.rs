//! Members and roles: the creator is the first admin; members are added (once, and only
//! existing users), listed by user id, re-roled and removed; the company always keeps an
//! admin; a removed member's conversations are unassigned with one event each, and their
//! membership (the tenancy check) ends at once. Users are listed with their companies.

use confab_store::{EventQuery, Role, StoreError};

use crate::backend::Backend;
use crate::fixtures::{T0, everything, inbound, settle, tenant, user};

contract!(
    the_creator_is_the_first_admin_and_members_are_added_once,
    the_company_always_keeps_an_admin,
    a_removed_members_conversations_are_unassigned_and_announced,
    users_are_listed_with_their_companies,
);

async fn the_creator_is_the_first_admin_and_members_are_added_once(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let cid = t.company.id;
    assert_eq!(t.company.member_role, Role::Admin);
    let bob = user(s, 2).await;
    let carol = user(s, 3).await;
    let added = s
        .add_member(cid, bob.id, Role::Agent, T0 + 5)
        .await
        .expect("add bob");
    assert_eq!(
        (
            added.user_id,
            added.name.as_str(),
            added.role,
            added.added_at_ms
        ),
        (bob.id, "user2", Role::Agent, T0 + 5)
    );
    s.add_member(cid, carol.id, Role::Admin, T0 + 6)
        .await
        .expect("add carol");
    match s.add_member(cid, bob.id, Role::Admin, T0 + 7).await {
        Err(StoreError::Conflict { what: "user_id" }) => {}
        other => panic!("bob added twice: {other:?}"),
    }
    match s.add_member(cid, 9999, Role::Agent, T0 + 7).await {
        Err(StoreError::NotFound("user")) => {}
        other => panic!("an unknown user added: {other:?}"),
    }
    let members = s.list_members(cid, everything()).await.expect("list");
    let listed: Vec<(i64, Role)> = members.iter().map(|m| (m.user_id, m.role)).collect();
    assert_eq!(
        listed,
        [
            (t.user.id, Role::Admin),
            (bob.id, Role::Agent),
            (carol.id, Role::Admin)
        ]
    );
    // Bob's view of the company carries his role; the tenancy check lets him in.
    let as_bob = s
        .member_company(bob.id, cid)
        .await
        .expect("read")
        .expect("bob is a member");
    assert_eq!(as_bob.member_role, Role::Agent);
    let (_, company) = s
        .authorize(crate::fixtures::token(2), cid)
        .await
        .expect("authorize")
        .expect("bob's token");
    assert_eq!(company.map(|c| c.member_role), Some(Role::Agent));
    let promoted = s
        .set_member_role(cid, bob.id, Role::Admin)
        .await
        .expect("promote");
    assert_eq!(promoted.role, Role::Admin);
    match s.set_member_role(cid, 9999, Role::Admin).await {
        Err(StoreError::NotFound("member")) => {}
        other => panic!("a non-member re-roled: {other:?}"),
    }
}

async fn the_company_always_keeps_an_admin(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let cid = t.company.id;
    let bob = user(s, 2).await;
    s.add_member(cid, bob.id, Role::Agent, T0)
        .await
        .expect("add");
    for refused in [
        s.set_member_role(cid, t.user.id, Role::Agent).await,
        s.remove_member(cid, t.user.id, T0 + 1).await,
    ] {
        match refused {
            Err(StoreError::Refused {
                what: "role",
                reason,
            }) => {
                assert!(reason.contains("last admin"), "{reason}");
            }
            other => panic!("the last admin went: {other:?}"),
        }
    }
    assert!(s.is_member(cid, t.user.id).await.expect("member"));
    // With a second admin, either may go.
    s.set_member_role(cid, bob.id, Role::Admin)
        .await
        .expect("promote");
    let demoted = s
        .set_member_role(cid, t.user.id, Role::Agent)
        .await
        .expect("demote the creator");
    assert_eq!(demoted.role, Role::Agent);
    // An agent may always be removed; now bob is the last admin.
    s.remove_member(cid, t.user.id, T0 + 2)
        .await
        .expect("remove");
    assert!(matches!(
        s.remove_member(cid, bob.id, T0 + 3).await,
        Err(StoreError::Refused { .. })
    ));
    assert!(!s.is_member(cid, t.user.id).await.expect("member"));
    assert!(
        s.member_company(t.user.id, cid)
            .await
            .expect("read")
            .is_none()
    );
}

async fn a_removed_members_conversations_are_unassigned_and_announced(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let cid = t.company.id;
    let bob = user(s, 2).await;
    s.add_member(cid, bob.id, Role::Agent, T0)
        .await
        .expect("add");
    let c1 = inbound(s, &t, "600", "one", T0 + 1).await.conversation.id;
    let c2 = inbound(s, &t, "700", "two", T0 + 2).await.conversation.id;
    let c3 = inbound(s, &t, "800", "three", T0 + 3).await.conversation.id;
    for c in [c1, c2] {
        assert!(
            s.set_assignee(cid, c, Some(bob.id), T0)
                .await
                .expect("assign")
        );
    }
    assert!(
        s.set_assignee(cid, c3, Some(t.user.id), T0)
            .await
            .expect("assign")
    );
    settle(s).await;
    let head = s
        .read_events(cid, EventQuery::default())
        .await
        .expect("head")
        .next_after;
    let removed = s.remove_member(cid, bob.id, T0 + 10).await.expect("remove");
    assert_eq!((removed.user_id, removed.role), (bob.id, Role::Agent));
    for (c, assignee) in [(c1, None), (c2, None), (c3, Some(t.user.id))] {
        let conversation = s
            .get_conversation(cid, c)
            .await
            .expect("get")
            .expect("conversation");
        assert_eq!(conversation.assignee_id, assignee, "conversation {c}");
    }
    settle(s).await;
    let after = s
        .read_events(
            cid,
            EventQuery {
                after: Some(head),
                limit: 100,
                ..EventQuery::default()
            },
        )
        .await
        .expect("read")
        .events;
    let announced: Vec<(&str, Option<i64>, i64)> = after
        .iter()
        .map(|e| (e.label.as_str(), e.conversation_id, e.created_at_ms))
        .collect();
    assert_eq!(
        announced,
        [
            ("conversation.assign", Some(c1), T0 + 10),
            ("conversation.assign", Some(c2), T0 + 10)
        ]
    );
    match s.remove_member(cid, bob.id, T0 + 11).await {
        Err(StoreError::NotFound("member")) => {}
        other => panic!("removed twice: {other:?}"),
    }
}

async fn users_are_listed_with_their_companies(s: &Backend) {
    let a = tenant(s, 1, false).await;
    let b = tenant(s, 2, false).await;
    let carol = user(s, 3).await;
    s.add_member(a.company.id, b.user.id, Role::Agent, T0)
        .await
        .expect("add");
    let users = s.list_users().await.expect("users");
    let listed: Vec<(i64, &str, Vec<i64>)> = users
        .iter()
        .map(|u| (u.user.id, u.user.name.as_str(), u.company_ids.clone()))
        .collect();
    let mut b_companies = vec![a.company.id, b.company.id];
    b_companies.sort_unstable();
    assert_eq!(
        listed,
        [
            (a.user.id, "user1", vec![a.company.id]),
            (b.user.id, "user2", b_companies),
            (carol.id, "user3", vec![]),
        ]
    );
}
