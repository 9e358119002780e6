//! WhatsApp Business (Meta's Cloud API) through a loopback fake of the Graph API, beside
//! the sandbox inbound path.
//!
//! Two fresh servers, one after the other, each with a company whose webhooks go to a
//! loopback receiver and the company's event stream open: one without `--sandbox`, its
//! WhatsApp Business channel's Graph API the fake, Meta's webhook events (signed, several
//! messages of one customer each) posted to its `/hooks/whatsapp_business/ID`; one with
//! it, the same messages posted to `.../sandbox/inbound`. Each gets a burst (the
//! throughput) and a trickle (the unloaded latency), as in the telegram scenario. Then
//! the WhatsApp server replies to every customer (the number's pacing), and the bench
//! posts sent, delivered and read statuses for each reply's wamid (the acks).

mod outbound;
mod statuses;

use std::time::Instant;

use anyhow::Context as _;
use confab_fakes::whatsapp::FakeWhatsApp;
use confab_fakes::whatsapp::events::Business;

use super::Ctx;
use super::messenger::inbound::{self, Source};
use super::messenger::rig::{Messenger, Rig};
use super::messenger::runs::{self, Plan};
use crate::dataset::Target;
use crate::report::WhatsAppReport;

/// A system-user access token (the shape Meta hands out).
const TOKEN: &str = "EAAGbenchSystemUserToken0123456789";
/// The business number's id.
const PHONE_ID: &str = "106540352242922";
/// The WhatsApp Business Account.
const WABA: &str = "102290129340398";
/// The Meta app's secret, which signs the webhook events.
const APP_SECRET: &str = "5f2b1c0e9d8a7b6c5f2b1c0e9d8a7b6c";

/// Runs the scenario on `target` (a fresh data dir, or the emptied PostgreSQL database).
pub async fn measure(ctx: &Ctx, store: &str, target: &Target) -> anyhow::Result<WhatsAppReport> {
    let s = &ctx.settings;
    let fake = FakeWhatsApp::start()
        .await
        .context("starting the Graph API fake")?;
    fake.add_number(PHONE_ID, WABA, TOKEN);
    let epoch = Instant::now();
    let plan = Plan::of(ctx);

    eprintln!(
        "-- whatsapp: {} messages from {} customers as signed webhook events, {} each",
        plan.messages, plan.chats, s.whatsapp_batch
    );
    let api_url = fake.base_url();
    let form = [
        ("provider", "whatsapp_business"),
        ("hosting_type", "cloud"),
        ("token", TOKEN),
        ("phone_number_id", PHONE_ID),
        ("waba_id", WABA),
        ("app_secret", APP_SECRET),
    ];
    let messenger = Messenger::WhatsApp {
        api_url: &api_url,
        form: &form,
    };
    let label = format!("{store}-whatsapp");
    let rig = Rig::start(ctx, (&label, target), &messenger, plan.probes(), epoch).await?;
    let source = Source::WhatsApp {
        client: &ctx.client,
        url: format!("{}/hooks/whatsapp_business/{}", rig.base, rig.channel),
        app_secret: APP_SECRET,
        business: Business::new(WABA, PHONE_ID),
        batch: s.whatsapp_batch,
    };
    let result = async {
        let runs = runs::inbound_runs(ctx, &plan, &rig, &source, epoch).await?;
        let events_per_sec = inbound::accepted_per_sec(&runs.burst, s.whatsapp_batch);
        eprintln!(
            "-- whatsapp: {} replies over the customers, paced by confab",
            s.whatsapp_replies
        );
        let (out, sent) =
            outbound::measure(&rig, &ctx.client, &fake, s.whatsapp_replies, epoch).await?;
        eprintln!(
            "-- whatsapp: sent, delivered and read statuses of {} replies",
            sent.len()
        );
        let statuses = statuses::measure(ctx, &rig, &source, &sent, epoch).await?;
        Ok::<_, anyhow::Error>((runs, events_per_sec, out, statuses))
    }
    .await;
    let seen = rig.stop().await?;
    let (runs, events_per_sec, outbound, statuses) = result?;
    let whatsapp = runs::figures(
        &plan,
        "WhatsApp Business (POST /hooks/whatsapp_business/ID, signed)",
        &runs,
        &seen,
    );
    drop(fake);

    eprintln!("-- whatsapp: the same messages through the sandbox inbound endpoint");
    let label = format!("{store}-whatsapp-sandbox");
    let sandbox = runs::sandbox(ctx, &plan, (&label, target), epoch).await?;
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    Ok(WhatsAppReport {
        contacts: plan.chats,
        batch: s.whatsapp_batch,
        events_per_sec,
        stored_ratio: ratio(whatsapp.burst.stored_per_sec, sandbox.burst.stored_per_sec),
        webhook_ratio: ratio(
            whatsapp.burst.webhooks_per_sec,
            sandbox.burst.webhooks_per_sec,
        ),
        cpu_ratio: ratio(whatsapp.cpu_us_per_message, sandbox.cpu_us_per_message),
        whatsapp,
        sandbox,
        outbound,
        statuses,
    })
}
