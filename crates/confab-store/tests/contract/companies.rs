//! Companies and membership: `create_company` (the creator is the first member),
//! `list_companies` paging, `member_company`, `is_member`, `authorize`,
//! `authorize_conversation`, `authorize_list` and `update_company`'s patch semantics.

use confab_store::{Company, CompanyPatch, NewCompany, Role};

use crate::backend::Backend;
use crate::fixtures::{
    T0, check_id_paging, company, contact, everything, ids, inbound, incoming, new_company, page,
    tenant, token, user,
};

contract!(
    the_creator_is_the_first_member,
    companies_page_by_id_both_ways,
    authorize_tells_members_from_others,
    authorize_conversation_reads_the_member_company_conversation,
    authorize_list_reads_the_member_company_page,
    update_company_changes_only_the_patched_fields,
);

async fn the_creator_is_the_first_member(s: &Backend) {
    let alice = user(s, 1).await;
    let bob = user(s, 2).await;
    let new = NewCompany {
        name: "Acme".to_owned(),
        phone: Some("+7 925 000-00-01".to_owned()),
        description: Some("Shop".to_owned()),
        webhook_url: Some("https://hooks.example/acme".to_owned()),
        webhook_secret: "whsec_acme".to_owned(),
    };
    let acme = s
        .create_company(alice.id, new.clone(), T0)
        .await
        .expect("create");
    assert_eq!(
        acme,
        Company {
            id: 1,
            name: new.name,
            phone: new.phone,
            description: new.description,
            webhook_url: new.webhook_url,
            hidden: false,
            created_at_ms: T0,
            webhook_secret: new.webhook_secret,
            member_role: confab_store::Role::Admin,
        }
    );
    assert_eq!(
        s.member_company(alice.id, acme.id).await.expect("member"),
        Some(acme.clone())
    );
    assert!(s.is_member(acme.id, alice.id).await.expect("is_member"));
    assert!(!s.is_member(acme.id, bob.id).await.expect("is_member"));
    assert_eq!(
        s.member_company(bob.id, acme.id).await.expect("member"),
        None
    );
    assert_eq!(
        s.list_companies(alice.id, everything())
            .await
            .expect("list"),
        vec![acme.clone()]
    );
    assert!(
        s.list_companies(bob.id, everything())
            .await
            .expect("list")
            .is_empty()
    );
    // No such company.
    assert_eq!(s.member_company(alice.id, 999).await.expect("member"), None);
    assert!(!s.is_member(999, alice.id).await.expect("is_member"));
    // A company with none of the optional fields reads back with none.
    let bare = s
        .create_company(bob.id, new_company("Bare"), T0 + 5)
        .await
        .expect("create");
    assert_eq!(
        bare,
        Company {
            id: 2,
            name: "Bare".to_owned(),
            phone: None,
            description: None,
            webhook_url: None,
            hidden: false,
            created_at_ms: T0 + 5,
            webhook_secret: "whsec_Bare".to_owned(),
            member_role: confab_store::Role::Admin,
        }
    );
    assert_eq!(company(s, bob.id, bare.id).await, bare);
    // A creator who does not exist cannot found a company. (Last: on PostgreSQL the
    // refused insert still uses up an id, on SQLite it does not.)
    assert!(
        s.create_company(999, new_company("Orphan"), T0)
            .await
            .is_err(),
        "a company without a member was created"
    );
}

async fn companies_page_by_id_both_ways(s: &Backend) {
    let alice = user(s, 1).await;
    let bob = user(s, 2).await;
    let mut mine = Vec::new();
    for n in 0..5 {
        // Bob's companies fall between Alice's, so her ids are not contiguous.
        s.create_company(bob.id, new_company(&format!("bob{n}")), T0)
            .await
            .expect("create");
        let c = s
            .create_company(alice.id, new_company(&format!("alice{n}")), T0 + n)
            .await
            .expect("create");
        mine.push(c);
    }
    assert_eq!(
        s.list_companies(alice.id, everything())
            .await
            .expect("list"),
        mine,
        "Alice's companies, ascending, as created"
    );
    let expected = ids(&mine, |c| c.id);
    check_id_paging("companies", &expected, |p| async move {
        let page = s.list_companies(alice.id, p).await.expect("list");
        ids(&page, |c| c.id)
    })
    .await;
}

async fn authorize_tells_members_from_others(s: &Backend) {
    let a = tenant(s, 1, false).await;
    let b = tenant(s, 2, false).await;
    assert_eq!(
        s.authorize(token(1), a.company.id)
            .await
            .expect("authorize"),
        Some((a.user.clone(), Some(a.company.clone())))
    );
    // A user of another company: known, but no company.
    assert_eq!(
        s.authorize(token(2), a.company.id)
            .await
            .expect("authorize"),
        Some((b.user.clone(), None))
    );
    // A company that does not exist.
    assert_eq!(
        s.authorize(token(1), 999).await.expect("authorize"),
        Some((a.user.clone(), None))
    );
    // A token nobody has.
    assert_eq!(
        s.authorize(token(9), a.company.id)
            .await
            .expect("authorize"),
        None
    );
}

async fn authorize_conversation_reads_the_member_company_conversation(s: &Backend) {
    let a = tenant(s, 1, false).await;
    let b = tenant(s, 2, false).await;
    let mine = s
        .receive_message(
            a.channel.clone(),
            contact("100", Some("Ivan")),
            incoming("hi"),
            T0,
        )
        .await
        .expect("receive")
        .conversation;
    let theirs = inbound(s, &b, "200", "hello", T0).await.conversation;

    let check = |token_n, company_id, conversation_id| async move {
        s.authorize_conversation(token(token_n), company_id, conversation_id)
            .await
            .expect("authorize_conversation")
    };
    assert_eq!(
        check(1, a.company.id, mine.id).await,
        Some((
            a.user.clone(),
            Some((a.company.clone(), Some(mine.clone())))
        ))
    );
    // The member, an unknown conversation.
    assert_eq!(
        check(1, a.company.id, 999).await,
        Some((a.user.clone(), Some((a.company.clone(), None))))
    );
    // The member, another company's conversation id: not found in this company.
    assert_eq!(
        check(1, a.company.id, theirs.id).await,
        Some((a.user.clone(), Some((a.company.clone(), None))))
    );
    // Not a member: no company, and so no conversation.
    assert_eq!(
        check(2, a.company.id, mine.id).await,
        Some((b.user.clone(), None))
    );
    // Unknown token.
    assert_eq!(check(9, a.company.id, mine.id).await, None);
    // Unknown company.
    assert_eq!(check(1, 999, mine.id).await, Some((a.user.clone(), None)));
}

async fn authorize_list_reads_the_member_company_page(s: &Backend) {
    let a = tenant(s, 1, false).await;
    let b = tenant(s, 2, false).await;
    let empty = tenant(s, 3, false).await;
    for n in 0..5 {
        inbound(s, &a, &format!("10{n}"), "hi", T0 + n).await;
    }
    let theirs = inbound(s, &b, "200", "hello", T0).await.conversation;
    // An agent of company a, so the company's role is the caller's own.
    let agent = user(s, 4).await;
    s.add_member(a.company.id, agent.id, Role::Agent, T0)
        .await
        .expect("add an agent");
    let as_agent = s
        .member_company(agent.id, a.company.id)
        .await
        .expect("member")
        .expect("the agent is a member");
    let all = s
        .list_conversations(a.company.id, everything())
        .await
        .expect("list");
    assert_eq!(all.len(), 5);

    let check = |token_n, company_id, request| async move {
        s.authorize_list(token(token_n), company_id, request)
            .await
            .expect("authorize_list")
    };
    // A member gets, page by page and both ways, what list_conversations answers.
    for descending in [false, true] {
        for limit in [1, 2, 6] {
            let mut after = None;
            loop {
                let request = page(after, descending, limit);
                let want = s
                    .list_conversations(a.company.id, request)
                    .await
                    .expect("list");
                assert_eq!(
                    check(1, a.company.id, request).await,
                    Some((a.user.clone(), Some((a.company.clone(), want.clone())))),
                    "after {after:?}, descending {descending}, limit {limit}"
                );
                let Some(last) = want.last() else { break };
                after = Some(last.id);
            }
        }
    }
    // After a cursor in the middle: the rows beyond it, in order.
    let cursor = all.get(1).map(|c| c.id);
    let beyond: Vec<_> = all.iter().skip(2).take(2).cloned().collect();
    assert_eq!(
        check(1, a.company.id, page(cursor, false, 2)).await,
        Some((a.user.clone(), Some((a.company.clone(), beyond))))
    );
    // The agent gets the company with their own role.
    assert_eq!(
        check(4, a.company.id, everything()).await,
        Some((agent.clone(), Some((as_agent, all.clone()))))
    );
    // A member of a company without conversations: the company and an empty page.
    assert_eq!(
        check(3, empty.company.id, everything()).await,
        Some((
            empty.user.clone(),
            Some((empty.company.clone(), Vec::new()))
        ))
    );
    // Not a member: no company, so none of its rows (b's own company has one).
    assert_eq!(
        check(2, a.company.id, everything()).await,
        Some((b.user.clone(), None))
    );
    assert_eq!(
        check(1, b.company.id, page(Some(theirs.id - 1), false, 10)).await,
        Some((a.user.clone(), None))
    );
    // Unknown token.
    assert_eq!(check(9, a.company.id, everything()).await, None);
    // Unknown company.
    assert_eq!(
        check(1, 999, everything()).await,
        Some((a.user.clone(), None))
    );
}

async fn update_company_changes_only_the_patched_fields(s: &Backend) {
    let alice = user(s, 1).await;
    let new = NewCompany {
        name: "Acme".to_owned(),
        phone: Some("+1 555".to_owned()),
        description: Some("Shop".to_owned()),
        webhook_url: Some("https://hooks.example/acme".to_owned()),
        webhook_secret: "whsec_1".to_owned(),
    };
    let mut want = s.create_company(alice.id, new, T0).await.expect("create");
    let other = s
        .create_company(alice.id, new_company("Other"), T0)
        .await
        .expect("create");

    let mut step = |patch: CompanyPatch, change: fn(&mut Company)| {
        change(&mut want);
        let want = want.clone();
        async move {
            s.update_company(want.id, patch.clone())
                .await
                .expect("update");
            assert_eq!(company(s, alice.id, want.id).await, want, "after {patch:?}");
        }
    };

    // Nothing in the patch: nothing changes.
    step(CompanyPatch::default(), |_| {}).await;
    step(
        CompanyPatch {
            name: Some("Acme Ltd".to_owned()),
            ..CompanyPatch::default()
        },
        |c| c.name = "Acme Ltd".to_owned(),
    )
    .await;
    // `Some(None)` clears, `Some(Some(_))` sets, `None` leaves alone.
    step(
        CompanyPatch {
            phone: Some(None),
            description: Some(Some("Big shop".to_owned())),
            ..CompanyPatch::default()
        },
        |c| {
            c.phone = None;
            c.description = Some("Big shop".to_owned());
        },
    )
    .await;
    step(
        CompanyPatch {
            hidden: Some(true),
            webhook_secret: Some("whsec_2".to_owned()),
            ..CompanyPatch::default()
        },
        |c| {
            c.hidden = true;
            c.webhook_secret = "whsec_2".to_owned();
        },
    )
    .await;
    step(
        CompanyPatch {
            webhook_url: Some(None),
            description: Some(None),
            ..CompanyPatch::default()
        },
        |c| {
            c.webhook_url = None;
            c.description = None;
        },
    )
    .await;
    step(
        CompanyPatch {
            phone: Some(Some("+44 20".to_owned())),
            webhook_url: Some(Some("https://hooks.example/new".to_owned())),
            hidden: Some(false),
            ..CompanyPatch::default()
        },
        |c| {
            c.phone = Some("+44 20".to_owned());
            c.webhook_url = Some("https://hooks.example/new".to_owned());
            c.hidden = false;
        },
    )
    .await;
    // Every field at once.
    step(
        CompanyPatch {
            name: Some("Acme 3".to_owned()),
            phone: Some(Some("3".to_owned())),
            description: Some(Some("three".to_owned())),
            webhook_url: Some(None),
            hidden: Some(true),
            webhook_secret: Some("whsec_3".to_owned()),
        },
        |c| {
            c.name = "Acme 3".to_owned();
            c.phone = Some("3".to_owned());
            c.description = Some("three".to_owned());
            c.webhook_url = None;
            c.hidden = true;
            c.webhook_secret = "whsec_3".to_owned();
        },
    )
    .await;

    // No such company: nothing to do, no error.
    s.update_company(
        999,
        CompanyPatch {
            name: Some("ghost".to_owned()),
            ..CompanyPatch::default()
        },
    )
    .await
    .expect("update of no company");
    // The other company never changed.
    assert_eq!(company(s, alice.id, other.id).await, other);
}
