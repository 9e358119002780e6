//! Companies: create, list, get with the webhook secret, update, rotate the secret.

use confab_client::{CompanyUpdate, ListParams, NewCompany};

use crate::harness::TestServer;

#[tokio::test]
async fn create_list_get_update_and_rotate() {
    let srv = TestServer::start().await;
    let companies = srv.client.companies();
    let acme = companies
        .create(
            &NewCompany::new("Acme")
                .phone("79250000009")
                .description("wholesale"),
        )
        .await
        .expect("create");
    let beta = companies
        .create(&NewCompany::new("Beta"))
        .await
        .expect("create");
    assert_eq!((acme, beta), (1, 2));

    let page = companies.list(&ListParams::new()).await.expect("list");
    let names: Vec<(i64, &str)> = page
        .items
        .iter()
        .map(|c| (c.external_id, c.name.as_str()))
        .collect();
    assert_eq!(names, vec![(1, "Acme"), (2, "Beta")]);
    assert_eq!(page.next_page, None);
    assert_eq!(page.items[0].phone.as_deref(), Some("79250000009"));
    assert_eq!(page.items[0].description.as_deref(), Some("wholesale"));
    assert_eq!(page.items[1].phone, None);

    let details = companies.get(acme).await.expect("get");
    assert_eq!(details.external_id, acme);
    assert_eq!(details.name, "Acme");
    assert_eq!(details.webhook_url, None);
    assert!(details.webhook_secret.starts_with("whsec_"), "{details:?}");

    let updated = companies
        .update(
            acme,
            &CompanyUpdate::new()
                .name("Acme Ltd")
                .clear_phone()
                .hidden(true),
        )
        .await
        .expect("update");
    assert_eq!(updated, acme);
    let after = companies.get(acme).await.expect("get");
    assert_eq!(after.name, "Acme Ltd");
    assert_eq!(after.phone, None);
    assert_eq!(after.description.as_deref(), Some("wholesale"));

    let rotated = companies.rotate_webhook_secret(acme).await.expect("rotate");
    assert!(rotated.starts_with("whsec_"));
    assert_ne!(rotated, details.webhook_secret);
    assert_eq!(
        companies.get(acme).await.expect("get").webhook_secret,
        rotated
    );
}

#[tokio::test]
async fn another_users_company_is_not_found() {
    let srv = TestServer::start().await;
    let (_, token) = srv.new_user("mallory").await;
    let mallory = confab_client::Client::new(&srv.base, token).expect("client");
    let acme = srv
        .client
        .companies()
        .create(&NewCompany::new("Acme"))
        .await
        .expect("create");
    let err = mallory.companies().get(acme).await.expect_err("not hers");
    assert!(err.is_not_found(), "{err:?}");
    let err = mallory
        .companies()
        .rotate_webhook_secret(acme)
        .await
        .expect_err("not hers");
    assert_eq!(err.status(), Some(404));
    assert_eq!(
        mallory
            .companies()
            .list(&ListParams::new())
            .await
            .expect("list")
            .items,
        vec![]
    );
}
