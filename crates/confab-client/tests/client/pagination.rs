//! Pages and streams over lists longer than the largest page (100).

use confab_client::{Inbound, ListParams, NewCompany};
use futures_util::{StreamExt, TryStreamExt};

use crate::harness::TestServer;

const MANY: i64 = 105;

#[tokio::test]
async fn companies_stream_follows_next_page_to_the_end() {
    let srv = TestServer::start().await;
    let companies = srv.client.companies();
    for n in 1..=MANY {
        companies
            .create(&NewCompany::new(format!("Company {n}")))
            .await
            .expect("create");
    }
    let all: Vec<i64> = companies
        .stream(ListParams::new())
        .map_ok(|c| c.external_id)
        .try_collect()
        .await
        .expect("stream");
    assert_eq!(all, (1..=MANY).collect::<Vec<_>>());

    let newest_first: Vec<i64> = companies
        .stream(ListParams::new().per(100).descending())
        .map_ok(|c| c.external_id)
        .try_collect()
        .await
        .expect("stream");
    assert_eq!(newest_first, (1..=MANY).rev().collect::<Vec<_>>());

    // Page by page by hand.
    let first_params = ListParams::new().per(100);
    let first = companies.list(&first_params).await.expect("page 1");
    assert_eq!(first.items.len(), 100);
    let second_params = first.next_params(&first_params).expect("a second page");
    let second = companies.list(&second_params).await.expect("page 2");
    let ids: Vec<i64> = second.items.iter().map(|c| c.external_id).collect();
    assert_eq!(ids, vec![101, 102, 103, 104, 105]);
    assert_eq!(second.next_page, None);
    assert_eq!(second.next_params(&second_params), None);

    // The stream is lazy: taking 3 items reads only the first page.
    let three: Vec<String> = companies
        .stream(ListParams::new().per(2))
        .take(3)
        .map_ok(|c| c.name)
        .try_collect()
        .await
        .expect("three");
    assert_eq!(three, vec!["Company 1", "Company 2", "Company 3"]);
}

#[tokio::test]
async fn messages_and_conversations_stream_past_one_hundred() {
    let srv = TestServer::start().await;
    let (company, channel, conversation) = srv.fixture().await;
    let sandbox = srv.client.sandbox(company);
    for n in 1..=MANY {
        let got = sandbox
            .inbound(
                channel,
                &Inbound::new(crate::harness::CONTACT).message(format!("m{n}")),
            )
            .await
            .expect("inbound");
        assert_eq!(got.conversation_id, conversation);
    }
    let messages = srv
        .client
        .messages(company, conversation)
        .stream(ListParams::new().per(100))
        .collect_all()
        .await
        .expect("messages");
    let texts: Vec<String> = messages.into_iter().map(|m| m.message).collect();
    let mut expected = vec!["Hello".to_owned()];
    expected.extend((1..=MANY).map(|n| format!("m{n}")));
    assert_eq!(texts, expected);

    // 105 more contacts write: 106 conversations in all.
    for n in 1..=MANY {
        sandbox
            .inbound(channel, &Inbound::new(format!("7926{n:07}")).message("hi"))
            .await
            .expect("inbound");
    }
    let conversations = srv
        .client
        .conversations(company)
        .stream(ListParams::new())
        .collect_all()
        .await
        .expect("conversations");
    assert_eq!(conversations.len(), 106);
    assert_eq!(conversations[0].external_id, conversation);
    assert_eq!(conversations[105].sender_external_id, "79260000105");
}
