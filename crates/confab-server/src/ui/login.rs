//! Logging in (`GET` and `POST /login`) and out (`POST /logout`).
//!
//! A login names the user and gives their password. Whatever is wrong (no such user, no
//! password set, a wrong password) the answer is the same 401 and the same words, and an
//! unknown name still costs one argon2 verification, so neither the answer nor its timing
//! tells which names exist.

use std::net::SocketAddr;
use std::sync::LazyLock;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use confab_store::{LoginUser, NewSession};

use super::form::Form;
use super::session::{self, Found};
use super::{answers, cookies, csrf, pages};
use crate::AppState;
use crate::domain::password;

/// How long the login form's CSRF cookie lasts: a form left open longer is refused once
/// and works after a reload.
const LOGIN_FORM_TTL_SECS: u64 = 3600;

/// Longer names are no user's (checked before the store is asked).
const MAX_NAME_LEN: usize = 200;

/// What a failed login says, whichever part was wrong.
const WRONG: &str = "The name or password is wrong.";

/// A hash no password matches in practice, verified against when the name is unknown so
/// that such a login takes as long as a wrong password. Made on first use.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    password::hash("confab: no such user; this hash only takes time").unwrap_or_default()
});

/// `GET /login`: the form, with a fresh double-submit token in a cookie and the form. A
/// logged-in operator goes home instead.
pub async fn form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match session::find(&state, &headers).await {
        Ok(Found::Live(_)) => return answers::see_other("/"),
        Ok(Found::None | Found::Stale) => {}
        Err(e) => return answers::store_failed(&e),
    }
    let token = csrf::random_token();
    answers::with_cookie(
        answers::html(StatusCode::OK, pages::login(&token, "", None)),
        login_csrf_cookie(&state, &token),
    )
}

/// `POST /login`: checks the form's origin and double-submit token, the rate limit, then
/// the name and password; on success starts a session and sends the browser home.
pub async fn submit(
    State(state): State<AppState>,
    extensions: Extensions,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !csrf::same_origin(&headers, &state.config) {
        return answers::forbidden();
    }
    let form = Form::parse(&body);
    let Some(token) = cookies::get(&headers, cookies::LOGIN_CSRF) else {
        return answers::forbidden();
    };
    if !csrf::matches(form.get(csrf::FIELD), token) {
        return answers::forbidden();
    }
    let name = form.get("name").unwrap_or_default();
    let password = form.get("password").unwrap_or_default().to_owned();
    let address = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip());
    if let Err(wait) = state.login_limiter.attempt(name, address) {
        return too_many(token, name, wait);
    }
    let found = if name.is_empty() || name.len() > MAX_NAME_LEN {
        None
    } else {
        match state.app.store.login_user(name.to_owned()).await {
            Ok(found) => found,
            Err(e) => return answers::store_failed(&e),
        }
    };
    let Some(user) = verified(found, password).await else {
        tracing::info!("a login failed");
        return answers::html(
            StatusCode::UNAUTHORIZED,
            pages::login(token, name, Some(WRONG)),
        );
    };
    start_session(&state, &user).await
}

/// The user, if `password` is theirs. Argon2 takes tens of milliseconds of CPU, so it runs
/// on the blocking pool rather than on a request worker.
async fn verified(found: Option<LoginUser>, password: String) -> Option<LoginUser> {
    tokio::task::spawn_blocking(move || {
        let phc = found
            .as_ref()
            .map_or(DUMMY_HASH.as_str(), |u| u.password_hash.as_str());
        let right = password::verify(&password, phc);
        found.filter(|_| right)
    })
    .await
    .ok()
    .flatten()
}

/// Stores a new session for `user` and answers with its cookie and a 303 home; the login
/// form's CSRF cookie has done its work and is removed.
async fn start_session(state: &AppState, user: &LoginUser) -> Response {
    let id = session::new_id();
    let now = state.app.now_ms();
    let ttl = state.config.session_ttl;
    let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
    let new = NewSession {
        id_hash: session::hash_id(&id),
        user_id: user.user.id,
        created_at: now,
        expires_at: now.saturating_add(ttl_ms),
    };
    if let Err(e) = state.app.store.create_session(new).await {
        return answers::store_failed(&e);
    }
    tracing::info!(user_id = user.user.id, "an operator logged in");
    let secure = cookies::secure(&state.config);
    // Rounded up, so a sub-second TTL does not make a cookie the browser drops at once.
    let max_age = ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0);
    let response = answers::with_cookie(
        answers::see_other("/"),
        cookies::set(cookies::SESSION, &id, "/", max_age, secure),
    );
    answers::with_cookie(
        response,
        cookies::clear(cookies::LOGIN_CSRF, "/login", secure),
    )
}

/// `POST /logout`: ends the session (when its CSRF token and origin check out) and
/// removes the cookie; the browser goes to the login page.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let secure = cookies::secure(&state.config);
    let gone = answers::with_cookie(
        answers::see_other("/login"),
        cookies::clear(cookies::SESSION, "/", secure),
    );
    let session = match session::find(&state, &headers).await {
        Ok(Found::Live(session)) => session,
        // Nothing to end: a logout without a live session only tidies the cookie away.
        Ok(Found::None | Found::Stale) => return gone,
        Err(e) => return answers::store_failed(&e),
    };
    let form = Form::parse(&body);
    if !csrf::same_origin(&headers, &state.config)
        || !csrf::matches(
            csrf::presented(&headers, form.get(csrf::FIELD)),
            &session.csrf_token,
        )
    {
        return answers::forbidden();
    }
    if let Err(e) = state.app.store.delete_session(session.id_hash).await {
        return answers::store_failed(&e);
    }
    tracing::info!(user_id = session.user.id, "an operator logged out");
    gone
}

/// The login form's double-submit cookie, sent back only to `/login`.
fn login_csrf_cookie(state: &AppState, token: &str) -> HeaderValue {
    cookies::set(
        cookies::LOGIN_CSRF,
        token,
        "/login",
        LOGIN_FORM_TTL_SECS,
        cookies::secure(&state.config),
    )
}

/// A 429 with `Retry-After`, as the login form again with the wait in words.
fn too_many(token: &str, name: &str, wait: Duration) -> Response {
    let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
    let minutes = seconds.div_ceil(60);
    let message = format!(
        "Too many login attempts. Try again in {minutes} minute{}.",
        if minutes == 1 { "" } else { "s" }
    );
    let mut response = answers::html(
        StatusCode::TOO_MANY_REQUESTS,
        pages::login(token, name, Some(&message)),
    );
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}
