//! Operators log in in the browser: `confab user password`, `/login`, `/logout` and the
//! session cookie, against the real binary on either store. A `Browser` here keeps
//! cookies by hand, so every `Set-Cookie` is seen as sent.

use std::collections::HashMap;
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use confab_server::clock::ManualClock;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::redirect::Policy;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::harness::TestServer;
use crate::harness::process::{self, BIN, Serve};

/// A browser without script: cookies by name, no redirects followed.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: HashMap<String, String>,
}

/// An answer: status, headers, body.
struct Page {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect()
    }

    /// The value of the first hidden `csrf_token` field.
    fn csrf_field(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf_token\" value=\"")
            .unwrap_or_else(|| panic!("no CSRF field in {}", self.body));
        let rest = &self.body[at + "name=\"csrf_token\" value=\"".len()..];
        rest[..rest.find('"').expect("closing quote")].to_owned()
    }
}

impl Browser {
    fn new(base: &str) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .expect("client"),
            base: base.to_owned(),
            cookies: HashMap::new(),
        }
    }

    fn cookie_header(&self) -> Option<HeaderValue> {
        if self.cookies.is_empty() {
            return None;
        }
        let line: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        HeaderValue::from_str(&line.join("; ")).ok()
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let request = match self.cookie_header() {
            Some(cookie) => request.header("cookie", cookie),
            None => request,
        };
        let response = request.send().await.expect("request");
        let page = Page {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.expect("body"),
        };
        for cookie in page.set_cookies() {
            let pair = cookie.split(';').next().unwrap_or_default();
            let (name, value) = pair.split_once('=').expect("name=value");
            if cookie.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        page
    }

    async fn get(&mut self, path: &str) -> Page {
        let request = self.http.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let request = self.http.post(format!("{}{path}", self.base)).form(form);
        self.send(request).await
    }

    async fn post_from(&mut self, origin: &str, path: &str, form: &[(&str, &str)]) -> Page {
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("origin", origin)
            .form(form);
        self.send(request).await
    }

    /// Opens the login form and posts it; answers the post.
    async fn log_in(&mut self, name: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        assert_eq!(form.status, 200, "{}", form.body);
        let token = form.csrf_field();
        self.post(
            "/login",
            &[
                ("csrf_token", &token),
                ("name", name),
                ("password", password),
            ],
        )
        .await
    }

    /// Logs in and expects to land home.
    async fn log_in_ok(&mut self, name: &str, password: &str) {
        let page = self.log_in(name, password).await;
        assert_eq!(
            (page.status, page.header("location")),
            (303, "/"),
            "{}",
            page.body
        );
    }

    /// Whether `GET /` shows the home page of `name` (rather than sending to /login).
    async fn is_home_of(&mut self, name: &str) -> bool {
        let page = self.get("/").await;
        match page.status {
            200 => {
                assert!(page.body.contains(name), "{}", page.body);
                true
            }
            303 => {
                assert_eq!(page.header("location"), "/login");
                false
            }
            other => panic!("GET / answered {other}: {}", page.body),
        }
    }
}

/// `confab user password --user ID` with `stdin` on `data_dir`'s database.
async fn set_password(data_dir: &Path, user: i64, stdin: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args([
            "user",
            "password",
            "--user",
            &user.to_string(),
            "--data-dir",
        ])
        .arg(data_dir)
        .envs(crate::backend::env_for(data_dir).await)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run confab user password");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin).await.expect("write the password");
    drop(input);
    child.wait_with_output().await.expect("finishes")
}

async fn set_password_ok(data_dir: &Path, user: i64, password: &str) {
    let out = set_password(data_dir, user, format!("{password}\n").as_bytes()).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A served binary with user 1 "alice" (token returned) whose password is "correct horse".
async fn alice_served(extra: &[&str]) -> (tempfile::TempDir, String, Serve) {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let token = process::create_user(&data, "alice").await;
    set_password_ok(&data, 1, "correct horse").await;
    let served = process::serve(&data, extra).await;
    (dir, token, served)
}

#[tokio::test]
async fn an_operator_logs_in_sees_who_they_are_and_logs_out() {
    let (_dir, token, served) = alice_served(&[]).await;
    let mut browser = Browser::new(&served.base);

    let home = browser.get("/").await;
    assert_eq!((home.status, home.header("location")), (303, "/login"));

    let form = browser.get("/login").await;
    assert_eq!(form.status, 200);
    assert!(form.header("content-type").starts_with("text/html"));
    assert_eq!(
        form.header("content-security-policy"),
        // blob: for the composer's preview of a picture before it is sent.
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
         frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    );
    assert_eq!(form.header("x-content-type-options"), "nosniff");
    assert_eq!(form.header("referrer-policy"), "same-origin");
    assert!(!form.body.contains("<script"), "no script: {}", form.body);
    assert!(form.body.contains("<label for=\"name\">"));
    assert!(form.body.contains("<label for=\"password\">"));
    let csrf_cookie = form.set_cookies().join("\n");
    assert!(
        csrf_cookie.starts_with("confab_csrf=")
            && csrf_cookie.contains("HttpOnly")
            && csrf_cookie.contains("SameSite=Lax"),
        "{csrf_cookie}"
    );

    let token_field = form.csrf_field();
    let login = browser
        .post(
            "/login",
            &[
                ("csrf_token", &token_field),
                ("name", "alice"),
                ("password", "correct horse"),
            ],
        )
        .await;
    assert_eq!((login.status, login.header("location")), (303, "/"));
    let session_cookie = login
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("confab_session="))
        .expect("a session cookie")
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=43200"] {
        assert!(
            session_cookie.contains(attribute),
            "{attribute}: {session_cookie}"
        );
    }
    assert!(
        !session_cookie.contains("Secure"),
        "plain http: {session_cookie}"
    );
    assert!(browser.is_home_of("alice").await);
    assert_eq!(browser.get("/login").await.header("location"), "/");

    // API tokens keep working, and the cookie does not authenticate the API.
    let (status, body) = process::get(&served.base, &token, "/p1/companies").await;
    assert_eq!(status, 200, "{body}");
    let api = browser.get("/p1/companies").await;
    assert_eq!(api.status, 401, "{}", api.body);

    let home = browser.get("/").await;
    let stolen = browser.cookies.clone();
    let logout = browser
        .post("/logout", &[("csrf_token", &home.csrf_field())])
        .await;
    assert_eq!((logout.status, logout.header("location")), (303, "/login"));
    assert!(!browser.cookies.contains_key("confab_session"));
    assert!(!browser.is_home_of("alice").await);
    // The old cookie, kept by someone, no longer works either.
    browser.cookies = stolen;
    assert!(!browser.is_home_of("alice").await);
}

#[tokio::test]
async fn wrong_names_and_passwords_get_the_same_401() {
    let (dir, _token, served) = alice_served(&[]).await;
    // A user without a password cannot log in at all.
    process::create_user(&dir.path().join("data"), "bob").await;
    let mut browser = Browser::new(&served.base);
    let mut bodies = Vec::new();
    for (name, password) in [
        ("alice", "wrong horse"),
        ("nobody", "correct horse"),
        ("bob", "anything"),
        ("Alice", "correct horse"),
        ("", ""),
    ] {
        let page = browser.log_in(name, password).await;
        assert_eq!(page.status, 401, "{name}: {}", page.body);
        assert!(!browser.cookies.contains_key("confab_session"));
        let error = page.body.find("role=\"alert\"").expect("an error shown");
        bodies.push(page.body[error..error + 60].to_owned());
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
    assert!(bodies[0].contains("The name or password is wrong."));
    browser.log_in_ok("alice", "correct horse").await;
}

#[tokio::test]
async fn login_attempts_are_limited_per_name() {
    let (_dir, _token, served) = alice_served(&[]).await;
    let mut browser = Browser::new(&served.base);
    for _ in 0..5 {
        assert_eq!(browser.log_in("alice", "guess").await.status, 401);
    }
    // The sixth is refused before the password is looked at, even the right one.
    let refused = browser.log_in("alice", "correct horse").await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    let retry: u64 = refused.header("retry-after").parse().expect("Retry-After");
    assert!((1..=180).contains(&retry), "{retry}");
    assert!(refused.body.contains("Too many login attempts"));
    assert!(!browser.cookies.contains_key("confab_session"));
    // Another name is not held back by alice's.
    assert_eq!(browser.log_in("bob", "guess").await.status, 401);
}

#[tokio::test]
async fn cross_site_and_tokenless_posts_are_refused() {
    let (_dir, _token, served) = alice_served(&[]).await;
    let mut browser = Browser::new(&served.base);

    // A cross-site login post carries no double-submit cookie (SameSite=Lax).
    let mut forger = Browser::new(&served.base);
    let page = forger
        .post(
            "/login",
            &[
                ("csrf_token", "made-up"),
                ("name", "alice"),
                ("password", "correct horse"),
            ],
        )
        .await;
    assert_eq!(page.status, 403, "{}", page.body);
    // A cookie and a field that differ.
    browser.get("/login").await;
    let page = browser
        .post(
            "/login",
            &[
                ("csrf_token", "other"),
                ("name", "alice"),
                ("password", "correct horse"),
            ],
        )
        .await;
    assert_eq!(page.status, 403);
    // The right token from a foreign origin.
    let form = browser.get("/login").await;
    let page = browser
        .post_from(
            "https://evil.example",
            "/login",
            &[
                ("csrf_token", &form.csrf_field()),
                ("name", "alice"),
                ("password", "correct horse"),
            ],
        )
        .await;
    assert_eq!(page.status, 403);
    assert!(!browser.cookies.contains_key("confab_session"));

    browser.log_in_ok("alice", "correct horse").await;
    let token = browser.get("/").await.csrf_field();
    // Logout without the token, with a wrong one, and with the right one cross-site.
    assert_eq!(browser.post("/logout", &[]).await.status, 403);
    assert_eq!(
        browser
            .post("/logout", &[("csrf_token", "wrong")])
            .await
            .status,
        403
    );
    let page = browser
        .post_from("https://evil.example", "/logout", &[("csrf_token", &token)])
        .await;
    assert_eq!(page.status, 403);
    assert!(browser.is_home_of("alice").await, "the session survived");
    // The header works as well as the field; this server's own origin passes.
    let request = browser
        .http
        .post(format!("{}/logout", served.base))
        .header("x-csrf-token", &token)
        .header("origin", served.base.as_str());
    let page = browser.send(request).await;
    assert_eq!((page.status, page.header("location")), (303, "/login"));
    assert!(!browser.is_home_of("alice").await);
}

#[tokio::test]
async fn sessions_expire_after_the_session_ttl() {
    let (_dir, _token, served) = alice_served(&["--session-ttl", "1s"]).await;
    let mut browser = Browser::new(&served.base);
    browser.log_in_ok("alice", "correct horse").await;
    assert!(browser.is_home_of("alice").await);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let page = browser.get("/").await;
    assert_eq!((page.status, page.header("location")), (303, "/login"));
    // The stale cookie is removed on the way.
    assert!(!browser.cookies.contains_key("confab_session"));
}

#[tokio::test]
async fn a_rotated_token_or_a_new_password_ends_the_sessions() {
    let (dir, _token, served) = alice_served(&[]).await;
    let data = dir.path().join("data");
    let mut browser = Browser::new(&served.base);
    browser.log_in_ok("alice", "correct horse").await;
    assert!(browser.is_home_of("alice").await);

    let out = Command::new(BIN)
        .args(["user", "token", "rotate", "--user", "1", "--data-dir"])
        .arg(&data)
        .envs(crate::backend::env_for(&data).await)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("rotate");
    assert!(out.status.success());
    assert!(!browser.is_home_of("alice").await);

    browser.log_in_ok("alice", "correct horse").await;
    assert!(browser.is_home_of("alice").await);
    set_password_ok(&data, 1, "battery staple").await;
    assert!(!browser.is_home_of("alice").await);
    assert_eq!(browser.log_in("alice", "correct horse").await.status, 401);
    browser.log_in_ok("alice", "battery staple").await;
}

#[tokio::test]
async fn the_password_command_refuses_what_it_cannot_use() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    process::create_user(&data, "alice").await;
    process::create_user(&data, "alice").await;
    let stderr = |out: &Output| String::from_utf8_lossy(&out.stderr).into_owned();
    for (input, says) in [
        (b"\n".to_vec(), "empty"),
        (Vec::new(), "empty"),
        (vec![b'x'; 5000], "longer than 1024 bytes"),
    ] {
        let out = set_password(&data, 1, &input).await;
        assert!(!out.status.success());
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
    }
    let out = set_password(&data, 9, b"pw\n").await;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no user 9"), "{}", stderr(&out));
    // Login names a user, so a second "alice" cannot get a password too.
    set_password_ok(&data, 1, "pw one").await;
    let out = set_password(&data, 2, b"pw two\n").await;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("same name"), "{}", stderr(&out));
    // Nothing secret on stdout, nor the password anywhere in what it printed.
    let out = set_password(&data, 1, b"s3cret-value\r\n").await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert!(!stderr(&out).contains("s3cret"));
}

#[tokio::test]
async fn the_session_id_is_stored_only_as_its_hash() {
    let (dir, _token, served) = alice_served(&[]).await;
    let data = dir.path().join("data");
    let mut browser = Browser::new(&served.base);
    browser.log_in_ok("alice", "correct horse").await;
    let id = browser.cookies["confab_session"].clone();
    assert!(id.len() >= 43, "256 bits: {id}");
    let hash: [u8; 32] = Sha256::digest(id.as_bytes()).into();

    let location = crate::backend::location_for(&data).await;
    let store = confab_store::open(location.database_url.as_deref(), &data, 1)
        .await
        .expect("open the store");
    let found = store.session(hash, i64::MAX - 1).await.expect("read");
    assert_eq!(found, None, "expired at the end of time");
    let now = confab_server::clock::Clock::now_ms(&confab_server::clock::SystemClock);
    let found = store
        .session(hash, now)
        .await
        .expect("read")
        .expect("found by the id's hash");
    assert_eq!(found.user.name, "alice");

    match location.database_url {
        Some(url) => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
            let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT id_hash FROM sessions")
                .fetch_all(&mut conn)
                .await
                .expect("read");
            assert_eq!(stored, vec![hash.to_vec()]);
            let password: String =
                sqlx::query_scalar("SELECT password_hash FROM users WHERE id = 1")
                    .fetch_one(&mut conn)
                    .await
                    .expect("read");
            assert!(password.starts_with("$argon2id$"), "{password}");
        }
        None => {
            // Neither the id nor the password is anywhere in the database's files.
            for entry in std::fs::read_dir(&data).expect("data dir") {
                let path = entry.expect("entry").path();
                if path.is_file() {
                    let bytes = std::fs::read(&path).expect("read");
                    for secret in [id.as_bytes(), b"correct horse"] {
                        assert!(
                            !bytes.windows(secret.len()).any(|w| w == secret),
                            "{} holds a secret",
                            path.display()
                        );
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn cookies_are_secure_behind_an_https_public_url() {
    let (_dir, _token, served) = alice_served(&["--public-url", "https://inbox.example"]).await;
    let mut browser = Browser::new(&served.base);
    let form = browser.get("/login").await;
    assert!(
        form.set_cookies().iter().all(|c| c.contains("; Secure")),
        "{:?}",
        form.set_cookies()
    );
    let login = browser
        .post_from(
            "https://inbox.example",
            "/login",
            &[
                ("csrf_token", &form.csrf_field()),
                ("name", "alice"),
                ("password", "correct horse"),
            ],
        )
        .await;
    assert_eq!(login.status, 303, "{}", login.body);
    let cookies = login.set_cookies();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("confab_session=") && c.contains("; Secure")),
        "{cookies:?}"
    );
}

#[tokio::test]
async fn expiry_follows_the_servers_clock_and_the_pruner_deletes_expired_sessions() {
    let clock = ManualClock::new();
    let srv = TestServer::start_with_clock(
        |c| c.event_prune_interval = Duration::from_millis(50),
        Arc::new(clock.clone()),
    )
    .await;
    confab_server::users::set_password(
        &srv.data_dir(),
        srv.config().database_url.as_deref(),
        1,
        "correct horse",
    )
    .await
    .expect("set the password");
    let mut browser = Browser::new(&srv.base);
    browser.log_in_ok("tester", "correct horse").await;
    let hash: [u8; 32] = Sha256::digest(browser.cookies["confab_session"].as_bytes()).into();
    assert!(browser.is_home_of("tester").await);

    // Past the default 12 h, by the server's clock: refused at once, deleted soon after.
    clock.advance(Duration::from_secs(12 * 3600 + 1));
    assert!(!browser.is_home_of("tester").await);
    let store = srv.store().await;
    for _ in 0..200 {
        // Looked up as of time 0, so only deletion (not expiry) hides it.
        if store.session(hash, 0).await.expect("read").is_none() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the expired session was never pruned");
}
