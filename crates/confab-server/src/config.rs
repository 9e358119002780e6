//! The server's configuration: one struct, every field a `--flag` and a `CONFAB_*` variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// How `confab serve` runs. The defaults run a working server with no configuration.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port (the real address is printed).
    #[arg(long, env = "CONFAB_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Where the database and attachments live.
    #[arg(long, env = "CONFAB_DATA_DIR", default_value = "./confab-data")]
    pub data_dir: PathBuf,

    /// PostgreSQL database to use instead of the embedded SQLite one in the data dir
    /// (`postgres://user:password@host:port/database`). Several servers may share one.
    #[arg(long, env = "CONFAB_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Most connections this server opens to PostgreSQL.
    #[arg(long, env = "CONFAB_DATABASE_MAX_CONNECTIONS", default_value_t = 16)]
    pub database_max_connections: u32,

    /// Where attachment files are stored: unset for `blobs/` in the data dir, or
    /// `s3://bucket/prefix` for S3-compatible storage, configured by the usual `AWS_*`
    /// variables (`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_REGION`, `AWS_ALLOW_HTTP`).
    #[arg(long, env = "CONFAB_BLOB_URL")]
    pub blob_url: Option<String>,

    /// Simulate every messenger: channels of any provider use the sandbox connector, and
    /// the `/sandbox/...` endpoints are served.
    #[arg(long, env = "CONFAB_SANDBOX")]
    pub sandbox: bool,

    /// Allow `file_url` (and later webhook) targets on loopback, private and link-local
    /// addresses. For tests and closed networks only.
    #[arg(long, env = "CONFAB_ALLOW_PRIVATE_URLS")]
    pub allow_private_urls: bool,

    /// Largest accepted request body other than an upload (query, form or JSON).
    #[arg(long, env = "CONFAB_MAX_BODY_SIZE", default_value = "2MiB", value_parser = parse_size)]
    pub max_body_size: u64,

    /// Largest accepted attachment, uploaded or fetched from `file_url`.
    #[arg(long, env = "CONFAB_MAX_ATTACHMENT_SIZE", default_value = "64MiB", value_parser = parse_size)]
    pub max_attachment_size: u64,

    /// Most parameter values one request may carry (query, body and lists together).
    #[arg(long, env = "CONFAB_MAX_PARAMS", default_value_t = 1000)]
    pub max_params: usize,

    /// How long a request (other than a multipart upload) may take before it is answered
    /// 503.
    #[arg(long, env = "CONFAB_REQUEST_TIMEOUT", default_value = "60s", value_parser = humantime::parse_duration)]
    pub request_timeout: Duration,

    /// Requests handled at once; more are answered 503 with Retry-After at once.
    #[arg(long, env = "CONFAB_MAX_CONCURRENT_REQUESTS", default_value_t = 1024,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_concurrent_requests: u32,

    /// How long fetching a `file_url` may take in all.
    #[arg(long, env = "CONFAB_FETCH_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub fetch_timeout: Duration,

    /// How long a delivery worker holds a job before another may take it over; a running
    /// delivery renews it, so only a crashed server's jobs are picked up again after this.
    #[arg(long, env = "CONFAB_JOB_LEASE", default_value = "30s", value_parser = humantime::parse_duration)]
    pub job_lease: Duration,

    /// How many deliveries run at once.
    #[arg(long, env = "CONFAB_DELIVERY_CONCURRENCY", default_value_t = 8,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub delivery_concurrency: u32,

    /// Requests per second each API token may make (0: no limit); over it, 429 with
    /// Retry-After.
    #[arg(long, env = "CONFAB_RATE_LIMIT", default_value_t = 100)]
    pub rate_limit: u32,

    /// Requests a token may make at once above the steady rate.
    #[arg(long, env = "CONFAB_RATE_BURST", default_value_t = 200)]
    pub rate_burst: u32,

    /// Serve `/metrics` and `/readyz` on this address only, instead of beside the API.
    #[arg(long, env = "CONFAB_ADMIN_LISTEN")]
    pub admin_listen: Option<SocketAddr>,

    /// Delivery attempts per webhook event before it is dropped (1 attempt + 10 retries,
    /// as Pact promises).
    #[arg(long, env = "CONFAB_WEBHOOK_MAX_ATTEMPTS", default_value_t = 11,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub webhook_max_attempts: u32,

    /// Time between attempts to deliver a webhook event.
    #[arg(long, env = "CONFAB_WEBHOOK_RETRY_DELAY", default_value = "60s", value_parser = humantime::parse_duration)]
    pub webhook_retry_delay: Duration,

    /// How long one webhook request (and the test ping) may take.
    #[arg(long, env = "CONFAB_WEBHOOK_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub webhook_timeout: Duration,

    /// How long the simulated messenger takes to send a message, and again to deliver it
    /// to the contact's device (ack 1, then ack 2).
    #[arg(long, env = "CONFAB_SANDBOX_LATENCY", default_value = "200ms", value_parser = humantime::parse_duration)]
    pub sandbox_latency: Duration,

    /// Event streams (`GET /p1/companies/{company_id}/events`, SSE or long poll) open at
    /// once; one more is answered 503 before it starts. Streams are exempt from
    /// `--max-concurrent-requests`, `--request-timeout` and `--rate-limit`, so this is
    /// their only bound.
    #[arg(long, env = "CONFAB_MAX_STREAMS", default_value_t = 1000)]
    pub max_streams: u32,

    /// How long the event log keeps an event (for streams and their replays, and the
    /// webhook delivery log). A cursor older than this gets `reset` (SSE) or 410.
    #[arg(long, env = "CONFAB_EVENT_RETENTION", default_value = "30d", value_parser = humantime::parse_duration)]
    pub event_retention: Duration,

    /// How long an `Idempotency-Key` is remembered (its request's answer replayed); older
    /// keys are pruned with the event log and may be used again.
    #[arg(long, env = "CONFAB_IDEMPOTENCY_TTL", default_value = "24h", value_parser = humantime::parse_duration)]
    pub idempotency_ttl: Duration,

    /// How long a browser login lasts: the session cookie and its row expire this long
    /// after logging in (expired sessions are pruned with the event log).
    #[arg(long, env = "CONFAB_SESSION_TTL", default_value = "12h", value_parser = humantime::parse_duration)]
    pub session_ttl: Duration,

    /// How often the event log is pruned of events older than `--event-retention`.
    #[arg(long, env = "CONFAB_EVENT_PRUNE_INTERVAL", default_value = "60s", value_parser = humantime::parse_duration)]
    pub event_prune_interval: Duration,

    /// The key that encrypts channel secrets at rest (bot tokens, app secrets, passwords):
    /// 32 bytes in base64 (`openssl rand -base64 32`). Unset: a key file generated in the
    /// data dir on first start. Several servers sharing PostgreSQL must share this key.
    #[arg(long, env = "CONFAB_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,

    /// The address messengers can reach this server at (`https://confab.example.com`).
    /// With it, connectors register webhooks under `/hooks/<provider>/<channel id>`;
    /// without it, those that can poll (Telegram) poll.
    #[arg(long, env = "CONFAB_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<url::Url>,

    /// The Telegram Bot API server (a self-hosted `telegram-bot-api` or a test fake).
    #[arg(long, env = "CONFAB_TELEGRAM_API_URL", default_value = "https://api.telegram.org", value_parser = parse_base_url)]
    pub telegram_api_url: url::Url,

    /// Meta's Graph API for WhatsApp Business numbers, with its version (a test fake, or
    /// another API version).
    #[arg(long, env = "CONFAB_WHATSAPP_API_URL", default_value = "https://graph.facebook.com/v21.0", value_parser = parse_base_url)]
    pub whatsapp_api_url: url::Url,

    /// Connections open at once; one more is closed at once (logged, and counted in
    /// `confab_connections_refused_total`). Lowered at start-up to fit the open-file limit.
    #[arg(long, env = "CONFAB_MAX_CONNECTIONS", default_value_t = 4096,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// How long a client may take to send a request head: from connecting, or from the
    /// first byte of a later request on the same connection. Then the connection is closed.
    #[arg(long, env = "CONFAB_HEADER_READ_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub header_read_timeout: Duration,

    /// How long an idle connection is kept open for its next request.
    #[arg(long, env = "CONFAB_KEEP_ALIVE_TIMEOUT", default_value = "75s", value_parser = humantime::parse_duration)]
    pub keep_alive_timeout: Duration,

    /// How long a multipart upload may take in all; then it is answered 408.
    #[arg(long, env = "CONFAB_UPLOAD_TIMEOUT", default_value = "10m", value_parser = humantime::parse_duration)]
    pub upload_timeout: Duration,

    /// Slowest an upload may send, in bytes a second averaged over `--upload-rate-window`
    /// (0: no minimum); a slower one is answered 400.
    #[arg(long, env = "CONFAB_UPLOAD_MIN_RATE", default_value = "1KiB", value_parser = parse_size)]
    pub upload_min_rate: u64,

    /// The window `--upload-min-rate` is measured over.
    #[arg(long, env = "CONFAB_UPLOAD_RATE_WINDOW", default_value = "30s", value_parser = humantime::parse_duration)]
    pub upload_rate_window: Duration,

    /// Multipart uploads handled at once, apart from `--max-concurrent-requests`; more
    /// are answered 503 with Retry-After.
    #[arg(long, env = "CONFAB_MAX_CONCURRENT_UPLOADS", default_value_t = 256,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_concurrent_uploads: u32,

    /// Requests (uploads included) one API token may have in flight at once (0: no cap);
    /// more are answered 429 with Retry-After.
    #[arg(long, env = "CONFAB_MAX_REQUESTS_PER_TOKEN", default_value_t = 64)]
    pub max_requests_per_token: u32,
}

impl Config {
    /// The defaults with the given data dir, a free loopback port and a short sandbox
    /// latency: what tests start from.
    pub fn for_data_dir(data_dir: PathBuf) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            database_url: None,
            database_max_connections: 16,
            blob_url: None,
            sandbox: false,
            allow_private_urls: false,
            max_body_size: 2 * 1024 * 1024,
            max_attachment_size: 64 * 1024 * 1024,
            fetch_timeout: Duration::from_secs(30),
            max_params: 1000,
            request_timeout: Duration::from_secs(60),
            max_concurrent_requests: 1024,
            job_lease: Duration::from_secs(30),
            delivery_concurrency: 8,
            sandbox_latency: Duration::from_millis(20),
            webhook_max_attempts: 11,
            rate_limit: 0,
            rate_burst: 200,
            admin_listen: None,
            webhook_retry_delay: Duration::from_secs(60),
            webhook_timeout: Duration::from_secs(10),
            max_streams: 1000,
            event_retention: Duration::from_secs(30 * 24 * 3600),
            event_prune_interval: Duration::from_secs(60),
            idempotency_ttl: Duration::from_secs(24 * 3600),
            session_ttl: Duration::from_secs(12 * 3600),
            secret_key: None,
            public_url: None,
            telegram_api_url: default_telegram_api_url(),
            whatsapp_api_url: default_whatsapp_api_url(),
            max_connections: 4096,
            header_read_timeout: Duration::from_secs(10),
            keep_alive_timeout: Duration::from_secs(75),
            upload_timeout: Duration::from_secs(600),
            upload_min_rate: 1024,
            upload_rate_window: Duration::from_secs(30),
            max_concurrent_uploads: 256,
            max_requests_per_token: 64,
        }
    }
}

/// Meta's Graph API, at a current version.
#[allow(clippy::expect_used)] // a literal that parses
pub fn default_whatsapp_api_url() -> url::Url {
    url::Url::parse("https://graph.facebook.com/v21.0").expect("a valid URL literal")
}

/// Telegram's own Bot API server.
#[allow(clippy::expect_used)] // a literal that parses
pub fn default_telegram_api_url() -> url::Url {
    url::Url::parse("https://api.telegram.org").expect("a valid URL literal")
}

/// Parses an http(s) base URL; a trailing slash is dropped so paths can be appended.
pub fn parse_base_url(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text.trim_end_matches('/'))
        .map_err(|e| format!("{text:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!("{text:?} must be an http:// or https:// URL"));
    }
    Ok(url)
}

/// Parses `--public-url`: an http(s) base URL without query or fragment.
pub fn parse_public_url(text: &str) -> Result<url::Url, String> {
    let url = parse_base_url(text)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{text:?} must not have a query or fragment"));
    }
    Ok(url)
}

/// Parses a size in bytes with an optional unit: `512`, `64KiB`, `2MiB`, `1GiB`, `10MB`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a size such as 64MiB"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        other => {
            return Err(format!(
                "unknown size unit {other:?} (use B, KiB, MiB or GiB)"
            ));
        }
    };
    number
        .checked_mul(factor)
        .ok_or_else(|| format!("{text:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512"), Ok(512));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("2 mib"), Ok(2 << 20));
        assert_eq!(parse_size("10MB"), Ok(10_000_000));
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("5 parsecs").is_err());
        assert!(parse_size("99999999999999999999GiB").is_err());
    }
}
