//! Logging in and out through the real form in Chromium: the error shown for a wrong
//! password, the landing page, and a logout that ends the session for good.

use reqwest::redirect::Policy;

use super::{Browser, PHONE, assert_logged_in, server_with_operator, submit_login};

const NAME: &str = "ada";
const PASSWORD: &str = "correct horse";

#[tokio::test]
async fn a_wrong_password_is_refused_and_the_right_one_logs_in() {
    let (srv, _) = server_with_operator(NAME, PASSWORD).await;
    let Some(browser) = Browser::open(&srv.base).await else {
        return;
    };

    // Not logged in, the home page sends the browser to the form.
    browser.goto("/").await;
    browser.wait_for_path("/login").await;
    browser.screenshot("login-form").await;

    submit_login(&browser, NAME, "wrong horse").await;
    let alert = browser.wait_for("[role=alert]").await;
    let message = alert.text().await.expect("the alert's text");
    assert!(
        message.contains("The name or password is wrong."),
        "{message}"
    );
    assert_eq!(browser.path().await, "/login");
    assert_eq!(browser.cookie("confab_session").await, None);
    // The name is refilled, the password is not.
    let name = browser
        .find("#name")
        .await
        .prop("value")
        .await
        .expect("value");
    assert_eq!(name.as_deref(), Some(NAME));
    let password = browser.find("#password").await.prop("value").await;
    assert_eq!(password.expect("value").as_deref(), Some(""));
    browser.screenshot("login-wrong-password").await;

    submit_login(&browser, NAME, PASSWORD).await;
    assert_logged_in(&browser, NAME).await;
    assert!(browser.cookie("confab_session").await.is_some());
    browser.screenshot("home").await;

    // The same page at a phone's size still says who is logged in.
    browser.set_window_size(PHONE).await;
    browser.goto("/").await;
    assert_logged_in(&browser, NAME).await;
    browser.screenshot("home-phone").await;
    browser.close().await;
}

#[tokio::test]
async fn logging_out_ends_the_session_for_good() {
    let (srv, _) = server_with_operator(NAME, PASSWORD).await;
    let Some(browser) = Browser::open(&srv.base).await else {
        return;
    };
    submit_login(&browser, NAME, PASSWORD).await;
    assert_logged_in(&browser, NAME).await;
    let session = browser
        .cookie("confab_session")
        .await
        .expect("a session cookie");

    // The cookie's value is all it takes: replayed without the browser, it shows the page.
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client");
    let replay = || {
        http.get(srv.url("/"))
            .header("cookie", format!("confab_session={session}"))
            .send()
    };
    let before = replay().await.expect("GET /");
    assert_eq!(before.status(), 200);
    assert!(before.text().await.expect("body").contains(NAME));

    browser
        .button("Log out")
        .await
        .click()
        .await
        .expect("click Log out");
    browser.wait_for_path("/login").await;
    browser.wait_for("#password").await;
    assert_eq!(browser.cookie("confab_session").await, None);

    browser.goto("/").await;
    browser.wait_for_path("/login").await;

    // The old value, kept by someone, no longer opens anything.
    let after = replay().await.expect("GET /");
    assert_eq!(after.status(), 303);
    assert_eq!(
        after
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some("/login")
    );
    browser.close().await;
}
