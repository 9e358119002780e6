//! A thin client of Meta's Graph API for WhatsApp Cloud numbers: `Authorization: Bearer`
//! on every call, answers as JSON, errors as Meta's `{"error":{"code",..}}`. No error text
//! made here carries the token.

use super::at;
use std::time::Duration;

use bytes::Bytes;
use reqwest::multipart::{Form, Part};
use serde::Deserialize;
use serde_json::Value;

/// How long an ordinary call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Pages of templates followed at most (a WABA has at most a few hundred templates).
const MAX_TEMPLATE_PAGES: usize = 100;

/// A call that did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Meta answered with an error.
    Api {
        /// The HTTP status.
        status: u16,
        /// Meta's `error.code` (what to branch on; `None` for an answer without one).
        code: Option<i64>,
        /// `error.message` (with `error_data.details` when given).
        message: String,
    },
    /// No answer: connection refused or reset, timeout, or a body that is not Meta's.
    Transport(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Api {
                status,
                code: Some(code),
                message,
            } => write!(f, "WhatsApp answered {status} (code {code}): {message}"),
            Self::Api {
                status, message, ..
            } => write!(f, "WhatsApp answered {status}: {message}"),
            Self::Transport(why) => write!(f, "WhatsApp could not be reached: {why}"),
        }
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    error: GraphError,
}

#[derive(Deserialize)]
struct GraphError {
    message: Option<String>,
    code: Option<i64>,
    error_data: Option<ErrorData>,
}

#[derive(Deserialize)]
struct ErrorData {
    details: Option<String>,
}

/// What `GET /<media-id>` answers.
#[derive(Debug, Clone, Deserialize)]
pub struct MediaInfo {
    /// The short-lived download URL (needs the bearer too).
    pub url: String,
    /// Its MIME type.
    pub mime_type: Option<String>,
    /// Its size in bytes.
    pub file_size: Option<u64>,
}

/// The domains Meta serves customers' media from (`lookaside.fbsbx.com` today).
const META_MEDIA_DOMAINS: &[&str] = &["fbsbx.com", "facebook.com", "whatsapp.net", "fbcdn.net"];

/// The Graph API at one versioned base URL.
#[derive(Debug, Clone)]
pub struct GraphApi {
    http: reqwest::Client,
    base: String,
}

impl GraphApi {
    /// A client of the Graph API at `base` (`https://graph.facebook.com/v21.0`).
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

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }

    /// Whether a media URL may get the bearer token: Meta's media hosts over HTTPS, or
    /// the API's own origin (a self-hosted proxy, a test fake).
    fn media_host_allowed(&self, url: &str) -> bool {
        if self.same_origin(url) {
            return true;
        }
        let Ok(url) = url::Url::parse(url) else {
            return false;
        };
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        url.scheme() == "https"
            && META_MEDIA_DOMAINS
                .iter()
                .any(|d| host == *d || host.ends_with(&format!(".{d}")))
    }

    /// Whether `url` is on the API's own scheme, host and port.
    fn same_origin(&self, url: &str) -> bool {
        match (url::Url::parse(url), url::Url::parse(&self.base)) {
            (Ok(a), Ok(b)) => a.origin() == b.origin(),
            _ => false,
        }
    }

    /// `GET /<object id>` (a phone number, a media id).
    ///
    /// # Errors
    /// Meta's error, or why it could not be reached.
    pub async fn object(&self, token: &str, id: &str) -> Result<Value, Failure> {
        let request = self
            .http
            .get(self.url(id))
            .bearer_auth(token)
            .timeout(CALL_TIMEOUT);
        answer(request.send().await).await
    }

    /// `POST /<phone_number_id>/messages`: answers the new message's `wamid`.
    ///
    /// # Errors
    /// Meta's error, or why it could not be reached.
    pub async fn send_message(
        &self,
        token: &str,
        phone_number_id: &str,
        body: &Value,
    ) -> Result<String, Failure> {
        let request = self
            .http
            .post(self.url(&format!("{phone_number_id}/messages")))
            .bearer_auth(token)
            .timeout(CALL_TIMEOUT)
            .json(body);
        let answer = answer(request.send().await).await?;
        at(&answer, "/messages/0/id")
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| Failure::Transport("the answer has no message id".to_owned()))
    }

    /// `POST /<phone_number_id>/media` (multipart `file`, `type`, `messaging_product`):
    /// answers the media id.
    ///
    /// # Errors
    /// Meta's error, or why it could not be reached.
    pub async fn upload_media(
        &self,
        token: &str,
        phone_number_id: &str,
        bytes: Bytes,
        mime_type: &str,
        file_name: &str,
    ) -> Result<String, Failure> {
        let named = |bytes| Part::stream(bytes).file_name(file_name.to_owned());
        // A type reqwest cannot parse goes without one rather than not at all.
        let part = named(bytes.clone())
            .mime_str(mime_type)
            .unwrap_or_else(|_| named(bytes));
        let form = Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", mime_type.to_owned())
            .part("file", part);
        let request = self
            .http
            .post(self.url(&format!("{phone_number_id}/media")))
            .bearer_auth(token)
            .timeout(CALL_TIMEOUT * 4)
            .multipart(form);
        let answer = answer(request.send().await).await?;
        at(&answer, "/id")
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| Failure::Transport("the upload answer has no id".to_owned()))
    }

    /// `GET /<media-id>`: where to download a customer's file.
    ///
    /// # Errors
    /// Meta's error, or why it could not be reached.
    pub async fn media(&self, token: &str, media_id: &str) -> Result<MediaInfo, Failure> {
        let value = self.object(token, media_id).await?;
        serde_json::from_value(value)
            .map_err(|_| Failure::Transport("the media answer has no url".to_owned()))
    }

    /// Downloads a media URL with the bearer, refusing more than `max` bytes.
    ///
    /// # Errors
    /// The HTTP error, or why it could not be reached.
    pub async fn download(&self, token: &str, url: &str, max: u64) -> Result<Bytes, Failure> {
        if !self.media_host_allowed(url) {
            // The bearer token is the number's: it goes nowhere but Meta.
            return Err(Failure::Transport(
                "the media URL is not on Meta's hosts; not downloaded".to_owned(),
            ));
        }
        let mut response = self
            .http
            .get(url)
            .bearer_auth(token)
            .timeout(CALL_TIMEOUT * 4)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        if !status.is_success() {
            return Err(Failure::Api {
                status: status.as_u16(),
                code: None,
                message: format!("the media download answered HTTP {status}"),
            });
        }
        if response.content_length().is_some_and(|n| n > max) {
            return Err(too_large(max));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            body.extend_from_slice(&chunk);
            if body.len() as u64 > max {
                return Err(too_large(max));
            }
        }
        Ok(Bytes::from(body))
    }

    /// Every message template of WABA `waba_id`, following `paging.next`: Meta's objects
    /// as they are (`name`, `language`, `status`, `id`, `components`, ...).
    ///
    /// # Errors
    /// Meta's error, or why it could not be reached.
    pub async fn templates(&self, token: &str, waba_id: &str) -> Result<Vec<Value>, Failure> {
        let mut all = Vec::new();
        let mut next = Some(self.url(&format!("{waba_id}/message_templates?limit=100")));
        let mut pages = 0;
        while let Some(url) = next.take() {
            pages += 1;
            if pages > MAX_TEMPLATE_PAGES {
                // A partial list would mark the unread templates removed.
                return Err(Failure::Transport(format!(
                    "more than {MAX_TEMPLATE_PAGES} pages of templates; not synced"
                )));
            }
            let request = self.http.get(url).bearer_auth(token).timeout(CALL_TIMEOUT);
            let mut page = answer(request.send().await).await?;
            if let Some(Value::Array(items)) = page.get_mut("data").map(Value::take) {
                all.extend(items);
            }
            // The bearer token goes only where the API itself is.
            next = match at(&page, "/paging/next").as_str() {
                Some(url) if self.same_origin(url) => Some(url.to_owned()),
                // The bearer token goes only where the API itself is; a partial list
                // would mark the unread templates removed.
                Some(_) => {
                    return Err(Failure::Transport(
                        "the next page of templates is not on the API's host; not synced"
                            .to_owned(),
                    ));
                }
                None => None,
            };
        }
        Ok(all)
    }
}

fn too_large(max: u64) -> Failure {
    Failure::Api {
        status: 413,
        code: None,
        message: format!("the file is larger than the {max} bytes confab accepts"),
    }
}

/// A transport error without its URL (which may carry a signed media link).
fn transport(e: reqwest::Error) -> Failure {
    Failure::Transport(e.without_url().to_string())
}

async fn answer(sent: Result<reqwest::Response, reqwest::Error>) -> Result<Value, Failure> {
    let response = sent.map_err(transport)?;
    let status = response.status();
    let body = response.bytes().await.map_err(transport)?;
    if status.is_success() {
        return serde_json::from_slice(&body)
            .map_err(|_| Failure::Transport("the answer is not JSON".to_owned()));
    }
    match serde_json::from_slice::<ErrorBody>(&body) {
        Ok(ErrorBody { error }) => {
            let mut message = error.message.unwrap_or_else(|| format!("HTTP {status}"));
            if let Some(details) = error.error_data.and_then(|d| d.details) {
                message = format!("{message} ({details})");
            }
            Err(Failure::Api {
                status: status.as_u16(),
                code: error.code,
                message,
            })
        }
        Err(_) => Err(Failure::Api {
            status: status.as_u16(),
            code: None,
            message: format!("HTTP {status}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_goes_only_to_meta_or_the_api_itself() {
        let base = url::Url::parse("https://graph.facebook.com/v21.0").expect("url");
        let api = GraphApi::new(&base).expect("client");
        assert!(api.media_host_allowed(
            "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1"
        ));
        assert!(api.media_host_allowed("https://graph.facebook.com/v21.0/123"));
        assert!(
            !api.media_host_allowed("http://lookaside.fbsbx.com/x"),
            "not over HTTPS"
        );
        assert!(!api.media_host_allowed("https://evil.example/fbsbx.com"));
        assert!(!api.media_host_allowed("https://fbsbx.com.evil.example/x"));
        assert!(!api.media_host_allowed("https://notfbsbx.com/x"));
        assert!(!api.media_host_allowed("not a url"));
        let fake = url::Url::parse("http://127.0.0.1:4000/v21.0").expect("url");
        let api = GraphApi::new(&fake).expect("client");
        assert!(api.media_host_allowed("http://127.0.0.1:4000/media/download?mid=1"));
        assert!(!api.media_host_allowed("http://127.0.0.1:4001/media/download?mid=1"));
    }
}
