//! Construction: base URLs, the hosted base, headers sent, and the token kept to the API's
//! own origin.

use confab_client::{Client, Error, ListParams};

use crate::harness::{Answer, EMPTY_COMPANIES, Peer, TestServer};

#[test]
fn bad_configurations_are_refused() {
    for (url, token) in [
        ("ftp://127.0.0.1", "t"),
        ("127.0.0.1:8080", "t"),
        ("http://127.0.0.1:8080", ""),
        ("http://127.0.0.1:8080", "bad\ntoken"),
    ] {
        let err = Client::new(url, token).expect_err(url);
        assert!(matches!(err, Error::Config(_)), "{url} {token:?}: {err:?}");
    }
    let err = Client::builder("http://127.0.0.1:1", "t")
        .user_agent("bad\nagent")
        .build()
        .expect_err("agent");
    assert!(matches!(err, Error::Config(_)));
}

#[test]
fn pact_uses_the_hosted_p1_base_and_debug_hides_the_token() {
    let pact = Client::pact("secret-token-value").expect("client");
    assert_eq!(pact.api_url().as_str(), "https://api.pact.im/p1/");
    let shown = format!("{pact:?}");
    assert!(shown.contains("https://api.pact.im/p1/"), "{shown}");
    assert!(!shown.contains("secret-token-value"), "{shown}");
    let builder = Client::builder(confab_client::PACT_URL, "secret-token-value");
    assert!(!format!("{builder:?}").contains("secret-token-value"));
}

#[tokio::test]
async fn a_base_ending_in_p1_works_too() {
    let srv = TestServer::start().await;
    for base in [format!("{}/p1/", srv.base), format!("{}/p1", srv.base)] {
        let client = Client::new(&base, &srv.token).expect("client");
        assert_eq!(client.api_url().as_str(), format!("{}/p1/", srv.base));
        let page = client
            .companies()
            .list(&ListParams::new())
            .await
            .expect("list");
        assert_eq!(page.items.len(), 0);
    }
}

#[tokio::test]
async fn token_user_agent_and_accept_headers_are_sent() {
    let peer = Peer::start().await;
    peer.fallback(Answer::json(EMPTY_COMPANIES));
    let client = Client::builder(&peer.base, "tok-123")
        .user_agent("my-crm/1.2")
        .build()
        .expect("client");
    client
        .companies()
        .list(&ListParams::new().per(7).descending().after("abc"))
        .await
        .expect("list");
    let seen = peer.seen();
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!(request.uri.path(), "/p1/companies");
    assert_eq!(
        request.uri.query(),
        Some("from=abc&per=7&sort_direction=desc")
    );
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(header("x-private-api-token").as_deref(), Some("tok-123"));
    assert_eq!(header("user-agent").as_deref(), Some("my-crm/1.2"));
    assert_eq!(header("accept").as_deref(), Some("application/json"));

    let default_agent = Client::new(&peer.base, "t").expect("client");
    default_agent
        .companies()
        .list(&ListParams::new())
        .await
        .expect("list");
    let agent = peer.seen()[1]
        .headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    assert_eq!(
        agent.as_deref(),
        Some(concat!("confab-client/", env!("CARGO_PKG_VERSION")))
    );
}

#[tokio::test]
async fn the_token_never_leaves_the_api_origin() {
    let api = Peer::start().await;
    let elsewhere = Peer::start().await;
    elsewhere.fallback(Answer::with(200, "file bytes"));
    // A redirect to another origin is not followed: the token would go with it.
    api.script([Answer::with(302, "").header("location", &format!("{}/x", elsewhere.base))]);
    let client = Client::new(&api.base, "tok-123").expect("client");
    let err = client
        .companies()
        .list(&ListParams::new())
        .await
        .expect_err("cross-origin redirect");
    assert_eq!(err.status(), Some(302));
    assert_eq!(elsewhere.seen().len(), 0);

    // A same-origin redirect is followed, with the token.
    api.script([
        Answer::with(307, "").header("location", "/p1/companies?moved=1"),
        Answer::json(EMPTY_COMPANIES),
    ]);
    client
        .companies()
        .list(&ListParams::new())
        .await
        .expect("same-origin redirect");
    let seen = api.seen();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[2].uri.query(), Some("moved=1"));
    assert_eq!(
        seen[2]
            .headers
            .get("x-private-api-token")
            .map(|v| v.as_bytes()),
        Some(&b"tok-123"[..])
    );

    // An attachment URL on another host is downloaded without the token.
    let mut bytes = Vec::new();
    let written = client
        .download(&format!("{}/files/a.bin", elsewhere.base), &mut bytes)
        .await
        .expect("download");
    assert_eq!((written, bytes.as_slice()), (10, &b"file bytes"[..]));
    let fetched = elsewhere.seen();
    assert_eq!(fetched.len(), 1);
    assert_eq!(fetched[0].uri.path(), "/files/a.bin");
    assert!(fetched[0].headers.get("x-private-api-token").is_none());
}

fn assert_send<T: Send + 'static>(_: &T) {}

#[tokio::test]
async fn calls_and_streams_can_be_spawned() {
    let client = Client::builder("http://127.0.0.1:9", "t")
        .max_retries(0)
        .build()
        .expect("client");
    let list = {
        let client = client.clone();
        async move { client.companies().list(&ListParams::new()).await }
    };
    assert_send(&list);
    let upload = {
        let client = client.clone();
        async move {
            client
                .attachments(1, 1)
                .upload(confab_client::Upload::reader(&b"x"[..], "x.txt"))
                .await
        }
    };
    assert_send(&upload);
    let download = {
        let client = client.clone();
        async move { client.attachments(1, 1).download(1, &mut Vec::new()).await }
    };
    assert_send(&download);
    assert_send(&client.messages(1, 1).stream(ListParams::new()));
    // Spawned for real: the call runs on another task and fails to connect.
    let handle = tokio::spawn(list);
    let outcome = handle.await.expect("task");
    assert!(matches!(outcome, Err(Error::Transport(_))), "{outcome:?}");
}
