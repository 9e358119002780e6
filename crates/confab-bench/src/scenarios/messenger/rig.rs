//! One server of a messenger scenario, set up the way an integration would be: a fresh
//! data dir (and database), a user, a company whose webhooks go to a loopback receiver,
//! one channel, and the company's event stream open to see when messages are stored.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use super::receiver::Receiver;
use crate::api;
use crate::dataset::Target;
use crate::scenarios::Ctx;
use crate::server::{Launch, Server};
use crate::sse::{self, StreamStats};

/// How the rig's channel reaches its messenger.
pub enum Messenger<'a> {
    /// A real Telegram channel of `token`, the Bot API at `api_url` (the fake).
    Telegram {
        /// The Bot API base URL.
        api_url: &'a str,
        /// The bot's token.
        token: &'a str,
    },
    /// A WhatsApp Business (Cloud API) channel created with `form`, the Graph API at
    /// `api_url` (the fake); Meta's webhook events go to `{base}/hooks/whatsapp_business/ID`.
    WhatsApp {
        /// The Graph API base URL.
        api_url: &'a str,
        /// The channel's creation parameters.
        form: &'a [(&'a str, &'a str)],
    },
    /// A `--sandbox` server with a simulated WhatsApp channel, as the other scenarios use.
    Sandbox,
}

/// A running server with its company, channel, webhook receiver and event stream.
pub struct Rig {
    /// The server.
    pub server: Server,
    /// Its base URL.
    pub base: String,
    /// The bench user's API token.
    pub token: String,
    /// The company.
    pub company: i64,
    /// Its one channel.
    pub channel: i64,
    /// Where the company's webhooks go.
    pub receiver: Receiver,
    /// Probe messages the company's event stream has seen stored.
    pub stored: Arc<AtomicU64>,
    stop_stream: watch::Sender<bool>,
    stream: JoinHandle<StreamStats>,
    data_dir: PathBuf,
}

impl Rig {
    /// Sets up a fresh server for `probes` probe messages timed from `epoch`.
    pub async fn start(
        ctx: &Ctx,
        (label, target): (&str, &Target),
        messenger: &Messenger<'_>,
        probes: usize,
        epoch: Instant,
    ) -> anyhow::Result<Self> {
        let data_dir = ctx.work.join(label);
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("creating {}", data_dir.display()))?;
        let database_url = match target {
            Target::Sqlite => None,
            Target::Postgres(url) => {
                // Each rig starts on an empty database, like the SQLite one on a fresh dir.
                crate::load::reset_postgres(url).await?;
                Some(url.as_str())
            }
        };
        // The token comes from the store as `confab user create` makes it: the API has no
        // route that creates users.
        let (_, token) = confab_server::users::create_user(&data_dir, database_url, "bench")
            .await
            .context("creating the bench user")?;
        let receiver = Receiver::start(probes, epoch).await?;
        // Webhooks go to a loopback receiver, which confab refuses without this.
        let mut extra = vec!["--allow-private-urls".to_owned()];
        match messenger {
            Messenger::Telegram { api_url, .. } => {
                extra.extend(["--telegram-api-url".to_owned(), (*api_url).to_owned()]);
            }
            Messenger::WhatsApp { api_url, .. } => {
                // A public URL lets the channel be created; the bench posts Meta's events
                // to the server's loopback address itself.
                extra.extend([
                    "--whatsapp-api-url".to_owned(),
                    (*api_url).to_owned(),
                    "--public-url".to_owned(),
                    "http://127.0.0.1".to_owned(),
                ]);
            }
            Messenger::Sandbox => {}
        }
        extra.extend(ctx.settings.server_args.iter().cloned());
        let launch = Launch {
            data_dir: &data_dir,
            database_url,
            sandbox: matches!(messenger, Messenger::Sandbox),
        };
        let server = Server::launch(
            &ctx.bin,
            &launch,
            &ctx.server_log(),
            &ctx.settings.server_log,
            &extra,
        )
        .await?;
        let base = server.base();
        let client = &ctx.client;
        let company =
            api::create_company(client, &base, &token, "Bench shop", &receiver.url).await?;
        let channel = match messenger {
            Messenger::Telegram { token: bot, .. } => {
                let form = [("provider", "telegram"), ("token", *bot)];
                api::create_channel(client, &base, &token, company, &form).await?
            }
            Messenger::WhatsApp { form, .. } => {
                api::create_channel(client, &base, &token, company, form).await?
            }
            Messenger::Sandbox => {
                let form = [("provider", "whatsapp")];
                api::create_channel(client, &base, &token, company, &form).await?
            }
        };
        let stored = Arc::new(AtomicU64::new(0));
        let (stop_stream, stop_rx) = watch::channel(false);
        let (opened_tx, opened_rx) = oneshot::channel();
        let stream = tokio::spawn(sse::read(
            sse::Target {
                client: sse::client()?,
                url: format!("{base}/p1/companies/{company}/events"),
                token: token.clone(),
                epoch,
                probes,
                received: stored.clone(),
            },
            opened_tx,
            stop_rx,
        ));
        opened_rx
            .await
            .map_err(|_| anyhow::anyhow!("the event stream reader is gone"))?
            .map_err(|why| anyhow::anyhow!("the company's event stream did not open: {why}"))?;
        Ok(Self {
            server,
            base,
            token,
            company,
            channel,
            receiver,
            stored,
            stop_stream,
            stream,
            data_dir,
        })
    }

    /// Waits until `expected` probes are stored and have their webhooks, or `drain`
    /// passes; answers whether they all arrived.
    pub async fn wait_for(&self, expected: u64, drain: Duration) -> bool {
        let deadline = Instant::now() + drain;
        loop {
            let done = self.stored.load(Ordering::Relaxed) >= expected
                && self.receiver.received() >= expected;
            if done || Instant::now() >= deadline {
                return done;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Stops everything; answers what the event stream and the receiver saw.
    pub async fn stop(self) -> anyhow::Result<Seen> {
        let _ = self.stop_stream.send(true);
        let stats = self
            .stream
            .await
            .context("the event stream reader panicked")?;
        let webhooks = self.receiver.receipts();
        let duplicate_webhooks = self.receiver.duplicates();
        self.server.stop().await?;
        self.receiver.stop().await;
        std::fs::remove_dir_all(&self.data_dir)
            .with_context(|| format!("removing {}", self.data_dir.display()))?;
        if let Some(why) = &stats.ended {
            eprintln!("   the event stream ended early: {why}");
        }
        Ok(Seen {
            stored: stats.receipts,
            webhooks,
            duplicate_stored: stats.duplicates,
            duplicate_webhooks,
        })
    }
}

/// The probes a rig saw arrive.
pub struct Seen {
    /// When each was stored (read on the event stream), µs since the epoch, by sequence.
    pub stored: Vec<u32>,
    /// When each one's webhook arrived, the same.
    pub webhooks: Vec<u32>,
    /// Probes read twice on the event stream.
    pub duplicate_stored: u64,
    /// Probe webhooks that arrived twice.
    pub duplicate_webhooks: u64,
}
