//! Logging in as an operator, so wrk can load the server-rendered pages: a password for
//! the bench user, then `GET /login` and `POST /login` as a browser would, and the session
//! cookie to send with every request.

use anyhow::Context as _;
use confab_server::ui::cookies::{LOGIN_CSRF as LOGIN_CSRF_COOKIE, SESSION as SESSION_COOKIE};
use confab_server::ui::csrf::FIELD as CSRF_FIELD;

use crate::dataset::Dataset;
use crate::wrk::{Body, Request};

/// The bench user's password (a loopback-only data set, thrown away after the run).
const PASSWORD: &str = "confab-bench operator password";

/// Gives the data set's user a password, as `confab user password --user ID` does. Call
/// it before the server starts: it ends the user's sessions.
///
/// # Errors
/// When the store cannot be opened or written.
pub async fn set_password(dataset: &Dataset) -> anyhow::Result<()> {
    confab_server::users::set_password(
        &dataset.data_dir,
        dataset.database_url.as_deref(),
        dataset.user_id,
        PASSWORD,
    )
    .await
    .context("setting the bench user's password")?;
    Ok(())
}

/// The value of cookie `name` among the answer's `Set-Cookie` headers.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let pair = v.split(';').next()?.trim();
            let (key, value) = pair.split_once('=')?;
            (key == name && !value.is_empty()).then(|| value.to_owned())
        })
}

/// Logs the bench user (whose password [`set_password`] set) in to the server at
/// `base` and returns the `Cookie` header value that carries the session.
///
/// # Errors
/// When the login form or the login is refused.
pub async fn login(base: &str) -> anyhow::Result<String> {
    // The login answers 303 with the session cookie; following it would lose the cookie.
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let form = client
        .get(format!("{base}/login"))
        .send()
        .await
        .context("GET /login")?;
    anyhow::ensure!(
        form.status().is_success(),
        "GET /login answered {}",
        form.status()
    );
    // Double-submit: the form's hidden token is the cookie's value.
    let csrf = set_cookie(&form, LOGIN_CSRF_COOKIE)
        .ok_or_else(|| anyhow::anyhow!("GET /login set no {LOGIN_CSRF_COOKIE} cookie"))?;
    let answer = client
        .post(format!("{base}/login"))
        .header(
            reqwest::header::COOKIE,
            format!("{LOGIN_CSRF_COOKIE}={csrf}"),
        )
        .form(&[
            ("name", crate::load::USER_NAME),
            ("password", PASSWORD),
            (CSRF_FIELD, csrf.as_str()),
        ])
        .send()
        .await
        .context("POST /login")?;
    let status = answer.status();
    let session = set_cookie(&answer, SESSION_COOKIE);
    match session {
        Some(id) if status.is_redirection() => Ok(format!("{SESSION_COOKIE}={id}")),
        _ => anyhow::bail!("POST /login answered {status} without a session cookie"),
    }
}

/// A `GET path` with the session cookie, for wrk.
pub fn page_request(path: String, cookie: &str) -> Request {
    Request {
        method: "GET",
        path,
        headers: vec![("Cookie".to_owned(), cookie.to_owned())],
        body: Body::None,
    }
}
