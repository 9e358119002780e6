//! What PostgreSQL runs add to a report: the endpoints beside the PostgreSQL ceiling (one
//! bare INSERT or SELECT per request), and the scale-out runs over several nodes.

use std::fmt::Write as _;

use super::{RunFigures, StoreReport};

/// An endpoint's run beside the PostgreSQL ceiling.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DbCeiling {
    /// What the ceiling did per request (`one INSERT`, `one SELECT by primary key`).
    pub route: &'static str,
    /// The ceiling's figures (right after the same round's confab and HTTP-ceiling runs).
    pub figures: RunFigures,
    /// confab's requests/s over the PostgreSQL ceiling's.
    pub ratio: f64,
}

/// Sends and reads over several confab nodes on one PostgreSQL.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScaleOutReport {
    /// Conversations the sends and reads spread over.
    pub conversations: usize,
    /// One entry per node count and request kind.
    pub runs: Vec<ScaleOutRun>,
}

/// One load run over `nodes` nodes at once.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScaleOutRun {
    /// Nodes running and loaded.
    pub nodes: usize,
    /// `send` or `details`.
    pub kind: &'static str,
    /// Connections of all nodes together: the run's `--connections`, split evenly
    /// between the nodes (at least one each).
    pub connections: u32,
    /// Completed requests per second, all nodes together.
    pub requests_per_sec: f64,
    /// The slowest node's p99, in milliseconds.
    pub worst_p99_ms: f64,
    /// Non-2xx answers and socket errors, all nodes.
    pub errors: u64,
    /// Cores the confab nodes kept busy together (CPU seconds per second).
    pub confab_cores: f64,
    /// Cores PostgreSQL's processes kept busy.
    pub postgres_cores: f64,
}

/// The PostgreSQL-ceiling table, when any endpoint ran beside it.
pub fn db_ceiling_table(md: &mut String, store: &StoreReport) {
    let rows: Vec<_> = store
        .endpoints
        .iter()
        .filter_map(|m| m.db_ceiling.as_ref().map(|db| (m, db)))
        .collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "| Endpoint | req/s | PostgreSQL ceiling | ceiling req/s | ceiling p99 ms | ceiling CPU µs/req | ratio to it | ratio to HTTP ceiling |\n\
         | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |"
    );
    for (m, db) in rows {
        let cpu = match db.figures.db_cpu_us_per_request {
            Some(pg) => format!("{:.1} + {pg:.1} db", db.figures.cpu_us_per_request),
            None => format!("{:.1}", db.figures.cpu_us_per_request),
        };
        let _ = writeln!(
            md,
            "| {} | {:.0} | {} | {:.0} | {:.2} | {cpu} | {:.2} | {:.2} |",
            m.label,
            m.confab.outcome.requests_per_sec,
            db.route,
            db.figures.outcome.requests_per_sec,
            db.figures.outcome.p99_ms,
            db.ratio,
            m.ratio
        );
    }
    let _ = writeln!(
        md,
        "\nPostgreSQL ceiling: a bare axum route doing one autocommitted (durable) single-row \
         INSERT, or one SELECT by primary key, through sqlx (a pool of 16, confab's default) \
         at the same concurrency, answering confab's body; run right after the same round's \
         confab and HTTP-ceiling runs.\n"
    );
}

/// The scale-out table.
pub fn scale_out_table(md: &mut String, report: &ScaleOutReport) {
    let _ = writeln!(
        md,
        "### Scale-out on one PostgreSQL ({} conversations)\n\n\
         | Nodes | Requests | connections (all nodes) | req/s (all nodes) | worst p99 ms | errors | confab cores | PostgreSQL cores |\n\
         | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        report.conversations
    );
    for r in &report.runs {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {:.0} | {:.2} | {} | {:.2} | {:.2} |",
            r.nodes,
            r.kind,
            r.connections,
            r.requests_per_sec,
            r.worst_p99_ms,
            r.errors,
            r.confab_cores,
            r.postgres_cores
        );
    }
    let _ = writeln!(
        md,
        "\nAll nodes and PostgreSQL share this machine's cores, so more nodes cannot add \
         cores: the columns show which side spends them. Cores: CPU seconds per second of \
         the nodes together and of every `postgres` process, from /proc.\n"
    );
}
