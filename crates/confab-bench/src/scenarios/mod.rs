//! The runner: per store, load (or reuse) the data set, then start-up, endpoints, memory,
//! event streams, Telegram, WhatsApp, search and scaling; then the report files.

mod datasets;
mod endpoints;
mod memory;
mod messenger;
mod scale_out;
mod scaling;
mod search;
mod startup;
mod stream;
mod telegram;
mod whatsapp;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::dataset::{Scale, Target};
use crate::report::{self, RunFigures, StoreReport};
use crate::server::Server;
use crate::wrk::{self, Load};
use crate::{Cli, Scenario, StoreChoice, procfs};

/// How long and how hard each part runs, derived from the scale and the flags.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The data-set size.
    pub scale: Scale,
    /// What to measure.
    pub scenario: Scenario,
    /// Endpoint runs.
    pub load: Load,
    /// Scaling runs (shorter: three data sets, two endpoints each).
    pub scaling_load: Load,
    /// Longest wait for an idle machine before a run.
    pub idle_wait: Duration,
    /// How long the fdatasync probe writes.
    pub fsync_probe: Duration,
    /// Size of the memory scenario's file.
    pub memory_file_bytes: u64,
    /// Conversations of the scaling data sets.
    pub scaling_sizes: [u64; 3],
    /// Start-ups timed.
    pub startup_runs: usize,
    /// The server's `RUST_LOG`.
    pub server_log: String,
    /// Further arguments of every `confab serve`.
    pub server_args: Vec<String>,
    /// Where kept data sets live.
    pub keep: Option<PathBuf>,
    /// The endpoints measured (keys); all when empty.
    pub only: Vec<String>,
    /// Pairs of runs per endpoint.
    pub rounds: u32,
    /// Event streams opened.
    pub streams: usize,
    /// Inbound messages per second while they are open.
    pub stream_rate: f64,
    /// How long those messages are sent.
    pub stream_send: Duration,
    /// How long the open streams are watched with nothing happening.
    pub stream_idle: Duration,
    /// Longest wait after the last send for every stream to have every message.
    pub stream_drain: Duration,
    /// Inbound messages of the telegram scenario's burst (each path).
    pub telegram_messages: usize,
    /// Customers (chats) they come from.
    pub telegram_chats: usize,
    /// Inbound messages sent slowly after the burst, for the unloaded latency.
    pub telegram_unloaded: usize,
    /// Their rate per second.
    pub telegram_unloaded_rate: f64,
    /// Replies sent to the Telegram chats.
    pub telegram_replies: usize,
    /// Longest wait for every inbound message to be stored and have its webhook.
    pub telegram_drain: Duration,
    /// Messages per WhatsApp webhook event in the whatsapp scenario's burst (which
    /// otherwise sends the telegram scenario's messages, customers and trickle).
    pub whatsapp_batch: usize,
    /// Replies sent to the WhatsApp customers, whose statuses are posted after.
    pub whatsapp_replies: usize,
}

impl Settings {
    fn new(cli: &Cli) -> Self {
        let tiny = cli.scale == Scale::Tiny;
        // A CI smoke run must finish in well under two minutes.
        let duration = cli
            .duration
            .unwrap_or(Duration::from_secs(if tiny { 1 } else { 10 }));
        let load = Load {
            connections: cli.connections,
            duration,
        };
        Self {
            scale: cli.scale,
            scenario: cli.scenario,
            load,
            scaling_load: Load {
                duration: (duration / 2).max(Duration::from_secs(1)),
                ..load
            },
            // Tiny runs are smoke tests: glance at the machine, do not wait for it.
            idle_wait: if tiny {
                Duration::from_millis(500)
            } else {
                Duration::from_secs(30)
            },
            fsync_probe: Duration::from_millis(if tiny { 500 } else { 2000 }),
            memory_file_bytes: if tiny { 8 << 20 } else { 1 << 30 },
            scaling_sizes: if tiny {
                [1_000, 2_000, 4_000]
            } else {
                [10_000, 100_000, 1_000_000]
            },
            startup_runs: 3,
            server_log: cli.server_log.clone(),
            server_args: cli.server_arg.clone(),
            keep: cli.keep.clone(),
            only: cli.only.clone(),
            rounds: cli.rounds.unwrap_or(if tiny { 1 } else { 3 }),
            streams: cli
                .streams
                .map_or(if tiny { 50 } else { 1000 }, |n| n as usize),
            stream_rate: cli.stream_rate.filter(|r| *r > 0.0).unwrap_or(if tiny {
                20.0
            } else {
                50.0
            }),
            stream_send: Duration::from_secs(if tiny { 2 } else { 10 }),
            stream_idle: Duration::from_secs(if tiny { 1 } else { 5 }),
            stream_drain: Duration::from_secs(if tiny { 5 } else { 20 }),
            telegram_messages: if tiny { 200 } else { 2_000 },
            // Many chats, so neither path serialises on one conversation.
            telegram_chats: 100,
            telegram_unloaded: if tiny { 20 } else { 50 },
            telegram_unloaded_rate: 10.0,
            // Five seconds (tiny) or twenty of sends at the bot's 30/s.
            telegram_replies: if tiny { 150 } else { 600 },
            telegram_drain: Duration::from_secs(if tiny { 30 } else { 120 }),
            whatsapp_batch: 5,
            // Five per customer at most: the per-recipient burst, so the number's pace,
            // not the recipient's, sets the rate.
            whatsapp_replies: if tiny { 100 } else { 500 },
        }
    }

    /// Whether `part` runs in this scenario.
    fn runs(&self, part: Scenario) -> bool {
        self.scenario == Scenario::All || self.scenario == part
    }
}

/// What every part of a run shares.
pub struct Ctx {
    /// Durations and sizes.
    pub settings: Settings,
    /// The release `confab` binary.
    pub bin: PathBuf,
    /// Scratch space: scripts, bodies, logs, temporary data sets.
    pub work: PathBuf,
    /// The runner's own HTTP client.
    pub client: reqwest::Client,
    /// `/proc` clock ticks per second.
    pub ticks_per_sec: u64,
}

impl Ctx {
    /// Where the server's output goes.
    pub fn server_log(&self) -> PathBuf {
        self.work.join("confab-serve.log")
    }

    /// Starts confab on `dataset` with the run's settings.
    pub async fn start_server(&self, dataset: &crate::dataset::Dataset) -> anyhow::Result<Server> {
        Server::start(
            &self.bin,
            dataset,
            &self.server_log(),
            &self.settings.server_log,
            &self.settings.server_args,
        )
        .await
    }

    /// One wrk run against `subject` with its CPU time around it; waits for an idle
    /// machine first, then (for durable writes) probes the fdatasync rate of `fsync_dir`.
    pub async fn measured_run(
        &self,
        subject: &Subject,
        request: &wrk::Request,
        load: Load,
        fsync_dir: Option<&Path>,
    ) -> anyhow::Result<(RunFigures, Option<f64>)> {
        // The server's own CPU while the machine settles: work left over from the previous
        // run (queued deliveries, WAL checkpoints) that this run's figures will include.
        let (waited, server_ticks) = (Instant::now(), procfs::cpu_ticks(subject.pid)?);
        let idle_before = procfs::wait_for_idle(self.settings.idle_wait, &subject.servers).await?;
        let server_busy_before = procfs::cpu_ticks(subject.pid)?.saturating_sub(server_ticks)
            as f64
            / self.ticks_per_sec as f64
            / waited.elapsed().as_secs_f64();
        let fsync = match fsync_dir {
            Some(dir) => Some(procfs::fdatasync_rate(dir, self.settings.fsync_probe).await?),
            None => None,
        };
        let db_before = subject.db_processes.map(procfs::cpu_ticks_named);
        let ticks_before = procfs::cpu_ticks(subject.pid)?;
        let outcome = wrk::run(&subject.base, request, load, &self.work).await?;
        let ticks = procfs::cpu_ticks(subject.pid)?.saturating_sub(ticks_before);
        let db_ticks = subject
            .db_processes
            .zip(db_before)
            .map(|(name, before)| procfs::ticks_between(&before, &procfs::cpu_ticks_named(name)));
        let per_request = |ticks: u64| {
            ticks as f64 * 1e6 / self.ticks_per_sec as f64 / outcome.requests.max(1) as f64
        };
        Ok((
            RunFigures {
                outcome,
                cpu_us_per_request: per_request(ticks),
                db_cpu_us_per_request: db_ticks.map(per_request),
                idle_before,
                server_busy_before,
            },
            fsync,
        ))
    }
}

/// A server under load: where it listens, its process, and its database's processes.
pub struct Subject {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The server process.
    pub pid: u32,
    /// Command name of the database's processes whose CPU counts too (PostgreSQL).
    pub db_processes: Option<&'static str>,
    /// The servers of this run (this one, and confab beside a ceiling), whose own
    /// background CPU does not count against an idle machine.
    pub servers: Vec<u32>,
}

impl Subject {
    /// confab: its database's processes count when it is PostgreSQL.
    pub fn confab(server: &Server, dataset: &crate::dataset::Dataset) -> Self {
        Self {
            base: server.base(),
            pid: server.pid,
            db_processes: dataset.database_url.as_ref().map(|_| "postgres"),
            servers: vec![server.pid],
        }
    }
}

/// The stores a run measures, by name.
fn targets(cli: &Cli) -> anyhow::Result<Vec<(&'static str, Target)>> {
    let postgres = || -> anyhow::Result<Target> {
        let url = cli
            .database_url
            .clone()
            .ok_or_else(|| anyhow::anyhow!("--store postgres needs --database-url"))?;
        Ok(Target::Postgres(url))
    };
    Ok(match cli.store {
        StoreChoice::Sqlite => vec![("sqlite", Target::Sqlite)],
        StoreChoice::Postgres => vec![("postgres", postgres()?)],
        StoreChoice::Both => vec![("sqlite", Target::Sqlite), ("postgres", postgres()?)],
    })
}

/// Runs the benchmark `cli` asks for and writes the report.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::new(&cli);
    let stores = targets(&cli)?;
    // Check the tools before spending minutes on a load.
    if settings.runs(Scenario::Endpoints)
        || settings.runs(Scenario::Scaling)
        || settings.runs(Scenario::Search)
        || settings.runs(Scenario::ScaleOut)
    {
        let wrk = tokio::process::Command::new("wrk")
            .arg("--version")
            .output()
            .await;
        anyhow::ensure!(wrk.is_ok(), "wrk is not installed (apt-get install wrk)");
    }
    let bin = crate::server::confab_binary().await?;
    let work = tempfile::Builder::new()
        .prefix("confab-bench-")
        .tempdir_in(std::env::temp_dir())
        .context("creating a scratch dir")?;
    let ctx = Ctx {
        settings,
        bin,
        work: work.path().to_owned(),
        client: crate::api::client()?,
        ticks_per_sec: procfs::clock_ticks_per_second(),
    };
    let mut report = report::new(&cli, &ctx.settings);
    for (name, target) in stores {
        eprintln!("== {name}");
        let mut store = run_store(&ctx, name, &target)
            .await
            .with_context(|| format!("benchmarking {name}"))?;
        store.goals = report::goals::check_all(&store);
        report.stores.push(store);
    }
    let mut suffix = Vec::new();
    if cli.scale != Scale::Full {
        suffix.push(format!("{:?}", cli.scale).to_lowercase());
    }
    if cli.store == StoreChoice::Postgres {
        suffix.push("postgres".to_owned());
    }
    if cli.scenario != Scenario::All {
        // One scenario's run must not overwrite the day's run of them all.
        suffix.push(format!("{:?}", cli.scenario).to_lowercase());
    }
    let suffix: Vec<&str> = suffix.iter().map(String::as_str).collect();
    let written = report.write(&cli.out, &suffix)?;
    println!("{}", report.markdown());
    for path in &written {
        eprintln!("wrote {}", path.display());
    }
    let failures: usize = report
        .stores
        .iter()
        .flat_map(|s| &s.goals)
        .filter(|g| {
            (g.goal.starts_with("every request")
                || g.goal.starts_with("every stream")
                || g.goal.starts_with("every telegram")
                || g.goal.starts_with("every whatsapp"))
                && g.met == Some(false)
        })
        .count();
    anyhow::ensure!(
        failures == 0,
        "some requests failed or some stream or webhook lost messages (see the goals table); \
         the figures above are not trustworthy"
    );
    Ok(())
}

/// Every scenario on one store.
async fn run_store(ctx: &Ctx, name: &'static str, target: &Target) -> anyhow::Result<StoreReport> {
    let s = &ctx.settings;
    let mut out = StoreReport {
        store: name,
        dataset: None,
        startup: None,
        endpoints: Vec::new(),
        memory: None,
        scaling: Vec::new(),
        stream: None,
        telegram: None,
        whatsapp: None,
        search: None,
        scale_out: None,
        goals: Vec::new(),
    };
    // Several nodes need a shared database; SQLite is one process's file.
    let postgres = matches!(target, Target::Postgres(_));
    if s.runs(Scenario::ScaleOut) && !postgres {
        eprintln!("-- scale-out: PostgreSQL only, skipped on {name}");
    }
    // The scenarios on data sets of their own skip the main one, and so does a scale-out
    // that has nothing to measure here.
    if !matches!(
        s.scenario,
        Scenario::Scaling
            | Scenario::Stream
            | Scenario::Telegram
            | Scenario::Whatsapp
            | Scenario::Search
    ) && (s.scenario != Scenario::ScaleOut || postgres)
    {
        let mut main = datasets::main(ctx, name, target).await?;
        if s.runs(Scenario::Startup) {
            out.startup = Some(startup::measure(ctx, &main.dataset).await?);
        }
        if s.runs(Scenario::Endpoints) || s.runs(Scenario::Memory) {
            let server = ctx.start_server(&main.dataset).await?;
            let result = endpoints_and_memory(ctx, &main.dataset, &server, &mut out).await;
            server.stop().await?;
            main.dataset.deep_page_token = result?;
        }
        if s.runs(Scenario::ScaleOut) && postgres {
            eprintln!("-- scale-out: 1, 2 and 3 nodes on one PostgreSQL");
            out.scale_out = Some(scale_out::measure(ctx, &main.dataset).await?);
        }
        out.dataset = Some(main.dataset.clone());
        main.discard()?;
    }
    if s.runs(Scenario::Stream) {
        eprintln!("-- stream: its own data set");
        let prepared = datasets::stream(ctx, name, target).await?;
        if matches!(target, Target::Postgres(_)) {
            // This load replaced whatever a kept PostgreSQL data set had in the database.
            datasets::forget_database(ctx, name)?;
        }
        let result = stream::measure(ctx, &prepared.dataset).await;
        prepared.discard()?;
        out.stream = Some(result?);
    }
    if s.runs(Scenario::Telegram) {
        if matches!(target, Target::Postgres(_)) {
            // Each of its servers empties the database first.
            datasets::forget_database(ctx, name)?;
        }
        out.telegram = Some(telegram::measure(ctx, name, target).await?);
    }
    if s.runs(Scenario::Whatsapp) {
        if matches!(target, Target::Postgres(_)) {
            // Each of its servers empties the database first.
            datasets::forget_database(ctx, name)?;
        }
        out.whatsapp = Some(whatsapp::measure(ctx, name, target).await?);
    }
    if s.runs(Scenario::Search) && search::wanted(&s.only) {
        eprintln!("-- search: its own data set");
        if matches!(target, Target::Postgres(_)) {
            // Its load replaces whatever a kept PostgreSQL data set had in the database.
            datasets::forget_database(ctx, name)?;
        }
        out.search = Some(search::measure(ctx, name, target).await?);
    }
    if s.runs(Scenario::Scaling) {
        out.scaling = scaling::measure(ctx, name, target).await?;
    }
    Ok(out)
}

/// The parts that share one running server: idle memory, endpoints, large transfers.
/// Returns the deep page token the endpoint runs used.
async fn endpoints_and_memory(
    ctx: &Ctx,
    dataset: &crate::dataset::Dataset,
    server: &Server,
    out: &mut StoreReport,
) -> anyhow::Result<Option<String>> {
    let s = &ctx.settings;
    // Let start-up work (worker loops, first allocations) settle before "idle".
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = procfs::memory(server.pid)?;
    let mut deep_page_token = None;
    if s.runs(Scenario::Endpoints) {
        (out.endpoints, deep_page_token) = endpoints::measure(ctx, dataset, server).await?;
    }
    if s.runs(Scenario::Memory) {
        let under_load = s
            .runs(Scenario::Endpoints)
            .then(|| procfs::memory(server.pid).map(|m| m.hwm_kib))
            .transpose()?;
        out.memory = Some(memory::measure(ctx, dataset, server, idle, under_load).await?);
    }
    Ok(deep_page_token)
}
