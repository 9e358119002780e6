//! The telegram scenario's figures and their Markdown: inbound through the Bot API fake
//! beside the sandbox inbound endpoint, and paced outbound sends.

use std::fmt::Write as _;

/// The telegram scenario: both inbound paths on fresh servers, then outbound.
#[derive(Debug, serde::Serialize)]
pub struct TelegramReport {
    /// Customers (chats) the messages are spread over.
    pub chats: usize,
    /// Inbound through the Bot API fake: queued updates, `getUpdates`, the intake worker.
    pub telegram: InboundFigures,
    /// Inbound through `POST .../sandbox/inbound` on a `--sandbox` server.
    pub sandbox: InboundFigures,
    /// Telegram's stored messages per second over the sandbox's.
    pub stored_ratio: f64,
    /// Telegram's webhooks per second over the sandbox's.
    pub webhook_ratio: f64,
    /// Telegram's unloaded p50 latency to the webhook over the sandbox's.
    pub unloaded_webhook_p50_ratio: f64,
    /// Replies sent by `sendMessage` under the fake's rate limits.
    pub outbound: OutboundFigures,
}

/// One inbound path: a burst for throughput, then a slow trickle for latency.
#[derive(Debug, serde::Serialize)]
pub struct InboundFigures {
    /// How the messages came in.
    pub path: String,
    /// As many as possible: all queued at once (Telegram) or `concurrency` requests in
    /// flight (sandbox).
    pub burst: Phase,
    /// At a low fixed rate, so the latency is the path's own, not the queue's.
    pub unloaded: Phase,
    /// Server CPU over the burst (first send to the last webhook) per message.
    pub cpu_us_per_message: f64,
    /// Probe messages seen stored twice (on the event stream), both phases.
    pub duplicate_stored: u64,
    /// Probe webhooks that arrived twice, both phases.
    pub duplicate_webhooks: u64,
}

/// One phase of inbound messages. Latencies run from the message leaving the customer
/// (queued in the fake, or the sandbox request's start) to it being stored (its
/// `message.new` read on the company's event stream) or to its company webhook arriving.
#[derive(Debug, Default, serde::Serialize)]
pub struct Phase {
    /// Messages sent.
    pub sent: usize,
    /// Of them, refused by the fake or answered other than 2xx.
    pub send_errors: usize,
    /// Sandbox requests in flight at once (0: not request-driven, or paced).
    pub concurrency: usize,
    /// Messages per second asked for (0: as fast as possible).
    pub rate_per_sec: f64,
    /// Messages seen stored (on the event stream).
    pub stored: usize,
    /// Messages whose webhook arrived.
    pub webhooks: usize,
    /// Stored messages per second, first send to the last one stored.
    pub stored_per_sec: f64,
    /// Webhooks per second, first send to the last webhook.
    pub webhooks_per_sec: f64,
    /// To stored, p50 (ms).
    pub stored_p50_ms: f64,
    /// To stored, p99 (ms).
    pub stored_p99_ms: f64,
    /// To the webhook, p50 (ms).
    pub webhook_p50_ms: f64,
    /// To the webhook, p99 (ms).
    pub webhook_p99_ms: f64,
    /// Every message was stored and its webhook arrived before the drain time ran out.
    pub drained: bool,
}

impl Phase {
    /// Messages sent successfully that were not stored or whose webhook never came.
    pub fn lost(&self) -> usize {
        let ok = self.sent - self.send_errors;
        ok.saturating_sub(self.stored) + ok.saturating_sub(self.webhooks)
    }
}

/// Replies to many chats, paced by confab under the fake's Telegram limits.
#[derive(Debug, Default, serde::Serialize)]
pub struct OutboundFigures {
    /// Replies posted (`POST .../conversations/ID/messages`).
    pub replies: usize,
    /// Conversations (chats) they went to, round robin.
    pub chats: usize,
    /// Posts answered other than 2xx.
    pub post_errors: usize,
    /// Replies that reached the fake (`sendMessage` answered ok).
    pub sent: usize,
    /// `sendMessage` calls the fake refused (429 under its limits; every chat wrote first).
    pub refused: usize,
    /// Sends per second, the first send to the last.
    pub sends_per_sec: f64,
    /// The most sends within any one second.
    pub most_in_one_second: usize,
    /// Telegram's limit per bot (messages per second).
    pub bot_limit_per_sec: f64,
    /// `sends_per_sec` over the bot limit.
    pub ratio: f64,
    /// From the post's start to the fake accepting the send, p50 (ms).
    pub latency_p50_ms: f64,
    /// The same, p99.
    pub latency_p99_ms: f64,
    /// Seconds from the first post to the last send.
    pub seconds: f64,
}

/// The scenario's Markdown section.
pub fn section(md: &mut String, t: &TelegramReport) {
    let _ = writeln!(
        md,
        "Telegram inbound beside sandbox inbound, {} customers (chats):\n\n\
         | Inbound path | messages | stored/s | webhooks/s | to stored p50 / p99 ms | \
         to webhook p50 / p99 ms | unloaded: to stored / webhook p50 ms | server CPU µs/message | lost |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        t.chats
    );
    for f in [&t.telegram, &t.sandbox] {
        inbound_row(md, f);
    }
    let _ = writeln!(
        md,
        "| ratio telegram / sandbox | | {:.2} | {:.2} | | | webhook p50 {:.2}× | | |\n",
        t.stored_ratio, t.webhook_ratio, t.unloaded_webhook_p50_ratio
    );
    let _ = writeln!(
        md,
        "Burst: Telegram's {} updates are all queued in the Bot API fake at once (confab \
         long-polls `getUpdates`, stores each batch, and an intake worker makes the messages); \
         the sandbox's go as `POST .../sandbox/inbound` with {} in flight. Unloaded: {} \
         messages at {}/s. Latency runs from the customer's send (queued in the fake, or the \
         request's start) to the `message.new` on the company's event stream (stored) or to \
         the company webhook's arrival at a loopback receiver; under the burst it is mostly \
         the queue. CPU: the server's over the burst, per message.\n",
        t.telegram.burst.sent,
        t.sandbox.burst.concurrency,
        t.telegram.unloaded.sent,
        t.telegram.unloaded.rate_per_sec,
    );
    let o = &t.outbound;
    let _ = writeln!(
        md,
        "Telegram outbound: {} replies over {} chats, the fake enforcing 1 message/s per chat \
         and {:.0}/s per bot (429 beyond).\n\n\
         | reached the fake | sends/s | most in any 1 s | bot limit /s | ratio | refused (429) | \
         post → sent p50 / p99 ms | post errors |\n\
         | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n\
         | {} of {} | {:.1} | {} | {:.0} | {:.2} | {} | {:.0} / {:.0} | {} |\n",
        o.replies,
        o.chats,
        o.bot_limit_per_sec,
        o.sent,
        o.replies,
        o.sends_per_sec,
        o.most_in_one_second,
        o.bot_limit_per_sec,
        o.ratio,
        o.refused,
        o.latency_p50_ms,
        o.latency_p99_ms,
        o.post_errors,
    );
}

/// One inbound path's row of the inbound table.
pub fn inbound_row(md: &mut String, f: &InboundFigures) {
    let b = &f.burst;
    let lost = b.lost() + f.unloaded.lost();
    let dup = f.duplicate_stored + f.duplicate_webhooks;
    let lost = if lost > 0 || dup > 0 || b.send_errors > 0 {
        format!("**{lost} ({dup} dup, {} send errors)**", b.send_errors)
    } else {
        "0".to_owned()
    };
    let _ = writeln!(
        md,
        "| {} | {} | {:.0} | {:.0} | {:.1} / {:.1} | {:.1} / {:.1} | {:.1} / {:.1} | {:.0} | {lost} |",
        f.path,
        b.sent,
        b.stored_per_sec,
        b.webhooks_per_sec,
        b.stored_p50_ms,
        b.stored_p99_ms,
        b.webhook_p50_ms,
        b.webhook_p99_ms,
        f.unloaded.stored_p50_ms,
        f.unloaded.webhook_p50_ms,
        f.cpu_us_per_message,
    );
}
