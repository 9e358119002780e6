//! `confab events tail` and `confab listen`: a company's event stream printed as it
//! happens, or forwarded to a local endpoint as the signed webhooks confab would send.

use std::time::{Duration, SystemTime};

use anyhow::Context;
use clap::{Args, Subcommand};
use confab_client::{Client, Event, EventOptions, StreamEvent};
use futures_util::StreamExt;
use serde_json::{Value, json};

use super::args::Connection;

/// How long the receiver of `confab listen` may take to answer one forward.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest text of a message shown in a `tail` line.
const SUMMARY_TEXT: usize = 60;

/// Which events of which company: shared by `events tail` and `listen`.
#[derive(Debug, Clone, Args)]
pub struct Selection {
    /// Company id.
    #[arg(long)]
    pub company: i64,
    /// Only these events, comma-separated: message.new, message.ack, conversation.new,
    /// conversation.update, conversation.assign, job.executed, qr_code.new, system.
    #[arg(long, value_delimiter = ',', value_name = "TYPES")]
    pub types: Vec<String>,
    /// Only the events of this conversation.
    #[arg(long)]
    pub conversation: Option<i64>,
    /// Start after this event id (replays the kept events after it); from now on without.
    #[arg(long, value_name = "EVENT_ID")]
    pub after: Option<String>,
}

impl Selection {
    fn options(&self) -> EventOptions {
        let mut options = EventOptions::new().types(self.types.iter().cloned());
        if let Some(conversation) = self.conversation {
            options = options.conversation(conversation);
        }
        if let Some(after) = &self.after {
            options = options.after(after);
        }
        options
    }
}

/// `confab events ...`
#[derive(Debug, Subcommand)]
pub enum Events {
    /// Print a company's events as they happen (until Ctrl-C); with --json one object
    /// per line: {"id", "event", "data"}.
    Tail(Selection),
}

/// `confab listen`: forward a company's events to a local endpoint, signed as webhooks.
#[derive(Debug, Args)]
pub struct Listen {
    #[command(flatten)]
    pub selection: Selection,
    /// Where to POST each event, e.g. http://localhost:3000/hook.
    #[arg(long, value_name = "URL")]
    pub forward_to: String,
}

/// Runs `confab events tail`.
pub async fn events(client: &Client, conn: &Connection, command: Events) -> anyhow::Result<()> {
    match command {
        Events::Tail(selection) => tail(client, conn, &selection).await,
    }
}

async fn tail(client: &Client, conn: &Connection, selection: &Selection) -> anyhow::Result<()> {
    let mut stream = client.events_with(selection.company, selection.options());
    while let Some(item) = stream.next().await {
        match item? {
            StreamEvent::Event(event) => {
                if conn.json {
                    let line = json!({"id": event.id, "event": event.event, "data": event.data});
                    println!("{}", serde_json::to_string(&line)?);
                } else {
                    println!(
                        "{}  {:>6}  {:<19}  {}",
                        clock(),
                        event.id,
                        event.event,
                        summary(&event)
                    );
                }
            }
            other => notice(conn, &other),
        }
    }
    Ok(())
}

/// Runs `confab listen`.
pub async fn listen(client: &Client, conn: &Connection, command: Listen) -> anyhow::Result<()> {
    let target = reqwest::Url::parse(&command.forward_to)
        .with_context(|| format!("--forward-to {:?}", command.forward_to))?;
    anyhow::ensure!(
        matches!(target.scheme(), "http" | "https"),
        "--forward-to must be an http:// or https:// URL"
    );
    let company = command.selection.company;
    let secret = client
        .companies()
        .get(company)
        .await
        .with_context(|| format!("reading company {company}'s webhook secret"))?
        .webhook_secret;
    let signer = standardwebhooks::Webhook::new(&secret)
        .map_err(|e| anyhow::anyhow!("the company's webhook secret is unusable: {e}"))?;
    let http = reqwest::Client::builder()
        .timeout(FORWARD_TIMEOUT)
        .user_agent(concat!("confab-listen/", env!("CARGO_PKG_VERSION")))
        .build()?;
    eprintln!("forwarding company {company}'s events to {target} (Ctrl-C to stop)");
    let mut stream = client.events_with(company, command.selection.options());
    while let Some(item) = stream.next().await {
        match item? {
            StreamEvent::Event(event) => {
                let outcome = forward(&http, &signer, &target, &event).await;
                if conn.json {
                    let line = match &outcome {
                        Ok(status) => {
                            json!({"id": event.id, "event": event.event, "status": status})
                        }
                        Err(e) => json!({"id": event.id, "event": event.event, "error": e}),
                    };
                    println!("{}", serde_json::to_string(&line)?);
                } else {
                    let result = match &outcome {
                        Ok(status) => format!("[{status}]"),
                        Err(e) => format!("[failed: {e}]"),
                    };
                    println!(
                        "{}  --> {:<19} [evt_{}]  <-- {result} POST {target}",
                        clock(),
                        event.event,
                        event.id
                    );
                }
            }
            other => notice(conn, &other),
        }
    }
    Ok(())
}

/// POSTs `event`'s body to `target` with the Standard Webhooks headers confab's webhooks
/// carry; the receiver's status, or why there was none.
async fn forward(
    http: &reqwest::Client,
    signer: &standardwebhooks::Webhook,
    target: &reqwest::Url,
    event: &Event,
) -> Result<u16, String> {
    let body = event.body();
    let id = event.webhook_id();
    let timestamp = unix_now();
    let signature = signer
        .sign(&id, timestamp, &body)
        .map_err(|e| format!("cannot sign: {e}"))?;
    let answer = http
        .post(target.clone())
        .header("content-type", "application/json")
        .header(standardwebhooks::HEADER_WEBHOOK_ID, id)
        .header(
            standardwebhooks::HEADER_WEBHOOK_TIMESTAMP,
            timestamp.to_string(),
        )
        .header(standardwebhooks::HEADER_WEBHOOK_SIGNATURE, signature)
        .body(body)
        .send()
        .await
        .map_err(|e| describe(e.without_url()))?;
    Ok(answer.status().as_u16())
}

/// A transport error's text with its causes (its URL dropped: the line shows it already).
fn describe(error: reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(inner) = source {
        text = format!("{text}: {inner}");
        source = inner.source();
    }
    text
}

/// Tells on stderr what the stream does besides events (a reset is worth knowing).
fn notice(conn: &Connection, item: &StreamEvent) {
    match item {
        StreamEvent::Ready { head } if !conn.json => {
            eprintln!("ready: waiting for events after {head}");
        }
        StreamEvent::Reset { head } => {
            eprintln!("reset: events before {head} are no longer kept; continuing after {head}");
        }
        StreamEvent::Reconnecting { reason, retry_in } => {
            eprintln!(
                "disconnected ({reason}); reconnecting in {:.1}s",
                retry_in.as_secs_f64()
            );
        }
        _ => {}
    }
}

/// The wall clock: these commands stamp real time (a webhook's timestamp, a printed line).
#[allow(clippy::disallowed_methods)]
fn now() -> SystemTime {
    SystemTime::now()
}

fn unix_now() -> i64 {
    now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `HH:MM:SS` (UTC) of now.
fn clock() -> String {
    let seconds = unix_now().rem_euclid(86_400);
    format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// A short description of what an event says, for a `tail` line.
fn summary(event: &Event) -> String {
    let body = &event.data;
    // A field of the body by its JSON pointer (null when absent).
    let at = |pointer: &str| body.pointer(pointer).unwrap_or(&Value::Null);
    let num = |pointer: &str| {
        at(pointer)
            .as_i64()
            .map_or_else(|| "?".to_owned(), |n| n.to_string())
    };
    let string = |pointer: &str| at(pointer).as_str().unwrap_or_default();
    match event.event.as_str() {
        "message.new" => {
            let direction = if at("/data/income").as_bool().unwrap_or(false) {
                "in "
            } else {
                "out"
            };
            let files = at("/data/attachments").as_array().map_or(0, Vec::len);
            let mut text = format!(
                "conversation {} {direction} message {} {}",
                num("/data/conversation_id"),
                num("/data/external_id"),
                quoted(string("/data/message"))
            );
            if files > 0 {
                text.push_str(&format!(" +{files} file(s)"));
            }
            text
        }
        "message.ack" => format!(
            "conversation {} message {} ack {}",
            num("/data/conversation_id"),
            num("/data/external_id"),
            num("/data/ack")
        ),
        "conversation.new" | "conversation.update" => format!(
            "conversation {} {} ({})",
            num("/data/external_id"),
            quoted(string("/data/name")),
            at("/data/channel_type").as_str().unwrap_or("?")
        ),
        "conversation.assign" => match at("/data/assignee_id").as_i64() {
            Some(user) => format!(
                "conversation {} assigned to user {user}",
                num("/data/external_id")
            ),
            None => format!("conversation {} unassigned", num("/data/external_id")),
        },
        "job.executed" => {
            let mut text = format!(
                "job {} {}",
                num("/data/id"),
                at("/data/result").as_str().unwrap_or("?")
            );
            if let Some(message) = at("/data/message_id").as_i64() {
                text.push_str(&format!(" message {message}"));
            }
            if let Some(reason) = at("/data/reason").as_str().filter(|r| !r.is_empty()) {
                text.push_str(&format!(": {reason}"));
            }
            text
        }
        "qr_code.new" => format!("channel {} has a new QR code", num("/channel_id")),
        "system" => format!(
            "{} channel {}: {}",
            at("/severity").as_str().unwrap_or("?"),
            num("/data/details/entity_id"),
            string("/data/message")
        ),
        _ => {
            let text = body.to_string();
            shorten(&text, SUMMARY_TEXT * 2)
        }
    }
}

/// `text` quoted, shortened, on one line.
fn quoted(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("{:?}", shorten(&one_line, SUMMARY_TEXT))
}

fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortens_by_characters() {
        assert_eq!(shorten("привет", 10), "привет");
        assert_eq!(shorten("привет", 4), "при…");
        assert_eq!(quoted("a\n  b"), "\"a b\"");
    }

    #[test]
    fn says_who_a_conversation_went_to() {
        let event = |assignee: Value| -> Event {
            serde_json::from_value(serde_json::json!({
                "id": "7", "event": "conversation.assign",
                "data": {"type": "conversation", "event": "assign",
                    "data": {"external_id": 3, "assignee_id": assignee}},
            }))
            .expect("an event")
        };
        assert_eq!(
            summary(&event(serde_json::json!(5))),
            "conversation 3 assigned to user 5"
        );
        assert_eq!(summary(&event(Value::Null)), "conversation 3 unassigned");
    }
}
