//! Inbox search and ordering beside the plain conversations list, on one company's data
//! set with text to search in ([`Content::Search`](crate::load::Content::Search)).
//!
//! Every request is measured in pairs with the plain list (`GET conversations?per=50`)
//! run just before it, and reported as the ratio of the two: on this shared machine the
//! absolute figures drift between runs, the ratio within a pair much less.

use anyhow::Context as _;

use super::{Ctx, Subject};
use crate::api;
use crate::dataset::{Dataset, Target};
use crate::endpoints::{TOKEN_HEADER, encode};
use crate::load::{RARE_HITS, RARE_WORD};
use crate::report::RunFigures;
use crate::report::search::{SearchReport, SearchRow};
use crate::server::Server;
use crate::session;
use crate::wrk::{Body, Request};

/// The keys of the measured requests (`--only`); the plain list runs whenever any does.
pub const KEYS: &[&str] = &[
    "last_first",
    "last_deep",
    "q_common",
    "q_rare",
    "q_name",
    "q_phone",
    "q_last",
    "unassigned",
    "awaiting",
    "meta",
    "page",
];

/// A word in about one message in twenty.
const COMMON_WORD: &str = "delivery";
/// The start of a first name about one contact in forty has (Светлана).
const NAME_PREFIX: &str = "Светл";
/// Leading digits of a contact's phone taken for the phone search.
const PHONE_PREFIX_DIGITS: usize = 7;
/// How far through the activity-ordered list the deep page is.
const DEEP_FRACTION: f64 = 0.9;

/// The operator page measured with a session cookie: the inbox of the company (`{cid}`),
/// its whole first page as a browser loads it (list, counts, channels, members).
const OPERATOR_PAGE: &str = "/c/{cid}";

/// Whether the run asks for any of this scenario's requests.
pub fn wanted(only: &[String]) -> bool {
    only.is_empty() || only.iter().any(|k| KEYS.contains(&k.as_str()))
}

/// One measured request.
struct Probe {
    key: &'static str,
    label: &'static str,
    request: Request,
}

/// Loads (or reuses) the search data set on `target`, starts confab on it and measures.
pub async fn measure(ctx: &Ctx, store: &str, target: &Target) -> anyhow::Result<SearchReport> {
    let prepared = super::datasets::search(ctx, store, target).await?;
    let result = async {
        // Before the server starts: setting a password ends the user's sessions.
        session::set_password(&prepared.dataset).await?;
        let server = ctx.start_server(&prepared.dataset).await?;
        let result = measure_on(ctx, &prepared.dataset, &server).await;
        server.stop().await?;
        result
    }
    .await;
    prepared.discard()?;
    result
}

/// A `GET` of the measured company's `path` with the API token.
fn api_get(dataset: &Dataset, path: String) -> Request {
    Request {
        method: "GET",
        path,
        headers: vec![(TOKEN_HEADER.to_owned(), dataset.token.clone())],
        body: Body::None,
    }
}

async fn measure_on(ctx: &Ctx, d: &Dataset, server: &Server) -> anyhow::Result<SearchReport> {
    let base = server.base();
    let list = format!("/p1/companies/{}/conversations", d.company_id);
    let rare_found = check_index(ctx, d, &base).await?;
    eprintln!("-- search: q={RARE_WORD} finds {rare_found} conversations");

    let pages = d.spec.conversations.div_ceil(50);
    let pages_in = (pages as f64 * DEEP_FRACTION).floor() as u64;
    eprintln!("-- search: walking {pages_in} pages of order=last_message for a deep token");
    let deep = api::deep_page_token_of(
        &ctx.client,
        &base,
        &d.token,
        d.company_id,
        "&order=last_message",
        pages_in,
    )
    .await
    .context("walking the activity-ordered list to a deep page")?;
    // A contact in the middle of the list: its phone's leading digits, as the server has it.
    let middle = (d.spec.conversations / 2).max(1).cast_signed();
    let phone = api::conversation_sender(&ctx.client, &base, &d.token, d.company_id, middle)
        .await
        .context("reading a contact's phone")?;
    let phone_prefix: String = phone.chars().take(PHONE_PREFIX_DIGITS).collect();
    let cookie = session::login(&base).await.context("logging in")?;

    let q = |words: &str| encode(words);
    let mut probes = vec![
        Probe {
            key: "last_first",
            label: "order=last_message, page 1",
            request: api_get(d, format!("{list}?per=50&order=last_message")),
        },
        Probe {
            key: "q_common",
            label: "q, a common word",
            request: api_get(d, format!("{list}?per=50&q={}", q(COMMON_WORD))),
        },
        Probe {
            key: "q_rare",
            label: "q, a rare word",
            request: api_get(d, format!("{list}?per=50&q={}", q(RARE_WORD))),
        },
        Probe {
            key: "q_name",
            label: "q, a name prefix",
            request: api_get(d, format!("{list}?per=50&q={}", q(NAME_PREFIX))),
        },
        Probe {
            key: "q_phone",
            label: "q, a phone prefix",
            request: api_get(d, format!("{list}?per=50&q={}", q(&phone_prefix))),
        },
        Probe {
            key: "q_last",
            label: "q (common word) + order=last_message",
            request: api_get(
                d,
                format!("{list}?per=50&order=last_message&q={}", q(COMMON_WORD)),
            ),
        },
        Probe {
            key: "unassigned",
            label: "assignee_id=none",
            request: api_get(d, format!("{list}?per=50&assignee_id=none")),
        },
        Probe {
            key: "awaiting",
            label: "awaiting_reply=true",
            request: api_get(d, format!("{list}?per=50&awaiting_reply=true")),
        },
        Probe {
            key: "meta",
            label: "GET conversations/meta (tab counts)",
            request: api_get(d, format!("{list}/meta")),
        },
        Probe {
            key: "page",
            label: "operator page (session cookie)",
            request: session::page_request(
                OPERATOR_PAGE.replace("{cid}", &d.company_id.to_string()),
                &cookie,
            ),
        },
    ];
    match &deep {
        Some(token) => probes.insert(
            1,
            Probe {
                key: "last_deep",
                label: "order=last_message, deep page",
                request: api_get(
                    d,
                    format!("{list}?per=50&order=last_message&from={}", encode(token)),
                ),
            },
        ),
        None => eprintln!("the activity-ordered list has no page {pages_in}: no deep run"),
    }
    let only = &ctx.settings.only;
    probes.retain(|p| only.is_empty() || only.iter().any(|k| k == p.key));

    let plain = api_get(d, format!("{list}?per=50"));
    let mut plain_runs = Vec::new();
    let mut rows = Vec::new();
    for probe in &probes {
        eprintln!("-- search: {}", probe.label);
        let row = measure_one(ctx, d, server, &plain, probe, &mut plain_runs)
            .await
            .with_context(|| format!("measuring {}", probe.label))?;
        eprintln!(
            "   {:.0} req/s (plain list {:.0}, ratio {:.2}), p50 {:.2} ms, p99 {:.2} ms, {} errors",
            row.figures.outcome.requests_per_sec,
            row.plain.outcome.requests_per_sec,
            row.ratio,
            row.figures.outcome.p50_ms,
            row.figures.outcome.p99_ms,
            row.figures.outcome.errors()
        );
        rows.push(row);
    }
    plain_runs.sort_by(|a, b| {
        a.outcome
            .requests_per_sec
            .total_cmp(&b.outcome.requests_per_sec)
    });
    let plain = plain_runs
        .get(plain_runs.len() / 2)
        .copied()
        .unwrap_or_default();
    Ok(SearchReport {
        spec: d.spec,
        load_seconds: d.load_seconds,
        load_rows_per_sec: if d.load_seconds > 0.0 {
            (d.spec.conversations + d.spec.messages) as f64 / d.load_seconds
        } else {
            0.0
        },
        rare_word: RARE_WORD.to_owned(),
        rare_conversations_found: rare_found,
        deep_pages_in: if deep.is_some() { pages_in } else { 0 },
        plain,
        rows,
    })
}

/// Checks that the loaded rows are searchable the way the server's own writes are: the
/// rare word's search finds conversations (walking every page), and one of them holds a
/// message with the word. Returns how many conversations it found.
async fn check_index(ctx: &Ctx, d: &Dataset, base: &str) -> anyhow::Result<usize> {
    let list = format!("/p1/companies/{}/conversations", d.company_id);
    let mut found = Vec::new();
    let mut from: Option<String> = None;
    loop {
        let mut path = format!("{list}?per=100&q={}", encode(RARE_WORD));
        if let Some(f) = &from {
            path.push_str(&format!("&from={}", encode(f)));
        }
        let data = api::get_data(&ctx.client, base, &d.token, &path).await?;
        let page = data
            .get("conversations")
            .and_then(serde_json::Value::as_array)
            .ok_or_else(|| anyhow::anyhow!("GET {path} has no data.conversations"))?;
        found.extend(
            page.iter()
                .filter_map(|c| c.get("external_id").and_then(serde_json::Value::as_i64)),
        );
        match data.get("next_page").and_then(serde_json::Value::as_str) {
            Some(next) => from = Some(next.to_owned()),
            None => break,
        }
    }
    anyhow::ensure!(
        !found.is_empty() && found.len() as u64 <= RARE_HITS,
        "q={RARE_WORD} found {} conversations; the loader put it in up to {RARE_HITS} messages: \
         the loaded rows are not in the search index as the server's are",
        found.len()
    );
    // An ordinary conversation has a dozen messages: one page holds them all.
    let conversation = found
        .iter()
        .copied()
        .find(|&id| id != d.long_conversation_id)
        .unwrap_or(found[0]);
    let path = format!("{list}/{conversation}/messages?per=100");
    let data = api::get_data(&ctx.client, base, &d.token, &path).await?;
    let holds = data
        .get("messages")
        .and_then(serde_json::Value::as_array)
        .is_some_and(|messages| {
            messages.iter().any(|m| {
                m.get("message")
                    .and_then(serde_json::Value::as_str)
                    .is_some_and(|text| text.to_lowercase().contains(RARE_WORD))
            })
        });
    anyhow::ensure!(
        holds || conversation == d.long_conversation_id,
        "q={RARE_WORD} found conversation {conversation}, but none of its messages holds it"
    );
    Ok(found.len())
}

/// One request: a probe, then pairs of runs (the plain list, then it); the median pair by
/// ratio is reported. Every plain run is added to `plain_runs`.
async fn measure_one(
    ctx: &Ctx,
    d: &Dataset,
    server: &Server,
    plain: &Request,
    probe: &Probe,
    plain_runs: &mut Vec<RunFigures>,
) -> anyhow::Result<SearchRow> {
    let request = &probe.request;
    let mut row = SearchRow {
        key: probe.key,
        label: probe.label,
        request: format!("{} {}", request.method, request.path),
        probe_status: 0,
        failure: None,
        body_bytes: 0,
        items: None,
        figures: RunFigures::default(),
        plain: RunFigures::default(),
        ratio: 0.0,
        round_ratios: Vec::new(),
    };
    let (status, body) = api::probe(&ctx.client, &server.base(), request).await?;
    row.probe_status = status;
    row.body_bytes = body.len();
    row.items = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            v.pointer("/data/conversations")
                .and_then(serde_json::Value::as_array)
                .map(Vec::len)
        });
    // A redirect (to /login) would measure the redirect, not the page.
    if status != 200 {
        let text = String::from_utf8_lossy(&body);
        let why = format!(
            "probe answered {status}: {}",
            text.chars().take(300).collect::<String>()
        );
        eprintln!("   {why}");
        row.failure = Some(why);
        return Ok(row);
    }
    let subject = Subject::confab(server, d);
    let load = ctx.settings.load;
    let mut pairs = Vec::new();
    for _ in 0..ctx.settings.rounds {
        let (base_run, _) = ctx.measured_run(&subject, plain, load, None).await?;
        let (run, _) = ctx.measured_run(&subject, request, load, None).await?;
        plain_runs.push(base_run);
        let ratio = if base_run.outcome.requests_per_sec > 0.0 {
            run.outcome.requests_per_sec / base_run.outcome.requests_per_sec
        } else {
            0.0
        };
        pairs.push((ratio, run, base_run));
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    row.round_ratios = pairs.iter().map(|p| p.0).collect();
    let (ratio, run, base_run) = pairs.swap_remove(pairs.len() / 2);
    row.ratio = ratio;
    row.figures = run;
    row.plain = base_run;
    Ok(row)
}
