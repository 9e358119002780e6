//! Messages: send text, wait for the job, list with acks.

use confab_client::{Job, ListParams, NewMessage};

use crate::harness::TestServer;

#[tokio::test]
async fn send_wait_and_list() {
    let srv = TestServer::start().await;
    let (company, channel, conversation) = srv.fixture().await;
    let messages = srv.client.messages(company, conversation);

    let job = messages
        .send(&NewMessage::text("How can I help?").send_to_crm(false))
        .await
        .expect("send");
    assert_eq!(job.state, Job::TRYING_DELIVER);
    assert_eq!(job.company_id, company);
    assert_eq!(job.channel.id, channel);
    assert_eq!(job.channel.kind, "whatsapp");
    assert_eq!(job.conversation_id, conversation);
    assert_eq!(job.message_id, None);

    let done = srv.client.wait_for_job(&job).await.expect("wait");
    assert_eq!(done.state, Job::DELIVERED);
    assert_eq!(
        done.details.as_ref().map(|d| d.result.as_str()),
        Some("DELIVERED")
    );
    let message_id = done.message_id.expect("delivered message id");

    let page = messages.list(&ListParams::new()).await.expect("list");
    let texts: Vec<&str> = page.items.iter().map(|m| m.message.as_str()).collect();
    assert_eq!(texts, vec!["Hello", "How can I help?"]);
    let sent = page.items.last().expect("sent message");
    assert_eq!(sent.external_id, message_id);
    assert_eq!(sent.job_id, Some(job.id));
    assert!(!sent.income);
    assert!(!sent.send_to_crm);
    assert!(sent.ack >= 1, "{sent:?}");

    let newest_first = messages
        .list(&ListParams::new().descending().per(1))
        .await
        .expect("list");
    assert_eq!(newest_first.items.len(), 1);
    assert_eq!(newest_first.items[0].external_id, message_id);
    assert!(newest_first.next_page.is_some());
}

#[tokio::test]
async fn an_empty_message_is_refused_naming_message() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let err = srv
        .client
        .messages(company, conversation)
        .send(&NewMessage::default())
        .await
        .expect_err("empty");
    assert_eq!(err.status(), Some(400));
    assert_eq!(
        err.parameter("message").map(|e| e.code.as_str()),
        Some("missing")
    );
}
