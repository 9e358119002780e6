//! The Markdown form of a report: per store, the endpoint table beside the ceiling, start-up,
//! memory and scaling; then every goal with whether it is met.

use std::fmt::Write as _;

use super::{Report, RunFigures, StoreReport, StreamReport};

/// Renders the whole report.
pub fn render(report: &Report) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# confab-bench {} ({:?} scale, c={}, {} s per run)\n",
        report.date, report.scale, report.connections, report.duration_s
    );
    let _ = writeln!(
        md,
        "Commit {}, {} cores ({}), kernel {}, {} MiB; server RUST_LOG={}{}.\n",
        report.commit,
        report.machine.cores,
        report.machine.cpu,
        report.machine.kernel,
        report.machine.memory_mib,
        report.server_log,
        if report.server_args.is_empty() {
            String::new()
        } else {
            format!(", `{}`", report.server_args.join(" "))
        }
    );
    for store in &report.stores {
        store_section(&mut md, store);
    }
    goals_section(&mut md, report);
    md
}

fn store_section(md: &mut String, store: &StoreReport) {
    let _ = writeln!(md, "## {}\n", store.store);
    if let Some(d) = &store.dataset {
        let _ = writeln!(
            md,
            "Data set: {} companies, {} conversations, {} messages (long conversation: {}); \
             loaded in {:.1} s.\n",
            d.spec.companies,
            d.spec.conversations,
            d.spec.messages,
            d.spec.long_conversation_messages,
            d.load_seconds
        );
    }
    if !store.endpoints.is_empty() {
        endpoints_table(md, store);
        super::postgres::db_ceiling_table(md, store);
    }
    if let Some(s) = &store.scale_out {
        super::postgres::scale_out_table(md, s);
    }
    if let Some(s) = &store.startup {
        let runs: Vec<String> = s.runs_ms.iter().map(|ms| format!("{ms:.0}")).collect();
        let _ = writeln!(
            md,
            "Start-up to a ready `/healthz`: {:.0} ms median ({} ms).\n",
            s.median_ms,
            runs.join(", ")
        );
    }
    if let Some(m) = &store.memory {
        let mib = |kib: u64| kib as f64 / 1024.0;
        let _ = writeln!(
            md,
            "Memory: idle RSS {:.1} MiB (anon {:.1}, file {:.1}); peak under load {}; \
             {:.0} MiB upload +{:.1} MiB RSS in {:.1} s; download +{:.1} MiB RSS in {:.1} s.\n",
            mib(m.idle.rss_kib),
            mib(m.idle.anon_kib),
            mib(m.idle.file_kib),
            m.under_load_peak_kib
                .map_or("not measured".to_owned(), |k| format!("{:.1} MiB", mib(k))),
            m.file_bytes as f64 / (1024.0 * 1024.0),
            mib(m.upload.growth_kib),
            m.upload.seconds,
            mib(m.download.growth_kib),
            m.download.seconds
        );
    }
    if let Some(st) = &store.stream {
        stream_section(md, st);
    }
    if let Some(t) = &store.telegram {
        super::telegram::section(md, t);
    }
    if let Some(w) = &store.whatsapp {
        super::whatsapp::section(md, w);
    }
    if let Some(s) = &store.search {
        super::search::section(md, s);
    }
    if !store.scaling.is_empty() {
        let _ = writeln!(
            md,
            "| Conversations | start-up ms | list req/s | list p50 ms | list p99 ms | details req/s | details p50 ms | details p99 ms | errors |\n\
             | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        );
        for p in &store.scaling {
            let _ = writeln!(
                md,
                "| {} | {:.0} | {:.0} | {:.2} | {:.2} | {:.0} | {:.2} | {:.2} | {} |",
                p.conversations,
                p.startup_ms,
                p.list.outcome.requests_per_sec,
                p.list.outcome.p50_ms,
                p.list.outcome.p99_ms,
                p.details.outcome.requests_per_sec,
                p.details.outcome.p50_ms,
                p.details.outcome.p99_ms,
                p.list.outcome.errors() + p.details.outcome.errors()
            );
        }
        let _ = writeln!(md);
    }
}

fn stream_section(md: &mut String, st: &StreamReport) {
    let mib = |kib: u64| kib as f64 / 1024.0;
    let db =
        |v: Option<f64>, unit: &str| v.map_or(String::new(), |v| format!(" + {v:.1}{unit} db"));
    let _ = writeln!(
        md,
        "Event streams (SSE): {} of {} open in {:.2} s; {} inbound messages at {}/s ({} failed).\n\n\
         | Streams | events delivered | events/s | p50 ms | p99 ms | max ms | p50 / p99 ms after the answer | \
         server CPU µs/event | net of the inbound requests | server cores | RSS MiB (peak) | \
         inbound p50 / p99 ms (no streams) | missing | bench CPU µs/event |\n\
         | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        st.opened, st.streams, st.open_seconds, st.sent, st.rate_per_sec, st.send_errors,
    );
    let missing =
        if st.missing > 0 || st.duplicates > 0 || st.out_of_order > 0 || st.ended_early > 0 {
            format!(
                "**{} ({} streams), {} dup, {} out of order, {} ended**",
                st.missing, st.streams_missing, st.duplicates, st.out_of_order, st.ended_early
            )
        } else {
            "0".to_owned()
        };
    let _ = writeln!(
        md,
        "| {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} / {:.1} | {:.1}{} | {:.1} | {:.2} | {:.1} ({:.1}) | \
         {:.1} / {:.1} ({:.1} / {:.1}) | {missing} | {:.1} |\n",
        st.opened,
        st.events_delivered,
        st.events_per_sec,
        st.latency_p50_ms,
        st.latency_p99_ms,
        st.latency_max_ms,
        st.latency_after_answer_p50_ms,
        st.latency_after_answer_p99_ms,
        st.cpu_us_per_event,
        db(st.db_cpu_us_per_event, ""),
        st.net_cpu_us_per_event,
        st.server_cpu_cores,
        mib(st.rss_after.rss_kib),
        mib(st.rss_peak_kib),
        st.inbound_p50_ms,
        st.inbound_p99_ms,
        st.baseline_inbound_p50_ms,
        st.baseline_inbound_p99_ms,
        st.bench_cpu_us_per_event,
    );
    let _ = writeln!(
        md,
        "Idle with the {} streams open: server {:.1} ms CPU per second{} over {:.0} s ({:.1} ms/s \
         before they opened); RSS {:.1} MiB (anon {:.1}) against {:.1} MiB (anon {:.1}) before \
         they opened: {:.1} KiB per stream.\n",
        st.opened,
        st.idle_cpu_ms_per_sec,
        db(st.idle_db_cpu_ms_per_sec, " ms/s"),
        st.idle_seconds,
        st.no_stream_cpu_ms_per_sec,
        mib(st.rss_idle.rss_kib),
        mib(st.rss_idle.anon_kib),
        mib(st.rss_before_streams.rss_kib),
        mib(st.rss_before_streams.anon_kib),
        st.rss_idle
            .rss_kib
            .saturating_sub(st.rss_before_streams.rss_kib) as f64
            / st.opened.max(1) as f64,
    );
    let _ = writeln!(
        md,
        "Latency: from the inbound request's start (before its commit) to a stream reading the \
         `message.new`, over every stream × message; \"after the answer\" counts from the \
         request's answer instead (after the commit; negative when the event came first). Server \
         CPU µs/event: the server's CPU over the load window per event delivered to all streams \
         together (on PostgreSQL + its processes'); net: less the same sends' CPU with no stream \
         open ({:.1} µs{} per inbound message). Bench CPU: the readers' and sender's own, on the same \
         cores.\n",
        st.baseline_cpu_us_per_send,
        db(st.baseline_db_cpu_us_per_send, " µs"),
    );
    if let Some(why) = &st.open_failure {
        let _ = writeln!(md, "First stream that did not open: {why}\n");
    }
    if let Some(why) = &st.ended_reason {
        let _ = writeln!(md, "First stream that ended early: {why}\n");
    }
}

/// `req/s | p50 | p99 | CPU` of one run; the CPU with PostgreSQL's share beside it.
fn figures(run: &RunFigures) -> String {
    let cpu = match run.db_cpu_us_per_request {
        Some(db) => format!("{:.1} + {db:.1} db", run.cpu_us_per_request),
        None => format!("{:.1}", run.cpu_us_per_request),
    };
    format!(
        "{:.0} | {:.2} | {:.2} | {cpu}",
        run.outcome.requests_per_sec, run.outcome.p50_ms, run.outcome.p99_ms,
    )
}

fn endpoints_table(md: &mut String, store: &StoreReport) {
    let _ = writeln!(
        md,
        "| Endpoint | req/s | p50 ms | p99 ms | CPU µs/req | errors | body B | ceiling req/s | ceiling p50 ms | ceiling p99 ms | ceiling CPU µs/req | ratio | rounds | fdatasync/s | idle before (server) |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for m in &store.endpoints {
        if let Some(why) = &m.failure {
            let _ = writeln!(
                md,
                "| {} | **not measured: {}** | | | | | | | | | | | | | |",
                m.label,
                why.replace('|', "\\|").replace('\n', " ")
            );
            continue;
        }
        let errors = m.confab.outcome.errors() + m.ceiling.outcome.errors();
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {:.2} | {} | {} | {:.0}% ({:.0}%) |",
            m.label,
            figures(&m.confab),
            if errors > 0 {
                format!("**{errors}**")
            } else {
                "0".to_owned()
            },
            m.body_bytes,
            figures(&m.ceiling),
            m.ratio,
            m.round_ratios
                .iter()
                .map(|r| format!("{r:.2}"))
                .collect::<Vec<_>>()
                .join(" "),
            m.fdatasync_per_sec
                .map_or(String::new(), |f| format!("{f:.0}")),
            m.confab.idle_before * 100.0,
            m.confab.server_busy_before * 100.0
        );
    }
    let _ = writeln!(
        md,
        "\nCPU µs/req: the server process's user + system time per request, from /proc \
         (on PostgreSQL, + its processes'). Ratio: confab's req/s over the ceiling's (a bare \
         axum route answering confab's body). Rounds: the ratio of each pair of runs (confab, \
         then the ceiling), lowest first; the row shows the median pair. fdatasync/s: 4 KiB write + fdatasync rounds \
         on the data dir's disk just before the run. Idle before: the machine's idle share \
         just before the confab run; in brackets the server's own CPU then (% of a core: \
         leftover work that its CPU figure includes). Errors: non-2xx and socket errors of \
         both runs.\n"
    );
    let spread: Vec<String> = store
        .endpoints
        .iter()
        .filter_map(|m| Some(format!("{} over {}", m.key, m.spread_over?)))
        .collect();
    if !spread.is_empty() {
        let _ = writeln!(
            md,
            "Spread requests go to one conversation after another, each wrk thread starting \
             elsewhere in the list: {} conversations.\n",
            spread.join(", ")
        );
    }
}

fn goals_section(md: &mut String, report: &Report) {
    let _ = writeln!(
        md,
        "## Goals\n\n| Goal | Store | Measured | Met |\n| --- | --- | --- | --- |"
    );
    for store in &report.stores {
        for g in &store.goals {
            let met = match g.met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "–",
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {met} |",
                g.goal, store.store, g.measured
            );
        }
    }
}
