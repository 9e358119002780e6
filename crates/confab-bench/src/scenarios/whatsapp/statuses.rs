//! Delivery statuses of the replies, as Meta posts them: for each reply's wamid a `sent`,
//! a `delivered` and a `read` event, one status each, in that order (each posted once
//! the one before was answered), several replies' at once. confab applies the changes
//! beyond "sent" (its own send already set that ack) and announces each as a `message`
//! `ack` webhook, which the rig's receiver counts.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use confab_fakes::whatsapp::events::{self, SIGNATURE_HEADER};
use tokio::sync::Semaphore;

use super::outbound::Accepted;
use crate::procfs;
use crate::report::whatsapp::StatusFigures;
use crate::scenarios::Ctx;
use crate::scenarios::messenger::inbound::Source;
use crate::scenarios::messenger::rig::Rig;
use crate::sse::micros_since;

/// Meta's statuses of a message, in the order it sends them.
const STATUSES: [&str; 3] = ["sent", "delivered", "read"];
/// How often the applied acks are looked at while waiting.
const POLL: Duration = Duration::from_millis(5);

/// Posts the statuses of `accepted` through `source` (the WhatsApp hook) and measures
/// how fast confab applied them.
pub async fn measure(
    ctx: &Ctx,
    rig: &Rig,
    source: &Source<'_>,
    accepted: &[Accepted],
    epoch: Instant,
) -> anyhow::Result<StatusFigures> {
    let Source::WhatsApp {
        client,
        url,
        app_secret,
        business,
        ..
    } = source
    else {
        anyhow::bail!("statuses go to a WhatsApp Business hook");
    };
    let applied_before = rig.receiver.acks().applied;
    let in_flight = Arc::new(Semaphore::new(ctx.settings.load.connections as usize));
    let pid = rig.server.pid;
    let ticks = procfs::cpu_ticks(pid)?;
    let first_us = micros_since(epoch);
    let mut tasks = tokio::task::JoinSet::new();
    for reply in accepted {
        let requests = STATUSES
            .iter()
            .map(|status| {
                let body = business.statuses(vec![events::status(&reply.wamid, status, &reply.to)]);
                let raw = serde_json::to_vec(&body)?;
                Ok(client
                    .post(url)
                    .header("content-type", "application/json")
                    .header(SIGNATURE_HEADER, events::signature(app_secret, &raw))
                    .body(raw))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let permit = in_flight.clone().acquire_owned().await?;
        tasks.spawn(async move {
            let mut errors = 0;
            for request in requests {
                let ok = match request.send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                errors += usize::from(!ok);
            }
            drop(permit);
            errors
        });
    }
    let mut post_errors = 0;
    while let Some(joined) = tasks.join_next().await {
        post_errors += joined.context("a status task panicked")?;
    }
    let answered_us = micros_since(epoch);
    let deadline = Instant::now() + ctx.settings.telegram_drain;
    while rig.receiver.acks().read.len() < accepted.len() && Instant::now() < deadline {
        tokio::time::sleep(POLL).await;
    }
    let cpu_secs = procfs::cpu_ticks(pid)?.saturating_sub(ticks) as f64 / ctx.ticks_per_sec as f64;
    let acks = rig.receiver.acks();
    let posted = accepted.len() * STATUSES.len();
    let applied = acks.applied.saturating_sub(applied_before);
    let per_sec = |n: f64, until_us: u32| {
        let secs = f64::from(until_us.saturating_sub(first_us)) / 1e6;
        if secs > 0.0 { n / secs } else { 0.0 }
    };
    let figures = StatusFigures {
        messages: accepted.len(),
        posted,
        post_errors,
        events_per_sec: per_sec((posted - post_errors) as f64, answered_us),
        applied,
        applied_per_sec: per_sec(applied as f64, acks.last_us),
        read: acks.read.len(),
        cpu_us_per_status: cpu_secs * 1e6 / posted.max(1) as f64,
    };
    eprintln!(
        "   {} statuses posted at {:.0} events/s ({} errors); {} ack changes applied at {:.0}/s; \
         {} of {} read; {:.0} µs server CPU per status",
        figures.posted,
        figures.events_per_sec,
        figures.post_errors,
        figures.applied,
        figures.applied_per_sec,
        figures.read,
        figures.messages,
        figures.cpu_us_per_status
    );
    Ok(figures)
}
