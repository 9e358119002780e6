//! The search scenario's figures and their Markdown: inbox lists (search, activity order,
//! filters, tab counts, an operator's page) beside the plain conversations list.

use std::fmt::Write as _;

use super::RunFigures;
use crate::dataset::Spec;

/// The search scenario on one store.
#[derive(Debug, serde::Serialize)]
pub struct SearchReport {
    /// The rows of its data set (one company).
    pub spec: Spec,
    /// Seconds the load took (0 when a kept data set was reused).
    pub load_seconds: f64,
    /// Conversations and messages written per second by the load.
    pub load_rows_per_sec: f64,
    /// The rare word searched for.
    pub rare_word: String,
    /// Conversations the rare word's search found before the runs, walking every page:
    /// the check that the loaded rows are in the search index as the server's own are.
    pub rare_conversations_found: usize,
    /// How many pages of 50 the deep activity-ordered page is in.
    pub deep_pages_in: u64,
    /// The plain list (`GET conversations?per=50`): every baseline run's figures, the
    /// median by requests per second.
    pub plain: RunFigures,
    /// Each request beside the plain list.
    pub rows: Vec<SearchRow>,
}

/// One request, measured in pairs with the plain list just before it.
#[derive(Debug, serde::Serialize)]
pub struct SearchRow {
    /// Short key (`--only`).
    pub key: &'static str,
    /// What the row is called in the table.
    pub label: &'static str,
    /// Method and path (with the query).
    pub request: String,
    /// The probe's status.
    pub probe_status: u16,
    /// Why it was not measured, when the probe failed.
    pub failure: Option<String>,
    /// Bytes of the answer.
    pub body_bytes: usize,
    /// Conversations on the page (none for counts and pages).
    pub items: Option<usize>,
    /// Its figures in the median pair.
    pub figures: RunFigures,
    /// The plain list's figures in that pair.
    pub plain: RunFigures,
    /// Its requests/s over the plain list's, in that pair.
    pub ratio: f64,
    /// Every pair's ratio, lowest first.
    pub round_ratios: Vec<f64>,
}

impl SearchReport {
    /// The keys of the rows with failed requests or a failed probe.
    pub fn failed(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .rows
            .iter()
            .filter(|r| {
                r.failure.is_some()
                    || r.figures.outcome.errors() > 0
                    || r.plain.outcome.errors() > 0
            })
            .map(|r| format!("search {}", r.key))
            .collect();
        if self.plain.outcome.errors() > 0 {
            out.push("search plain list".to_owned());
        }
        out
    }
}

/// The scenario's Markdown section.
pub fn section(md: &mut String, s: &SearchReport) {
    let _ = writeln!(
        md,
        "Inbox search and ordering: one company, {} conversations, {} messages (loaded in \
         {:.1} s, {:.0} rows/s, search index filled by the store's own triggers or generated \
         columns; `q={}` found {} conversations over every page). Each request runs in pairs \
         with the plain list just before it; the median pair by ratio.\n\n\
         | Request | rows | req/s | p50 ms | p99 ms | CPU µs/req | plain req/s (pair) | ratio | rounds |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        s.spec.conversations,
        s.spec.messages,
        s.load_seconds,
        s.load_rows_per_sec,
        s.rare_word,
        s.rare_conversations_found,
    );
    let p = &s.plain;
    let _ = writeln!(
        md,
        "| GET conversations (plain, per=50; median of every pair) | 50 | {:.0} | {:.2} | {:.2} | {:.1} | | 1.00 | |",
        p.outcome.requests_per_sec,
        p.outcome.p50_ms,
        p.outcome.p99_ms,
        p.total_cpu_us()
    );
    for r in &s.rows {
        if let Some(why) = &r.failure {
            let _ = writeln!(md, "| {} | | {why} | | | | | | |", r.label);
            continue;
        }
        let rounds: Vec<String> = r.round_ratios.iter().map(|x| format!("{x:.2}")).collect();
        let _ = writeln!(
            md,
            "| {} | {} | {:.0} | {:.2} | {:.2} | {:.1} | {:.0} | {:.2} | {} |",
            r.label,
            r.items.map_or(String::new(), |n| n.to_string()),
            r.figures.outcome.requests_per_sec,
            r.figures.outcome.p50_ms,
            r.figures.outcome.p99_ms,
            r.figures.total_cpu_us(),
            r.plain.outcome.requests_per_sec,
            r.ratio,
            rounds.join(" ")
        );
    }
    let _ = writeln!(md);
    for r in &s.rows {
        let _ = writeln!(md, "- `{}`: `{}`", r.key, r.request);
    }
    let _ = writeln!(md);
}
