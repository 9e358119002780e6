//! `confab-bench`: loads a realistic data set, drives the release `confab serve` and a
//! bare axum ceiling over loopback with wrk, and reports the ratios.

// The bench indexes only into tables it generated itself (names, words, its own sorted
// samples); an out-of-range index there is a bug in the bench that should stop the run.
#![allow(clippy::indexing_slicing)]

mod api;
mod ceiling;
mod dataset;
mod db_ceiling;
mod endpoints;
mod load;
mod procfs;
mod report;
mod scenarios;
mod server;
mod session;
mod spread;
mod sse;
mod wrk;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use crate::dataset::Scale;

/// Benchmarks confab side by side with a bare axum ceiling.
#[derive(Debug, Parser)]
#[command(name = "confab-bench", version)]
pub struct Cli {
    /// What to measure.
    #[arg(value_enum, default_value_t = Scenario::All)]
    pub scenario: Scenario,

    /// Size of the data set.
    #[arg(long, value_enum, default_value_t = Scale::Full)]
    pub scale: Scale,

    /// Which store to measure.
    #[arg(long, value_enum, default_value_t = StoreChoice::Sqlite)]
    pub store: StoreChoice,

    /// PostgreSQL database for `--store postgres|both`; it is emptied and loaded.
    #[arg(long, env = "CONFAB_BENCH_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Length of each load run (default 10s; 1s at `--scale tiny`).
    #[arg(long, value_parser = humantime_secs)]
    pub duration: Option<Duration>,

    /// Pairs of runs (confab, then the ceiling) per endpoint; the median pair by ratio is
    /// reported (default 3; 1 at `--scale tiny`).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub rounds: Option<u32>,

    /// Open connections of the load generator.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    pub connections: u32,

    /// Where the JSON, Markdown and PNG results go.
    #[arg(long, default_value = "bench/results")]
    pub out: PathBuf,

    /// Keep the loaded data sets in this dir and reuse them on the next run (same scale
    /// and store) instead of loading again. What earlier runs wrote stays: rows, uploaded
    /// blobs, and queued deliveries the server works through in the background (the
    /// tables show that as the server's CPU before each run). A PostgreSQL data set is
    /// forgotten once the scaling scenario reloads the database.
    #[arg(long)]
    pub keep: Option<PathBuf>,

    /// `RUST_LOG` of the server under test; `info` is its default, as deployed.
    #[arg(long, default_value = "info")]
    pub server_log: String,

    /// Measure only these endpoints (keys as in the JSON: details, list_first, list_deep,
    /// messages, send_hot, send, send_spread, create_conversation, upload, inbound; and the
    /// search scenario's last_first, last_deep, q_common, q_rare, q_name, q_phone, q_last,
    /// unassigned, awaiting, meta, page); all when absent.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,

    /// A further argument of every `confab serve` started (repeat for more), e.g.
    /// `--server-arg=--database-max-connections=64`.
    #[arg(long, allow_hyphen_values = true)]
    pub server_arg: Vec<String>,

    /// Event streams the stream scenario opens (default 1000; 50 at `--scale tiny`).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub streams: Option<u32>,

    /// Inbound messages per second the stream scenario sends (default 50; 20 at tiny).
    #[arg(long)]
    pub stream_rate: Option<f64>,

    /// Internal: the file whose bytes the ceiling server answers (with `ceiling`).
    #[arg(long, hide = true)]
    pub body_file: Option<PathBuf>,
}

/// What to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// Every scenario below.
    All,
    /// Throughput and latency per endpoint beside the ceiling.
    Endpoints,
    /// List and details latency at three data-set sizes.
    Scaling,
    /// Idle RSS, RSS under load, RSS while a large attachment goes up and down.
    Memory,
    /// Time from spawning the server to a 200 from `/healthz`.
    Startup,
    /// Event streams (SSE): latency, throughput, CPU and RSS with messages arriving at a
    /// fixed rate, then idle.
    Stream,
    /// Telegram through a loopback fake of the Bot API: inbound updates to stored
    /// messages and webhooks beside the sandbox inbound path, and paced replies.
    Telegram,
    /// WhatsApp Business through signed webhook events and a loopback fake of the Graph
    /// API: inbound events to stored messages and webhooks beside the sandbox inbound
    /// path, paced replies, and their delivery statuses to acks.
    Whatsapp,
    /// Inbox search (`q`), activity order, filters, tab counts and an operator's page
    /// on one company's searchable data set, beside the plain conversations list.
    Search,
    /// PostgreSQL only: 1, 2, then 3 confab nodes on one database, sends and reads spread
    /// over them, with each side's CPU: which one is the limit.
    ScaleOut,
    /// Internal: serve the ceiling route (the runner starts it as a child process).
    #[value(hide = true)]
    Ceiling,
    /// Internal: serve the PostgreSQL ceiling (one INSERT or SELECT per request).
    #[value(hide = true)]
    DbCeiling,
}

/// Which store(s) a run measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StoreChoice {
    /// The embedded SQLite store.
    Sqlite,
    /// PostgreSQL at `--database-url`.
    Postgres,
    /// SQLite, then PostgreSQL.
    Both,
}

/// Parses `10s`, `500ms`, `2m` or a bare number of seconds.
fn humantime_secs(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(text.len()),
    );
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 10s"))?;
    let seconds = match unit {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        other => return Err(format!("unknown duration unit {other:?} (use ms, s or m)")),
    };
    if seconds < 1.0 {
        // wrk counts its duration in whole seconds.
        return Err("the load generator runs for at least 1s".to_owned());
    }
    Ok(Duration::from_secs_f64(seconds))
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if cli.scenario == Scenario::Ceiling {
        let body_file = cli
            .body_file
            .ok_or_else(|| anyhow::anyhow!("ceiling needs --body-file"))?;
        return runtime.block_on(ceiling::serve(&body_file));
    }
    if cli.scenario == Scenario::DbCeiling {
        let (Some(url), Some(body_file)) = (&cli.database_url, &cli.body_file) else {
            anyhow::bail!("db-ceiling needs --database-url and --body-file");
        };
        return runtime.block_on(db_ceiling::serve(url, body_file));
    }
    runtime.block_on(scenarios::run(cli))
}
