//! Loads a data set straight through the store's tables in large transactions (not
//! through HTTP), so a 10M-message data set takes minutes, not hours.
//!
//! The few rows with rules of their own (the user and its token, companies, channels) go
//! through the [`Store`](confab_store::Store) trait like the server's; the bulk
//! (conversations and messages) is generated here and written by one backend module per
//! store, in primary-key order so every insert is an append.
//!
//! The data is deterministic: the same spec always gives the same rows (ids, times,
//! texts), so benchmark runs on different days read the same pages.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use confab_store::{Ack, NewChannel, NewCompany, Provider};

use crate::dataset::{Dataset, Spec, Target};

mod postgres;
mod sqlite;

/// What the bulk rows hold besides their layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// English chat text, every conversation unassigned, the contact writing first: the
    /// endpoint and scaling scenarios' rows, the same as when they were first measured.
    Plain,
    /// Rows to search and filter: Latin and Cyrillic text with a long tail of rare words
    /// and phone numbers, [`RARE_WORD`] in about [`RARE_HITS`] messages, Latin and
    /// Cyrillic contact names, two thirds of the conversations assigned to the bench user
    /// and about 30 % awaiting a reply.
    Search,
}

/// The name of the user the loader creates (a member of every company).
pub const USER_NAME: &str = "bench";

/// A word of [`Content::Search`] text that appears in about [`RARE_HITS`] messages at
/// any scale (Cyrillic, so the search's case folding beyond ASCII is exercised).
pub const RARE_WORD: &str = "тамарилло";
/// How many messages hold [`RARE_WORD`] (fewer when there are fewer messages).
pub const RARE_HITS: u64 = 50;

/// Loads `spec`, its rows holding `content`, into a fresh store for a server on `data_dir`
/// (created; must be empty).
///
/// For [`Target::Postgres`] the database's `public` schema is dropped and recreated
/// first, so every load starts clean.
///
/// # Errors
/// When the store cannot be created or written, or `spec` cannot be laid out (fewer than
/// two conversations in the first company, fewer messages than the long conversation's).
pub async fn load(
    target: &Target,
    spec: Spec,
    data_dir: &Path,
    content: Content,
) -> anyhow::Result<Dataset> {
    let started = Instant::now();
    check_spec(spec)?;
    prepare_data_dir(data_dir)?;
    let database_url = match target {
        Target::Sqlite => None,
        Target::Postgres(url) => {
            postgres::reset(url).await?;
            Some(url.clone())
        }
    };
    let url = database_url.as_deref();

    // Opening the store normally creates the schema through the real migrations.
    let store = confab_store::open(url, data_dir, 4)
        .await
        .context("creating the store")?;
    let (user, token) = confab_server::users::create_user(data_dir, url, USER_NAME)
        .await
        .context("creating the bench user")?;
    let now_ms = now_ms()?;
    let mut tenants = Vec::new();
    for n in 1..=spec.companies {
        let company = store
            .create_company(
                user.id,
                NewCompany {
                    name: format!("Bench company {n}"),
                    phone: Some(format!("7495{n:07}")),
                    description: Some("confab-bench data set".to_owned()),
                    webhook_url: None,
                    webhook_secret: confab_server::domain::token::webhook_secret(),
                },
                now_ms,
            )
            .await
            .with_context(|| format!("creating company {n}"))?;
        let mut settings = serde_json::Map::new();
        settings.insert(
            "phone".to_owned(),
            serde_json::Value::String(format!("7999{n:07}")),
        );
        let channel = store
            .create_channel(
                company.id,
                NewChannel {
                    provider: Provider::Whatsapp,
                    connector: "sandbox".to_owned(),
                    settings,
                },
                now_ms,
            )
            .await
            .with_context(|| format!("creating the channel of company {n}"))?;
        tenants.push(Tenant {
            company_id: company.id,
            channel_id: channel.id,
        });
    }
    // The bulk writers need the database to themselves (SQLite changes its journal mode).
    drop(store);

    let mut plan = Plan::new(spec, tenants, now_ms);
    if content == Content::Search {
        plan = plan.for_search(user.id);
    }
    let measured = plan.tenants[0];
    let long_conversation_id = plan.conversation_id(Plan::LONG);
    let conversation_id = plan.conversation_id(Plan::ORDINARY);
    match target {
        Target::Sqlite => {
            let db = data_dir.join(confab_store::SqliteStore::FILE_NAME);
            tokio::task::spawn_blocking(move || sqlite::load(&db, &plan))
                .await
                .context("the SQLite loader panicked")??;
        }
        Target::Postgres(url) => postgres::load(url, &plan).await?,
    }
    let load_seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "load: {} conversations and {} messages in {load_seconds:.1} s ({:.0} rows/s overall)",
        spec.conversations,
        spec.messages,
        (spec.conversations + spec.messages) as f64 / load_seconds
    );
    Ok(Dataset {
        data_dir: data_dir.to_owned(),
        database_url,
        token,
        user_id: user.id,
        company_id: measured.company_id,
        channel_id: measured.channel_id,
        conversation_id,
        long_conversation_id,
        deep_page_token: None,
        spec,
        load_seconds,
    })
}

/// Empties the PostgreSQL database at `url` (drops and recreates its `public` schema), so
/// a server started on it creates a fresh one.
///
/// # Errors
/// When the database cannot be reached or changed.
pub async fn reset_postgres(url: &str) -> anyhow::Result<()> {
    postgres::reset(url).await
}

/// Refuses specs the layout cannot honour, before anything is written.
fn check_spec(spec: Spec) -> anyhow::Result<()> {
    anyhow::ensure!(
        spec.companies >= 1,
        "the data set needs at least one company"
    );
    // The first company holds the long conversation and an ordinary one.
    let first_company = spec.conversations / spec.companies
        + u64::from(!spec.conversations.is_multiple_of(spec.companies));
    anyhow::ensure!(
        first_company >= 2,
        "the first company needs at least two conversations ({} over {} companies gives {first_company})",
        spec.conversations,
        spec.companies
    );
    anyhow::ensure!(
        spec.messages >= spec.long_conversation_messages,
        "{} messages cannot fill a long conversation of {}",
        spec.messages,
        spec.long_conversation_messages
    );
    anyhow::ensure!(
        i64::try_from(spec.conversations + spec.messages).is_ok(),
        "the data set is too large for 64-bit ids"
    );
    Ok(())
}

/// Creates `data_dir`, refusing one that already holds files: a leftover database would
/// make the ids this loader assumes collide with existing rows.
fn prepare_data_dir(data_dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let mut entries =
        std::fs::read_dir(data_dir).with_context(|| format!("reading {}", data_dir.display()))?;
    anyhow::ensure!(
        entries.next().is_none(),
        "{} is not empty; the loader needs a fresh data dir",
        data_dir.display()
    );
    Ok(())
}

/// The current time in unix milliseconds.
fn now_ms() -> anyhow::Result<i64> {
    // The loaded rows carry real times, as a server's would; the loader has no clock of its own.
    #[allow(clippy::disallowed_methods)]
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("the clock is before 1970")?;
    Ok(i64::try_from(since_epoch.as_millis())?)
}

/// A company and its one channel.
#[derive(Debug, Clone, Copy)]
struct Tenant {
    company_id: i64,
    channel_id: i64,
}

/// A year in milliseconds: the span the data set's timestamps cover.
const YEAR_MS: i64 = 365 * DAY_MS;
/// A day in milliseconds.
const DAY_MS: i64 = 86_400_000;
/// The newest generated time is this far before the load, so server writes made during a
/// benchmark always come after the loaded history.
const NEWEST_MS: i64 = 60_000;

/// How the bulk rows are laid out: which company each conversation belongs to, how many
/// messages each has, and the ids they get.
///
/// Conversation `g` (0-based, in company order, each company's block contiguous) gets id
/// `g + 1`; messages get ids from 1 in conversation order. So both tables' keys
/// (`(company_id, id)`, `(conversation_id, id)`) rise with every row written, and the
/// sequences end at the row counts.
struct Plan {
    spec: Spec,
    tenants: Vec<Tenant>,
    now_ms: i64,
    text: Text,
    /// With [`Content::Search`]: the user some conversations are assigned to.
    search: Option<SearchContent>,
}

/// What [`Content::Search`] adds to a plan.
struct SearchContent {
    /// The assignee of two thirds of the conversations.
    assignee: i64,
    /// A message whose id is a multiple of this holds [`RARE_WORD`].
    rare_every: i64,
}

impl Plan {
    /// The index of the long conversation: the measured company's first.
    const LONG: u64 = 0;
    /// The index of the ordinary conversation the runner reads and writes to.
    const ORDINARY: u64 = 1;

    fn new(spec: Spec, tenants: Vec<Tenant>, now_ms: i64) -> Self {
        Self {
            spec,
            tenants,
            now_ms,
            text: Text::new(),
            search: None,
        }
    }

    /// This plan with [`Content::Search`] rows: mixed-script text, names, assignees.
    fn for_search(self, assignee: i64) -> Self {
        let rare_every = (self.spec.messages / RARE_HITS).max(1).cast_signed();
        Self {
            text: Text::mixed(),
            search: Some(SearchContent {
                assignee,
                rare_every,
            }),
            ..self
        }
    }

    /// The id of conversation `g` (checked to fit by [`check_spec`]).
    fn conversation_id(&self, g: u64) -> i64 {
        g.cast_signed() + 1
    }

    /// How many messages conversation `g` has: the long one exactly
    /// `long_conversation_messages`, every other one an even share of the rest.
    fn messages_of(&self, g: u64) -> u64 {
        if g == Self::LONG {
            return self.spec.long_conversation_messages;
        }
        let others = self.spec.conversations - 1;
        let rest = self.spec.messages - self.spec.long_conversation_messages;
        rest / others + u64::from(g - 1 < rest % others)
    }

    /// Every row, in key order.
    fn rows(&self) -> Rows<'_> {
        Rows {
            plan: self,
            rng: Rng(0x00c0_ffee_5eed),
            // A second generator for the search content's extras, so the plain rows draw
            // exactly the numbers they always drew.
            extra: Rng(0x5ea2_c400),
            scratch: String::new(),
            company: 0,
            in_company: 0,
            company_size: self.company_size(0),
            g: 0,
            next_message_id: 1,
            sender: String::new(),
            name: String::new(),
            times: Vec::new(),
            bodies: Vec::new(),
        }
    }

    /// How many conversations company `c` (0-based) has; the first ones take the remainder.
    fn company_size(&self, c: usize) -> u64 {
        let n = self.tenants.len() as u64;
        self.spec.conversations / n + u64::from((c as u64) < self.spec.conversations % n)
    }

    /// All rows the load writes, for progress reports.
    fn total_rows(&self) -> u64 {
        self.spec.conversations + self.spec.messages
    }
}

/// A lending cursor over the generated rows: one conversation at a time, with its
/// messages. Reuses its buffers, so generating a row allocates nothing.
struct Rows<'p> {
    plan: &'p Plan,
    rng: Rng,
    extra: Rng,
    /// The search content's message bodies of the current conversation, composed.
    scratch: String,
    /// Index of the current company in `plan.tenants`.
    company: usize,
    /// How many of its conversations are done.
    in_company: u64,
    company_size: u64,
    /// Index of the next conversation over all companies.
    g: u64,
    next_message_id: i64,
    sender: String,
    name: String,
    times: Vec<i64>,
    /// `(start, len)` of each message's body in the plan's text.
    bodies: Vec<(u32, u32)>,
}

/// One conversation row and its messages, borrowed from [`Rows`].
struct ConversationRows<'a> {
    company_id: i64,
    channel_id: i64,
    id: i64,
    sender_external_id: &'a str,
    name: &'a str,
    created_at: i64,
    last_message_at: Option<i64>,
    last_income_message_at: Option<i64>,
    /// The last activity (the last message, or the creation): the server keeps this
    /// beside the message times for its `order=last_message` list.
    activity_at: i64,
    /// Whether the last message is incoming, as the server keeps it.
    awaiting_reply: bool,
    /// The operator the conversation is assigned to.
    assignee_id: Option<i64>,
    /// 0 when the contact wrote first, 1 when the operator did.
    income_parity: usize,
    first_message_id: i64,
    times: &'a [i64],
    bodies: &'a [(u32, u32)],
    text: &'a str,
}

/// One message row.
struct MessageRow<'a> {
    id: i64,
    income: bool,
    body: &'a str,
    ack: i32,
    created_at: i64,
}

impl<'a> ConversationRows<'a> {
    /// The conversation's messages, oldest first.
    fn messages(&self) -> impl Iterator<Item = MessageRow<'a>> + use<'a> {
        let (first_id, text, parity) = (self.first_message_id, self.text, self.income_parity);
        self.times.iter().zip(self.bodies).enumerate().map(
            move |(j, (&created_at, &(start, len)))| {
                // One side writes first (the contact, unless the parity says the
                // operator), then the other answers, and so on.
                let income = (j + parity) % 2 == 0;
                MessageRow {
                    id: first_id + j as i64,
                    income,
                    body: text
                        .get(start as usize..(start + len) as usize)
                        .unwrap_or_default(),
                    ack: if income { Ack::Delivered } else { Ack::Read }.as_i32(),
                    created_at,
                }
            },
        )
    }
}

impl Rows<'_> {
    /// The next conversation, or `None` after the last.
    fn next_conversation(&mut self) -> Option<ConversationRows<'_>> {
        let plan = self.plan;
        if self.g >= plan.spec.conversations {
            return None;
        }
        while self.in_company >= self.company_size {
            self.company += 1;
            self.in_company = 0;
            self.company_size = plan.company_size(self.company);
        }
        let tenant = *plan.tenants.get(self.company)?;
        let g = self.g;
        let count = plan.messages_of(g);
        let rng = &mut self.rng;

        // A company's conversations start in id order over the year (as real ids would),
        // each lasting minutes to weeks; the long one runs the whole year to now.
        let newest = plan.now_ms - NEWEST_MS;
        let (created_at, end) = if g == Plan::LONG {
            (plan.now_ms - YEAR_MS, newest)
        } else {
            let slot = (YEAR_MS - DAY_MS) / self.company_size.cast_signed();
            let created = plan.now_ms - YEAR_MS
                + self.in_company.cast_signed() * slot
                + rng.below(slot.max(1));
            (created, created + 10 * 60_000 + rng.below(30 * DAY_MS))
        };
        // At least 2 ms per message keeps times strictly increasing; the newest is a
        // minute ago at most (created_at is a day before now at the latest).
        let end = end
            .max(created_at + 2 * (count.cast_signed() + 1))
            .min(newest);
        let step = (end - created_at) / (count.cast_signed() + 1);
        self.times.clear();
        self.bodies.clear();
        self.scratch.clear();
        for j in 0..count.cast_signed() {
            self.times
                .push(created_at + (j + 1) * step + rng.below(step / 2));
            let picked = plan.text.pick(rng);
            match &plan.search {
                None => self.bodies.push(picked),
                Some(search) => {
                    let rare = (self.next_message_id + j) % search.rare_every == 0;
                    let body =
                        compose(&mut self.scratch, &mut self.extra, &plan.text, picked, rare);
                    self.bodies.push(body);
                }
            }
        }
        let last_message_at = self.times.last().copied();
        // In search content about 30 % of the conversations were opened by the operator,
        // so with the usual even message count the contact has the last word there.
        let income_parity = match &plan.search {
            Some(_) => usize::from(self.extra.below(10) < 3),
            None => 0,
        };
        // Incoming messages are those whose index plus the parity is even.
        let last_income_message_at = match count {
            0 => None,
            n => {
                let last = (n - 1) as usize;
                let index = if (last + income_parity).is_multiple_of(2) {
                    Some(last)
                } else {
                    last.checked_sub(1)
                };
                index.and_then(|i| self.times.get(i).copied())
            }
        };

        self.sender.clear();
        // Phone-like and unique: 79 and nine digits, rising with g so the contact index
        // is appended to as well.
        let _ = write!(self.sender, "{}", 79_100_000_000 + g * 13);
        self.name.clear();
        let (first, last) = (
            rng.below(FIRST_NAMES.len() as i64) as usize,
            rng.below(LAST_NAMES.len() as i64) as usize,
        );
        // Half the search content's contacts write their names in Cyrillic.
        let cyrillic = plan.search.is_some() && self.extra.below(2) == 0;
        if cyrillic {
            self.name
                .push_str(RU_FIRST_NAMES[first % RU_FIRST_NAMES.len()]);
            self.name.push(' ');
            self.name
                .push_str(RU_LAST_NAMES[last % RU_LAST_NAMES.len()]);
        } else {
            self.name.push_str(FIRST_NAMES[first]);
            self.name.push(' ');
            self.name.push_str(LAST_NAMES[last]);
        }
        let assignee_id = plan
            .search
            .as_ref()
            .filter(|_| self.extra.below(3) != 0)
            .map(|s| s.assignee);

        let first_message_id = self.next_message_id;
        self.next_message_id += count.cast_signed();
        self.g += 1;
        self.in_company += 1;
        Some(ConversationRows {
            company_id: tenant.company_id,
            channel_id: tenant.channel_id,
            id: plan.conversation_id(g),
            sender_external_id: &self.sender,
            name: &self.name,
            created_at,
            last_message_at,
            last_income_message_at,
            activity_at: last_message_at.unwrap_or(created_at),
            awaiting_reply: count > 0 && last_income_message_at == last_message_at,
            assignee_id,
            income_parity,
            first_message_id,
            times: &self.times,
            bodies: &self.bodies,
            text: match plan.search {
                Some(_) => &self.scratch,
                None => &plan.text.text,
            },
        })
    }
}

/// A small, fast, seeded generator (SplitMix64): the data set must be the same on every
/// run, and `rand`'s generators are more than this needs.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n <= 0`); the modulo bias is irrelevant here.
    fn below(&mut self, n: i64) -> i64 {
        match u64::try_from(n) {
            Ok(n) if n > 0 => (self.next_u64() % n).cast_signed(),
            _ => 0,
        }
    }
}

/// Shortest and longest message body, in characters (the text is ASCII).
const BODY_LEN: (u32, u32) = (20, 300);

/// Appends a search-content body to `scratch` and returns its `(start, len)` there: the
/// picked slice of `text`, sometimes a phone number or a word of the long tail, and
/// [`RARE_WORD`] when `rare`.
fn compose(
    scratch: &mut String,
    extra: &mut Rng,
    text: &Text,
    (start, len): (u32, u32),
    rare: bool,
) -> (u32, u32) {
    let begin = scratch.len();
    scratch.push_str(
        text.text
            .get(start as usize..(start + len) as usize)
            .unwrap_or_default(),
    );
    if extra.below(40) == 0 {
        let _ = write!(
            scratch,
            " +7 9{:02} {:03}-{:02}-{:02}",
            extra.below(100),
            extra.below(1000),
            extra.below(100),
            extra.below(100)
        );
    }
    if extra.below(25) == 0 {
        // Made-up words (4,096 per script): the long tail of names, places and typos
        // that gives a real index most of its distinct terms, each in few messages.
        let syllables = if extra.below(2) == 0 {
            LATIN_SYLLABLES
        } else {
            CYRILLIC_SYLLABLES
        };
        scratch.push(' ');
        for _ in 0..3 {
            scratch.push_str(syllables[extra.below(syllables.len() as i64) as usize]);
        }
    }
    if rare {
        scratch.push(' ');
        scratch.push_str(RARE_WORD);
    }
    (begin as u32, (scratch.len() - begin) as u32)
}

/// Syllables of the long tail's Latin words.
const LATIN_SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ra", "ne", "to", "vu", "shi", "dor", "pel", "zan", "gri", "bo", "te", "lum",
    "fa",
];
/// Syllables of the long tail's Cyrillic words.
const CYRILLIC_SYLLABLES: &[&str] = &[
    "ка", "ло", "ми", "ра", "не", "то", "ву", "ши", "дор", "пел", "зан", "гри", "бо", "те", "люм",
    "фа",
];

/// Chat-like text that message bodies are slices of, so a body costs two random numbers
/// rather than an allocation. No tab, newline or backslash, so the slices need no escaping
/// in SQL parameters or `COPY` text; ASCII for [`Content::Plain`].
struct Text {
    text: String,
    /// Byte offsets where words start, early enough for the longest body to fit.
    starts: Vec<u32>,
}

impl Text {
    /// English text (the plain content).
    fn new() -> Self {
        Self::build(&[WORDS])
    }

    /// English and Russian sentences, about half each (the search content).
    fn mixed() -> Self {
        Self::build(&[WORDS, RU_WORDS])
    }

    /// Sentences of words from `vocabularies`, each sentence from one of them.
    fn build(vocabularies: &[&[&'static str]]) -> Self {
        let mut rng = Rng(42);
        let mut text = String::with_capacity(70_000);
        let mut starts = Vec::new();
        let mut sentence = 0;
        let mut words = vocabularies[0];
        while text.len() < 64 * 1024 {
            starts.push(text.len() as u32);
            if sentence == 0 && vocabularies.len() > 1 {
                // Only when there is a choice, so the plain text draws what it always drew.
                words = vocabularies[rng.below(vocabularies.len() as i64) as usize];
            }
            let word = words[rng.below(words.len() as i64) as usize];
            if sentence == 0 {
                let mut chars = word.chars();
                if let Some(first) = chars.next() {
                    text.extend(first.to_uppercase());
                    text.push_str(chars.as_str());
                }
                sentence = 4 + rng.below(12);
            } else {
                text.push_str(word);
            }
            sentence -= 1;
            text.push_str(match (sentence, rng.below(8)) {
                (0, 0) => "? ",
                (0, 1) => "! ",
                (0, _) => ". ",
                (_, 0) => ", ",
                _ => " ",
            });
        }
        let last_fit = text.len() - BODY_LEN.1 as usize;
        starts.retain(|&s| s as usize <= last_fit);
        Self { text, starts }
    }

    /// A random body: `(start, len)` in the text, `len` in bytes, ending on a character
    /// boundary (always so for ASCII text).
    fn pick(&self, rng: &mut Rng) -> (u32, u32) {
        let start = self.starts[rng.below(self.starts.len() as i64) as usize];
        let len = BODY_LEN.0 + rng.below(i64::from(BODY_LEN.1 - BODY_LEN.0 + 1)) as u32;
        let mut end = (start + len) as usize;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        (start, end as u32 - start)
    }
}

/// Words of the message bodies.
const WORDS: &[&str] = &[
    "hello",
    "thanks",
    "order",
    "delivery",
    "today",
    "tomorrow",
    "please",
    "can",
    "you",
    "send",
    "the",
    "invoice",
    "price",
    "we",
    "have",
    "it",
    "in",
    "stock",
    "when",
    "will",
    "my",
    "package",
    "arrive",
    "address",
    "is",
    "street",
    "house",
    "flat",
    "call",
    "me",
    "back",
    "after",
    "six",
    "ok",
    "great",
    "sure",
    "what",
    "size",
    "colour",
    "do",
    "need",
    "payment",
    "card",
    "cash",
    "courier",
    "pickup",
    "point",
    "number",
    "tracking",
    "code",
    "sorry",
    "for",
    "delay",
    "manager",
    "will",
    "contact",
    "soon",
    "discount",
    "promo",
    "available",
    "not",
    "yet",
    "week",
    "monday",
    "friday",
    "morning",
    "evening",
    "a",
    "an",
    "to",
    "from",
    "and",
    "or",
    "but",
    "this",
    "that",
    "one",
    "two",
    "three",
    "more",
    "less",
    "good",
    "fine",
    "receipt",
    "refund",
    "return",
    "exchange",
    "warranty",
    "product",
    "model",
    "photo",
    "link",
    "website",
    "app",
    "account",
    "password",
    "login",
    "help",
    "question",
    "answer",
    "confirm",
    "cancel",
    "change",
    "booking",
    "table",
    "time",
];

/// Russian words of the search content's message bodies.
const RU_WORDS: &[&str] = &[
    "здравствуйте",
    "спасибо",
    "заказ",
    "доставка",
    "сегодня",
    "завтра",
    "пожалуйста",
    "можно",
    "отправить",
    "счёт",
    "цена",
    "есть",
    "в",
    "наличии",
    "когда",
    "будет",
    "посылка",
    "адрес",
    "улица",
    "дом",
    "квартира",
    "позвоните",
    "мне",
    "после",
    "шести",
    "хорошо",
    "отлично",
    "конечно",
    "какой",
    "размер",
    "цвет",
    "нужно",
    "оплата",
    "карта",
    "наличные",
    "курьер",
    "пункт",
    "выдачи",
    "номер",
    "трек",
    "код",
    "извините",
    "за",
    "задержку",
    "менеджер",
    "свяжется",
    "скоро",
    "скидка",
    "промокод",
    "доступно",
    "ещё",
    "нет",
    "на",
    "неделе",
    "понедельник",
    "пятница",
    "утром",
    "вечером",
    "и",
    "или",
    "но",
    "это",
    "чек",
    "возврат",
    "обмен",
    "гарантия",
    "товар",
    "фото",
    "ссылка",
    "сайт",
    "приложение",
    "аккаунт",
    "пароль",
    "помощь",
    "вопрос",
    "ответ",
    "подтвердите",
    "отмените",
    "изменить",
    "бронирование",
    "столик",
    "время",
];

/// Contacts' first names in Cyrillic (the search content's other half).
const RU_FIRST_NAMES: &[&str] = &[
    "Анна",
    "Иван",
    "Мария",
    "Дмитрий",
    "Ольга",
    "Сергей",
    "Елена",
    "Алексей",
    "Наталья",
    "Павел",
    "Ирина",
    "Михаил",
    "Татьяна",
    "Андрей",
    "Светлана",
    "Николай",
    "Юлия",
    "Артём",
    "Екатерина",
    "Максим",
];

/// Contacts' last names in Cyrillic.
const RU_LAST_NAMES: &[&str] = &[
    "Иванова",
    "Петров",
    "Смирнова",
    "Кузнецов",
    "Попова",
    "Васильев",
    "Соколова",
    "Михайлов",
    "Новикова",
    "Фёдоров",
    "Морозова",
    "Волков",
    "Алексеева",
    "Лебедев",
    "Семёнова",
    "Егоров",
];

/// Contacts' first names.
const FIRST_NAMES: &[&str] = &[
    "Anna",
    "Ivan",
    "Maria",
    "Dmitry",
    "Olga",
    "Sergey",
    "Elena",
    "Alexey",
    "Natalia",
    "Pavel",
    "Irina",
    "Mikhail",
    "Tatiana",
    "Andrey",
    "Svetlana",
    "Nikolai",
    "Yulia",
    "Artem",
    "Ekaterina",
    "Maxim",
    "Daria",
    "Roman",
    "Polina",
    "Kirill",
];

/// Contacts' last names.
const LAST_NAMES: &[&str] = &[
    "Ivanova",
    "Petrov",
    "Smirnova",
    "Kuznetsov",
    "Popova",
    "Vasiliev",
    "Sokolova",
    "Mikhailov",
    "Novikova",
    "Fedorov",
    "Morozova",
    "Volkov",
    "Alekseeva",
    "Lebedev",
    "Semenova",
    "Egorov",
    "Pavlova",
    "Kozlov",
    "Stepanova",
    "Nikolaev",
];

/// Progress on stderr every few seconds: rows written and the rate.
struct Progress {
    total: u64,
    done: u64,
    started: Instant,
    last_report: Instant,
}

impl Progress {
    /// How often a line is printed.
    const EVERY: Duration = Duration::from_secs(3);

    fn new(total: u64) -> Self {
        let now = Instant::now();
        Self {
            total,
            done: 0,
            started: now,
            last_report: now,
        }
    }

    /// Counts `rows` more and prints a line when one is due.
    fn add(&mut self, rows: u64) {
        self.done += rows;
        let now = Instant::now();
        if now.duration_since(self.last_report) >= Self::EVERY {
            self.last_report = now;
            self.report("load");
        }
    }

    /// Prints where the load is.
    fn report(&self, what: &str) {
        let seconds = self.started.elapsed().as_secs_f64();
        eprintln!(
            "{what}: {}/{} rows ({:.0} %), {:.0} rows/s",
            self.done,
            self.total,
            100.0 * self.done as f64 / self.total.max(1) as f64,
            self.done as f64 / seconds.max(1e-9)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Scale;
    use confab_store::{MessagePageRequest, PageRequest};

    /// The layout honours the spec exactly: every conversation and message, the long
    /// conversation's count, ids from 1, and consistent times.
    #[test]
    fn rows_follow_the_spec() {
        let spec = Scale::Tiny.spec();
        let tenants = (1..=spec.companies as i64)
            .map(|n| Tenant {
                company_id: n,
                channel_id: n,
            })
            .collect();
        let plan = Plan::new(spec, tenants, 1_700_000_000_000);
        let mut rows = plan.rows();
        let (mut conversations, mut messages, mut next_id) = (0, 0, 1);
        while let Some(c) = rows.next_conversation() {
            conversations += 1;
            assert_eq!(c.id, conversations);
            let list: Vec<_> = c.messages().collect();
            if c.id == 1 {
                assert_eq!(list.len() as u64, spec.long_conversation_messages);
                assert_eq!(c.company_id, 1);
            }
            for pair in list.windows(2) {
                assert!(pair[0].created_at < pair[1].created_at);
            }
            for m in &list {
                assert_eq!(m.id, next_id);
                next_id += 1;
                assert!((20..=300).contains(&m.body.len()), "{:?}", m.body);
                assert!(m.created_at > c.created_at);
                assert!(m.created_at < 1_700_000_000_000);
            }
            assert_eq!(c.last_message_at, list.last().map(|m| m.created_at));
            assert_eq!(
                c.last_income_message_at,
                list.iter().rev().find(|m| m.income).map(|m| m.created_at)
            );
            assert_eq!(
                c.activity_at,
                list.last().map_or(c.created_at, |m| m.created_at)
            );
            assert_eq!(c.awaiting_reply, list.last().is_some_and(|m| m.income));
            messages += list.len() as u64;
        }
        assert_eq!(conversations as u64, spec.conversations);
        assert_eq!(messages, spec.messages);
    }

    /// The search content: bodies cut on character boundaries, the rare word in the
    /// planned messages, and assignees, awaiting replies and Cyrillic names in about the
    /// planned shares, with the times and flags as consistent as the plain rows'.
    #[test]
    fn search_rows_follow_the_plan() {
        let spec = Scale::Tiny.search_spec();
        let tenants = vec![Tenant {
            company_id: 1,
            channel_id: 1,
        }];
        let plan = Plan::new(spec, tenants, 1_700_000_000_000).for_search(7);
        let mut rows = plan.rows();
        let (mut rare, mut assigned, mut awaiting, mut cyrillic) = (0, 0, 0, 0);
        while let Some(c) = rows.next_conversation() {
            let list: Vec<_> = c.messages().collect();
            for m in &list {
                assert!(m.body.len() >= 10, "{:?}", m.body);
                assert!(!m.body.contains(['\t', '\n', '\\']));
                rare += usize::from(m.body.contains(RARE_WORD));
            }
            assert_eq!(
                c.last_income_message_at,
                list.iter().rev().find(|m| m.income).map(|m| m.created_at)
            );
            assert_eq!(c.awaiting_reply, list.last().is_some_and(|m| m.income));
            assert!(matches!(c.assignee_id, None | Some(7)));
            assigned += usize::from(c.assignee_id.is_some());
            awaiting += usize::from(c.awaiting_reply);
            cyrillic += usize::from(!c.name.is_ascii());
        }
        let n = spec.conversations as usize;
        assert_eq!(rare as u64, RARE_HITS);
        assert!((n / 2..n * 5 / 6).contains(&assigned), "{assigned} of {n}");
        assert!((n / 5..n * 2 / 5).contains(&awaiting), "{awaiting} of {n}");
        assert!((n / 3..n * 2 / 3).contains(&cyrillic), "{cyrillic} of {n}");
    }

    /// A Tiny SQLite load reads back through the store, and the store's own writes
    /// continue the loaded ids.
    #[tokio::test(flavor = "multi_thread")]
    async fn tiny_sqlite_load_reads_back() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let data_dir = dir.path().join("data");
        let spec = Scale::Tiny.spec();
        let set = load(&Target::Sqlite, spec, &data_dir, Content::Plain).await?;
        let store = confab_store::open(None, &data_dir, 2).await?;
        let page = PageRequest {
            after: None,
            descending: false,
            limit: 1000,
        };
        let listed = store.list_conversations(set.company_id, page).await?;
        assert_eq!(listed.len() as u64, spec.conversations / spec.companies);
        let long = store
            .list_messages(
                set.company_id,
                set.long_conversation_id,
                MessagePageRequest {
                    after: None,
                    descending: false,
                    limit: 1000,
                },
            )
            .await?;
        assert_eq!(long.len() as u64, spec.long_conversation_messages);
        let job = store
            .send_message(
                set.company_id,
                confab_store::NewOutgoing {
                    conversation_id: set.conversation_id,
                    body: "after the load".to_owned(),
                    send_to_crm: true,
                    attachment_ids: Vec::new(),
                    interactive: None,
                },
                now_ms()?,
            )
            .await?;
        assert_eq!(job.message_id, spec.messages as i64 + 1);
        Ok(())
    }
}
