//! The client subcommands for people: they drive a running server through
//! `confab-client`, the same SDK Rust programs use.

use std::path::Path;

use anyhow::Context;
use confab_client::{
    ChannelSettings, Client, Inbound, ListParams, NewCompany, NewConversation, NewMessage, Page,
    Provider, Upload,
};
use futures_util::Future;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

pub mod args;
pub mod events;
mod output;

use args::{
    Channels, Companies, Connection, Conversations, Members, Messages, Paging, Sandbox, Webhooks,
};
use output::opt;

/// A client subcommand.
#[derive(Debug)]
pub enum ClientCommand {
    /// `confab companies ...`
    Companies(Companies),
    /// `confab channels ...`
    Channels(Channels),
    /// `confab conversations ...`
    Conversations(Conversations),
    /// `confab messages ...`
    Messages(Messages),
    /// `confab sandbox ...`
    Sandbox(Sandbox),
    /// `confab webhooks ...`
    Webhooks(Webhooks),
    /// `confab members ...`
    Members(Members),
    /// `confab events ...`
    Events(events::Events),
    /// `confab listen ...`
    Listen(events::Listen),
}

fn client(conn: &Connection) -> anyhow::Result<Client> {
    let token = conn.token.as_deref().filter(|t| !t.is_empty()).context(
        "no API token: pass --token or set CONFAB_TOKEN (confab user create prints one)",
    )?;
    Ok(Client::new(&conn.url, token)?)
}

/// The client's form of `conversations list`'s filter flags.
fn conversation_filters(
    args: &args::ConversationFilterArgs,
) -> anyhow::Result<confab_client::ConversationFilters> {
    let mut filters = confab_client::ConversationFilters::new();
    match args.assignee.as_deref().map(str::trim) {
        None => {}
        Some(none) if none.eq_ignore_ascii_case("none") => filters = filters.unassigned(),
        Some(id) => {
            let id = id
                .parse::<i64>()
                .map_err(|_| anyhow::anyhow!("--assignee must be a user id or none"))?;
            filters = filters.assignee(id);
        }
    }
    if let Some(channel) = args.channel {
        filters = filters.channel(channel);
    }
    if args.awaiting_reply {
        filters = filters.awaiting_reply();
    }
    if let Some(q) = &args.search {
        filters = filters.search(q.clone());
    }
    if args.by_last_message {
        filters = filters.by_last_message();
    }
    Ok(filters)
}

fn list_params(paging: &Paging) -> ListParams {
    let mut params = ListParams::new();
    if let Some(per) = paging.per {
        params = params.per(per);
    }
    if let Some(from) = &paging.from {
        params = params.after(from.clone());
    }
    if paging.desc {
        params = params.descending();
    }
    params
}

/// The JSON form of a list: its items and the token of the next page.
#[derive(Serialize)]
struct Listed<'a, T> {
    items: &'a [T],
    next_page: Option<&'a str>,
}

/// Fetches one page, or every page with `--all`, and prints it.
async fn list<T, P, S>(
    conn: &Connection,
    paging: &Paging,
    page: impl FnOnce(ListParams) -> P,
    all: impl FnOnce(ListParams) -> S,
    headers: &[&str],
    row: impl Fn(&T) -> Vec<String>,
) -> anyhow::Result<()>
where
    T: Serialize,
    P: Future<Output = confab_client::Result<Page<T>>>,
    S: Future<Output = confab_client::Result<Vec<T>>>,
{
    let params = list_params(paging);
    let (items, next_page) = if paging.all {
        (all(params).await?, None)
    } else {
        let page = page(params).await?;
        (page.items, page.next_page)
    };
    if conn.json {
        return output::json(&Listed {
            items: &items,
            next_page: next_page.as_deref(),
        });
    }
    output::table(headers, items.iter().map(row).collect());
    if let Some(token) = next_page {
        eprintln!("more: --from {token}   (or --all)");
    }
    Ok(())
}

/// Runs one client subcommand against the server `conn` names.
pub async fn run(command: ClientCommand, conn: &Connection) -> anyhow::Result<()> {
    let client = client(conn)?;
    match command {
        ClientCommand::Companies(c) => companies(&client, conn, c).await,
        ClientCommand::Channels(c) => channels(&client, conn, c).await,
        ClientCommand::Conversations(c) => conversations(&client, conn, c).await,
        ClientCommand::Messages(c) => messages(&client, conn, c).await,
        ClientCommand::Sandbox(c) => sandbox(&client, conn, c).await,
        ClientCommand::Webhooks(c) => webhooks(&client, conn, c).await,
        ClientCommand::Members(c) => members(&client, conn, c).await,
        ClientCommand::Events(c) => events::events(&client, conn, c).await,
        ClientCommand::Listen(c) => events::listen(&client, conn, c).await,
    }
}

/// Prints a created resource's id.
fn created(conn: &Connection, what: &str, id: i64) -> anyhow::Result<()> {
    if conn.json {
        return output::json(&serde_json::json!({ "external_id": id }));
    }
    println!("created {what} {id}");
    Ok(())
}

async fn companies(client: &Client, conn: &Connection, command: Companies) -> anyhow::Result<()> {
    let companies = &client.companies();
    match command {
        Companies::List(paging) => {
            list(
                conn,
                &paging,
                |p| async move { companies.list(&p).await },
                |p| companies.stream(p).collect_all(),
                &["id", "name", "phone", "webhook_url"],
                |c: &confab_client::wire::Company| {
                    vec![
                        c.external_id.to_string(),
                        c.name.clone(),
                        opt(c.phone.as_deref()),
                        opt(c.webhook_url.as_deref()),
                    ]
                },
            )
            .await
        }
        Companies::Create {
            name,
            phone,
            description,
            webhook_url,
        } => {
            let mut company = NewCompany::new(name);
            if let Some(phone) = phone {
                company = company.phone(phone);
            }
            if let Some(description) = description {
                company = company.description(description);
            }
            if let Some(url) = webhook_url {
                company = company.webhook_url(url);
            }
            created(conn, "company", client.companies().create(&company).await?)
        }
    }
}

async fn channels(client: &Client, conn: &Connection, command: Channels) -> anyhow::Result<()> {
    match command {
        Channels::List { company, paging } => {
            let channels = &client.channels(company);
            list(
                conn,
                &paging,
                |p| async move { channels.list(&p).await },
                |p| channels.stream(p).collect_all(),
                &[
                    "id",
                    "provider",
                    "connector",
                    "state",
                    "last inbound",
                    "last error",
                ],
                |c: &confab_client::wire::Channel| {
                    vec![
                        c.external_id.to_string(),
                        c.provider.clone(),
                        c.connector.clone().unwrap_or_default(),
                        c.state.map(|s| s.as_str().to_owned()).unwrap_or_default(),
                        c.last_inbound_at.map(|t| t.to_string()).unwrap_or_default(),
                        c.last_error.clone().unwrap_or_default(),
                    ]
                },
            )
            .await
        }
        Channels::Create {
            company,
            provider,
            settings,
        } => {
            let provider: Provider = provider
                .parse()
                .map_err(|e| anyhow::anyhow!("--provider: {e}"))?;
            let mut map = ChannelSettings::new();
            for setting in settings {
                let (name, value) = setting
                    .split_once('=')
                    .with_context(|| format!("--set {setting:?}: expected NAME=VALUE"))?;
                map.insert(name.to_owned(), value.into());
            }
            created(
                conn,
                "channel",
                client.channels(company).create(provider, map).await?,
            )
        }
    }
}

fn conversation_fields(c: &confab_client::wire::Conversation) -> Vec<(&'static str, String)> {
    vec![
        ("id", c.external_id.to_string()),
        ("name", c.name.clone()),
        ("contact", c.sender_external_id.clone()),
        ("channel", format!("{} ({})", c.channel_id, c.channel_type)),
        ("created", c.created_at.clone()),
        ("last message", c.last_message_at.to_string()),
        ("last incoming", c.last_income_message_at.to_string()),
        ("assignee", opt(c.assignee_id)),
        ("note", opt(c.note.as_deref())),
    ]
}

async fn conversations(
    client: &Client,
    conn: &Connection,
    command: Conversations,
) -> anyhow::Result<()> {
    let show = |c: confab_client::wire::Conversation| -> anyhow::Result<()> {
        if conn.json {
            return output::json(&c);
        }
        output::record(&conversation_fields(&c));
        Ok(())
    };
    match command {
        Conversations::Meta { company, channel } => {
            let meta = client.conversations(company).meta(channel).await?;
            if conn.json {
                return output::json(&meta);
            }
            println!(
                "mine {}\nunassigned {}\nall {}\nawaiting reply {}",
                meta.mine, meta.unassigned, meta.all, meta.awaiting_reply
            );
            Ok(())
        }
        Conversations::List {
            company,
            paging,
            filters,
        } => {
            let conversations = &client.conversations(company);
            let plain = filters.is_empty();
            let filters = &conversation_filters(&filters)?;
            list(
                conn,
                &paging,
                |p| async move {
                    if plain {
                        conversations.list(&p).await
                    } else {
                        conversations.find(filters, &p).await
                    }
                },
                |p| async move {
                    if plain {
                        return conversations.stream(p).collect_all().await;
                    }
                    let mut all = Vec::new();
                    let mut next = Some(p);
                    while let Some(params) = next.take() {
                        let page = conversations.find(filters, &params).await?;
                        next = page.next_params(&params).filter(|n| n.from != params.from);
                        all.extend(page.items);
                    }
                    Ok(all)
                },
                &["id", "name", "contact", "channel", "last message"],
                |c: &confab_client::wire::Conversation| {
                    vec![
                        c.external_id.to_string(),
                        c.name.clone(),
                        c.sender_external_id.clone(),
                        c.channel_type.clone(),
                        c.last_message_at.to_string(),
                    ]
                },
            )
            .await
        }
        Conversations::Show { company, id } => show(client.conversations(company).get(id).await?),
        Conversations::Create {
            company,
            provider,
            phone,
            username,
            text,
            no_crm,
        } => {
            let new = match (provider.as_str(), phone, username) {
                ("whatsapp", Some(phone), None) => NewConversation::whatsapp(phone, text),
                ("telegram_personal", Some(phone), None) => {
                    NewConversation::telegram_phone(phone, text)
                }
                ("telegram_personal", None, Some(user)) => {
                    NewConversation::telegram_username(user, text)
                }
                ("whatsapp" | "telegram_personal", _, _) => {
                    anyhow::bail!("give --phone (or --username for telegram_personal)")
                }
                (other, _, _) => {
                    anyhow::bail!(
                        "--provider {other}: conversations start on whatsapp or telegram_personal"
                    )
                }
            };
            let new = new.send_to_crm(!no_crm);
            show(client.conversations(company).create(&new).await?)
        }
        Conversations::Note { company, id, note } => {
            client.conversations(company).set_note(id, &note).await?;
            if !conn.json {
                println!("note of conversation {id} updated");
            }
            Ok(())
        }
        Conversations::Assign { company, id, user } => {
            client.conversations(company).assign(id, user).await?;
            if !conn.json {
                match user {
                    Some(user) => println!("conversation {id} assigned to user {user}"),
                    None => println!("conversation {id} unassigned"),
                }
            }
            Ok(())
        }
    }
}

/// Uploads a file into a conversation with a progress bar on stderr.
async fn upload(
    client: &Client,
    company: i64,
    conversation: i64,
    path: &Path,
    quiet: bool,
) -> anyhow::Result<i64> {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        let size = tokio::fs::metadata(path)
            .await
            .with_context(|| format!("--attach {}", path.display()))?
            .len();
        let bar = ProgressBar::new(size);
        bar.set_style(
            ProgressStyle::with_template("{msg} {bar:30} {bytes}/{total_bytes}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(path.display().to_string());
        bar
    };
    let reporter = bar.clone();
    let upload = Upload::path(path).on_progress(move |p| reporter.set_position(p.sent));
    let id = client
        .attachments(company, conversation)
        .upload(upload)
        .await;
    bar.finish_and_clear();
    id.with_context(|| format!("uploading {}", path.display()))
}

async fn messages(client: &Client, conn: &Connection, command: Messages) -> anyhow::Result<()> {
    match command {
        Messages::List {
            company,
            conversation,
            paging,
        } => {
            let messages = &client.messages(company, conversation);
            list(
                conn,
                &paging,
                |p| async move { messages.list(&p).await },
                |p| messages.stream(p).collect_all(),
                &["id", "when", "dir", "ack", "text", "files"],
                |m: &confab_client::wire::Message| {
                    vec![
                        m.external_id.to_string(),
                        m.created_at.clone(),
                        if m.income { "in" } else { "out" }.to_owned(),
                        m.ack.to_string(),
                        m.message.clone(),
                        m.attachments
                            .iter()
                            .map(|a| a.file_name.clone())
                            .collect::<Vec<_>>()
                            .join(", "),
                    ]
                },
            )
            .await
        }
        Messages::Send {
            company,
            conversation,
            text,
            attach,
            no_crm,
            wait,
        } => {
            if text.is_none() && attach.is_empty() {
                anyhow::bail!("give --text, --attach FILE, or both");
            }
            let mut ids = Vec::with_capacity(attach.len());
            for path in &attach {
                ids.push(upload(client, company, conversation, path, conn.json).await?);
            }
            let message = match text {
                Some(text) => ids
                    .into_iter()
                    .fold(NewMessage::text(text), NewMessage::attachment),
                None => NewMessage::attachments(ids),
            };
            let job = client
                .messages(company, conversation)
                .send(&message.send_to_crm(!no_crm))
                .await?;
            let job = if wait {
                client.wait_for_job(&job).await?
            } else {
                job
            };
            if conn.json {
                return output::json(&job);
            }
            output::record(&[
                ("job", job.id.to_string()),
                ("state", job.state.clone()),
                ("message", opt(job.message_id)),
                (
                    "details",
                    opt(job.details.as_ref().map(|d| match &d.reason {
                        Some(reason) => format!("{}: {reason}", d.result),
                        None => d.result.clone(),
                    })),
                ),
            ]);
            Ok(())
        }
    }
}

async fn sandbox(client: &Client, conn: &Connection, command: Sandbox) -> anyhow::Result<()> {
    match command {
        Sandbox::Inbound {
            company,
            channel,
            sender,
            name,
            text,
        } => {
            let mut inbound = Inbound::new(sender);
            if let Some(name) = name {
                inbound = inbound.name(name);
            }
            if let Some(text) = text {
                inbound = inbound.message(text);
            }
            let got = client.sandbox(company).inbound(channel, &inbound).await?;
            if conn.json {
                return output::json(&got);
            }
            println!(
                "message {} in conversation {}",
                got.message_id, got.conversation_id
            );
            Ok(())
        }
    }
}

async fn webhooks(client: &Client, conn: &Connection, command: Webhooks) -> anyhow::Result<()> {
    match command {
        Webhooks::Deliveries { company, paging } => {
            let deliveries = &client.webhook_deliveries(company);
            list(
                conn,
                &paging,
                |p| async move { deliveries.list(&p).await },
                |p| deliveries.stream(p).collect_all(),
                &[
                    "id",
                    "event",
                    "state",
                    "attempts",
                    "last status",
                    "last error",
                ],
                |d: &confab_client::wire::WebhookDelivery| {
                    vec![
                        d.id.to_string(),
                        d.event.clone(),
                        d.state.clone(),
                        d.attempts.to_string(),
                        opt(d.last_status),
                        opt(d.last_error.as_deref()),
                    ]
                },
            )
            .await
        }
    }
}

async fn members(client: &Client, conn: &Connection, command: Members) -> anyhow::Result<()> {
    let show = |what: &str, m: confab_client::Member| -> anyhow::Result<()> {
        if conn.json {
            return output::json(&m);
        }
        println!("{what}");
        output::record(&[
            ("user", m.user_id.to_string()),
            ("name", m.name),
            ("role", m.role.to_string()),
            ("added", m.added_at),
        ]);
        Ok(())
    };
    match command {
        Members::List { company, paging } => {
            let members = &client.members(company);
            list(
                conn,
                &paging,
                |p| async move { members.list(&p).await },
                |p| members.stream(p).collect_all(),
                &["user", "name", "role", "added"],
                |m: &confab_client::Member| {
                    vec![
                        m.user_id.to_string(),
                        m.name.clone(),
                        m.role.to_string(),
                        m.added_at.clone(),
                    ]
                },
            )
            .await
        }
        Members::Add {
            company,
            user,
            role,
        } => show(
            "added:",
            client.members(company).add(user, role.into()).await?,
        ),
        Members::Role {
            company,
            user,
            role,
        } => show(
            "role changed:",
            client.members(company).set_role(user, role.into()).await?,
        ),
        Members::Remove { company, user } => {
            show("removed:", client.members(company).remove(user).await?)
        }
    }
}

/// One user as `confab user list --json` prints it.
#[derive(Serialize)]
struct ListedUser<'a> {
    id: i64,
    name: &'a str,
    company_ids: &'a [i64],
}

/// Prints `confab user list`: a table of users and their companies, or JSON
/// (`{"users":[{"id":..,"name":..,"company_ids":[..]}]}`).
pub fn print_users(users: &[confab_store::UserSummary], json: bool) -> anyhow::Result<()> {
    if json {
        let users: Vec<ListedUser<'_>> = users
            .iter()
            .map(|u| ListedUser {
                id: u.user.id,
                name: &u.user.name,
                company_ids: &u.company_ids,
            })
            .collect();
        return output::json(&serde_json::json!({ "users": users }));
    }
    output::table(
        &["id", "name", "companies"],
        users
            .iter()
            .map(|u| {
                let companies = if u.company_ids.is_empty() {
                    "-".to_owned()
                } else {
                    u.company_ids
                        .iter()
                        .map(i64::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                vec![u.user.id.to_string(), u.user.name.clone(), companies]
            })
            .collect(),
    );
    Ok(())
}
