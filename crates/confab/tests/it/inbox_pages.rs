//! The inbox's pages and fragments over plain HTTP (the browser tests drive them in
//! Chromium): who may see them, CSRF on every change, parameters named when wrong, files
//! downloaded rather than rendered, cached assets, and the cookie-authenticated stream.

use std::time::Duration;

use reqwest::Method;
use reqwest::redirect::Policy;
use reqwest::{RequestBuilder, Response};

use crate::harness::{SseStream, TestServer};

const PASSWORD: &str = "pages password 1";

/// A logged-in operator: the session cookie and the pages' CSRF token.
struct Operator {
    http: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client")
}

/// The value `name` is set to by a `Set-Cookie` of `response`.
fn set_cookie(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .and_then(|rest| rest.split(';').next())
        .map(str::to_owned)
}

/// The first `csrf_token` field of an HTML page.
fn csrf_field(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("no CSRF field in {html}"));
    let rest = &html[at + marker.len()..];
    rest[..rest.find('"').expect("closing quote")].to_owned()
}

/// Gives the server's first user a password and logs in through the form.
async fn log_in(srv: &TestServer) -> Operator {
    confab_server::users::set_password(
        &srv.data_dir(),
        srv.config().database_url.as_deref(),
        srv.user_id,
        PASSWORD,
    )
    .await
    .expect("set the password");
    let http = no_redirects();
    let form = http
        .get(srv.url("/login"))
        .send()
        .await
        .expect("GET /login");
    let login_cookie = set_cookie(&form, "confab_csrf").expect("the login CSRF cookie");
    let token = csrf_field(&form.text().await.expect("body"));
    let done = http
        .post(srv.url("/login"))
        .header("cookie", format!("confab_csrf={login_cookie}"))
        .header("origin", &srv.base)
        .form(&[
            ("csrf_token", token.as_str()),
            ("name", "tester"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("POST /login");
    assert_eq!(done.status(), 303);
    let cookie = set_cookie(&done, "confab_session").expect("a session");
    let mut op = Operator {
        http,
        base: srv.base.clone(),
        cookie,
        csrf: String::new(),
    };
    op.csrf = op.csrf_of_a_page().await;
    op
}

impl Operator {
    fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .header("cookie", format!("confab_session={}", self.cookie))
    }

    /// A change as the inbox makes it: with the token header and this site's origin.
    fn change(&self, path: &str) -> RequestBuilder {
        self.req(Method::POST, path)
            .header("x-csrf-token", &self.csrf)
            .header("origin", &self.base)
            .header("hx-request", "true")
    }

    async fn csrf_of_a_page(&self) -> String {
        // Any logged-in page carries the session's token in its logout form; `/` leads to
        // the first company's inbox, or says there is none.
        let home = self.req(Method::GET, "/").send().await.expect("GET /");
        let page = match home.headers().get("location") {
            Some(to) => {
                let to = to.to_str().expect("ascii").to_owned();
                self.req(Method::GET, &to).send().await.expect("GET inbox")
            }
            None => home,
        };
        csrf_field(&page.text().await.expect("body"))
    }

    async fn text(&self, path: &str) -> (u16, String) {
        let r = self.req(Method::GET, path).send().await.expect("GET");
        (r.status().as_u16(), r.text().await.expect("body"))
    }
}

#[tokio::test]
async fn pages_need_a_session_and_a_membership() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let anonymous = no_redirects();
    for path in [
        format!("/c/{company}"),
        format!("/c/{company}/list"),
        format!("/c/{company}/events"),
        format!("/c/{company}/conversations/{conversation}"),
    ] {
        let r = anonymous.get(srv.url(&path)).send().await.expect("GET");
        assert_eq!(r.status(), 303, "{path}");
        assert_eq!(r.headers()["location"], "/login", "{path}");
    }
    // htmx swaps answers into the page: it is told where to go instead.
    let r = anonymous
        .get(srv.url(&format!("/c/{company}/list")))
        .header("hx-request", "true")
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["hx-redirect"], "/login");

    let op = log_in(&srv).await;
    // `/` opens the operator's first company.
    let r = op.req(Method::GET, "/").send().await.expect("GET /");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], format!("/c/{company}").as_str());
    // The company switcher without script: `/?company=ID`.
    let r = op
        .req(Method::GET, &format!("/?company={company}"))
        .send()
        .await
        .expect("GET /?company");
    assert_eq!(r.headers()["location"], format!("/c/{company}").as_str());
    let (status, page) = op.text(&format!("/c/{company}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("79250000001"), "{page}");

    // Another tenant's company, and a missing conversation: the same 404.
    let (_, other_token) = srv.new_user("other").await;
    let (s, b) = crate::harness::call(
        srv.req_as(&other_token, Method::POST, "/p1/companies")
            .form(&[("name", "Other")]),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let theirs = b["data"]["external_id"].as_i64().expect("id");
    for path in [
        format!("/c/{theirs}"),
        format!("/c/{theirs}/events"),
        format!("/c/{company}/conversations/999"),
        "/c/abc".to_owned(),
    ] {
        let (status, _) = op.text(&path).await;
        assert_eq!(status, 404, "{path}");
    }
}

#[tokio::test]
async fn every_change_needs_the_csrf_token_and_this_site() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let op = log_in(&srv).await;
    let assignee = format!("/c/{company}/conversations/{conversation}/assignee");
    let me = srv.user_id.to_string();

    // A cross-site form post: the browser sends the cookie, but no token, from elsewhere.
    let forged = op
        .req(Method::POST, &assignee)
        .header("origin", "https://evil.example")
        .form(&[("assignee_id", me.as_str())])
        .send()
        .await
        .expect("POST");
    assert_eq!(forged.status(), 403);
    // The token, but from another site; this site, but no token; a wrong token.
    for request in [
        op.req(Method::POST, &assignee)
            .header("x-csrf-token", &op.csrf)
            .header("origin", "https://evil.example"),
        op.req(Method::POST, &assignee).header("origin", &op.base),
        op.req(Method::POST, &assignee)
            .header("x-csrf-token", "wrong")
            .header("origin", &op.base),
    ] {
        let r = request
            .form(&[("assignee_id", me.as_str())])
            .send()
            .await
            .expect("POST");
        assert_eq!(r.status(), 403);
    }
    let sent = op
        .req(
            Method::POST,
            &format!("/c/{company}/conversations/{conversation}/messages"),
        )
        .header("origin", &op.base)
        .multipart(reqwest::multipart::Form::new().text("message", "forged"))
        .send()
        .await
        .expect("POST");
    assert_eq!(sent.status(), 403);
    let details = srv.conversation_details(company, conversation).await;
    assert_eq!(details["assignee_id"], serde_json::Value::Null, "unchanged");
    assert_eq!(srv.all_messages(company, conversation).await.len(), 1);

    // With both, the change is made (the form field works as well as the header).
    let r = op
        .req(Method::POST, &assignee)
        .header("origin", &op.base)
        .form(&[
            ("assignee_id", me.as_str()),
            ("csrf_token", op.csrf.as_str()),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), 200);
    assert!(r.text().await.expect("body").contains("Assignee saved"));
    let r = op
        .change(&format!("/c/{company}/conversations/{conversation}/note"))
        .form(&[("note", "call after 6")])
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), 200);
    let details = srv.conversation_details(company, conversation).await;
    assert_eq!(details["assignee_id"].as_i64(), Some(srv.user_id));
    assert_eq!(details["note"], "call after 6");
    // Assigning someone who is not a member is refused, naming the field.
    let r = op
        .change(&assignee)
        .form(&[("assignee_id", "9999")])
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), 400);
    assert!(r.text().await.expect("body").contains("assignee_id"));
}

#[tokio::test]
async fn wrong_parameters_are_400s_that_name_them() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let op = log_in(&srv).await;
    for (path, name) in [
        (format!("/c/{company}/list?tab=later"), "tab"),
        (format!("/c/{company}/list?channel=x"), "channel"),
        (format!("/c/{company}/list?after=12"), "after"),
        (format!("/c/{company}/list?q={}", "x".repeat(300)), "q"),
        (format!("/c/{company}/tabs?channel=-4"), "channel"),
        (format!("/c/{company}?tab=1"), "tab"),
        (
            format!("/c/{company}/conversations/{conversation}/older?before=soon"),
            "before",
        ),
        (format!("/c/{company}/events?after=x"), "after"),
    ] {
        let (status, body) = op.text(&path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert!(body.contains(name), "{path}: {body}");
    }
    // An empty reply is refused, naming the message.
    let r = op
        .change(&format!(
            "/c/{company}/conversations/{conversation}/messages"
        ))
        .multipart(reqwest::multipart::Form::new().text("message", "  "))
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), 400);
    assert!(r.text().await.expect("body").contains("message"));
}

#[tokio::test]
async fn a_page_sent_from_the_inbox_is_downloaded_not_rendered() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let op = log_in(&srv).await;
    let part = |bytes: &'static [u8], name: &str, mime: &str| {
        reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str(mime)
            .expect("mime")
    };
    let form = reqwest::multipart::Form::new()
        .text("message", "two files")
        .part(
            "file",
            part(
                b"<html><script>alert(1)</script></html>",
                "page.html",
                "text/html",
            ),
        )
        .part("file", part(b"\x89PNG\r\n\x1a\n", "dot.png", "image/png"));
    let r = op
        .change(&format!(
            "/c/{company}/conversations/{conversation}/messages"
        ))
        .multipart(form)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), 200);
    let bubbles = r.text().await.expect("body");
    assert_eq!(
        bubbles.matches("data-state=\"pending\"").count(),
        2,
        "{bubbles}"
    );
    // WhatsApp takes one file a message: the text and the page, then the picture.
    let messages = srv.all_messages(company, conversation).await;
    let [.., first, second] = messages.as_slice() else {
        panic!("two messages: {messages:?}");
    };
    assert_eq!(first["message"], "two files");
    assert_eq!(second["message"], "");
    let files: Vec<&serde_json::Value> = [first, second]
        .iter()
        .flat_map(|m| m["attachments"].as_array().expect("attachments"))
        .collect();
    assert_eq!(files.len(), 2, "{messages:?}");
    for file in files {
        let id = file["external_id"].as_i64().expect("id");
        let r = op
            .req(Method::GET, &format!("/c/{company}/files/{id}"))
            .send()
            .await
            .expect("GET");
        assert_eq!(r.status(), 200);
        let disposition = r.headers()["content-disposition"].to_str().expect("ascii");
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .expect("ascii");
        assert!(csp.starts_with("sandbox"), "{csp}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        match file["file_name"].as_str() {
            Some("page.html") => {
                assert!(disposition.starts_with("attachment"), "{disposition}");
                assert_ne!(r.headers()["content-type"], "text/html");
            }
            Some("dot.png") => assert!(disposition.starts_with("inline"), "{disposition}"),
            other => panic!("unexpected file {other:?}"),
        }
    }
    // Another company's file is not reachable through this one's path.
    let (status, _) = op.text(&format!("/c/{company}/files/9999")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn assets_are_kept_a_year_by_version_and_pages_never() {
    let srv = TestServer::start().await;
    let (company, _, _) = srv.fixture().await;
    let op = log_in(&srv).await;
    let page = op
        .req(Method::GET, &format!("/c/{company}"))
        .send()
        .await
        .expect("GET");
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.expect("body");
    assert!(
        !html.contains("<script>") && !html.contains(" style="),
        "no inline script or style"
    );
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no other origin"
    );
    for name in ["htmx.min.js", "inbox.js", "inbox.css"] {
        let at = html
            .find(&format!("/{name}"))
            .unwrap_or_else(|| panic!("{name} linked"));
        let start = html[..at].rfind("/assets/").expect("an assets path");
        let path = &html[start..at + name.len() + 1];
        let r = op.req(Method::GET, path).send().await.expect("GET asset");
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(
            r.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        let etag = r.headers()["etag"].clone();
        let again = op
            .req(Method::GET, path)
            .header("if-none-match", etag)
            .send()
            .await
            .expect("GET asset");
        assert_eq!(again.status(), 304);
        // A page from before an upgrade still gets the file, just not for keeps.
        let old = op
            .req(Method::GET, &format!("/assets/000000000000/{name}"))
            .send()
            .await
            .expect("GET asset");
        assert_eq!(old.status(), 200);
        assert_eq!(old.headers()["cache-control"], "no-cache");
    }
    let licence = op
        .req(Method::GET, "/assets/x/htmx-LICENSE.txt")
        .send()
        .await
        .expect("GET");
    assert!(
        licence
            .text()
            .await
            .expect("body")
            .contains("Zero-Clause BSD")
    );
    let (status, _) = op.text("/assets/x/nothing.js").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_inbox_stream_follows_the_company_with_the_cookie() {
    let srv = TestServer::start().await;
    let (company, channel, conversation) = srv.fixture().await;
    let op = log_in(&srv).await;
    let mut stream = SseStream::open(op.req(Method::GET, &format!("/c/{company}/events")))
        .await
        .expect("the stream opens with the cookie");
    let mut first = None;
    while first.is_none() {
        let frame = stream
            .next_event(Duration::from_secs(10))
            .await
            .expect("ready");
        first = frame.event;
    }
    assert_eq!(first.as_deref(), Some("ready"));
    srv.inbound(company, channel, "79250000001", "Still there?")
        .await;
    let r = op
        .change(&format!(
            "/c/{company}/conversations/{conversation}/assignee"
        ))
        .form(&[("assignee_id", srv.user_id.to_string())])
        .send()
        .await
        .expect("assign");
    assert_eq!(r.status(), 200);
    // The fixture's own first message may still be ticking: only these two matter, in order.
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let frame = stream
            .next_event(Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("events after {seen:?}"));
        let body = frame.json();
        let wanted = match frame.event.as_deref() {
            Some("message.new") => body["data"]["message"] == "Still there?",
            Some("conversation.assign") => true,
            _ => false,
        };
        if wanted {
            seen.push((frame.event.clone().unwrap_or_default(), body));
        }
    }
    assert_eq!(seen[0].0, "message.new");
    assert_eq!(seen[1].0, "conversation.assign");
    assert_eq!(seen[1].1["data"]["assignee_id"].as_i64(), Some(srv.user_id));
    assert_eq!(
        seen[1].1["data"]["external_id"].as_i64(),
        Some(conversation)
    );
}

#[tokio::test]
async fn the_inbox_stream_ends_with_the_session() {
    let srv = TestServer::start().await;
    let (company, _, _) = srv.fixture().await;
    let op = log_in(&srv).await;
    let mut stream = SseStream::open(op.req(Method::GET, &format!("/c/{company}/events")))
        .await
        .expect("the stream opens with the cookie");
    let out = op
        .req(Method::POST, "/logout")
        .header("origin", &op.base)
        .form(&[("csrf_token", op.csrf.as_str())])
        .send()
        .await
        .expect("POST /logout");
    assert_eq!(out.status(), 303);
    // Checked every 10 s, as a member's removal is.
    assert!(
        stream.ends_within(Duration::from_secs(25)).await,
        "the logged-out tab's stream ended"
    );
}
