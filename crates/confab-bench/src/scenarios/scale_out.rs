//! Scale-out: 1, then 2, then 3 `confab serve` nodes on one PostgreSQL, with sends and
//! details reads spread over every company's conversations and over the nodes (one wrk
//! per node, the run's connections split between them). Every node and the database
//! share this machine, so the figures say which side spends the cores, not how a cluster
//! of machines would scale.

use std::time::Instant;

use anyhow::Context as _;

use super::Ctx;
use crate::dataset::Dataset;
use crate::endpoints::{TOKEN_HEADER, encode};
use crate::procfs;
use crate::report::postgres::{ScaleOutReport, ScaleOutRun};
use crate::server::{Launch, Server};
use crate::spread::Conversations;
use crate::wrk::{self, Body, Load, Request};

/// Node counts measured, in order.
const NODE_COUNTS: [usize; 3] = [1, 2, 3];

/// Runs the scale-out on `dataset` (PostgreSQL); the nodes are stopped before returning.
pub async fn measure(ctx: &Ctx, dataset: &Dataset) -> anyhow::Result<ScaleOutReport> {
    let url = dataset
        .database_url
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("scale-out needs a PostgreSQL data set"))?;
    let mut nodes = vec![ctx.start_server(dataset).await?];
    let result = runs(ctx, dataset, url, &mut nodes).await;
    for node in nodes {
        node.stop().await?;
    }
    result
}

async fn runs(
    ctx: &Ctx,
    dataset: &Dataset,
    url: &str,
    nodes: &mut Vec<Server>,
) -> anyhow::Result<ScaleOutReport> {
    let first = nodes
        .first()
        .ok_or_else(|| anyhow::anyhow!("no node started"))?
        .base();
    let spread = crate::spread::find(&ctx.client, &first, &dataset.token, dataset.company_id)
        .await
        .context("finding conversations to spread over")?;
    let headers = vec![(TOKEN_HEADER.to_owned(), dataset.token.clone())];
    let send_file = ctx.work.join("scale-out-send.body");
    std::fs::write(
        &send_file,
        format!(
            "message={}",
            encode("A reply sent through one node of several.")
        ),
    )
    .with_context(|| format!("writing {}", send_file.display()))?;
    let kinds = [
        (
            "send",
            "POST",
            Conversations::send_paths(&spread.all),
            Some((send_file, "application/x-www-form-urlencoded".to_owned())),
        ),
        (
            "details",
            "GET",
            Conversations::details_paths(&spread.all),
            None,
        ),
    ];
    let mut out = ScaleOutReport {
        conversations: spread.all.len(),
        runs: Vec::new(),
    };
    for count in NODE_COUNTS {
        while nodes.len() < count {
            let i = nodes.len();
            // Each node has a data dir of its own (spool, local files) and shares the
            // database, as behind a load balancer.
            let data_dir = ctx.work.join(format!("scale-out-node{i}"));
            std::fs::create_dir_all(&data_dir)
                .with_context(|| format!("creating {}", data_dir.display()))?;
            let launch = Launch {
                data_dir: &data_dir,
                database_url: Some(url),
                sandbox: true,
            };
            let log = ctx.work.join(format!("scale-out-node{i}.log"));
            nodes.push(
                Server::launch(
                    &ctx.bin,
                    &launch,
                    &log,
                    &ctx.settings.server_log,
                    &ctx.settings.server_args,
                )
                .await?,
            );
        }
        for (kind, method, paths, fixed) in &kinds {
            let request = Request {
                method,
                // wrk's URL; the script sends each request to the next of `paths`.
                path: paths.first().cloned().unwrap_or_else(|| "/".to_owned()),
                headers: headers.clone(),
                body: Body::Spread {
                    paths: paths.clone(),
                    fixed: fixed.clone(),
                },
            };
            let run = one_run(ctx, nodes, kind, &request).await?;
            eprintln!(
                "   {} node(s), {kind}: {:.0} req/s, worst p99 {:.2} ms, {} errors, \
                 confab {:.2} cores, PostgreSQL {:.2} cores",
                run.nodes,
                run.requests_per_sec,
                run.worst_p99_ms,
                run.errors,
                run.confab_cores,
                run.postgres_cores
            );
            out.runs.push(run);
        }
    }
    Ok(out)
}

/// One wrk per node at once, the run's connections split evenly between them.
async fn one_run(
    ctx: &Ctx,
    nodes: &[Server],
    kind: &'static str,
    request: &Request,
) -> anyhow::Result<ScaleOutRun> {
    let pids: Vec<u32> = nodes.iter().map(|n| n.pid).collect();
    procfs::wait_for_idle(ctx.settings.idle_wait, &pids).await?;
    // The run's connections split between the nodes (the first ones take the remainder),
    // at least one each.
    let count = u32::try_from(nodes.len()).context("too many nodes")?;
    let total = ctx.settings.load.connections.max(count);
    let loads: Vec<Load> = (0..count)
        .map(|i| Load {
            connections: total / count + u32::from(i < total % count),
            ..ctx.settings.load
        })
        .collect();
    // Each wrk writes its script into a dir of its own.
    let mut dirs = Vec::new();
    for i in 0..nodes.len() {
        let dir = ctx.work.join(format!("scale-out-wrk{i}"));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        dirs.push(dir);
    }
    let confab_before: Vec<u64> = pids
        .iter()
        .map(|pid| procfs::cpu_ticks(*pid))
        .collect::<anyhow::Result<_>>()?;
    let db_before = procfs::cpu_ticks_named("postgres");
    let started = Instant::now();
    let runs = nodes
        .iter()
        .zip(&dirs)
        .zip(&loads)
        .map(|((node, dir), load)| run_owned(node.base(), request.clone(), *load, dir.clone()));
    let outcomes = futures_join_all(runs).await?;
    let seconds = started.elapsed().as_secs_f64();
    let confab_ticks: u64 = pids
        .iter()
        .zip(&confab_before)
        .map(|(pid, before)| Ok(procfs::cpu_ticks(*pid)?.saturating_sub(*before)))
        .sum::<anyhow::Result<u64>>()?;
    let db_ticks = procfs::ticks_between(&db_before, &procfs::cpu_ticks_named("postgres"));
    let cores = |ticks: u64| ticks as f64 / ctx.ticks_per_sec as f64 / seconds;
    Ok(ScaleOutRun {
        nodes: nodes.len(),
        kind,
        connections: total,
        requests_per_sec: outcomes.iter().map(|o| o.requests_per_sec).sum(),
        worst_p99_ms: outcomes.iter().map(|o| o.p99_ms).fold(0.0, f64::max),
        errors: outcomes.iter().map(wrk::Outcome::errors).sum(),
        confab_cores: cores(confab_ticks),
        postgres_cores: cores(db_ticks),
    })
}

/// [`wrk::run`] on owned arguments, so it can run as a task of its own.
async fn run_owned(
    base: String,
    request: Request,
    load: Load,
    dir: std::path::PathBuf,
) -> anyhow::Result<wrk::Outcome> {
    wrk::run(&base, &request, load, &dir).await
}

/// Runs the wrk futures at once (one task each) and collects their outcomes in order.
async fn futures_join_all<F>(runs: impl Iterator<Item = F>) -> anyhow::Result<Vec<wrk::Outcome>>
where
    F: std::future::Future<Output = anyhow::Result<wrk::Outcome>> + Send + 'static,
{
    let handles: Vec<_> = runs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.context("a wrk task panicked")??);
    }
    Ok(out)
}
