//! The operator pages in a real browser: headless Chromium driven through chromedriver
//! (WebDriver) against the real server. The harness is in [`driver`]; the tests are in one
//! file a topic.
//!
//! Chromium and chromedriver come from Debian's `chromium` and `chromium-driver` packages
//! (`scripts/test` installs them as root). Without them a test prints why and passes,
//! unless `CONFAB_REQUIRE_BROWSER=1` (CI) makes it fail instead.

mod downloads;
mod driver;
mod inbox;
mod login;

pub use driver::*;

use crate::harness::TestServer;

/// A server with a user `name` whose password is `password`; answers the server and the
/// user's id.
pub async fn server_with_operator(name: &str, password: &str) -> (TestServer, i64) {
    let srv = TestServer::start().await;
    let (id, _token) = srv.new_user(name).await;
    confab_server::users::set_password(
        &srv.data_dir(),
        srv.config().database_url.as_deref(),
        id,
        password,
    )
    .await
    .expect("set the password");
    (srv, id)
}

/// Fills the login form at `/login` and submits it with its button, as a person would.
/// Answers once the form is sent; the caller waits for what should follow.
pub async fn submit_login(browser: &Browser, name: &str, password: &str) {
    browser.goto("/login").await;
    browser.fill("#name", name).await;
    browser.fill("#password", password).await;
    browser
        .button("Log in")
        .await
        .click()
        .await
        .expect("click Log in");
}

/// Asserts that the browser is on the logged-in home page of `user_name`. The one place
/// that knows what that page shows: the inbox will replace it, and then only this changes.
pub async fn assert_logged_in(browser: &Browser, user_name: &str) {
    browser.wait_for_path("/").await;
    let shows_name = format!("the home page naming {user_name:?}");
    browser
        .wait_until(&shows_name, |client| async move {
            let body = client.find(fantoccini::Locator::Css("body")).await?;
            Ok(body.text().await?.contains(user_name))
        })
        .await;
}
