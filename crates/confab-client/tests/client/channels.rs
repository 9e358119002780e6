//! Channels: create with settings, list, stream, update credentials, delete.

use confab_client::{
    ChannelCredentials, ChannelSettings, Job, ListParams, NewChannel, NewCompany, Provider,
};
use futures_util::TryStreamExt;

use crate::harness::TestServer;

#[tokio::test]
async fn create_list_update_delete() {
    let srv = TestServer::start().await;
    let company = srv
        .client
        .companies()
        .create(&NewCompany::new("Acme"))
        .await
        .expect("company");
    let channels = srv.client.channels(company);
    let whatsapp = channels
        .create(Provider::Whatsapp, ChannelSettings::new())
        .await
        .expect("whatsapp");
    let mut settings = ChannelSettings::new();
    settings.insert("token".into(), "123:ABC".into());
    let telegram = channels
        .create(Provider::Telegram, settings)
        .await
        .expect("telegram");
    assert_eq!((whatsapp, telegram), (1, 2));

    let page = channels.list(&ListParams::new()).await.expect("list");
    let listed: Vec<(i64, &str)> = page
        .items
        .iter()
        .map(|c| (c.external_id, c.provider.as_str()))
        .collect();
    assert_eq!(listed, vec![(1, "whatsapp"), (2, "telegram")]);

    // Page by page, newest first.
    let streamed: Vec<i64> = channels
        .stream(ListParams::new().per(1).descending())
        .map_ok(|c| c.external_id)
        .try_collect()
        .await
        .expect("stream");
    assert_eq!(streamed, vec![2, 1]);

    let mut token = ChannelSettings::new();
    token.insert("token".into(), "456:DEF".into());
    assert_eq!(
        channels.update(telegram, token).await.expect("update"),
        telegram
    );
    let err = channels
        .update(telegram, ChannelSettings::new())
        .await
        .expect_err("nothing to update");
    assert_eq!(err.status(), Some(400));
    assert_eq!(
        err.parameter("token").map(|e| e.code.as_str()),
        Some("missing")
    );

    // One live channel per provider.
    let err = channels
        .create(Provider::Whatsapp, ChannelSettings::new())
        .await
        .expect_err("second whatsapp");
    assert_eq!(
        err.parameter("provider").map(|e| e.code.as_str()),
        Some("conflict")
    );

    channels.delete(whatsapp).await.expect("delete");
    let left: Vec<i64> = channels
        .list(&ListParams::new())
        .await
        .expect("list")
        .items
        .iter()
        .map(|c| c.external_id)
        .collect();
    assert_eq!(left, vec![telegram]);
    let err = channels.delete(whatsapp).await.expect_err("already gone");
    assert!(err.is_not_found(), "{err:?}");
    // The provider is free again.
    assert_eq!(
        channels
            .create(Provider::Whatsapp, ChannelSettings::new())
            .await
            .expect("again"),
        3
    );
}

#[tokio::test]
async fn typed_connect_and_credentials() {
    let srv = TestServer::start().await;
    let company = srv
        .client
        .companies()
        .create(&NewCompany::new("Acme"))
        .await
        .expect("company");
    let channels = srv.client.channels(company);
    let avito = channels
        .connect(&NewChannel::new(Provider::Avito).login("shop", "secret"))
        .await
        .expect("avito");
    assert_eq!(
        channels
            .set_credentials(avito, &ChannelCredentials::login("shop", "new secret"))
            .await
            .expect("credentials"),
        avito
    );
    // A token is not an avito credential: none of its own is given.
    let err = channels
        .set_credentials(avito, &ChannelCredentials::token("123:ABC"))
        .await
        .expect_err("no avito credential");
    assert_eq!(
        err.parameter("login").map(|e| e.code.as_str()),
        Some("missing")
    );
    let err = channels
        .connect(&NewChannel::new(Provider::Avito))
        .await
        .expect_err("second avito");
    assert_eq!(
        err.parameter("provider").map(|e| e.code.as_str()),
        Some("conflict")
    );
}

#[tokio::test]
async fn write_first_starts_a_conversation_with_a_job() {
    let srv = TestServer::start().await;
    let (company, channel, _) = srv.fixture().await;
    let job = srv
        .client
        .channels(company)
        .write_first(channel, "79250000077", "We have your order")
        .await
        .expect("write first");
    assert_eq!((job.company_id, job.channel.id), (company, channel));
    let conversation = srv
        .client
        .conversations(company)
        .get(job.conversation_id)
        .await
        .expect("conversation");
    assert_eq!(conversation.sender_external_id, "79250000077");
    let done = srv.client.wait_for_job(&job).await.expect("wait");
    assert_eq!(done.state, Job::DELIVERED);
    let err = srv
        .client
        .channels(company)
        .write_first(channel, "12", "hi")
        .await
        .expect_err("short phone");
    assert_eq!(
        err.parameter("phone").map(|e| e.code.as_str()),
        Some("invalid")
    );
}
