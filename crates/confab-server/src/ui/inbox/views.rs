//! The inbox's HTML, written with maud (every value escaped by the template engine). No
//! inline script or style: behaviour is htmx attributes and `assets/inbox.js`, looks are
//! `assets/inbox.css`.

use confab_store::{Attachment, Conversation, ConversationCounts, Message};
use confab_wire::Ack;
use maud::{DOCTYPE, Markup, html};

use super::Directory;
use super::conversation::{Bubble, Delivery, PaneView};
use super::list::{ListParams, Tab, awaiting_reply, key_of};
use crate::domain::time::iso_millis;
use crate::ui::assets;
use crate::ui::csrf;
use crate::ui::operator::Operator;

/// htmx's settings: no `<style>` of its own (the CSP forbids it), no `eval`, no scripts
/// in swapped HTML.
const HTMX_CONFIG: &str = r#"{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"historyCacheSize":0,"refreshOnHistoryMiss":true}"#;

/// Images the inbox shows as thumbnails (the types a download also serves inline).
const THUMBNAIL_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// A row of the list: a conversation and its last message.
#[derive(Debug, Clone)]
pub struct Row {
    /// The conversation.
    pub conversation: Conversation,
    /// Its last message, if any.
    pub last: Option<Message>,
}

fn base(cid: i64) -> String {
    format!("/c/{cid}")
}

fn conversation_url(cid: i64, id: i64) -> String {
    format!("/c/{cid}/conversations/{id}")
}

/// A time, in UTC until the script shows it in the browser's zone.
fn time(ms: i64) -> Markup {
    let iso = iso_millis(ms);
    html! { time datetime=(iso) data-ms=(ms) { (iso.replace('T', " ").trim_end_matches('Z')) " UTC" } }
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="htmx-config" content=(HTMX_CONFIG);
            title { (title) " · confab" }
            link rel="stylesheet" href=(assets::path("inbox.css"));
            script src=(assets::path("htmx.min.js")) defer {}
            script src=(assets::path("inbox.js")) defer {}
        }
    }
}

fn logout(csrf_token: &str) -> Markup {
    html! {
        form.logout method="post" action="/logout" {
            input type="hidden" name=(csrf::FIELD) value=(csrf_token);
            button type="submit" { "Log out" }
        }
    }
}

/// The page of an operator who is a member of no company yet.
pub fn no_company(user_name: &str, csrf_token: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head("Inbox"))
            body.inbox {
                header.topbar {
                    strong.brand { "confab" }
                    span.who { "Logged in as " strong { (user_name) } }
                    (logout(csrf_token))
                }
                main.empty {
                    h1 { "No company yet" }
                    p { "You are not a member of any company. Ask an admin to add you, or create one with the API." }
                }
            }
        }
    }
}

/// The whole inbox page.
pub fn inbox(
    op: &Operator,
    directory: &Directory,
    params: &ListParams,
    counts: &ConversationCounts,
    rows: &[Row],
    more: bool,
    pane_view: Option<&PaneView>,
) -> Markup {
    let cid = op.company_id();
    let headers = serde_json::json!({ "X-CSRF-Token": op.session.csrf_token }).to_string();
    let open = pane_view.map(|p| p.conversation.id);
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(&format!("Inbox · {}", op.company.name)))
            body.inbox.conversation-open[open.is_some()] hx-headers=(headers)
                data-company=(cid) data-user=(op.user_id()) {
                header.topbar {
                    strong.brand { "confab" }
                    form #switcher method="get" action="/" {
                        label for="company-switch" { "Company" }
                        select #company-switch name="company" {
                            @for c in &directory.companies {
                                option value=(c.id) selected[c.id == cid] { (c.name) }
                            }
                        }
                        noscript { button type="submit" { "Open" } }
                    }
                    span #live-status.live role="status" aria-live="polite" { "Connecting…" }
                    span.who { "Logged in as " strong { (op.session.user.name) } }
                    (logout(&op.session.csrf_token))
                }
                div.layout {
                    section #list-pane aria-label="Conversations" {
                        form #filters role="search" hx-get=(format!("{}/list", base(cid)))
                            hx-target="#rows" hx-trigger="submit, change, input changed delay:300ms from:#q" {
                            (tabs(counts, params.tab))
                            div.filter-row {
                                label for="channel" { "Channel" }
                                select #channel name="channel" {
                                    option value="" { "All channels" }
                                    @for ch in &directory.channels {
                                        option value=(ch.id) selected[params.channel == Some(ch.id)] {
                                            (ch.provider.as_str()) " #" (ch.id)
                                        }
                                    }
                                }
                            }
                            div.filter-row {
                                label for="q" { "Search" }
                                input #q type="search" name="q" value=(params.q)
                                    placeholder="Name, phone or words  ( / )" autocomplete="off";
                            }
                        }
                        ul #rows aria-label="Conversation list" {
                            (rows_markup(op, directory, params, rows, more, open))
                        }
                    }
                    section #pane aria-label="Conversation" {
                        @match pane_view {
                            Some(view) => (pane(op, view)),
                            None => (empty_pane()),
                        }
                    }
                }
            }
        }
    }
}

fn empty_pane() -> Markup {
    html! {
        div.empty-pane {
            p { "Pick a conversation on the left." }
            p.hint { kbd { "j" } " / " kbd { "k" } " next and previous, " kbd { "/" } " search, "
                kbd { "Esc" } " back to the list." }
        }
    }
}

/// The tabs with their counts, `current` checked.
pub fn tabs(counts: &ConversationCounts, current: Tab) -> Markup {
    html! {
        fieldset #tabs.tabs {
            legend.visually-hidden { "Show" }
            @for tab in Tab::ALL {
                @let count = match tab {
                    Tab::Mine => counts.mine,
                    Tab::Unassigned => counts.unassigned,
                    Tab::All => counts.all,
                    Tab::Awaiting => counts.awaiting_reply,
                };
                @let id = format!("tab-{}", tab.as_str());
                input type="radio" name="tab" id=(id) value=(tab.as_str()) checked[tab == current];
                label for=(id) { (tab.label()) " " span.count data-tab=(tab.as_str()) { (count) } }
            }
        }
    }
}

/// A page of rows, with "load more" after it when more follow.
pub fn rows(
    op: &Operator,
    directory: &Directory,
    params: &ListParams,
    rows: &[Row],
    more: bool,
) -> Markup {
    rows_markup(op, directory, params, rows, more, None)
}

fn rows_markup(
    op: &Operator,
    directory: &Directory,
    params: &ListParams,
    rows: &[Row],
    more: bool,
    open: Option<i64>,
) -> Markup {
    let cid = op.company_id();
    html! {
        @if rows.is_empty() && params.after.is_none() {
            li.none { "No conversations here." }
        }
        @for r in rows {
            (row(op, directory, r, open == Some(r.conversation.id)))
        }
        @if more {
            @if let Some(last) = rows.last() {
                li.more {
                    button type="button" hx-get=(format!("{}/list?{}&after={}", base(cid), params.query_string(), key_of(&last.conversation)))
                        hx-target="closest li" hx-swap="outerHTML" { "Load more" }
                }
            }
        }
    }
}

fn preview(m: &Message) -> String {
    let text = m.body.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = if text.is_empty() {
        m.attachments
            .first()
            .map(|a| format!("📎 {}", a.file_name))
            .unwrap_or_default()
    } else {
        text
    };
    let cut: String = text.chars().take(80).collect();
    let cut = if cut.len() < text.len() {
        format!("{cut}…")
    } else {
        cut
    };
    if m.income { cut } else { format!("You: {cut}") }
}

/// One row of the list.
pub fn row(op: &Operator, directory: &Directory, r: &Row, current: bool) -> Markup {
    let c = &r.conversation;
    let url = conversation_url(op.company_id(), c.id);
    let assignee = c.assignee_id.map(|id| {
        directory
            .member_name(id)
            .map_or_else(|| format!("user {id}"), str::to_owned)
    });
    html! {
        li.row id=(format!("row-{}", c.id)) data-conversation=(c.id) data-activity=(c.activity_at_ms())
            aria-current=[current.then_some("true")] {
            a.row-link href=(url) hx-get=(url) hx-target="#pane" hx-push-url="true" {
                span.row-top {
                    strong.name { (c.name) }
                    " " (time(c.activity_at_ms()))
                }
                span.row-mid {
                    span.channel { (c.channel_type.as_str()) }
                    " "
                    span.preview { @if let Some(m) = &r.last { (preview(m)) } }
                }
                span.row-bottom {
                    @match &assignee {
                        Some(name) => span.assignee { "Assigned to " (name) },
                        None => span.assignee.unassigned { "Unassigned" },
                    }
                    @if awaiting_reply(c) { " " span.badge { "Awaiting reply" } }
                }
            }
        }
    }
}

/// The open conversation: header, timeline, composer and side panel.
pub fn pane(op: &Operator, view: &PaneView) -> Markup {
    let c = &view.conversation;
    let url = conversation_url(op.company_id(), c.id);
    html! {
        div #conversation data-conversation=(c.id) {
            header.conv-head {
                a.back href=(base(op.company_id())) data-action="back" aria-label="Back to the list" { "←" }
                h2 { (c.name) }
                span.conv-sub { (c.channel_type.as_str()) " · " (c.sender_external_id) }
            }
            div.conv-body {
                div.timeline-wrap {
                    ol #timeline aria-label="Messages" aria-live="polite" {
                        (older_button(op, view))
                        @for b in &view.bubbles { (bubble(op, b)) }
                    }
                    form #composer hx-post=(format!("{url}/messages")) hx-encoding="multipart/form-data"
                        hx-target="#timeline" hx-swap="beforeend" {
                        div #composer-error role="alert" {}
                        ul #attachments-preview aria-label="Files to send" {}
                        progress #upload-progress max="100" value="0" hidden {}
                        label.visually-hidden for="message" { "Reply" }
                        textarea #message name="message" rows="2"
                            placeholder="Write a reply. Enter sends, Shift+Enter starts a new line." {}
                        div.composer-actions {
                            label.button for="file" { "Attach files" }
                            input #file.visually-hidden type="file" name="file" multiple;
                            button type="submit" { "Send" }
                        }
                    }
                }
                aside #side aria-label="Contact, assignee and note" {
                    (side(op, c, &view.directory, None))
                }
            }
        }
    }
}

fn older_button(op: &Operator, view: &PaneView) -> Markup {
    let url = conversation_url(op.company_id(), view.conversation.id);
    html! {
        @if let Some(key) = &view.older {
            li.older {
                button type="button" hx-get=(format!("{url}/older?before={key}"))
                    hx-target="closest li" hx-swap="outerHTML" { "Load older messages" }
            }
        }
    }
}

/// Older messages, with the next "load older" above them (replaces the button).
pub fn older(op: &Operator, view: &PaneView) -> Markup {
    html! {
        (older_button(op, view))
        @for b in &view.bubbles { (bubble(op, b)) }
    }
}

fn is_thumbnail(a: &Attachment) -> bool {
    let base = a.mime_type.split(';').next().unwrap_or("").trim();
    THUMBNAIL_TYPES.iter().any(|t| t.eq_ignore_ascii_case(base))
}

fn size(bytes: i64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / f64::from(1 << 20)),
        b if b >= 1 << 10 => format!("{:.0} KB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

fn ticks(b: &Bubble) -> Markup {
    match &b.delivery {
        Delivery::Incoming => html! {},
        Delivery::Pending => {
            html! { span.ticks.pending role="img" aria-label="Sending" title="Sending" { "🕓" } }
        }
        Delivery::Failed(_) => {
            html! { span.ticks.failed role="img" aria-label="Not delivered" title="Not delivered" { "⚠" } }
        }
        Delivery::Reached(ack) => match ack {
            Ack::Read => {
                html! { span.ticks.read role="img" aria-label="Read" title="Read" { "✓✓" } }
            }
            Ack::Delivered => {
                html! { span.ticks.delivered role="img" aria-label="Delivered" title="Delivered" { "✓✓" } }
            }
            _ => html! { span.ticks.sent role="img" aria-label="Sent" title="Sent" { "✓" } },
        },
    }
}

fn ack_name(b: &Bubble) -> &'static str {
    match &b.delivery {
        Delivery::Incoming => "incoming",
        Delivery::Pending => "pending",
        Delivery::Failed(_) => "failed",
        Delivery::Reached(Ack::Read) => "read",
        Delivery::Reached(Ack::Delivered) => "delivered",
        Delivery::Reached(_) => "sent",
    }
}

/// One message.
pub fn bubble(op: &Operator, b: &Bubble) -> Markup {
    let m = &b.message;
    let cid = op.company_id();
    html! {
        li.bubble.in[m.income].out[!m.income] id=(format!("msg-{}", m.id)) data-message=(m.id)
            data-job=[m.job_id] data-state=(ack_name(b)) {
            @if !m.body.is_empty() { p.text { (m.body) } }
            @for a in &m.attachments {
                @let href = format!("/c/{cid}/files/{}", a.id);
                @if is_thumbnail(a) {
                    a.thumb href=(href) target="_blank" rel="noopener" {
                        img src=(href) alt=(a.file_name) loading="lazy";
                    }
                } @else {
                    a.file-chip href=(href) download=(a.file_name) {
                        "📎 " (a.file_name) " " span.size { "(" (size(a.size)) ")" }
                    }
                }
            }
            span.meta {
                (time(m.created_at_ms))
                " "
                (ticks(b))
            }
            @if let Delivery::Failed(reason) = &b.delivery {
                p.failed-reason role="status" { "Not delivered: " (reason) }
            }
        }
    }
}

/// The side panel: the contact, the assignee picker and the note; `notice` says what was
/// just saved.
pub fn side(
    op: &Operator,
    c: &Conversation,
    directory: &Directory,
    notice: Option<&str>,
) -> Markup {
    let url = conversation_url(op.company_id(), c.id);
    html! {
        div #side-panel data-conversation=(c.id) {
            h3 { "Contact" }
            dl {
                dt { "Name" } dd { (c.name) }
                dt { "Contact id" } dd { (c.sender_external_id) }
                dt { "Channel" } dd { (c.channel_type.as_str()) " #" (c.channel_id) }
                dt { "Since" } dd { (time(c.created_at_ms)) }
            }
            form #assign-form hx-post=(format!("{url}/assignee")) hx-target="#side-panel"
                hx-swap="outerHTML" hx-trigger="change" {
                label for="assignee" { "Assignee" }
                select #assignee name="assignee_id" {
                    option value="" selected[c.assignee_id.is_none()] { "Nobody" }
                    @for m in &directory.members {
                        option value=(m.user_id) selected[c.assignee_id == Some(m.user_id)] {
                            (m.name) @if m.user_id == op.user_id() { " (me)" }
                        }
                    }
                }
            }
            form #note-form hx-post=(format!("{url}/note")) hx-target="#side-panel" hx-swap="outerHTML" {
                label for="note" { "Note" }
                textarea #note name="note" rows="4" { (c.note.as_deref().unwrap_or("")) }
                button type="submit" { "Save note" }
            }
            @if let Some(notice) = notice {
                p.notice role="status" { (notice) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_are_short_and_say_who_wrote() {
        let mut m = Message {
            id: 1,
            conversation_id: 1,
            channel_id: 1,
            income: false,
            body: format!("hello\n{}", "x".repeat(100)),
            ack: Ack::Sent,
            send_to_crm: true,
            created_at_ms: 0,
            job_id: None,
            external_public_id: None,
            interactive: None,
            attachments: vec![],
        };
        let p = preview(&m);
        assert!(p.starts_with("You: hello x"), "{p}");
        assert!(p.ends_with('…'));
        m.income = true;
        m.body = String::new();
        assert_eq!(preview(&m), "");
        assert_eq!(size(2048), "2 KB");
        assert_eq!(size(5), "5 B");
    }
}
