//! What a run found, and the files it is written to: `<date>.json` (everything),
//! `<date>.md` (the tables with each goal and whether it is met) and `<date>.png`.

mod chart;
pub mod goals;
mod markdown;
pub mod postgres;
pub mod search;
pub mod telegram;
pub mod whatsapp;

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::dataset::{Dataset, Scale};
use crate::procfs::Memory;
use crate::wrk::Outcome;

pub use postgres::{DbCeiling, ScaleOutReport};
pub use telegram::TelegramReport;
pub use whatsapp::WhatsAppReport;

/// Everything one run measured.
#[derive(Debug, serde::Serialize)]
pub struct Report {
    /// The day of the run (UTC), `YYYY-MM-DD`.
    pub date: String,
    /// When the run started (UTC, RFC 3339).
    pub started_at: String,
    /// The machine it ran on.
    pub machine: Machine,
    /// `git rev-parse --short HEAD`, with `-dirty` when the tree has changes.
    pub commit: String,
    /// The data-set size.
    pub scale: Scale,
    /// The scenario asked for.
    pub scenario: String,
    /// Seconds of each endpoint run.
    pub duration_s: f64,
    /// Open connections of the load generator.
    pub connections: u32,
    /// The server's `RUST_LOG`.
    pub server_log: String,
    /// Further arguments the server was started with (`--server-arg`).
    pub server_args: Vec<String>,
    /// One section per store.
    pub stores: Vec<StoreReport>,
}

/// The machine a run ran on.
#[derive(Debug, serde::Serialize)]
pub struct Machine {
    /// CPUs available.
    pub cores: usize,
    /// `uname -r`.
    pub kernel: String,
    /// The CPU model from `/proc/cpuinfo`.
    pub cpu: String,
    /// Total memory in MiB.
    pub memory_mib: u64,
}

/// What one store's runs found.
#[derive(Debug, serde::Serialize)]
pub struct StoreReport {
    /// `sqlite` or `postgres`.
    pub store: &'static str,
    /// The main data set, when a scenario needed it.
    pub dataset: Option<Dataset>,
    /// Start-up on the main data set.
    pub startup: Option<Startup>,
    /// Endpoint runs beside their ceilings.
    pub endpoints: Vec<Measurement>,
    /// Memory figures.
    pub memory: Option<MemoryReport>,
    /// List and details at several data-set sizes.
    pub scaling: Vec<ScalingPoint>,
    /// Event streams under a fixed rate of messages, and idle.
    pub stream: Option<StreamReport>,
    /// Telegram through the Bot API fake, beside the sandbox inbound path.
    pub telegram: Option<TelegramReport>,
    /// WhatsApp Business through signed webhook events and the Graph API fake.
    pub whatsapp: Option<WhatsAppReport>,
    /// Inbox search, activity order, filters and pages beside the plain list.
    pub search: Option<search::SearchReport>,
    /// Several nodes on one PostgreSQL.
    pub scale_out: Option<ScaleOutReport>,
    /// The goals, checked.
    pub goals: Vec<goals::Check>,
}

/// One load run against one server.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct RunFigures {
    /// What wrk measured.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Server CPU time (user + system, all threads) per completed request, in µs.
    pub cpu_us_per_request: f64,
    /// PostgreSQL's CPU time (all its processes, whoever they served) per request, in µs;
    /// `None` on SQLite, whose work is in the server's own figure.
    pub db_cpu_us_per_request: Option<f64>,
    /// The machine's idle fraction just before the run (below 0.9: it was shared).
    pub idle_before: f64,
    /// Cores the server itself kept busy just before the run (leftover background work,
    /// which this run's CPU per request includes).
    pub server_busy_before: f64,
}

impl RunFigures {
    /// CPU per request of the server and its database together.
    pub fn total_cpu_us(&self) -> f64 {
        self.cpu_us_per_request + self.db_cpu_us_per_request.unwrap_or(0.0)
    }
}

/// One endpoint: confab and its ceiling.
#[derive(Debug, serde::Serialize)]
pub struct Measurement {
    /// The endpoint's key (`details`, `list_first`, ...).
    pub key: &'static str,
    /// Its label in tables.
    pub label: &'static str,
    /// Method and path measured.
    pub request: String,
    /// The status of the probe request sent before the run.
    pub probe_status: u16,
    /// Why it was not measured, when the probe failed.
    pub failure: Option<String>,
    /// Bytes of confab's answer, which the ceiling answers too.
    pub body_bytes: usize,
    /// confab's figures.
    pub confab: RunFigures,
    /// The ceiling's figures.
    pub ceiling: RunFigures,
    /// confab's requests/s over the ceiling's.
    pub ratio: f64,
    /// For durable writes: fdatasync rounds/s of the data dir's disk just before.
    pub fdatasync_per_sec: Option<f64>,
    /// confab's memory right after its run.
    pub memory_after: Memory,
    /// The ratio of every round, lowest first; the figures above are the median round's.
    pub round_ratios: Vec<f64>,
    /// On PostgreSQL: the same round's run of the PostgreSQL ceiling, for sends and reads.
    pub db_ceiling: Option<DbCeiling>,
    /// For requests spread over conversations (one after another): how many.
    pub spread_over: Option<usize>,
}

/// Start-up times on the main data set.
#[derive(Debug, serde::Serialize)]
pub struct Startup {
    /// Spawn to the first 200 from `/healthz`, each start, in ms.
    pub runs_ms: Vec<f64>,
    /// Their median.
    pub median_ms: f64,
}

/// Memory of the server under test.
#[derive(Debug, serde::Serialize)]
pub struct MemoryReport {
    /// After start-up, before any request but `/healthz`.
    pub idle: Memory,
    /// Peak RSS (VmHWM) after the endpoint runs, when they ran.
    pub under_load_peak_kib: Option<u64>,
    /// Size of the file sent up and down.
    pub file_bytes: u64,
    /// Uploading it.
    pub upload: Transfer,
    /// Downloading it back.
    pub download: Transfer,
}

/// One large transfer and what it did to the server's RSS.
#[derive(Debug, serde::Serialize)]
pub struct Transfer {
    /// How long it took.
    pub seconds: f64,
    /// RSS just before.
    pub rss_before_kib: u64,
    /// Peak RSS sampled every 50 ms during it.
    pub rss_peak_kib: u64,
    /// Peak minus before.
    pub growth_kib: u64,
}

/// Event streams (`GET /p1/companies/{id}/events`, SSE) on one company: opened, fed
/// inbound messages at a fixed rate, then left idle. Times are ms, CPU µs unless named.
#[derive(Debug, serde::Serialize)]
pub struct StreamReport {
    /// Streams asked for.
    pub streams: usize,
    /// Streams that opened (got `ready`).
    pub opened: usize,
    /// Streams that did not open.
    pub open_failures: usize,
    /// Why the first of them did not.
    pub open_failure: Option<String>,
    /// Seconds from the first connect to the last `ready`.
    pub open_seconds: f64,
    /// The bench's soft RLIMIT_NOFILE (the server inherits it).
    pub nofile_limit: u64,
    /// Inbound messages sent per second.
    pub rate_per_sec: f64,
    /// Inbound messages sent with the streams open (each one `message.new`).
    pub sent: usize,
    /// Of them, answered other than 2xx (or not at all).
    pub send_errors: usize,
    /// The inbound requests' answer time with the streams open.
    pub inbound_p50_ms: f64,
    /// The same, p99.
    pub inbound_p99_ms: f64,
    /// The inbound requests' answer time with no stream open (same rate and count).
    pub baseline_inbound_p50_ms: f64,
    /// The same, p99.
    pub baseline_inbound_p99_ms: f64,
    /// From the send's start (just before its commit) to a stream reading its event,
    /// over every stream × message.
    pub latency_p50_ms: f64,
    /// The same, p99.
    pub latency_p99_ms: f64,
    /// The same, the slowest.
    pub latency_max_ms: f64,
    /// From the send's answer (just after its commit) to a stream reading its event; may
    /// be negative (the event came before the answer).
    pub latency_after_answer_p50_ms: f64,
    /// The same, p99.
    pub latency_after_answer_p99_ms: f64,
    /// Probe events received (the latency samples).
    pub receipts: u64,
    /// Events received by all streams together (any type).
    pub events_delivered: u64,
    /// `message.new` events among them.
    pub message_new_delivered: u64,
    /// Bytes of all the streams.
    pub bytes_delivered: u64,
    /// Seconds from the first send to the last receipt.
    pub delivery_seconds: f64,
    /// Events delivered per second over that time.
    pub events_per_sec: f64,
    /// Every open stream got every message sent before the drain time ran out.
    pub drained: bool,
    /// Messages (answered 2xx) some open stream never got, counted per stream.
    pub missing: u64,
    /// Streams missing at least one.
    pub streams_missing: usize,
    /// Messages a stream got twice.
    pub duplicates: u64,
    /// Event ids not above the stream's previous one.
    pub out_of_order: u64,
    /// Streams the server ended (or that failed) before the bench closed them.
    pub ended_early: usize,
    /// Why the first of them ended.
    pub ended_reason: Option<String>,
    /// Seconds of the load window (first send to the last receipt or the drain's end).
    pub load_seconds: f64,
    /// Cores the server kept busy over the load window.
    pub server_cpu_cores: f64,
    /// Server CPU over the load window per delivered event.
    pub cpu_us_per_event: f64,
    /// PostgreSQL's CPU (all its processes) over the load window per delivered event.
    pub db_cpu_us_per_event: Option<f64>,
    /// Server CPU per delivered event less the inbound requests' own (the baseline's).
    pub net_cpu_us_per_event: f64,
    /// Server CPU per inbound message with no stream open.
    pub baseline_cpu_us_per_send: f64,
    /// PostgreSQL's CPU per inbound message with no stream open.
    pub baseline_db_cpu_us_per_send: Option<f64>,
    /// The bench's own CPU (readers and sender) per delivered event.
    pub bench_cpu_us_per_event: f64,
    /// Seconds of the idle window.
    pub idle_seconds: f64,
    /// Server CPU before any stream opened, nothing happening, ms per second (its own
    /// background loops).
    pub no_stream_cpu_ms_per_sec: f64,
    /// Server CPU while the streams were open and nothing happened, ms per second.
    pub idle_cpu_ms_per_sec: f64,
    /// PostgreSQL's, the same.
    pub idle_db_cpu_ms_per_sec: Option<f64>,
    /// Server memory before the streams opened.
    pub rss_before_streams: Memory,
    /// With the streams open, idle.
    pub rss_idle: Memory,
    /// Peak RSS (sampled every 50 ms) during the load, KiB.
    pub rss_peak_kib: u64,
    /// After the load, streams still open.
    pub rss_after: Memory,
    /// The machine's idle share before the scenario.
    pub idle_before: f64,
}

/// List and details at one data-set size.
#[derive(Debug, serde::Serialize)]
pub struct ScalingPoint {
    /// Conversations of the (one) company.
    pub conversations: u64,
    /// Seconds the load took (0 when a kept data set was reused).
    pub load_seconds: f64,
    /// Server start-up on it, in ms.
    pub startup_ms: f64,
    /// The first page of the conversations list (per=50).
    pub list: RunFigures,
    /// One conversation's details.
    pub details: RunFigures,
}

/// A report with no store sections yet, describing this run and machine.
pub fn new(cli: &crate::Cli, settings: &crate::scenarios::Settings) -> Report {
    // The report is stamped with the real date; the bench has no server clock to ask.
    #[allow(clippy::disallowed_methods)]
    let now = time::OffsetDateTime::now_utc();
    let date = now
        .format(time::macros::format_description!("[year]-[month]-[day]"))
        .unwrap_or_else(|_| "unknown-date".to_owned());
    let started_at = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    Report {
        date,
        started_at,
        machine: machine(),
        commit: commit(),
        scale: cli.scale,
        scenario: format!("{:?}", cli.scenario).to_lowercase(),
        duration_s: settings.load.duration.as_secs_f64(),
        connections: settings.load.connections,
        server_log: settings.server_log.clone(),
        server_args: settings.server_args.clone(),
        stores: Vec::new(),
    }
}

/// Cores, kernel, CPU model and memory of this machine.
fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    Machine {
        cores: std::thread::available_parallelism().map_or(0, usize::from),
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|k| k.trim().to_owned())
            .unwrap_or_default(),
        cpu: cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default(),
        memory_mib: meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kib| kib / 1024),
    }
}

/// The commit of the source tree this binary was built from, `-dirty` when it has
/// uncommitted changes; `unknown` outside a git checkout.
fn commit() -> String {
    let dir = env!("CARGO_MANIFEST_DIR");
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    match git(&["rev-parse", "--short", "HEAD"]) {
        Some(hash) => {
            let dirty = git(&["status", "--porcelain"]).is_some_and(|s| !s.is_empty());
            if dirty { format!("{hash}-dirty") } else { hash }
        }
        None => "unknown".to_owned(),
    }
}

impl Report {
    /// The file name stem: the date, then `suffix` parts (the caller adds the scale
    /// unless full, and `postgres` when only PostgreSQL ran, so a smoke run never
    /// overwrites the day's full results).
    fn stem(&self, suffix: &[&str]) -> String {
        let mut stem = self.date.clone();
        for s in suffix {
            stem.push('-');
            stem.push_str(s);
        }
        stem
    }

    /// The Markdown tables.
    pub fn markdown(&self) -> String {
        markdown::render(self)
    }

    /// Writes `<stem>.json`, `<stem>.md` and `<stem>.png` into `out`; returns their paths.
    pub fn write(&self, out: &Path, suffix: &[&str]) -> anyhow::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        let stem = self.stem(suffix);
        let json = out.join(format!("{stem}.json"));
        std::fs::write(&json, serde_json::to_vec_pretty(self)?)
            .with_context(|| format!("writing {}", json.display()))?;
        let md = out.join(format!("{stem}.md"));
        std::fs::write(&md, self.markdown())
            .with_context(|| format!("writing {}", md.display()))?;
        let mut written = vec![json, md];
        let png = out.join(format!("{stem}.png"));
        if self.stores.iter().any(|s| !s.endpoints.is_empty()) {
            chart::draw(self, &png).with_context(|| format!("drawing {}", png.display()))?;
            written.push(png);
        }
        Ok(written)
    }
}
