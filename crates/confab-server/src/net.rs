//! Outbound HTTP (`file_url` fetches now, webhooks later) with the SSRF guard.
//!
//! Checked where the connection is made, not on the URL string: literal-IP hosts are
//! checked before sending, host names are resolved by a resolver that drops every
//! non-public address (so DNS rebinding cannot slip a private address in after a check),
//! and every redirect hop is checked again. `--allow-private-urls` turns the guard off.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use ipnet::{Ipv4Net, Ipv6Net};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect;
use tempfile::TempPath;
use tokio::io::AsyncWriteExt;
use url::{Host, Url};

/// Redirect hops followed at most.
const MAX_REDIRECTS: usize = 5;

/// Parses an absolute `http`/`https` URL with a host.
pub fn parse_http_url(text: &str) -> Result<Url, &'static str> {
    let url = Url::parse(text.trim()).map_err(|_| "must be an absolute http or https URL")?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must be an http or https URL");
    }
    if url.host().is_none() {
        return Err("must name a host");
    }
    Ok(url)
}

fn v4_net(text: &str) -> Option<Ipv4Net> {
    text.parse().ok()
}

fn v6_net(text: &str) -> Option<Ipv6Net> {
    text.parse().ok()
}

/// Whether an IPv4 address is publicly routable.
fn is_global_v4(ip: Ipv4Addr) -> bool {
    const BLOCKED: &[&str] = &[
        "0.0.0.0/8",       // "this network"
        "10.0.0.0/8",      // private
        "100.64.0.0/10",   // carrier-grade NAT
        "127.0.0.0/8",     // loopback
        "169.254.0.0/16",  // link-local, cloud metadata
        "172.16.0.0/12",   // private
        "192.0.0.0/24",    // IETF protocol assignments
        "192.0.2.0/24",    // documentation
        "192.168.0.0/16",  // private
        "198.18.0.0/15",   // benchmarking
        "198.51.100.0/24", // documentation
        "203.0.113.0/24",  // documentation
        "224.0.0.0/4",     // multicast
        "240.0.0.0/4",     // reserved, broadcast
    ];
    !BLOCKED
        .iter()
        .filter_map(|n| v4_net(n))
        .any(|net| net.contains(&ip))
}

/// Whether an IPv6 address is publicly routable; embedded IPv4 addresses (mapped,
/// NAT64, 6to4) are judged as IPv4.
fn is_global_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_global_v4(v4);
    }
    let segments = ip.segments();
    let in_net = |n: &str| v6_net(n).is_some_and(|net| net.contains(&ip));
    if in_net("64:ff9b::/96") {
        let [.., a, b] = segments;
        return is_global_v4(Ipv4Addr::from((u32::from(a) << 16) | u32::from(b)));
    }
    if in_net("2002::/16") {
        let [_, a, b, ..] = segments;
        return is_global_v4(Ipv4Addr::from((u32::from(a) << 16) | u32::from(b)));
    }
    const BLOCKED: &[&str] = &[
        "::/128",        // unspecified
        "::1/128",       // loopback
        "::/96",         // IPv4-compatible (deprecated)
        "100::/64",      // discard
        "2001:db8::/32", // documentation
        "fc00::/7",      // unique local
        "fe80::/10",     // link-local
        "ff00::/8",      // multicast
    ];
    !BLOCKED.iter().any(|n| in_net(n))
}

/// Whether an address is publicly routable: the only kind a guarded fetch may reach.
pub fn is_global(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_global_v4(v4),
        IpAddr::V6(v6) => is_global_v6(v6),
    }
}

/// A resolver that keeps only public addresses.
struct PublicOnlyResolver;

/// The resolver's refusal, typed so a fetch error can be told apart from a network failure.
#[derive(Debug)]
struct NonPublicTarget(String);

impl std::fmt::Display for NonPublicTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} resolves only to loopback, private or otherwise non-public addresses",
            self.0
        )
    }
}

impl std::error::Error for NonPublicTarget {}

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = all.into_iter().filter(|a| is_global(a.ip())).collect();
            if public.is_empty() {
                return Err(
                    Box::new(NonPublicTarget(host)) as Box<dyn std::error::Error + Send + Sync>
                );
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// Why a URL may not be fetched before any connection is made, if it may not.
fn literal_host_refusal(url: &Url) -> Option<String> {
    let ip = match url.host()? {
        Host::Ipv4(ip) => IpAddr::V4(ip),
        Host::Ipv6(ip) => IpAddr::V6(ip),
        Host::Domain(_) => return None,
    };
    (!is_global(ip)).then(|| format!("{ip} is a loopback, private or otherwise non-public address"))
}

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The target is not allowed (non-public address, bad scheme on a redirect).
    #[error("refused: {0}")]
    Refused(String),
    /// The target could not be fetched (connection, timeout, non-2xx answer).
    #[error("{0}")]
    Failed(String),
    /// The target is larger than the limit.
    #[error("the file is larger than the limit of {0} bytes")]
    TooLarge(u64),
}

/// A fetched file, spooled to a temp file that is deleted when dropped.
#[derive(Debug)]
pub struct Fetched {
    /// Where the bytes are.
    pub path: TempPath,
    /// Bytes received.
    pub size: u64,
    /// The answer's Content-Type, without parameters.
    pub content_type: Option<String>,
}

/// The guarded outbound HTTP clients: one that follows (checked) redirects for file
/// fetches, one that never does for webhooks.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    webhook_client: reqwest::Client,
    allow_private: bool,
}

/// The full text of an error and its causes, so "connection refused" is not lost behind
/// "error sending request".
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl Fetcher {
    /// A client whose requests time out after `timeout` in all.
    ///
    /// # Errors
    /// When the TLS stack cannot be set up.
    pub fn new(
        allow_private: bool,
        timeout: Duration,
        webhook_timeout: Duration,
    ) -> anyhow::Result<Self> {
        let mut webhook_builder = reqwest::Client::builder()
            .timeout(webhook_timeout)
            .connect_timeout(webhook_timeout)
            .user_agent(concat!("confab-webhooks/", env!("CARGO_PKG_VERSION")))
            .redirect(redirect::Policy::none());
        if !allow_private {
            webhook_builder = webhook_builder.dns_resolver(Arc::new(PublicOnlyResolver));
        }
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("confab/", env!("CARGO_PKG_VERSION")));
        if allow_private {
            builder = builder.redirect(redirect::Policy::limited(MAX_REDIRECTS));
        } else {
            builder = builder.dns_resolver(Arc::new(PublicOnlyResolver)).redirect(
                redirect::Policy::custom(|attempt| {
                    if attempt.previous().len() >= MAX_REDIRECTS {
                        return attempt.error("too many redirects");
                    }
                    let url = attempt.url();
                    if !matches!(url.scheme(), "http" | "https") {
                        return attempt.error("redirect to a non-http URL");
                    }
                    match literal_host_refusal(url) {
                        Some(why) => attempt.error(why),
                        None => attempt.follow(),
                    }
                }),
            );
        }
        Ok(Self {
            client: builder.build()?,
            webhook_client: webhook_builder.build()?,
            allow_private,
        })
    }

    /// Refuses a target on a non-public address unless private URLs are allowed. Names are
    /// resolved once here for a clear answer; the resolver checks again at connect time.
    async fn check_target(&self, url: &Url) -> Result<(), FetchError> {
        if self.allow_private {
            return Ok(());
        }
        if let Some(why) = literal_host_refusal(url) {
            return Err(FetchError::Refused(why));
        }
        if let Some(Host::Domain(host)) = url.host()
            && let Ok(addrs) = tokio::net::lookup_host((host, 0)).await
        {
            let addrs: Vec<SocketAddr> = addrs.collect();
            if !addrs.is_empty() && !addrs.iter().any(|a| is_global(a.ip())) {
                return Err(FetchError::Refused(
                    NonPublicTarget(host.to_owned()).to_string(),
                ));
            }
        }
        Ok(())
    }

    /// POSTs a JSON body with extra headers; returns the answer's status. Redirects are not
    /// followed (a 3xx is an answer like any other).
    ///
    /// # Errors
    /// [`FetchError::Refused`] for a non-public target, [`FetchError::Failed`] when no
    /// answer came.
    pub async fn post_json(
        &self,
        url: &Url,
        body: Vec<u8>,
        headers: &[(&str, String)],
    ) -> Result<reqwest::StatusCode, FetchError> {
        self.check_target(url).await?;
        let mut request = self
            .webhook_client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request
            .send()
            .await
            .map_err(|e| FetchError::Failed(error_chain(&e)))?;
        Ok(response.status())
    }

    /// Downloads `url` into a temp file in `dir`, refusing more than `limit` bytes.
    ///
    /// # Errors
    /// [`FetchError`] says whether the target was refused, failed or too large.
    pub async fn fetch_to_file(
        &self,
        url: &Url,
        dir: &Path,
        limit: u64,
    ) -> Result<Fetched, FetchError> {
        self.check_target(url).await?;
        let response = self
            .client
            .get(url.clone())
            .send()
            .await
            .map_err(|e| FetchError::Failed(error_chain(&e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Failed(format!(
                "the server answered HTTP {status}"
            )));
        }
        // gzip and deflate are decoded (and counted against the limit decoded); any other
        // encoding a server sends unasked would be stored still encoded.
        if let Some(encoding) = response
            .headers()
            .get(reqwest::header::CONTENT_ENCODING)
            .map(|v| v.to_str().unwrap_or("?").trim().to_ascii_lowercase())
            .filter(|e| !e.is_empty() && e != "identity")
        {
            return Err(FetchError::Failed(format!(
                "the server sent the file with Content-Encoding {encoding}, which confab \
                 does not decode (gzip and deflate are)"
            )));
        }
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(FetchError::TooLarge(limit));
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .filter(|v| !v.is_empty());
        let temp = tempfile::Builder::new()
            .prefix("fetch-")
            .tempfile_in(dir)
            .map_err(|e| FetchError::Failed(format!("cannot create a temp file: {e}")))?;
        let (file, path) = temp.into_parts();
        let mut file = tokio::fs::File::from_std(file);
        let mut size = 0u64;
        let mut body = response.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| FetchError::Failed(error_chain(&e)))?;
            size += chunk.len() as u64;
            if size > limit {
                return Err(FetchError::TooLarge(limit));
            }
            file.write_all(&chunk)
                .await
                .map_err(|e| FetchError::Failed(format!("cannot write a temp file: {e}")))?;
        }
        file.flush()
            .await
            .map_err(|e| FetchError::Failed(format!("cannot write a temp file: {e}")))?;
        Ok(Fetched {
            path,
            size,
            content_type,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_public_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::7f00:1",
            "2002:7f00:1::",
            "2001:db8::1",
        ] {
            let ip: IpAddr = ip.parse().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
            assert!(!is_global(ip), "{ip} passed");
        }
        for ip in [
            "8.8.8.8",
            "93.184.216.34",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            let ip: IpAddr = ip.parse().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
            assert!(is_global(ip), "{ip} refused");
        }
    }

    #[test]
    fn urls() {
        assert!(parse_http_url("https://example.com/a.png").is_ok());
        assert!(parse_http_url("ftp://example.com/a").is_err());
        assert!(parse_http_url("not a url").is_err());
        assert!(parse_http_url("file:///etc/passwd").is_err());
        let url = parse_http_url("http://[::1]:8080/x").ok();
        assert!(url.as_ref().and_then(literal_host_refusal).is_some());
        let url = parse_http_url("http://127.1/x").ok();
        assert!(url.as_ref().and_then(literal_host_refusal).is_some());
    }
}
