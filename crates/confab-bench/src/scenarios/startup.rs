//! Start-up: spawn `confab serve` on the loaded data set until `/healthz` answers 200,
//! several times (the first start may pay for a cold page cache; all are reported).

use super::Ctx;
use crate::dataset::Dataset;
use crate::report::Startup;

/// Starts and stops the server `ctx.settings.startup_runs` times.
pub async fn measure(ctx: &Ctx, dataset: &Dataset) -> anyhow::Result<Startup> {
    let mut runs_ms = Vec::new();
    for _ in 0..ctx.settings.startup_runs.max(1) {
        let server = ctx.start_server(dataset).await?;
        runs_ms.push(server.startup.as_secs_f64() * 1000.0);
        server.stop().await?;
    }
    let mut sorted = runs_ms.clone();
    sorted.sort_by(f64::total_cmp);
    let median_ms = sorted[sorted.len() / 2];
    eprintln!("start-up: {median_ms:.0} ms median of {runs_ms:.0?}");
    Ok(Startup { runs_ms, median_ms })
}
