//! Event streams: N Server-Sent Events streams on one company while inbound messages
//! arrive at a fixed rate, then the same streams with nothing happening.
//!
//! Each inbound message (`POST .../sandbox/inbound`) carries `stream-probe-<seq>` as its
//! text and becomes one `message.new` event on every stream; the readers ([`crate::sse`])
//! note when each probe arrived. The send's start and its answer bracket the commit, so the
//! latency is reported from both. The same sends with no stream open first give the
//! inbound requests' own CPU, which the "net" figure takes off.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::sync::{Semaphore, oneshot, watch};

use super::Ctx;
use crate::api;
use crate::dataset::Dataset;
use crate::endpoints::TOKEN_HEADER;
use crate::procfs::{self, RssSampler};
use crate::report::StreamReport;
use crate::server::Server;
use crate::sse::{self, NOT_RECEIVED, PROBE, StreamStats, micros_since};

/// Streams connecting at once while they open.
const OPENING_AT_ONCE: usize = 64;
/// File descriptors the bench and the server need besides one per stream.
const SPARE_FDS: u64 = 1024;

/// One inbound message sent: when it left and when its answer came (µs since the epoch).
#[derive(Debug, Clone, Copy)]
struct Sent {
    start_us: u32,
    done_us: u32,
    ok: bool,
}

/// Raises this process's soft `RLIMIT_NOFILE` to at least `needed` (up to the hard
/// limit); the server, spawned later, inherits it. Returns the soft limit now.
fn raise_nofile(needed: u64) -> anyhow::Result<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let current = limit.current.unwrap_or(u64::MAX);
    if current >= needed {
        return Ok(current);
    }
    let hard = limit.maximum.unwrap_or(u64::MAX);
    let wanted = needed.min(hard);
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(wanted),
            maximum: limit.maximum,
        },
    )
    .context("raising RLIMIT_NOFILE")?;
    anyhow::ensure!(
        wanted >= needed,
        "{needed} file descriptors are needed but the hard limit is {hard} (ulimit -Hn)"
    );
    Ok(wanted)
}

/// Sends `count` inbound messages `prefix<seq>` at `rate` per second, each on its own task
/// (a slow answer does not hold the next send back), and waits for every answer.
async fn send_at_rate(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    sender: &str,
    (prefix, count, rate): (&str, usize, f64),
    epoch: Instant,
) -> anyhow::Result<Vec<Sent>> {
    let mut tasks = tokio::task::JoinSet::new();
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(0.001)));
    // A tick the runtime missed is sent at once: the schedule, not the pace, is fixed.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    for seq in 0..count {
        ticks.tick().await;
        let request = client.post(url).header(TOKEN_HEADER, token).form(&[
            ("sender_external_id", sender.to_owned()),
            ("message", format!("{prefix}{seq}")),
        ]);
        tasks.spawn(async move {
            let start_us = micros_since(epoch);
            let ok = match request.send().await {
                Ok(response) => {
                    let ok = response.status().is_success();
                    // Read the answer to the end: its arrival is what `done` means.
                    response.bytes().await.is_ok() && ok
                }
                Err(_) => false,
            };
            let sent = Sent {
                start_us,
                done_us: micros_since(epoch),
                ok,
            };
            (seq, sent)
        });
    }
    let mut sent = vec![
        Sent {
            start_us: 0,
            done_us: 0,
            ok: false,
        };
        count
    ];
    while let Some(joined) = tasks.join_next().await {
        let (seq, s) = joined.context("a send task panicked")?;
        if let Some(slot) = sent.get_mut(seq) {
            *slot = s;
        }
    }
    Ok(sent)
}

/// p50, p99 and max of `values` (sorted here), in ms from µs; zeros when empty.
pub(super) fn percentiles_ms(values: &mut [i64]) -> (f64, f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    values.sort_unstable();
    let at = |q: f64| {
        let i = ((values.len() - 1) as f64 * q).round() as usize;
        values[i.min(values.len() - 1)] as f64 / 1000.0
    };
    (at(0.5), at(0.99), at(1.0))
}

/// The inbound requests' answer times (ms): p50 and p99.
fn request_ms(sent: &[Sent]) -> (f64, f64) {
    let mut times: Vec<i64> = sent
        .iter()
        .map(|s| i64::from(s.done_us) - i64::from(s.start_us))
        .collect();
    let (p50, p99, _) = percentiles_ms(&mut times);
    (p50, p99)
}

/// CPU ticks of the server and (on PostgreSQL) of the database's processes.
struct Cpu {
    server: u64,
    db: Option<std::collections::HashMap<u32, u64>>,
    bench: u64,
}

impl Cpu {
    fn now(pid: u32, db: Option<&'static str>) -> anyhow::Result<Self> {
        Ok(Self {
            server: procfs::cpu_ticks(pid)?,
            db: db.map(procfs::cpu_ticks_named),
            bench: procfs::cpu_ticks(std::process::id())?,
        })
    }

    /// Seconds of CPU since `self`: the server's, the database's, the bench's.
    fn since(&self, pid: u32, db: Option<&'static str>, tps: u64) -> anyhow::Result<CpuUsed> {
        let now = Self::now(pid, db)?;
        let secs = |ticks: u64| ticks as f64 / tps as f64;
        Ok(CpuUsed {
            server: secs(now.server.saturating_sub(self.server)),
            db: self
                .db
                .as_ref()
                .zip(now.db.as_ref())
                .map(|(before, after)| secs(procfs::ticks_between(before, after))),
            bench: secs(now.bench.saturating_sub(self.bench)),
        })
    }
}

/// CPU seconds used over a window.
#[derive(Debug, Clone, Copy)]
struct CpuUsed {
    server: f64,
    db: Option<f64>,
    bench: f64,
}

/// Runs the scenario on its own server (started with a `--max-streams` above the count).
pub async fn measure(ctx: &Ctx, dataset: &Dataset) -> anyhow::Result<StreamReport> {
    let s = &ctx.settings;
    let streams = s.streams;
    let fds = raise_nofile(streams as u64 + SPARE_FDS)?;
    let mut extra = vec!["--max-streams".to_owned(), (streams + 16).to_string()];
    extra.extend(s.server_args.iter().cloned());
    let server = Server::start(&ctx.bin, dataset, &ctx.server_log(), &s.server_log, &extra).await?;
    let result = run(ctx, dataset, &server).await;
    server.stop().await?;
    let mut report = result?;
    report.nofile_limit = fds;
    Ok(report)
}

async fn run(ctx: &Ctx, dataset: &Dataset, server: &Server) -> anyhow::Result<StreamReport> {
    let s = &ctx.settings;
    let (pid, tps) = (server.pid, ctx.ticks_per_sec);
    let db = dataset.database_url.as_ref().map(|_| "postgres");
    let base = server.base();
    let company = dataset.company_id;
    let sender = api::conversation_sender(
        &ctx.client,
        &base,
        &dataset.token,
        company,
        dataset.conversation_id,
    )
    .await?;
    let inbound = format!(
        "{base}/p1/companies/{company}/channels/{}/sandbox/inbound",
        dataset.channel_id
    );
    let probes = (s.stream_rate * s.stream_send.as_secs_f64())
        .round()
        .max(1.0) as usize;
    let epoch = Instant::now();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_before = procfs::wait_for_idle(s.idle_wait, &[pid]).await?;
    let rss_before = procfs::memory(pid)?;
    // The server's own background loops, no stream open, for comparison with idle streams.
    let threads = procfs::thread_cpu_ns(pid)?;
    let quiet_started = Instant::now();
    tokio::time::sleep(s.stream_idle).await;
    let quiet_ms_per_sec = procfs::ticks_between(&threads, &procfs::thread_cpu_ns(pid)?) as f64
        / 1e6
        / quiet_started.elapsed().as_secs_f64();

    // The same sends with no stream open: what the inbound requests cost by themselves.
    eprintln!(
        "-- stream: {probes} inbound messages at {}/s, no stream open",
        s.stream_rate
    );
    let cpu = Cpu::now(pid, db)?;
    let rate = (probes, s.stream_rate);
    let baseline = send_at_rate(
        &ctx.client,
        &inbound,
        &dataset.token,
        &sender,
        ("stream-baseline-", rate.0, rate.1),
        epoch,
    )
    .await?;
    let baseline_cpu = cpu.since(pid, db, tps)?;

    // Open the streams.
    eprintln!("-- stream: opening {} streams", s.streams);
    let received = Arc::new(AtomicU64::new(0));
    let target = sse::Target {
        client: sse::client()?,
        url: format!("{base}/p1/companies/{company}/events"),
        token: dataset.token.clone(),
        epoch,
        probes,
        received: received.clone(),
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let opening = Arc::new(Semaphore::new(OPENING_AT_ONCE));
    let opened_at = Instant::now();
    let mut readers = Vec::with_capacity(s.streams);
    let mut waits = Vec::with_capacity(s.streams);
    for _ in 0..s.streams {
        let (tx, rx) = oneshot::channel();
        let permit = opening.clone().acquire_owned().await?;
        readers.push(tokio::spawn(sse::read(target.clone(), tx, stop_rx.clone())));
        // The permit goes back once this stream is ready (or failed).
        waits.push(tokio::spawn(async move {
            let answer = rx.await.unwrap_or_else(|_| Err("reader gone".to_owned()));
            drop(permit);
            answer
        }));
    }
    let mut open_failures = Vec::new();
    for wait in waits {
        if let Err(why) = wait.await.context("an opening task panicked")? {
            open_failures.push(why);
        }
    }
    let open_seconds = opened_at.elapsed().as_secs_f64();
    let opened = s.streams - open_failures.len();
    eprintln!(
        "   {opened} open in {open_seconds:.2} s{}",
        open_failures.first().map_or(String::new(), |w| format!(
            "; {} failed: {w}",
            open_failures.len()
        ))
    );

    // Idle: the streams open, nothing happening.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let cpu = Cpu::now(pid, db)?;
    let threads = procfs::thread_cpu_ns(pid)?;
    let idle_started = Instant::now();
    tokio::time::sleep(s.stream_idle).await;
    let mut idle_cpu = cpu.since(pid, db, tps)?;
    // Clock ticks are 10 ms: too coarse for an idle server; its threads' ns instead (a
    // thread that ended within the window drops out).
    idle_cpu.server = procfs::ticks_between(&threads, &procfs::thread_cpu_ns(pid)?) as f64 / 1e9;
    let idle_seconds = idle_started.elapsed().as_secs_f64();
    let rss_idle = procfs::memory(pid)?;
    eprintln!(
        "   idle: {:.1} ms CPU/s (no stream open: {quiet_ms_per_sec:.1}), RSS {:.1} MiB \
         (before the streams {:.1} MiB)",
        idle_cpu.server * 1000.0 / idle_seconds,
        rss_idle.rss_kib as f64 / 1024.0,
        rss_before.rss_kib as f64 / 1024.0
    );

    // Load: the probes, then until every open stream has every probe (or the drain ends).
    eprintln!(
        "-- stream: {probes} inbound messages at {}/s to {opened} streams",
        s.stream_rate
    );
    let sampler = RssSampler::start(pid);
    let cpu = Cpu::now(pid, db)?;
    let load_started = Instant::now();
    let sent = send_at_rate(
        &ctx.client,
        &inbound,
        &dataset.token,
        &sender,
        (PROBE, rate.0, rate.1),
        epoch,
    )
    .await?;
    let ok_sends = sent.iter().filter(|x| x.ok).count();
    let expected = (ok_sends * opened) as u64;
    let deadline = Instant::now() + s.stream_drain;
    while received.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let drained = received.load(Ordering::Relaxed) >= expected;
    let load_cpu = cpu.since(pid, db, tps)?;
    let load_seconds = load_started.elapsed().as_secs_f64();
    let rss_peak_kib = sampler.stop(pid).await;
    let rss_after = procfs::memory(pid)?;

    let _ = stop_tx.send(true);
    let mut stats: Vec<StreamStats> = Vec::with_capacity(readers.len());
    for reader in readers {
        stats.push(reader.await.context("a stream reader panicked")?);
    }
    Ok(summarize(Summary {
        ctx,
        stats: &stats,
        sent: &sent,
        baseline: &baseline,
        opened,
        open_failures,
        open_seconds,
        drained,
        cpu: [baseline_cpu, idle_cpu, load_cpu],
        seconds: [idle_seconds, load_seconds],
        memory: (rss_before, rss_idle, rss_peak_kib, rss_after),
        idle_before,
        quiet_ms_per_sec,
    }))
}

/// What [`summarize`] turns into the report.
struct Summary<'a> {
    ctx: &'a Ctx,
    stats: &'a [StreamStats],
    sent: &'a [Sent],
    baseline: &'a [Sent],
    opened: usize,
    open_failures: Vec<String>,
    open_seconds: f64,
    drained: bool,
    /// Baseline sends, idle, load.
    cpu: [CpuUsed; 3],
    /// Idle, load.
    seconds: [f64; 2],
    /// Before the streams, idle with them, peak under load (KiB), after the load.
    memory: (procfs::Memory, procfs::Memory, u64, procfs::Memory),
    idle_before: f64,
    quiet_ms_per_sec: f64,
}

fn summarize(x: Summary<'_>) -> StreamReport {
    let s = &x.ctx.settings;
    let [baseline_cpu, idle_cpu, load_cpu] = x.cpu;
    let [idle_seconds, load_seconds] = x.seconds;
    let (rss_before, rss_idle, rss_peak_kib, rss_after) = x.memory;
    let mut from_send = Vec::new();
    let mut from_answer = Vec::new();
    let mut missing = 0u64;
    let mut streams_missing = 0usize;
    let mut last_receipt = 0u32;
    for st in x.stats.iter().filter(|st| st.opened) {
        let mut this_missing = 0u64;
        for (sent, &receipt) in x.sent.iter().zip(&st.receipts) {
            if receipt == NOT_RECEIVED {
                if sent.ok {
                    this_missing += 1;
                }
                continue;
            }
            last_receipt = last_receipt.max(receipt);
            from_send.push(i64::from(receipt) - i64::from(sent.start_us));
            from_answer.push(i64::from(receipt) - i64::from(sent.done_us));
        }
        missing += this_missing;
        streams_missing += usize::from(this_missing > 0);
    }
    let (p50, p99, max) = percentiles_ms(&mut from_send);
    let (answer_p50, answer_p99, _) = percentiles_ms(&mut from_answer);
    let events: u64 = x.stats.iter().map(|st| st.events).sum();
    let first_send = x.sent.iter().map(|s| s.start_us).min().unwrap_or(0);
    let delivery_seconds = f64::from(last_receipt.saturating_sub(first_send)) / 1e6;
    let per_event = |secs: f64| secs * 1e6 / events.max(1) as f64;
    let sends = x.sent.len().max(1) as f64;
    let baseline_per_send = baseline_cpu.server * 1e6 / x.baseline.len().max(1) as f64;
    let baseline_db_per_send = baseline_cpu
        .db
        .map(|db| db * 1e6 / x.baseline.len().max(1) as f64);
    let (inbound_p50_ms, inbound_p99_ms) = request_ms(x.sent);
    let (baseline_inbound_p50_ms, baseline_inbound_p99_ms) = request_ms(x.baseline);
    let ended_early: Vec<&str> = x
        .stats
        .iter()
        .filter_map(|st| st.ended.as_deref())
        .collect();
    let report = StreamReport {
        streams: s.streams,
        opened: x.opened,
        open_failures: x.open_failures.len(),
        open_failure: x.open_failures.first().cloned(),
        open_seconds: x.open_seconds,
        nofile_limit: 0,
        rate_per_sec: s.stream_rate,
        sent: x.sent.len(),
        send_errors: x.sent.iter().filter(|s| !s.ok).count(),
        inbound_p50_ms,
        inbound_p99_ms,
        baseline_inbound_p50_ms,
        baseline_inbound_p99_ms,
        latency_p50_ms: p50,
        latency_p99_ms: p99,
        latency_max_ms: max,
        latency_after_answer_p50_ms: answer_p50,
        latency_after_answer_p99_ms: answer_p99,
        receipts: from_send.len() as u64,
        events_delivered: events,
        message_new_delivered: x.stats.iter().map(|st| st.message_new).sum(),
        bytes_delivered: x.stats.iter().map(|st| st.bytes).sum(),
        delivery_seconds,
        events_per_sec: if delivery_seconds > 0.0 {
            events as f64 / delivery_seconds
        } else {
            0.0
        },
        drained: x.drained,
        missing,
        streams_missing,
        duplicates: x.stats.iter().map(|st| st.duplicates).sum(),
        out_of_order: x.stats.iter().map(|st| st.out_of_order).sum(),
        ended_early: ended_early.len(),
        ended_reason: ended_early.first().map(|w| (*w).to_owned()),
        load_seconds,
        server_cpu_cores: load_cpu.server / load_seconds.max(1e-9),
        cpu_us_per_event: per_event(load_cpu.server),
        db_cpu_us_per_event: load_cpu.db.map(per_event),
        net_cpu_us_per_event: per_event(load_cpu.server - baseline_per_send * sends / 1e6),
        baseline_cpu_us_per_send: baseline_per_send,
        baseline_db_cpu_us_per_send: baseline_db_per_send,
        bench_cpu_us_per_event: per_event(load_cpu.bench),
        idle_seconds,
        no_stream_cpu_ms_per_sec: x.quiet_ms_per_sec,
        idle_cpu_ms_per_sec: idle_cpu.server * 1000.0 / idle_seconds.max(1e-9),
        idle_db_cpu_ms_per_sec: idle_cpu.db.map(|db| db * 1000.0 / idle_seconds.max(1e-9)),
        rss_before_streams: rss_before,
        rss_idle,
        rss_peak_kib,
        rss_after,
        idle_before: x.idle_before,
    };
    eprintln!(
        "   {} events to {} streams in {:.1} s ({:.0}/s); commit→receipt p50 {:.1} ms p99 {:.1} ms; \
         server {:.1} µs CPU/event ({:.1} net); missing {}",
        report.events_delivered,
        report.opened,
        report.delivery_seconds,
        report.events_per_sec,
        report.latency_p50_ms,
        report.latency_p99_ms,
        report.cpu_us_per_event,
        report.net_cpu_us_per_event,
        report.missing
    );
    report
}
