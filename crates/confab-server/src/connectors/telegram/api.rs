//! A thin Bot API client: `POST <base>/bot<token>/<method>` with JSON or multipart bodies,
//! answers unwrapped from Telegram's `{"ok":..,"result":..}` envelope. The token is part of
//! every URL, so no error text made here ever carries a URL.

use std::time::Duration;

use bytes::Bytes;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// How long an ordinary call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// A call that did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Telegram answered with an error (`ok: false`), or an HTTP error without its envelope.
    Api {
        /// `error_code` (the HTTP status).
        code: u16,
        /// `description`, as Telegram wrote it.
        description: String,
        /// `parameters.retry_after`, seconds, on 429.
        retry_after: Option<u64>,
    },
    /// No answer: connection refused or reset, timeout, or a body that is not the Bot API's.
    Transport(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Api {
                code, description, ..
            } => write!(f, "Telegram answered {code}: {description}"),
            Self::Transport(why) => write!(f, "Telegram could not be reached: {why}"),
        }
    }
}

/// Telegram's answer envelope.
#[derive(Deserialize)]
struct Envelope<T> {
    ok: bool,
    result: Option<T>,
    error_code: Option<u16>,
    description: Option<String>,
    parameters: Option<Parameters>,
}

#[derive(Deserialize)]
struct Parameters {
    retry_after: Option<u64>,
}

/// The Bot API at one base URL.
#[derive(Debug, Clone)]
pub struct BotApi {
    http: reqwest::Client,
    base: String,
}

impl BotApi {
    /// A client of the Bot API server at `base` (`https://api.telegram.org`).
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(base: &url::Url) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            http,
            base: base.as_str().trim_end_matches('/').to_owned(),
        })
    }

    fn method_url(&self, token: &str, method: &str) -> String {
        format!("{}/bot{token}/{method}", self.base)
    }

    /// Calls `method` with JSON `params`.
    ///
    /// # Errors
    /// Telegram's error, or why it could not be reached.
    pub async fn call<T: DeserializeOwned>(
        &self,
        token: &str,
        method: &str,
        params: &serde_json::Value,
    ) -> Result<T, Failure> {
        self.call_within(token, method, params, CALL_TIMEOUT).await
    }

    /// [`call`](Self::call) with its own timeout (long polls wait longer than calls).
    ///
    /// # Errors
    /// Telegram's error, or why it could not be reached.
    pub async fn call_within<T: DeserializeOwned>(
        &self,
        token: &str,
        method: &str,
        params: &serde_json::Value,
        timeout: Duration,
    ) -> Result<T, Failure> {
        let request = self
            .http
            .post(self.method_url(token, method))
            .timeout(timeout)
            .json(params);
        unwrap(request.send().await).await
    }

    /// Calls `method` with a multipart body (file uploads).
    ///
    /// # Errors
    /// Telegram's error, or why it could not be reached.
    pub async fn upload<T: DeserializeOwned>(
        &self,
        token: &str,
        method: &str,
        form: reqwest::multipart::Form,
    ) -> Result<T, Failure> {
        let request = self
            .http
            .post(self.method_url(token, method))
            .timeout(CALL_TIMEOUT * 4)
            .multipart(form);
        unwrap(request.send().await).await
    }

    /// Downloads a file `getFile` pointed at, refusing more than `max` bytes.
    ///
    /// # Errors
    /// The HTTP error, or why it could not be reached.
    pub async fn download(&self, token: &str, file_path: &str, max: u64) -> Result<Bytes, Failure> {
        let url = format!("{}/file/bot{token}/{file_path}", self.base);
        let response = self
            .http
            .get(url)
            .timeout(CALL_TIMEOUT * 4)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        if !status.is_success() {
            return Err(Failure::Api {
                code: status.as_u16(),
                description: format!("the file download answered HTTP {status}"),
                retry_after: None,
            });
        }
        if response.content_length().is_some_and(|n| n > max) {
            return Err(too_large(max));
        }
        let mut body = Vec::new();
        let mut response = response;
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            body.extend_from_slice(&chunk);
            if body.len() as u64 > max {
                return Err(too_large(max));
            }
        }
        Ok(Bytes::from(body))
    }
}

fn too_large(max: u64) -> Failure {
    Failure::Api {
        code: 413,
        description: format!("the file is larger than the {max} bytes confab accepts"),
        retry_after: None,
    }
}

/// A transport error without its URL (which holds the bot token).
fn transport(e: reqwest::Error) -> Failure {
    Failure::Transport(e.without_url().to_string())
}

async fn unwrap<T: DeserializeOwned>(
    sent: Result<reqwest::Response, reqwest::Error>,
) -> Result<T, Failure> {
    let response = sent.map_err(transport)?;
    let status = response.status();
    let body = response.bytes().await.map_err(transport)?;
    let Ok(envelope) = serde_json::from_slice::<Envelope<T>>(&body) else {
        return Err(if status.is_success() {
            Failure::Transport("the answer is not a Bot API answer".to_owned())
        } else {
            Failure::Api {
                code: status.as_u16(),
                description: format!("HTTP {status}"),
                retry_after: None,
            }
        });
    };
    match (envelope.ok, envelope.result) {
        (true, Some(result)) => Ok(result),
        (true, None) => Err(Failure::Transport("the answer has no result".to_owned())),
        (false, _) => Err(Failure::Api {
            code: envelope.error_code.unwrap_or(status.as_u16()),
            description: envelope
                .description
                .unwrap_or_else(|| format!("HTTP {status}")),
            retry_after: envelope.parameters.and_then(|p| p.retry_after),
        }),
    }
}
