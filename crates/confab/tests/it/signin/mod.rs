//! Channel sign-in (`request_code`, `confirm`) for telegram_personal and legacy
//! instagram in the sandbox, in both SDKs' wire forms (PHP: a form, `Accept: */*`;
//! Python: JSON labelled JSON with `Accept: application/json`), with the `system`
//! webhooks it fires, in order, on a real local receiver.

mod instagram;
mod qr_code;
mod refusals;
mod telegram;

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use crate::harness::*;

/// The two official SDKs' ways of sending parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sdk {
    /// `http_build_query` form body, booleans as `1`/`0`, curl's `Accept: */*`.
    Php,
    /// A JSON body labelled JSON, numbers and booleans as JSON, `Accept: application/json`.
    Python,
}

impl Sdk {
    pub const BOTH: [Sdk; 2] = [Sdk::Php, Sdk::Python];
}

/// POSTs `params` to `path` as `sdk` sends them.
pub async fn post(srv: &TestServer, sdk: Sdk, path: &str, params: Value) -> (u16, Value) {
    let Value::Object(map) = params else {
        panic!("params must be an object");
    };
    match sdk {
        Sdk::Php => {
            let form: Vec<(String, String)> = map
                .into_iter()
                .map(|(k, v)| {
                    let text = match v {
                        Value::String(s) => s,
                        Value::Bool(b) => if b { "1" } else { "0" }.to_owned(),
                        other => other.to_string(),
                    };
                    (k, text)
                })
                .collect();
            call(
                srv.req(Method::POST, path)
                    .header("Accept", "*/*")
                    .form(&form),
            )
            .await
        }
        Sdk::Python => {
            call(
                srv.req(Method::POST, path)
                    .header("Accept", "application/json")
                    .header("Content-Type", "application/json")
                    .body(Value::Object(map).to_string()),
            )
            .await
        }
    }
}

/// A server that may call loopback webhook receivers.
pub async fn server() -> TestServer {
    TestServer::start_with(|c| c.allow_private_urls = true).await
}

/// A company whose webhooks go to `rx`.
pub async fn hooked_company(srv: &TestServer, rx: &Receiver) -> i64 {
    let (s, b) = srv
        .form(
            Method::POST,
            "/p1/companies",
            &[("name", "Acme"), ("webhook_url", &rx.url)],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    b["data"]["external_id"].as_i64().expect("company id")
}

/// Creates a channel with `params` as `sdk` sends them; its id.
pub async fn create_channel(srv: &TestServer, sdk: Sdk, company: i64, params: Value) -> i64 {
    let path = match sdk {
        Sdk::Php => format!("/p1/companies/{company}/channels"),
        Sdk::Python => format!("/p1/companies/{company}/channels/"),
    };
    let (s, b) = post(srv, sdk, &path, params).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "created", "{b}");
    b["data"]["external_id"].as_i64().expect("channel id")
}

/// The channel's state as the channel list shows it.
pub async fn channel_state(srv: &TestServer, company: i64, channel: i64) -> String {
    let (s, b) = srv.get(&format!("/p1/companies/{company}/channels")).await;
    assert_eq!(s, 200, "{b}");
    b["data"]["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .find(|c| c["external_id"] == channel)
        .and_then(|c| c["state"].as_str())
        .expect("the channel is listed")
        .to_owned()
}

/// The code the sandbox's messenger sent to the channel's account.
pub async fn sandbox_code(srv: &TestServer, company: i64, channel: i64) -> String {
    let (s, b) = srv
        .get(&format!(
            "/p1/companies/{company}/channels/{channel}/sandbox/code"
        ))
        .await;
    assert_eq!(s, 200, "{b}");
    b["data"]["code"].as_str().expect("code").to_owned()
}

/// A six-digit code that is not `code`.
pub fn other_code(code: &str) -> String {
    let n: u32 = code.parse().expect("digits");
    format!("{:06}", (n + 1) % 1_000_000)
}

/// The path of a channel's action.
pub fn action(company: i64, channel: i64, name: &str) -> String {
    format!("/p1/companies/{company}/channels/{channel}/{name}")
}

/// The webhook events delivered as `type.event` (`system.authorized` for system events).
pub fn kinds(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e["type"].as_str() {
            Some("system") => format!("system.{}", e["data"]["message"].as_str().unwrap_or("?")),
            Some(t) => format!("{t}.{}", e["event"].as_str().unwrap_or("-")),
            None => "?".to_owned(),
        })
        .collect()
}

/// Waits a moment and asserts no more than `n` events were delivered.
pub async fn assert_no_more_than(rx: &Receiver, n: usize) {
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = rx.delivered();
    assert!(got.len() <= n, "{:#?}", kinds(&got));
}
