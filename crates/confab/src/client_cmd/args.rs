//! The client subcommands' arguments: `confab companies|channels|conversations|messages|
//! sandbox|webhooks|members ...`, for people at a terminal.

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// Where the server is and who is calling; shared by every client subcommand.
#[derive(Debug, Clone, Args)]
pub struct Connection {
    /// The server's base URL.
    #[arg(
        long,
        env = "CONFAB_URL",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    pub url: String,
    /// The API token (`confab user create` prints one).
    #[arg(long, env = "CONFAB_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
    /// Print JSON for scripts instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
}

/// Which page of a list, or all of it.
#[derive(Debug, Clone, Args)]
pub struct Paging {
    /// Follow `next_page` to the end of the list.
    #[arg(long)]
    pub all: bool,
    /// Items per page (1..100).
    #[arg(long)]
    pub per: Option<u32>,
    /// A `next_page` token from an earlier page.
    #[arg(long)]
    pub from: Option<String>,
    /// Newest first.
    #[arg(long)]
    pub desc: bool,
}

/// The filters of `conversations list`.
#[derive(Debug, Clone, Default, Args)]
pub struct ConversationFilterArgs {
    /// Only those assigned to this user id, or `none` for the unassigned.
    #[arg(long, value_name = "ID|none")]
    pub assignee: Option<String>,
    /// Only those on this channel.
    #[arg(long)]
    pub channel: Option<i64>,
    /// Only those whose customer wrote last.
    #[arg(long)]
    pub awaiting_reply: bool,
    /// Only those whose contact or messages match these words (each a prefix).
    #[arg(long, value_name = "WORDS")]
    pub search: Option<String>,
    /// By the last activity instead of by id (with --desc: newest first).
    #[arg(long)]
    pub by_last_message: bool,
}

impl ConversationFilterArgs {
    /// Whether no filter is given (the plain Pact list).
    pub fn is_empty(&self) -> bool {
        self.assignee.is_none()
            && self.channel.is_none()
            && !self.awaiting_reply
            && self.search.is_none()
            && !self.by_last_message
    }
}

/// `confab companies ...`
#[derive(Debug, Subcommand)]
pub enum Companies {
    /// List your companies.
    List(Paging),
    /// Create a company; you become its member.
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        /// Phone.
        #[arg(long)]
        phone: Option<String>,
        /// Description.
        #[arg(long)]
        description: Option<String>,
        /// Where its webhooks go (must answer the test request with 200).
        #[arg(long)]
        webhook_url: Option<String>,
    },
}

/// `confab channels ...`
#[derive(Debug, Subcommand)]
pub enum Channels {
    /// List a company's channels.
    List {
        /// Company id.
        #[arg(long)]
        company: i64,
        #[command(flatten)]
        paging: Paging,
    },
    /// Connect a messenger.
    Create {
        /// Company id.
        #[arg(long)]
        company: i64,
        /// Provider: whatsapp, telegram, telegram_personal, viber, avito, ...
        #[arg(long)]
        provider: String,
        /// Provider settings as NAME=VALUE (token=..., login=..., password=...).
        #[arg(long = "set", value_name = "NAME=VALUE")]
        settings: Vec<String>,
    },
}

/// `confab conversations ...`
#[derive(Debug, Subcommand)]
pub enum Conversations {
    /// List a company's conversations (filtered and searched with the flags below).
    List {
        /// Company id.
        #[arg(long)]
        company: i64,
        #[command(flatten)]
        paging: Paging,
        #[command(flatten)]
        filters: ConversationFilterArgs,
    },
    /// How many conversations each inbox tab holds: mine, unassigned, all, awaiting reply.
    Meta {
        /// Company id.
        #[arg(long)]
        company: i64,
        /// Count only this channel's conversations.
        #[arg(long)]
        channel: Option<i64>,
    },
    /// Show one conversation.
    Show {
        /// Company id.
        #[arg(long)]
        company: i64,
        /// Conversation id.
        id: i64,
    },
    /// Start a conversation (or continue the contact's) with a first message.
    Create {
        /// Company id.
        #[arg(long)]
        company: i64,
        /// whatsapp or telegram_personal.
        #[arg(long, default_value = "whatsapp")]
        provider: String,
        /// The contact's phone, like 79250000001.
        #[arg(long, conflicts_with = "username")]
        phone: Option<String>,
        /// The contact's Telegram username (telegram_personal).
        #[arg(long)]
        username: Option<String>,
        /// The first message.
        #[arg(long)]
        text: String,
        /// Do not sync the message to CRM integrations.
        #[arg(long)]
        no_crm: bool,
    },
    /// Set the note.
    Note {
        /// Company id.
        #[arg(long)]
        company: i64,
        /// Conversation id.
        id: i64,
        /// The note (empty clears it).
        #[arg(long)]
        note: String,
    },
    /// Assign to a user, or unassign without --user.
    Assign {
        /// Company id.
        #[arg(long)]
        company: i64,
        /// Conversation id.
        id: i64,
        /// The user id to assign to.
        #[arg(long)]
        user: Option<i64>,
    },
}

/// `confab messages ...`
#[derive(Debug, Subcommand)]
pub enum Messages {
    /// List a conversation's messages.
    List {
        /// Company id.
        #[arg(long)]
        company: i64,
        /// Conversation id.
        #[arg(long)]
        conversation: i64,
        #[command(flatten)]
        paging: Paging,
    },
    /// Send a message, with files uploaded first (with a progress bar).
    Send {
        /// Company id.
        #[arg(long)]
        company: i64,
        /// Conversation id.
        #[arg(long)]
        conversation: i64,
        /// The text.
        #[arg(long)]
        text: Option<String>,
        /// A file to attach (repeat for several where the messenger allows it).
        #[arg(long = "attach", value_name = "FILE")]
        attach: Vec<PathBuf>,
        /// Do not sync the message to CRM integrations.
        #[arg(long)]
        no_crm: bool,
        /// Wait until the delivery job is final and show it.
        #[arg(long)]
        wait: bool,
    },
}

/// `confab sandbox ...` (the server must run with --sandbox)
#[derive(Debug, Subcommand)]
pub enum Sandbox {
    /// A customer writes to a channel.
    Inbound {
        /// Company id.
        #[arg(long)]
        company: i64,
        /// Channel id.
        #[arg(long)]
        channel: i64,
        /// The customer's id on the messenger (a phone for WhatsApp).
        #[arg(long = "from", value_name = "SENDER")]
        sender: String,
        /// The customer's display name.
        #[arg(long)]
        name: Option<String>,
        /// The text.
        #[arg(long)]
        text: Option<String>,
    },
}

/// `confab webhooks ...`
#[derive(Debug, Subcommand)]
pub enum Webhooks {
    /// The delivery log of a company's webhooks.
    Deliveries {
        /// Company id.
        #[arg(long)]
        company: i64,
        #[command(flatten)]
        paging: Paging,
    },
}

/// A member's role, as the command line takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RoleArg {
    /// Manages the company (settings, webhooks, channels, members) and works its
    /// conversations.
    Admin,
    /// Works the company's conversations.
    Agent,
}

impl From<RoleArg> for confab_client::Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Admin => confab_client::Role::Admin,
            RoleArg::Agent => confab_client::Role::Agent,
        }
    }
}

/// `confab members ...`
#[derive(Debug, Subcommand)]
pub enum Members {
    /// List a company's members and their roles.
    List {
        /// Company id.
        #[arg(long)]
        company: i64,
        #[command(flatten)]
        paging: Paging,
    },
    /// Add a user to a company (admins only).
    Add {
        /// Company id.
        #[arg(long)]
        company: i64,
        /// The user's id (`confab user list` shows them).
        #[arg(long)]
        user: i64,
        /// Their role.
        #[arg(long, value_enum)]
        role: RoleArg,
    },
    /// Change a member's role (admins only; the last admin stays one).
    Role {
        /// Company id.
        #[arg(long)]
        company: i64,
        /// The member's user id.
        #[arg(long)]
        user: i64,
        /// The new role.
        #[arg(long, value_enum)]
        role: RoleArg,
    },
    /// Remove a member from a company (admins only; not the last admin). Their
    /// conversations are unassigned.
    Remove {
        /// Company id.
        #[arg(long)]
        company: i64,
        /// The member's user id.
        #[arg(long)]
        user: i64,
    },
}
