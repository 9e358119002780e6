//! The goals (at c=64 on the 2-core machine), checked against one store's figures.

use super::{Measurement, StoreReport};

/// One goal and whether this run met it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Check {
    /// What is asked.
    pub goal: String,
    /// What was measured.
    pub measured: String,
    /// Met, missed, or `None` when this run did not measure it.
    pub met: Option<bool>,
}

fn check(goal: &str, measured: Option<(String, bool)>) -> Check {
    let (measured, met) = match measured {
        Some((text, met)) => (text, Some(met)),
        None => ("not measured".to_owned(), None),
    };
    Check {
        goal: goal.to_owned(),
        measured,
        met,
    }
}

/// The measured endpoint `key`, if it ran.
fn endpoint<'a>(store: &'a StoreReport, key: &str) -> Option<&'a Measurement> {
    store
        .endpoints
        .iter()
        .find(|m| m.key == key && m.failure.is_none())
}

/// Bytes in a MiB.
const MIB: f64 = 1024.0 * 1024.0;

/// Checks every goal against `store`.
pub fn check_all(store: &StoreReport) -> Vec<Check> {
    let details = endpoint(store, "details");
    let first = endpoint(store, "list_first");
    let deep = endpoint(store, "list_deep");
    let send = endpoint(store, "send");
    let mut checks = vec![
        check(
            "details ≥ 0.5 of the ceiling",
            details.map(|m| (format!("{:.2}", m.ratio), m.ratio >= 0.5)),
        ),
        check(
            "details server CPU ≤ 20 µs/request (with the database's, on PostgreSQL)",
            details.map(|m| {
                let cpu = m.confab.total_cpu_us();
                (format!("{cpu:.1} µs"), cpu <= 20.0)
            }),
        ),
        check(
            "details p99 ≤ 5 ms",
            details.map(|m| {
                let p99 = m.confab.outcome.p99_ms;
                (format!("{p99:.2} ms"), p99 <= 5.0)
            }),
        ),
    ];
    for (name, m) in [("page 1", first), ("deep page", deep)] {
        checks.push(check(
            &format!("list per=50 ({name}) ≥ 0.4 of a same-size static list"),
            m.map(|m| (format!("{:.2}", m.ratio), m.ratio >= 0.4)),
        ));
        checks.push(check(
            &format!("list per=50 ({name}) p99 ≤ 10 ms"),
            m.map(|m| {
                let p99 = m.confab.outcome.p99_ms;
                (format!("{p99:.2} ms"), p99 <= 10.0)
            }),
        ));
    }
    let scaling = match (store.scaling.first(), store.scaling.last()) {
        (Some(small), Some(large))
            if store.scaling.len() > 1 && small.list.outcome.p50_ms > 0.0 =>
        {
            let factor = large.list.outcome.p50_ms / small.list.outcome.p50_ms;
            Some((
                format!(
                    "{:.2} ms at {} / {:.2} ms at {} = {factor:.2}×",
                    large.list.outcome.p50_ms,
                    large.conversations,
                    small.list.outcome.p50_ms,
                    small.conversations
                ),
                factor <= 1.5,
            ))
        }
        _ => None,
    };
    checks.push(check(
        "list p50 at the largest size ≤ 1.5× its p50 at the smallest",
        scaling,
    ));
    checks.push(check(
        "durable sends ≥ 1× the same run's fdatasync rate",
        send.and_then(|m| {
            let fsync = m.fdatasync_per_sec?;
            let rate = m.confab.outcome.requests_per_sec;
            Some((
                format!(
                    "{rate:.0}/s vs {fsync:.0} fdatasync/s = {:.2}×",
                    rate / fsync
                ),
                rate >= fsync,
            ))
        }),
    ));
    let memory = store.memory.as_ref();
    checks.push(check(
        "idle RSS ≤ 30 MiB",
        memory.map(|m| {
            let mib = m.idle.rss_kib as f64 / 1024.0;
            (format!("{mib:.1} MiB"), mib <= 30.0)
        }),
    ));
    for (name, transfer) in [
        ("upload", memory.map(|m| (&m.upload, m.file_bytes))),
        ("download", memory.map(|m| (&m.download, m.file_bytes))),
    ] {
        checks.push(check(
            &format!("a 1 GB {name} grows RSS by ≤ 50 MiB"),
            transfer.map(|(t, bytes)| {
                let mib = t.growth_kib as f64 / 1024.0;
                (
                    format!("+{mib:.1} MiB ({:.0} MiB file)", bytes as f64 / MIB),
                    mib <= 50.0,
                )
            }),
        ));
    }
    checks.push(check(
        "start-up to a ready /healthz ≤ 200 ms",
        store.startup.as_ref().map(|s| {
            (
                format!("{:.0} ms (median of {})", s.median_ms, s.runs_ms.len()),
                s.median_ms <= 200.0,
            )
        }),
    ));
    let mut failed: Vec<String> = store
        .endpoints
        .iter()
        .filter(|m| {
            m.failure.is_some() || m.confab.outcome.errors() > 0 || m.ceiling.outcome.errors() > 0
        })
        .map(|m| m.key.to_owned())
        .collect();
    failed.extend(
        store
            .endpoints
            .iter()
            .filter(|m| {
                m.db_ceiling
                    .as_ref()
                    .is_some_and(|db| db.figures.outcome.errors() > 0)
            })
            .map(|m| format!("{} (PostgreSQL ceiling)", m.key)),
    );
    if let Some(search) = &store.search {
        failed.extend(search.failed());
    }
    if let Some(scale_out) = &store.scale_out {
        failed.extend(
            scale_out
                .runs
                .iter()
                .filter(|r| r.errors > 0)
                .map(|r| format!("scale-out {} on {} node(s)", r.kind, r.nodes)),
        );
    }
    for point in &store.scaling {
        for (name, run) in [("list", &point.list), ("details", &point.details)] {
            if run.outcome.errors() > 0 {
                failed.push(format!("{name} at {}", point.conversations));
            }
        }
    }
    checks.push(check(
        "every stream got every message once, in order",
        store.stream.as_ref().map(|st| {
            let ok = st.opened == st.streams
                && st.send_errors == 0
                && st.missing == 0
                && st.duplicates == 0
                && st.out_of_order == 0
                && st.ended_early == 0;
            let text = if ok {
                format!("{} streams × {} messages", st.opened, st.sent)
            } else {
                format!(
                    "{} of {} open, {} sends failed, {} missing on {} streams, {} duplicates, \
                     {} out of order, {} ended early",
                    st.opened,
                    st.streams,
                    st.send_errors,
                    st.missing,
                    st.streams_missing,
                    st.duplicates,
                    st.out_of_order,
                    st.ended_early
                )
            };
            (text, ok)
        }),
    ));
    checks.push(check(
        "every telegram and sandbox inbound message stored and its webhook delivered once",
        store.telegram.as_ref().map(|t| {
            let phases = [
                &t.telegram.burst,
                &t.telegram.unloaded,
                &t.sandbox.burst,
                &t.sandbox.unloaded,
            ];
            let sent: usize = phases.iter().map(|p| p.sent).sum();
            let errors: usize = phases.iter().map(|p| p.send_errors).sum();
            let lost: usize = phases.iter().map(|p| p.lost()).sum();
            let dup: u64 = [&t.telegram, &t.sandbox]
                .iter()
                .map(|f| f.duplicate_stored + f.duplicate_webhooks)
                .sum();
            let ok = errors == 0 && lost == 0 && dup == 0;
            (
                format!("{sent} messages, {errors} send errors, {lost} lost, {dup} duplicates"),
                ok,
            )
        }),
    ));
    checks.push(check(
        "telegram replies all sent, paced under the bot limit (no 429)",
        store.telegram.as_ref().map(|t| {
            let o = &t.outbound;
            (
                format!(
                    "{} of {} sent at {:.1}/s ({:.2} of {:.0}/s), {} refused with 429",
                    o.sent, o.replies, o.sends_per_sec, o.ratio, o.bot_limit_per_sec, o.refused
                ),
                o.sent == o.replies && o.refused == 0,
            )
        }),
    ));
    checks.push(check(
        "every whatsapp and sandbox inbound message stored and its webhook delivered once, \
         every reply sent and every status's ack reached",
        store.whatsapp.as_ref().map(|w| {
            let phases = [
                &w.whatsapp.burst,
                &w.whatsapp.unloaded,
                &w.sandbox.burst,
                &w.sandbox.unloaded,
            ];
            let sent: usize = phases.iter().map(|p| p.sent).sum();
            let errors: usize = phases.iter().map(|p| p.send_errors).sum();
            let lost: usize = phases.iter().map(|p| p.lost()).sum();
            let dup: u64 = [&w.whatsapp, &w.sandbox]
                .iter()
                .map(|f| f.duplicate_stored + f.duplicate_webhooks)
                .sum();
            let (o, st) = (&w.outbound, &w.statuses);
            let ok = errors == 0
                && lost == 0
                && dup == 0
                && o.post_errors == 0
                && o.sent == o.replies
                && st.post_errors == 0
                && st.read == st.messages
                && st.messages == o.replies;
            (
                format!(
                    "{sent} messages, {errors} send errors, {lost} lost, {dup} duplicates; \
                     {} of {} replies sent; {} of {} read, {} status post errors",
                    o.sent, o.replies, st.read, st.messages, st.post_errors
                ),
                ok,
            )
        }),
    ));
    checks.push(check(
        "every request answered 2xx",
        (!store.endpoints.is_empty()
            || !store.scaling.is_empty()
            || store.search.is_some()
            || store.scale_out.is_some())
        .then(|| {
            if failed.is_empty() {
                ("no errors".to_owned(), true)
            } else {
                (format!("errors in: {}", failed.join(", ")), false)
            }
        }),
    ));
    checks
}
