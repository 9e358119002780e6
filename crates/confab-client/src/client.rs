//! [`Client`] and its [`ClientBuilder`]: the base URL, the token, timeouts and retries, and
//! the one place requests are sent and answers decoded.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use confab_wire::{Envelope, Status};
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use reqwest::{Method, RequestBuilder, Response};
use serde::de::{DeserializeOwned, IgnoredAny};
use url::Url;

use crate::error::{Error, Result};
use crate::retry::{self, RetryPolicy};

/// The root of the hosted Pact API; [`Client::pact`] talks to `https://api.pact.im/p1/`.
pub const PACT_URL: &str = "https://api.pact.im";

/// The header that carries the API token.
pub const TOKEN_HEADER: &str = "X-Private-Api-Token";

/// How long a call may take by default, from sending to the end of the answer (uploads and
/// downloads excepted: they may take as long as the bytes keep flowing).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How many same-origin redirects are followed.
const MAX_REDIRECTS: usize = 10;

/// An async client of the Pact Private API v1, for confab and the hosted Pact API.
///
/// Cheap to clone (the connection pool is shared); every call goes through the resource
/// handles: [`companies`](Client::companies), [`channels`](Client::channels),
/// [`conversations`](Client::conversations), [`messages`](Client::messages),
/// [`attachments`](Client::attachments), [`jobs`](Client::jobs),
/// [`webhook_deliveries`](Client::webhook_deliveries), [`members`](Client::members) and
/// [`sandbox`](Client::sandbox).
///
/// ```no_run
/// use confab_client::{Client, NewCompany};
/// # async fn run() -> Result<(), confab_client::Error> {
/// // confab: the server root; the client adds /p1/...
/// let confab = Client::new("http://127.0.0.1:8080", "TOKEN")?;
/// let company = confab.companies().create(&NewCompany::new("Acme")).await?;
///
/// // the hosted Pact API
/// let pact = Client::pact("TOKEN")?;
/// let first_page = pact.companies().list(&Default::default()).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    /// Carries the token; follows redirects only within the API's origin.
    api: reqwest::Client,
    /// No token: for attachment URLs on other hosts.
    plain: reqwest::Client,
    /// The API root, ending in `/p1/`.
    root: Url,
    timeout: Option<Duration>,
    retry: RetryPolicy,
    /// Whether writes carry an `Idempotency-Key` (and so may be retried).
    idempotency_keys: bool,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("api_url", &self.inner.root.as_str())
            .field("timeout", &self.inner.timeout)
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client of the server at `base_url` (its root, e.g. `http://127.0.0.1:8080`; a URL
    /// that already ends in `/p1` or `/p1/` works too), calling as the user of `token`, with
    /// the default timeout and retries.
    ///
    /// # Errors
    /// [`Error::Config`] when the URL is not http(s) or the token is empty or not a valid
    /// header value; [`Error::Transport`] when the TLS stack cannot start.
    pub fn new(base_url: impl AsRef<str>, token: impl Into<String>) -> Result<Client> {
        Client::builder(base_url, token).build()
    }

    /// A client of the hosted Pact API (`https://api.pact.im/p1/`).
    ///
    /// # Errors
    /// As [`Client::new`].
    pub fn pact(token: impl Into<String>) -> Result<Client> {
        // The hosted API does not document `Idempotency-Key`: without it a retried POST
        // could be carried out twice, so writes are not keyed (nor retried) there.
        Client::builder(PACT_URL, token)
            .idempotency_keys(false)
            .build()
    }

    /// A builder, to set the timeout, retries or user agent.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// # fn run() -> Result<(), confab_client::Error> {
    /// let client = confab_client::Client::builder("http://127.0.0.1:8080", "TOKEN")
    ///     .timeout(Duration::from_secs(10))
    ///     .max_retries(5)
    ///     .user_agent("my-crm/1.2")
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn builder(base_url: impl AsRef<str>, token: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.as_ref().to_owned(),
            token: token.into(),
            timeout: Some(DEFAULT_TIMEOUT),
            retry: RetryPolicy::default(),
            user_agent: concat!("confab-client/", env!("CARGO_PKG_VERSION")).to_owned(),
            idempotency_keys: true,
        }
    }

    /// The API root every path is resolved against, ending in `/p1/`.
    pub fn api_url(&self) -> &Url {
        &self.inner.root
    }

    /// The absolute URL of `path` (relative to `/p1/`, e.g. `companies/1`).
    pub(crate) fn url(&self, path: &str) -> Result<Url> {
        self.inner
            .root
            .join(path)
            .map_err(|e| Error::Config(format!("cannot build the URL of {path}: {e}")))
    }

    /// A JSON call to `path`, with the call timeout.
    pub(crate) fn request(&self, method: Method, path: &str) -> Result<RequestBuilder> {
        let mut request = self
            .inner
            .api
            .request(method, self.url(path)?)
            .header(ACCEPT, "application/json");
        if let Some(timeout) = self.inner.timeout {
            request = request.timeout(timeout);
        }
        Ok(request)
    }

    /// An upload or download at `url`, without the call timeout; the token goes only to the
    /// API's own origin.
    pub(crate) fn transfer(&self, method: Method, url: Url) -> RequestBuilder {
        if same_origin(&url, &self.inner.root) {
            self.inner.api.request(method, url)
        } else {
            self.inner.plain.request(method, url)
        }
    }

    /// Sends `request` (retrying, as the policy says, writes that carry an idempotency key
    /// and, unless `once`, idempotent calls) and
    /// returns the success answer.
    ///
    /// # Errors
    /// [`Error::Api`] for an error answer, [`Error::Transport`] when there was none.
    pub(crate) async fn send(&self, request: RequestBuilder, once: bool) -> Result<Response> {
        let (http, request) = request.build_split();
        let mut pending = request?;
        // A write to the API gets a fresh key, kept by every retry of it: the server then
        // carries it out once however often it is sent, so writes may be retried too.
        let keyed = self.inner.idempotency_keys
            && retry::is_write(pending.method())
            && same_origin(pending.url(), &self.inner.root);
        if keyed && !pending.headers().contains_key(retry::IDEMPOTENCY_KEY) {
            pending
                .headers_mut()
                .insert(retry::IDEMPOTENCY_KEY, retry::fresh_key());
        }
        let idempotent = keyed || (!once && retry::is_idempotent(pending.method()));
        let policy = self.inner.retry;
        let mut retries = 0;
        loop {
            let spare = if idempotent && retries < policy.max_retries {
                pending.try_clone()
            } else {
                None
            };
            let outcome = http.execute(pending).await;
            let wait = match &outcome {
                Ok(answer) if answer.status().is_success() => return outcome.map_err(Error::from),
                Ok(answer) => {
                    policy.after_answer(retries, keyed, answer.status(), answer.headers())
                }
                Err(e) => policy.after_error(retries, keyed, e),
            };
            match (spare, wait) {
                (Some(next), Some(wait)) => {
                    tokio::time::sleep(wait).await;
                    pending = next;
                    retries += 1;
                }
                _ => {
                    return match outcome {
                        Ok(answer) => Err(error_answer(answer).await),
                        Err(e) => Err(Error::Transport(e)),
                    };
                }
            }
        }
    }

    /// Sends `request` and decodes the `data` of its envelope.
    pub(crate) async fn data<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T> {
        self.decode_data(request, false).await
    }

    /// [`Client::data`] for a call that must not be sent twice whatever its method (a PUT
    /// that flips a flag): retried only when it carries an idempotency key, since the
    /// server then replays the first answer instead of carrying it out again.
    pub(crate) async fn data_once<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
    ) -> Result<T> {
        self.decode_data(request, true).await
    }

    async fn decode_data<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
        once: bool,
    ) -> Result<T> {
        let (status, body) = self.body(request, once).await?;
        let envelope: Envelope<T> = serde_json::from_slice(&body)
            .map_err(|e| Error::decode(status, e.to_string(), &body))?;
        envelope
            .data
            .ok_or_else(|| Error::decode(status, "the answer has no data", &body))
    }

    /// Sends `request` and returns the status word of its envelope (for answers without
    /// data, such as a delete).
    pub(crate) async fn status_word(&self, request: RequestBuilder) -> Result<Status> {
        let (status, body) = self.body(request, false).await?;
        let envelope: Envelope<IgnoredAny> = serde_json::from_slice(&body)
            .map_err(|e| Error::decode(status, e.to_string(), &body))?;
        Ok(envelope.status)
    }

    async fn body(&self, request: RequestBuilder, once: bool) -> Result<(u16, bytes::Bytes)> {
        let answer = self.send(request, once).await?;
        let status = answer.status().as_u16();
        Ok((status, answer.bytes().await?))
    }
}

/// The error of a non-success answer, from its body.
async fn error_answer(answer: Response) -> Error {
    let status = answer.status().as_u16();
    match answer.bytes().await {
        Ok(body) => Error::from_answer(status, &body),
        Err(e) => Error::Transport(e),
    }
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// The `/p1/` root of a server root (or of a URL that already ends in `/p1`).
fn api_root(base_url: &str) -> Result<Url> {
    let mut url = Url::parse(base_url.trim())
        .map_err(|e| Error::Config(format!("base URL {base_url:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::Config(format!(
            "base URL {base_url:?} must be an http:// or https:// URL"
        )));
    }
    let path = url.path().trim_end_matches('/');
    let path = if path.ends_with("/p1") {
        format!("{path}/")
    } else {
        format!("{path}/p1/")
    };
    url.set_path(&path);
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// Sets up a [`Client`]: made by [`Client::builder`].
#[derive(Clone)]
pub struct ClientBuilder {
    base_url: String,
    token: String,
    timeout: Option<Duration>,
    retry: RetryPolicy,
    user_agent: String,
    idempotency_keys: bool,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("idempotency_keys", &self.idempotency_keys)
            .field("user_agent", &self.user_agent)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// How long one attempt of a call may take, from sending to the end of the answer
    /// ([`DEFAULT_TIMEOUT`] unless set). Uploads and downloads are not bound by it: they
    /// fail only when no byte moves for this long.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// No time limit on calls.
    #[must_use]
    pub fn no_timeout(mut self) -> Self {
        self.timeout = None;
        self
    }

    /// How many times a call is retried after a 429, 502 or 503 answer or a connection
    /// error (3 unless set; 0 turns retries off). Writes are retried with the idempotency
    /// key of their first attempt (see [`ClientBuilder::idempotency_keys`]).
    #[must_use]
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.retry.max_retries = max_retries;
        self
    }

    /// The whole retry policy: count and backoff.
    #[must_use]
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Whether every write (POST, PUT, DELETE, PATCH) carries a fresh `Idempotency-Key`,
    /// the same on each of its retries, so that writes may be retried (on unless set; off
    /// for [`Client::pact`]). Off, only GET, PUT and DELETE are retried, and not after a
    /// timeout.
    #[must_use]
    pub fn idempotency_keys(mut self, on: bool) -> Self {
        self.idempotency_keys = on;
        self
    }

    /// The `User-Agent` header (`confab-client/VERSION` unless set).
    #[must_use]
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The client.
    ///
    /// # Errors
    /// As [`Client::new`].
    pub fn build(self) -> Result<Client> {
        let root = api_root(&self.base_url)?;
        if self.token.trim().is_empty() {
            return Err(Error::Config("the API token is empty".to_owned()));
        }
        let mut token = HeaderValue::from_str(&self.token)
            .map_err(|_| Error::Config("the API token is not a valid header value".to_owned()))?;
        token.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(TOKEN_HEADER, token);
        let user_agent = HeaderValue::from_str(&self.user_agent)
            .map_err(|_| Error::Config("the user agent is not a valid header value".to_owned()))?;
        let idle = self.timeout.unwrap_or(Duration::from_secs(300));
        let base = || {
            reqwest::Client::builder()
                .user_agent(user_agent.clone())
                .connect_timeout(CONNECT_TIMEOUT)
                .read_timeout(idle)
        };
        // The token is a custom header, which reqwest would carry across a redirect to
        // another host: follow redirects only within the API's origin.
        let api = base()
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                let first = attempt.previous().first();
                if attempt.previous().len() > MAX_REDIRECTS {
                    attempt.error("too many redirects")
                } else if first.is_some_and(|first| same_origin(first, attempt.url())) {
                    attempt.follow()
                } else {
                    attempt.stop()
                }
            }))
            .build()?;
        let plain = base()
            .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
            .build()?;
        Ok(Client {
            inner: Arc::new(Inner {
                api,
                plain,
                root,
                timeout: self.timeout,
                retry: self.retry,
                idempotency_keys: self.idempotency_keys,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_roots() {
        let root = |u: &str| api_root(u).map(|u| u.to_string()).unwrap_or_default();
        assert_eq!(root("http://127.0.0.1:8080"), "http://127.0.0.1:8080/p1/");
        assert_eq!(root("http://127.0.0.1:8080/"), "http://127.0.0.1:8080/p1/");
        assert_eq!(root("https://api.pact.im/p1/"), "https://api.pact.im/p1/");
        assert_eq!(root("https://api.pact.im/p1"), "https://api.pact.im/p1/");
        assert_eq!(root("https://h/proxy/"), "https://h/proxy/p1/");
        assert!(api_root("ftp://h").is_err());
        assert!(api_root("not a url").is_err());
    }
}
