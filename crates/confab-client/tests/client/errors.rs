//! Error answers decoded: the p1 error body, a raw body, an undecodable success.

use confab_client::{Client, Error, ErrorDetail, ListParams};

use crate::harness::{Answer, Peer, TestServer};

#[tokio::test]
async fn a_400_names_the_parameter() {
    let srv = TestServer::start().await;
    let err = srv
        .client
        .companies()
        .list(&ListParams::new().per(0))
        .await
        .expect_err("per 0");
    match &err {
        Error::Api {
            status,
            message,
            errors,
        } => {
            assert_eq!(*status, 400);
            assert_eq!(message, "parameter per: must be a number between 1 and 100");
            assert_eq!(
                errors,
                &vec![ErrorDetail {
                    parameter: "per".to_owned(),
                    code: "out_of_range".to_owned(),
                    detail: "must be a number between 1 and 100".to_owned(),
                }]
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "HTTP 400: parameter per: must be a number between 1 and 100"
    );
    assert_eq!(
        err.parameter("per").map(|d| d.code.as_str()),
        Some("out_of_range")
    );
    assert_eq!(err.parameter("from"), None);
}

#[tokio::test]
async fn a_bad_token_is_a_401() {
    let srv = TestServer::start().await;
    let client = Client::new(&srv.base, "not-a-token").expect("client");
    let err = client
        .companies()
        .list(&ListParams::new())
        .await
        .expect_err("bad token");
    match err {
        Error::Api {
            status,
            message,
            errors,
        } => {
            assert_eq!(status, 401);
            assert_eq!(
                message,
                "missing or invalid API token: send it in the X-Private-Api-Token header"
            );
            assert!(errors.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_body_that_is_not_the_error_shape_becomes_the_message() {
    let peer = Peer::start().await;
    peer.script([
        Answer::with(500, "  upstream exploded\n"),
        Answer::with(418, ""),
    ]);
    let client = peer.client();
    let err = client
        .companies()
        .list(&ListParams::new())
        .await
        .expect_err("500");
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.to_string(), "HTTP 500: upstream exploded");
    assert!(err.errors().is_empty());
    let err = client
        .companies()
        .list(&ListParams::new())
        .await
        .expect_err("418");
    assert_eq!(err.to_string(), "HTTP 418: I'm a teapot");
}

#[tokio::test]
async fn a_success_that_does_not_decode_is_a_decode_error() {
    let peer = Peer::start().await;
    peer.script([
        Answer::json(r#"{"status":"ok","data":{"companies":"nope"}}"#),
        Answer::json(r#"{"status":"ok"}"#),
        Answer::with(200, "<html>maintenance</html>"),
    ]);
    let client = peer.client();
    for expected in [
        "invalid type: string \"nope\"",
        "the answer has no data",
        "expected value",
    ] {
        match client.companies().list(&ListParams::new()).await {
            Err(Error::Decode {
                status,
                message,
                body,
            }) => {
                assert_eq!(status, 200);
                assert!(message.contains(expected), "{message}");
                assert!(!body.is_empty());
            }
            other => panic!("{other:?}"),
        }
    }
}
