//! The data set a benchmark runs on: its size, and what the loader hands the runner.

use std::path::PathBuf;

/// How much data to load. `tiny` keeps CI fast; `full` is the realistic size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
pub enum Scale {
    /// 2 companies, 200 conversations, 2,000 messages (CI smoke run).
    Tiny,
    /// 10 companies, 10,000 conversations, 100,000 messages.
    Small,
    /// 100 companies, 100,000 conversations, 1,000,000 messages.
    Medium,
    /// 100 companies, 1,000,000 conversations, 10,000,000 messages.
    Full,
}

/// Exact row counts to load.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Spec {
    /// Companies, each with one whatsapp channel.
    pub companies: u64,
    /// Conversations in all, spread evenly over the companies.
    pub conversations: u64,
    /// Messages in all: `long_conversation_messages` in one conversation of the measured
    /// company, the rest spread evenly over all conversations.
    pub messages: u64,
    /// Messages of the one long conversation (the messages list is measured on it).
    pub long_conversation_messages: u64,
}

impl Scale {
    /// The row counts of this scale.
    pub fn spec(self) -> Spec {
        let (companies, conversations, messages) = match self {
            Scale::Tiny => (2, 200, 2_000),
            Scale::Small => (10, 10_000, 100_000),
            Scale::Medium => (100, 100_000, 1_000_000),
            Scale::Full => (100, 1_000_000, 10_000_000),
        };
        Spec {
            companies,
            conversations,
            messages,
            long_conversation_messages: (messages / 100).clamp(100, 10_000),
        }
    }
}

impl Scale {
    /// The row counts of the search scenario's data set: one company holding them all
    /// (an inbox is one company's), ten messages per conversation.
    pub fn search_spec(self) -> Spec {
        let conversations = match self {
            Scale::Tiny => 2_000,
            Scale::Small => 100_000,
            Scale::Medium => 300_000,
            Scale::Full => 1_000_000,
        };
        Spec {
            companies: 1,
            conversations,
            messages: conversations * 10,
            long_conversation_messages: 100,
        }
    }
}

/// Which store a data set is loaded into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// SQLite in `data_dir/confab.db` (the server's default).
    Sqlite,
    /// PostgreSQL at this URL (the database must exist; it is emptied and loaded).
    Postgres(String),
}

/// A loaded data set: what the runner needs to start `confab serve` on it and address it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Dataset {
    /// The server's data dir (holds `confab.db` for SQLite; spool and blobs otherwise).
    pub data_dir: PathBuf,
    /// `--database-url` for PostgreSQL; `None` for SQLite.
    pub database_url: Option<String>,
    /// An API token of a user who is a member of every company.
    #[serde(skip)]
    pub token: String,
    /// That user's id.
    pub user_id: i64,
    /// The measured company: its conversations are listed and read.
    pub company_id: i64,
    /// Its whatsapp channel.
    pub channel_id: i64,
    /// An ordinary conversation of the measured company (details, sends, uploads).
    pub conversation_id: i64,
    /// The measured company's long conversation (the messages list).
    pub long_conversation_id: i64,
    /// A `from` page token of the conversations list deep in the measured company's list
    /// (about 90 % of the way through), taken from the real server's answers or built the
    /// way the server builds it.
    pub deep_page_token: Option<String>,
    /// The counts loaded.
    pub spec: Spec,
    /// Seconds the load took.
    pub load_seconds: f64,
}
