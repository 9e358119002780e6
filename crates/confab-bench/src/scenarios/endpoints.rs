//! Each endpoint under load beside its ceiling: the same request shape, and the ceiling
//! answering confab's own body for it.

use anyhow::Context as _;
use rand::Rng as _;

use super::{Ctx, Subject};
use crate::api;
use crate::ceiling::Ceiling;
use crate::dataset::Dataset;
use crate::endpoints::{self, Endpoint, Target};
use crate::procfs;
use crate::report::{DbCeiling, Measurement, RunFigures};
use crate::server::Server;

/// How far through the measured company's list the deep page is.
const DEEP_FRACTION: f64 = 0.9;

/// Conversations of the measured company (the first takes the remainder, as the loader
/// lays them out).
fn measured_company_conversations(dataset: &Dataset) -> u64 {
    let spec = dataset.spec;
    spec.conversations.div_ceil(spec.companies.max(1))
}

/// Measures the reads, then the writes (so the writes' new rows cannot change the pages
/// the reads walk). Returns the measurements and the deep page token used.
pub async fn measure(
    ctx: &Ctx,
    dataset: &Dataset,
    server: &Server,
) -> anyhow::Result<(Vec<Measurement>, Option<String>)> {
    let base = server.base();
    let pages = measured_company_conversations(dataset).div_ceil(50);
    let pages_in = (pages as f64 * DEEP_FRACTION).floor() as u64;
    let deep = api::deep_page_token(
        &ctx.client,
        &base,
        &dataset.token,
        dataset.company_id,
        pages_in,
    )
    .await
    .context("walking the conversations list to a deep page")?;
    if deep.is_none() {
        eprintln!("the list has no page {pages_in} of 50: no deep-page run");
    }
    let sender = api::conversation_sender(
        &ctx.client,
        &base,
        &dataset.token,
        dataset.company_id,
        dataset.conversation_id,
    )
    .await?;
    // "8" and three random digits: new contacts of this run never meet an earlier run's.
    let run_digits = format!("8{:03}", rand::rng().random_range(0..1000));
    let spread = crate::spread::find(&ctx.client, &base, &dataset.token, dataset.company_id)
        .await
        .context("finding conversations to spread sends over")?;
    eprintln!(
        "spread sends: {} conversations of the company, {} over every company",
        spread.company.len(),
        spread.all.len()
    );
    let target = Target {
        dataset,
        deep_page_token: deep.as_deref(),
        sender_external_id: &sender,
        run_digits: &run_digits,
        spread: &spread,
    };
    let mut list = endpoints::reads(&target);
    list.extend(endpoints::writes(&target, &ctx.work)?);
    let only = &ctx.settings.only;
    // The search scenario's keys are its own, measured there.
    if let Some(unknown) = only.iter().find(|k| {
        !list.iter().any(|e| e.key == k.as_str()) && !super::search::KEYS.contains(&k.as_str())
    }) {
        anyhow::bail!("--only: no endpoint is called {unknown:?}");
    }
    list.retain(|e| only.is_empty() || only.iter().any(|k| k == e.key));
    let mut out = Vec::new();
    for endpoint in &list {
        eprintln!("-- {}", endpoint.label);
        let m = measure_one(ctx, dataset, server, endpoint)
            .await
            .with_context(|| format!("measuring {}", endpoint.label))?;
        eprintln!(
            "   {:.0} req/s (ceiling {:.0}, ratio {:.2}), p99 {:.2} ms, {:.1} µs CPU/req, {} errors",
            m.confab.outcome.requests_per_sec,
            m.ceiling.outcome.requests_per_sec,
            m.ratio,
            m.confab.outcome.p99_ms,
            m.confab.cpu_us_per_request,
            m.confab.outcome.errors()
        );
        if let Some(db) = &m.db_ceiling {
            eprintln!(
                "   PostgreSQL ceiling ({}): {:.0} req/s, ratio {:.2}",
                db.route, db.figures.outcome.requests_per_sec, db.ratio
            );
        }
        out.push(m);
    }
    Ok((out, deep))
}

/// One endpoint: a probe request, the confab run, then the ceiling run on confab's body.
async fn measure_one(
    ctx: &Ctx,
    dataset: &Dataset,
    server: &Server,
    endpoint: &Endpoint,
) -> anyhow::Result<Measurement> {
    let request = &endpoint.request;
    let mut m = Measurement {
        key: endpoint.key,
        label: endpoint.label,
        request: format!("{} {}", request.method, request.path),
        probe_status: 0,
        failure: None,
        body_bytes: 0,
        confab: RunFigures::default(),
        ceiling: RunFigures::default(),
        ratio: 0.0,
        fdatasync_per_sec: None,
        memory_after: procfs::Memory::default(),
        round_ratios: Vec::new(),
        db_ceiling: None,
        spread_over: match &request.body {
            crate::wrk::Body::Spread { paths, .. } => Some(paths.len()),
            _ => None,
        },
    };
    let (status, body) = api::probe(&ctx.client, &server.base(), request).await?;
    m.probe_status = status;
    m.body_bytes = body.len();
    if !(200..300).contains(&status) {
        // Measuring errors would only measure the error path: report it instead.
        let text = String::from_utf8_lossy(&body);
        let why = format!(
            "probe answered {status}: {}",
            text.chars().take(300).collect::<String>()
        );
        eprintln!("   {why}");
        m.failure = Some(why);
        return Ok(m);
    }
    let body_file = ctx.work.join(format!("ceiling-{}.json", endpoint.key));
    std::fs::write(&body_file, &body)
        .with_context(|| format!("writing {}", body_file.display()))?;
    let fsync_dir = endpoint.durable.then_some(dataset.data_dir.as_path());
    let ceiling = Ceiling::start(&body_file).await?;
    // On PostgreSQL, sends and reads also run beside what the database alone can do.
    let db_ceiling = match (
        dataset.database_url.as_deref(),
        db_ceiling_route(endpoint.key),
    ) {
        (Some(url), Some(_)) => match crate::db_ceiling::start(url, &body_file).await {
            Ok(c) => Some((c, url)),
            Err(e) => {
                ceiling.stop().await?;
                return Err(e);
            }
        },
        _ => None,
    };
    let db_subject = db_ceiling.as_ref().map(|(c, _)| Subject {
        base: c.base(),
        pid: c.pid,
        db_processes: Some("postgres"),
        servers: vec![c.pid, server.pid],
    });
    let ceiling_subject = Subject {
        base: ceiling.base(),
        pid: ceiling.pid,
        db_processes: None,
        servers: vec![ceiling.pid, server.pid],
    };
    // Pairs of runs, confab then the ceiling; the median pair by ratio is reported. Other
    // guests of the host slow this VM for seconds at a time, and a pair shares the slump.
    let mut pairs = Vec::new();
    for _ in 0..ctx.settings.rounds {
        let result = pair(ctx, dataset, server, &ceiling_subject, request, fsync_dir).await;
        let result = match (result, &db_subject) {
            (Ok(mut p), Some(db)) => ctx
                .measured_run(db, request, ctx.settings.load, None)
                .await
                .map(|(figures, _)| {
                    p.db = Some(figures);
                    p
                }),
            (result, _) => result,
        };
        match result {
            Ok(p) => pairs.push(p),
            Err(e) => {
                ceiling.stop().await?;
                if let Some((db, url)) = db_ceiling {
                    crate::db_ceiling::stop(db, url).await?;
                }
                return Err(e);
            }
        }
    }
    ceiling.stop().await?;
    if let Some((db, url)) = db_ceiling {
        crate::db_ceiling::stop(db, url).await?;
    }
    pairs.sort_by(|a, b| a.ratio.total_cmp(&b.ratio));
    m.round_ratios = pairs.iter().map(|p| p.ratio).collect();
    let median = pairs.swap_remove(pairs.len() / 2);
    m.confab = median.confab;
    m.ceiling = median.ceiling;
    m.fdatasync_per_sec = median.fsync;
    m.memory_after = median.memory_after;
    m.ratio = median.ratio;
    m.db_ceiling = median.db.and_then(|figures| {
        let route = db_ceiling_route(endpoint.key)?;
        let rate = figures.outcome.requests_per_sec;
        Some(DbCeiling {
            route,
            ratio: if rate > 0.0 {
                m.confab.outcome.requests_per_sec / rate
            } else {
                0.0
            },
            figures,
        })
    });
    Ok(m)
}

/// What the PostgreSQL ceiling does for an endpoint's requests, for those measured
/// against it: sends against one INSERT, details and lists against one SELECT.
fn db_ceiling_route(key: &str) -> Option<&'static str> {
    match key {
        "send_hot" | "send" | "send_spread" => Some("one INSERT"),
        "details" | "list_first" | "list_deep" => Some("one SELECT by primary key"),
        _ => None,
    }
}

/// One confab run and the ceiling run right after it.
struct Pair {
    confab: RunFigures,
    ceiling: RunFigures,
    fsync: Option<f64>,
    memory_after: procfs::Memory,
    ratio: f64,
    /// The PostgreSQL ceiling's run right after, when there is one.
    db: Option<RunFigures>,
}

async fn pair(
    ctx: &Ctx,
    dataset: &Dataset,
    server: &Server,
    ceiling: &Subject,
    request: &crate::wrk::Request,
    fsync_dir: Option<&std::path::Path>,
) -> anyhow::Result<Pair> {
    let (confab, fsync) = ctx
        .measured_run(
            &Subject::confab(server, dataset),
            request,
            ctx.settings.load,
            fsync_dir,
        )
        .await?;
    let memory_after = procfs::memory(server.pid)?;
    let (ceiling, _) = ctx
        .measured_run(ceiling, request, ctx.settings.load, None)
        .await?;
    let ratio = if ceiling.outcome.requests_per_sec > 0.0 {
        confab.outcome.requests_per_sec / ceiling.outcome.requests_per_sec
    } else {
        0.0
    };
    Ok(Pair {
        confab,
        ceiling,
        fsync,
        memory_after,
        ratio,
        db: None,
    })
}
