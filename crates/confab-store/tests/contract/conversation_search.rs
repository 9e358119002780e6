//! Conversation lists with filters, search and the activity order (`find_conversations`),
//! and the inbox's tab counts (`count_conversations`).

use confab_store::{
    AssigneeFilter, Conversation, ConversationCounts, ConversationFilter, ConversationOrder,
    ConversationQuery, Role, SearchTerms,
};

use crate::backend::Backend;
use crate::fixtures::{
    T0, contact, inbound, incoming, new_channel, outbound, telegram, tenant, user,
};

contract!(
    filters_combine,
    awaiting_reply_follows_the_last_message,
    activity_order_pages_both_ways,
    search_matches_contacts_and_text_in_any_script,
    search_stays_in_its_company,
    counts_per_tab,
    counts_follow_every_change,
);

fn query(filter: ConversationFilter) -> ConversationQuery {
    ConversationQuery {
        filter,
        order: ConversationOrder::Id,
        after: None,
        descending: false,
        limit: 1000,
    }
}

async fn ids_of(s: &Backend, company_id: i64, q: ConversationQuery) -> Vec<i64> {
    s.find_conversations(company_id, q)
        .await
        .expect("find conversations")
        .iter()
        .map(|c| c.id)
        .collect()
}

async fn found(s: &Backend, company_id: i64, filter: ConversationFilter) -> Vec<i64> {
    ids_of(s, company_id, query(filter)).await
}

fn search(q: &str) -> ConversationFilter {
    ConversationFilter {
        search: Some(SearchTerms::parse(q).expect("search words")),
        ..ConversationFilter::default()
    }
}

async fn filters_combine(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let other = s
        .create_channel(t.company.id, new_channel(telegram()), T0)
        .await
        .expect("second channel");
    let a = inbound(s, &t, "79250000001", "hi", T0).await.conversation;
    let b = inbound(s, &t, "79250000002", "hi", T0 + 1)
        .await
        .conversation;
    let c = s
        .receive_message(
            other.clone(),
            contact("alice", None),
            incoming("hi"),
            T0 + 2,
        )
        .await
        .expect("receive on the second channel")
        .conversation;
    outbound(s, &t, b.id, "answer", T0 + 3).await;
    assert!(
        s.set_assignee(t.company.id, a.id, Some(t.user.id), T0)
            .await
            .expect("assign")
    );
    assert!(
        s.set_assignee(t.company.id, c.id, Some(t.user.id), T0)
            .await
            .expect("assign")
    );

    assert_eq!(
        found(s, t.company.id, ConversationFilter::default()).await,
        [a.id, b.id, c.id]
    );
    let mine = ConversationFilter {
        assignee: Some(AssigneeFilter::User(t.user.id)),
        ..ConversationFilter::default()
    };
    assert_eq!(found(s, t.company.id, mine.clone()).await, [a.id, c.id]);
    let nobody = ConversationFilter {
        assignee: Some(AssigneeFilter::Nobody),
        ..ConversationFilter::default()
    };
    assert_eq!(found(s, t.company.id, nobody).await, [b.id]);
    let stranger = ConversationFilter {
        assignee: Some(AssigneeFilter::User(t.user.id + 1000)),
        ..ConversationFilter::default()
    };
    assert!(found(s, t.company.id, stranger).await.is_empty());
    let on_other = ConversationFilter {
        channel_id: Some(other.id),
        ..ConversationFilter::default()
    };
    assert_eq!(found(s, t.company.id, on_other).await, [c.id]);
    let waiting = ConversationFilter {
        awaiting_reply: true,
        ..ConversationFilter::default()
    };
    assert_eq!(found(s, t.company.id, waiting).await, [a.id, c.id]);
    // All at once: AND.
    let all = ConversationFilter {
        channel_id: Some(t.channel.id),
        awaiting_reply: true,
        ..mine
    };
    assert_eq!(found(s, t.company.id, all).await, [a.id]);
    let none = ConversationFilter {
        channel_id: Some(other.id),
        assignee: Some(AssigneeFilter::Nobody),
        ..ConversationFilter::default()
    };
    assert!(found(s, t.company.id, none).await.is_empty());
}

async fn awaiting_reply_follows_the_last_message(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let waiting = ConversationFilter {
        awaiting_reply: true,
        ..ConversationFilter::default()
    };
    // Started by the company: nobody waits.
    let started = s
        .start_conversation(
            t.channel.clone(),
            contact("79250000009", None),
            crate::fixtures::text("Hello"),
            T0,
        )
        .await
        .expect("start")
        .conversation;
    assert!(found(s, t.company.id, waiting.clone()).await.is_empty());
    inbound(s, &t, "79250000009", "question", T0 + 1).await;
    assert_eq!(found(s, t.company.id, waiting.clone()).await, [started.id]);
    // A reply in the same millisecond still answers it: the last message decides.
    outbound(s, &t, started.id, "answer", T0 + 1).await;
    assert!(found(s, t.company.id, waiting.clone()).await.is_empty());
    inbound(s, &t, "79250000009", "again", T0 + 2).await;
    assert_eq!(found(s, t.company.id, waiting).await, [started.id]);
}

/// Pages through the list in `order` and direction, `per` at a time, from each page's last
/// row's key.
async fn walk(
    s: &Backend,
    company_id: i64,
    filter: &ConversationFilter,
    descending: bool,
    per: u32,
) -> Vec<i64> {
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = s
            .find_conversations(
                company_id,
                ConversationQuery {
                    filter: filter.clone(),
                    order: ConversationOrder::LastMessage,
                    after,
                    descending,
                    limit: per,
                },
            )
            .await
            .expect("page");
        seen.extend(page.iter().map(|c| c.id));
        match page.last() {
            Some(last) if page.len() == per as usize => {
                after = Some((last.activity_at_ms(), last.id));
            }
            _ => return seen,
        }
    }
}

async fn activity_order_pages_both_ways(s: &Backend) {
    let t = tenant(s, 1, false).await;
    // Five conversations; two share a last-activity time (the id breaks the tie), and one
    // older conversation gets the newest message.
    let mut made: Vec<Conversation> = Vec::new();
    for (n, at) in [
        (1, T0 + 10),
        (2, T0 + 20),
        (3, T0 + 20),
        (4, T0 + 30),
        (5, T0 + 40),
    ] {
        let c = inbound(s, &t, &format!("7925000000{n}"), "hi", at)
            .await
            .conversation;
        made.push(c);
    }
    let first = made.first().expect("first").id;
    outbound(s, &t, first, "late reply", T0 + 50).await;
    let ids: Vec<i64> = made.iter().map(|c| c.id).collect();
    let newest_first = vec![ids[0], ids[4], ids[3], ids[2], ids[1]];
    let oldest_first: Vec<i64> = newest_first.iter().rev().copied().collect();
    let everything = ConversationFilter::default();
    for per in [1, 2, 3, 10] {
        assert_eq!(
            walk(s, t.company.id, &everything, true, per).await,
            newest_first
        );
        assert_eq!(
            walk(s, t.company.id, &everything, false, per).await,
            oldest_first
        );
    }
    // The stored order agrees with the conversation's own activity time.
    let listed = s
        .find_conversations(
            t.company.id,
            ConversationQuery {
                order: ConversationOrder::LastMessage,
                descending: true,
                ..query(everything)
            },
        )
        .await
        .expect("list");
    let times: Vec<i64> = listed.iter().map(Conversation::activity_at_ms).collect();
    assert_eq!(times, [T0 + 50, T0 + 40, T0 + 30, T0 + 20, T0 + 20]);
    // With a filter as well.
    let waiting = ConversationFilter {
        awaiting_reply: true,
        ..ConversationFilter::default()
    };
    assert_eq!(
        walk(s, t.company.id, &waiting, true, 2).await,
        [ids[4], ids[3], ids[2], ids[1]]
    );
}

async fn search_matches_contacts_and_text_in_any_script(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let ivan = s
        .receive_message(
            t.channel.clone(),
            contact("79260000001", Some("Иван Петров")),
            incoming("Привет! Когда доставка?"),
            T0,
        )
        .await
        .expect("receive")
        .conversation;
    let jane = s
        .receive_message(
            t.channel.clone(),
            contact("79260000002", Some("Jane Doe")),
            incoming("Hello there, where is my ORDER?"),
            T0 + 1,
        )
        .await
        .expect("receive")
        .conversation;
    let bot = s
        .receive_message(
            t.channel.clone(),
            contact("ivan_the_bot", Some("Helper")),
            incoming("AND( NEAR \"quoted\" OR"),
            T0 + 2,
        )
        .await
        .expect("receive")
        .conversation;
    outbound(s, &t, jane.id, "Ваш заказ в пути", T0 + 3).await;
    let id = t.company.id;
    // Message text, case-insensitively in Cyrillic and Latin, as word prefixes.
    assert_eq!(found(s, id, search("привет")).await, [ivan.id]);
    assert_eq!(found(s, id, search("ПРИВЕТ")).await, [ivan.id]);
    assert_eq!(found(s, id, search("достав")).await, [ivan.id]);
    assert_eq!(found(s, id, search("order")).await, [jane.id]);
    assert_eq!(found(s, id, search("hello ORDER")).await, [jane.id]);
    assert!(found(s, id, search("hello доставка")).await.is_empty());
    // Outgoing text counts too.
    assert_eq!(found(s, id, search("заказ")).await, [jane.id]);
    // The contact's name, phone and username.
    assert_eq!(found(s, id, search("иван")).await, [ivan.id]);
    assert_eq!(found(s, id, search("ivan")).await, [bot.id]);
    assert_eq!(found(s, id, search("Петр")).await, [ivan.id]);
    assert_eq!(found(s, id, search("jane")).await, [jane.id]);
    assert_eq!(found(s, id, search("7926")).await, [ivan.id, jane.id]);
    assert_eq!(found(s, id, search("+7 (926) 000-00-02")).await, [jane.id]);
    assert_eq!(found(s, id, search("0000001")).await, [ivan.id]);
    assert_eq!(found(s, id, search("@ivan_the_bot")).await, [bot.id]);
    // Query syntax of either engine is only text.
    assert_eq!(found(s, id, search("AND(")).await, [bot.id]);
    assert_eq!(found(s, id, search("\"quoted\" NEAR")).await, [bot.id]);
    assert_eq!(found(s, id, search("quoted:* & !or")).await, [bot.id]);
    assert!(found(s, id, search("nothing")).await.is_empty());
    // Letters and digits neither engine makes a word of are no error either.
    for odd in ["½", "² ⓐ", "ǅ ß ﬁ", "٣٤ 〇"] {
        assert!(found(s, id, search(odd)).await.is_empty(), "{odd}");
    }
    // Any text at all is a query, never an error: a few hundred strings of ASCII
    // punctuation, Latin, Cyrillic, combining marks, CJK, symbols and astral characters.
    let alphabet: Vec<char> = "\"'*:&|!()-+^~<>{}[]\\/.,;@#% \tNEARnearANDORNOTаБвЁё"
        .chars()
        .chain([
            '\u{301}', '\u{200b}', 'ǅ', 'ß', '½', '日', 'ア', '𝟘', '😀', 'ı', 'İ',
        ])
        .collect();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..300 {
        let mut q = String::new();
        for _ in 0..(seed % 12 + 1) {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let at = usize::try_from(seed >> 33).unwrap_or(0) % alphabet.len();
            q.push(alphabet[at]);
        }
        if let Some(terms) = SearchTerms::parse(&q) {
            let filter = ConversationFilter {
                search: Some(terms),
                ..ConversationFilter::default()
            };
            s.find_conversations(id, query(filter))
                .await
                .unwrap_or_else(|e| panic!("{q:?}: {e}"));
        }
    }
    // A renamed contact is found by the new name only.
    s.receive_message(
        t.channel.clone(),
        contact("79260000002", Some("Жанна")),
        incoming("ещё вопрос"),
        T0 + 4,
    )
    .await
    .expect("rename");
    assert_eq!(found(s, id, search("жанна")).await, [jane.id]);
    assert_eq!(found(s, id, search("Doe")).await, Vec::<i64>::new());
    // Search combines with the other filters and the activity order.
    let waiting = ConversationFilter {
        awaiting_reply: true,
        ..search("7926")
    };
    assert_eq!(found(s, id, waiting).await, [ivan.id, jane.id]);
    let newest_first = ConversationQuery {
        order: ConversationOrder::LastMessage,
        descending: true,
        ..query(search("7926"))
    };
    assert_eq!(ids_of(s, id, newest_first).await, [jane.id, ivan.id]);
}

async fn search_stays_in_its_company(s: &Backend) {
    let a = tenant(s, 1, false).await;
    let b = tenant(s, 2, false).await;
    let mine = inbound(s, &a, "79250000001", "секрет", T0)
        .await
        .conversation;
    inbound(s, &b, "79250000001", "секрет", T0).await;
    assert_eq!(found(s, a.company.id, search("секрет")).await, [mine.id]);
    assert_eq!(
        found(s, a.company.id, search("79250000001")).await,
        [mine.id]
    );
}

async fn counts_per_tab(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let other = s
        .create_channel(t.company.id, new_channel(telegram()), T0)
        .await
        .expect("second channel");
    let none = s
        .count_conversations(t.company.id, t.user.id, None)
        .await
        .expect("counts");
    assert_eq!(none, ConversationCounts::default());
    let a = inbound(s, &t, "79250000001", "hi", T0).await.conversation;
    let b = inbound(s, &t, "79250000002", "hi", T0).await.conversation;
    inbound(s, &t, "79250000003", "hi", T0).await;
    let d = s
        .receive_message(other.clone(), contact("bob", None), incoming("hi"), T0)
        .await
        .expect("receive")
        .conversation;
    outbound(s, &t, b.id, "answer", T0 + 1).await;
    s.set_assignee(t.company.id, a.id, Some(t.user.id), T0)
        .await
        .expect("assign");
    s.set_assignee(t.company.id, d.id, Some(t.user.id), T0)
        .await
        .expect("assign");
    s.set_assignee(t.company.id, b.id, Some(t.user.id + 1000), T0)
        .await
        .expect("assign");
    let counts = s
        .count_conversations(t.company.id, t.user.id, None)
        .await
        .expect("counts");
    assert_eq!(
        counts,
        ConversationCounts {
            mine: 2,
            unassigned: 1,
            all: 4,
            awaiting_reply: 3,
        }
    );
    let on_other = s
        .count_conversations(t.company.id, t.user.id, Some(other.id))
        .await
        .expect("counts");
    assert_eq!(
        on_other,
        ConversationCounts {
            mine: 1,
            unassigned: 0,
            all: 1,
            awaiting_reply: 1,
        }
    );
    // Another company's view of the same user counts nothing of this one.
    let elsewhere = tenant(s, 2, false).await;
    let theirs = s
        .count_conversations(elsewhere.company.id, t.user.id, None)
        .await
        .expect("counts");
    assert_eq!(theirs, ConversationCounts::default());
}

/// The counts as the filters see them: what the tallies must always agree with.
async fn recount(
    s: &Backend,
    company_id: i64,
    user_id: i64,
    channel_id: Option<i64>,
) -> ConversationCounts {
    let count = |assignee, awaiting_reply| {
        let filter = ConversationFilter {
            channel_id,
            assignee,
            awaiting_reply,
            search: None,
        };
        async move { i64::try_from(found(s, company_id, filter).await.len()).expect("a count") }
    };
    ConversationCounts {
        mine: count(Some(AssigneeFilter::User(user_id)), false).await,
        unassigned: count(Some(AssigneeFilter::Nobody), false).await,
        all: count(None, false).await,
        awaiting_reply: count(None, true).await,
    }
}

/// After every kind of write that moves a conversation between tabs (a new conversation,
/// a reply, a new customer message, assigning, reassigning, unassigning, a member's
/// removal), the counts equal a recount through the filters, per channel and in all, for
/// each member; another company's writes never show.
async fn counts_follow_every_change(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let bob = user(s, 2).await;
    s.add_member(t.company.id, bob.id, Role::Agent, T0)
        .await
        .expect("add bob");
    let other = s
        .create_channel(t.company.id, new_channel(telegram()), T0)
        .await
        .expect("second channel");
    let elsewhere = tenant(s, 3, false).await;
    let mut conversations = Vec::new();
    let check = |step: &'static str| async move {
        for member in [t.user.id, bob.id] {
            for channel in [None, Some(t.channel.id), Some(other.id)] {
                let counts = s
                    .count_conversations(t.company.id, member, channel)
                    .await
                    .expect("counts");
                let expected = recount(s, t.company.id, member, channel).await;
                assert_eq!(
                    counts, expected,
                    "{step}: member {member}, channel {channel:?}"
                );
            }
        }
    };
    check("empty").await;
    for n in 0..4 {
        let phone = format!("7925000000{n}");
        conversations.push(inbound(s, &t, &phone, "hi", T0 + n).await.conversation.id);
        inbound(s, &elsewhere, &phone, "hi", T0 + n).await;
    }
    let on_other = s
        .receive_message(other.clone(), contact("bob", None), incoming("hi"), T0)
        .await
        .expect("receive")
        .conversation
        .id;
    conversations.push(on_other);
    check("new conversations").await;
    outbound(s, &t, conversations[0], "answer", T0 + 10).await;
    outbound(s, &t, conversations[0], "another answer", T0 + 11).await;
    check("replies").await;
    inbound(s, &t, "79250000000", "thanks", T0 + 12).await;
    check("the customer again").await;
    for (i, &id) in conversations.iter().enumerate() {
        let assignee = if i % 2 == 0 { t.user.id } else { bob.id };
        s.set_assignee(t.company.id, id, Some(assignee), T0 + 20)
            .await
            .expect("assign");
    }
    s.set_assignee(t.company.id, conversations[0], Some(t.user.id), T0 + 21)
        .await
        .expect("assign again to the same");
    check("assigned").await;
    s.set_assignee(t.company.id, conversations[2], Some(bob.id), T0 + 22)
        .await
        .expect("reassign");
    s.set_assignee(t.company.id, conversations[1], None, T0 + 23)
        .await
        .expect("unassign");
    check("reassigned and unassigned").await;
    s.remove_member(t.company.id, bob.id, T0 + 30)
        .await
        .expect("remove bob");
    check("bob removed").await;
    let all = s
        .count_conversations(t.company.id, t.user.id, None)
        .await
        .expect("counts");
    assert_eq!(all.all, 5);
    let theirs = s
        .count_conversations(elsewhere.company.id, elsewhere.user.id, None)
        .await
        .expect("counts");
    assert_eq!(
        theirs,
        ConversationCounts {
            mine: 0,
            unassigned: 4,
            all: 4,
            awaiting_reply: 4,
        }
    );
}
