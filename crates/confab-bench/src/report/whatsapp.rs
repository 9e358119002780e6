//! The whatsapp scenario's figures and their Markdown: Meta's signed webhook events
//! beside the sandbox inbound endpoint, replies paced to the number's limit, and the
//! delivery statuses of those replies.

use std::fmt::Write as _;

use super::telegram::{InboundFigures, OutboundFigures};

/// The whatsapp scenario: both inbound paths on fresh servers, replies, their statuses.
#[derive(Debug, serde::Serialize)]
pub struct WhatsAppReport {
    /// Customers (contacts) the messages come from.
    pub contacts: usize,
    /// Messages per webhook event in the burst (Meta batches one contact's messages).
    pub batch: usize,
    /// Webhook events answered 200 per second in the burst (first post to last answer).
    pub events_per_sec: f64,
    /// Inbound through `/hooks/whatsapp_business/ID`: signature, raw store, intake.
    pub whatsapp: InboundFigures,
    /// Inbound through `POST .../sandbox/inbound` on a `--sandbox` server.
    pub sandbox: InboundFigures,
    /// WhatsApp's stored messages per second over the sandbox's.
    pub stored_ratio: f64,
    /// WhatsApp's webhooks per second over the sandbox's.
    pub webhook_ratio: f64,
    /// WhatsApp's server CPU per message over the sandbox's.
    pub cpu_ratio: f64,
    /// Replies sent through the Graph API fake; `chats` are the recipients and
    /// `bot_limit_per_sec` the number's pace (one message per 13 ms, under Meta's 80/s).
    pub outbound: OutboundFigures,
    /// Sent, delivered and read statuses of those replies.
    pub statuses: StatusFigures,
}

/// Delivery statuses posted as Meta does, one event each, in order per message.
#[derive(Debug, Default, serde::Serialize)]
pub struct StatusFigures {
    /// Messages (replies) the statuses are about.
    pub messages: usize,
    /// Statuses posted (sent, delivered, read per message), one per event.
    pub posted: usize,
    /// Of them, answered other than 200.
    pub post_errors: usize,
    /// Status events answered 200 per second (first post to last answer).
    pub events_per_sec: f64,
    /// Ack changes applied, seen as `message` `ack` webhooks (delivered 2, read 3).
    pub applied: u64,
    /// Ack changes per second, first post to the last such webhook.
    pub applied_per_sec: f64,
    /// Messages whose ack reached read (3).
    pub read: usize,
    /// Server CPU over the phase per status posted (µs).
    pub cpu_us_per_status: f64,
}

/// The scenario's Markdown section.
pub fn section(md: &mut String, w: &WhatsAppReport) {
    let _ = writeln!(
        md,
        "WhatsApp Business inbound (signed webhook events, {} messages each, {:.0} events/s \
         answered 200) beside sandbox inbound, {} customers:\n\n\
         | Inbound path | messages | stored/s | webhooks/s | to stored p50 / p99 ms | \
         to webhook p50 / p99 ms | unloaded: to stored / webhook p50 ms | server CPU µs/message | lost |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        w.batch, w.events_per_sec, w.contacts
    );
    for f in [&w.whatsapp, &w.sandbox] {
        super::telegram::inbound_row(md, f);
    }
    let _ = writeln!(
        md,
        "| ratio whatsapp / sandbox | | {:.2} | {:.2} | | | | {:.2} | |\n",
        w.stored_ratio, w.webhook_ratio, w.cpu_ratio
    );
    let o = &w.outbound;
    let st = &w.statuses;
    let _ = writeln!(
        md,
        "WhatsApp outbound: {} replies over {} recipients, paced by confab to the number's \
         {:.0}/s; then sent, delivered and read statuses for each, one signed event each.\n\n\
         | reached the fake | sends/s | most in any 1 s | number pace /s | ratio | \
         post → sent p50 / p99 ms | post errors |\n\
         | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n\
         | {} of {} | {:.1} | {} | {:.0} | {:.2} | {:.0} / {:.0} | {} |\n\n\
         | statuses posted | events/s (200) | ack changes applied | applied/s | read | \
         server CPU µs/status | post errors |\n\
         | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n\
         | {} | {:.0} | {} | {:.0} | {} of {} | {:.0} | {} |\n",
        o.replies,
        o.chats,
        o.bot_limit_per_sec,
        o.sent,
        o.replies,
        o.sends_per_sec,
        o.most_in_one_second,
        o.bot_limit_per_sec,
        o.ratio,
        o.latency_p50_ms,
        o.latency_p99_ms,
        o.post_errors,
        st.posted,
        st.events_per_sec,
        st.applied,
        st.applied_per_sec,
        st.read,
        st.messages,
        st.cpu_us_per_status,
        st.post_errors,
    );
}
