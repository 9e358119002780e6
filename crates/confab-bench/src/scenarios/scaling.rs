//! Scaling: the list's first page and one conversation's details on one company with
//! three sizes of conversation table; keyset pages should not slow down as it grows.

use super::{Ctx, Subject, datasets};
use crate::dataset::Target;
use crate::endpoints::TOKEN_HEADER;
use crate::report::ScalingPoint;
use crate::wrk::{Body, Request};

/// Loads each scaling size in turn, measures it and drops it before the next.
pub async fn measure(ctx: &Ctx, store: &str, target: &Target) -> anyhow::Result<Vec<ScalingPoint>> {
    let mut points = Vec::new();
    for conversations in ctx.settings.scaling_sizes {
        eprintln!("-- scaling: {conversations} conversations");
        let prepared = datasets::scaling(ctx, store, target, conversations).await?;
        if matches!(target, Target::Postgres(_)) {
            // This load replaced whatever a kept PostgreSQL data set had in the database.
            datasets::forget_database(ctx, store)?;
        }
        let d = &prepared.dataset;
        let server = ctx.start_server(d).await?;
        let get = |path: String| Request {
            method: "GET",
            path,
            headers: vec![(TOKEN_HEADER.to_owned(), d.token.clone())],
            body: Body::None,
        };
        let company = format!("/p1/companies/{}", d.company_id);
        let list = get(format!("{company}/conversations?per=50"));
        let details = get(format!("{company}/conversations/{}", d.conversation_id));
        let load = ctx.settings.scaling_load;
        let subject = Subject::confab(&server, d);
        let runs = async {
            let list = ctx.measured_run(&subject, &list, load, None).await?;
            let details = ctx.measured_run(&subject, &details, load, None).await?;
            anyhow::Ok((list.0, details.0))
        }
        .await;
        let startup_ms = server.startup.as_secs_f64() * 1000.0;
        server.stop().await?;
        let (list, details) = runs?;
        eprintln!(
            "   list p50 {:.2} ms p99 {:.2} ms; details p50 {:.2} ms p99 {:.2} ms",
            list.outcome.p50_ms,
            list.outcome.p99_ms,
            details.outcome.p50_ms,
            details.outcome.p99_ms
        );
        points.push(ScalingPoint {
            conversations,
            load_seconds: d.load_seconds,
            startup_ms,
            list,
            details,
        });
        prepared.discard()?;
    }
    Ok(points)
}
