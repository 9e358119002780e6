//! The confab conversations server as a library: [`run`] serves the Pact p1 API on a
//! listener until a shutdown future completes. The `confab` binary and the tests both
//! start the server through it.

use std::fs::File;
use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use clock::SharedClock;
use tokio::net::TcpListener;
use tower::Layer;
use tower::util::MapRequestLayer;

pub mod app;
pub mod blobs;
pub mod clock;
pub mod config;
pub mod connectors;
pub mod delivery;
pub mod domain;
pub mod http;
pub mod net;
pub mod ops;
pub mod render;
pub mod retention;
pub mod secrets;
pub mod serve;
pub mod stream;
pub mod template_sync;
pub mod ui;
pub mod users;
pub mod wakeup;
pub mod webhooks;
pub mod worker;

pub use config::Config;

/// What every request handler can reach: one shared allocation, so the many clones a
/// request's extractors and layers make are each one reference count.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The server's shared parts, reached through [`AppState`].
pub struct Shared {
    /// The operations, and the store, blobs, clock and wake-ups they work with.
    pub app: Arc<app::App>,
    /// The configuration the server runs with.
    pub config: Arc<Config>,
    /// When the background loops last went round.
    pub heartbeats: ops::SharedHeartbeats,
    /// The per-token limits: the rate and the requests in flight.
    pub limiter: http::rate_limit::Limiter,
    /// The login attempts per name and per client address.
    pub login_limiter: ui::login_limit::LoginLimiter,
    /// The open event streams: their cap, and the signal that ends them at shutdown.
    pub streams: stream::Streams,
    /// The messenger connectors.
    pub connectors: Arc<connectors::Connectors>,
    /// Whether writes fail for lack of space (for `/readyz`).
    pub write_health: Arc<ops::WriteHealth>,
    /// Where real whatsapp_business channels' templates are fetched from: the Cloud API
    /// connector (an `Option` so a server could run without one).
    pub template_source: app::SharedTemplateSource,
}

/// The lock file that keeps a second `confab serve` off a data dir in use.
const LOCK_FILE: &str = "serve.lock";

/// Warns when an existing data dir can be read or entered by other users of the machine
/// (it holds message bodies and channel credentials; confab creates it 0700).
fn warn_if_shared(dir: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(dir)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                data_dir = %dir.display(),
                mode = format!("{:o}", meta.permissions().mode() & 0o777),
                "the data dir is open to other users of this machine; `chmod 700` it"
            );
        }
    }
}

/// Takes the data dir's exclusive serve lock, or says who has it.
fn lock_data_dir(config: &Config) -> anyhow::Result<File> {
    warn_if_shared(&config.data_dir);
    confab_store::create_private_dir(&config.data_dir)
        .with_context(|| format!("cannot create data dir {}", config.data_dir.display()))?;
    let path = config.data_dir.join(LOCK_FILE);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "data dir {} is in use by another confab serve; stop it or choose another --data-dir",
            config.data_dir.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

/// This node's name in the database's leases: kept in the data dir, so a restarted server
/// takes its own leases back at once instead of waiting for them to expire.
fn node_id(config: &Config) -> anyhow::Result<String> {
    let path = config.data_dir.join("node.id");
    if let Ok(id) = std::fs::read_to_string(&path)
        && !id.trim().is_empty()
    {
        return Ok(id.trim().to_owned());
    }
    let id = format!("node-{:016x}", rand::random::<u64>());
    std::fs::write(&path, &id).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(id)
}

impl AppState {
    /// Opens the store, blob storage and spool dir of `config.data_dir`, telling time by
    /// `clock`.
    ///
    /// # Errors
    /// When any of them cannot be opened.
    pub async fn open(config: Config, clock: SharedClock) -> anyhow::Result<Self> {
        let store = confab_store::open(
            config.database_url.as_deref(),
            &config.data_dir,
            config.database_max_connections,
        )
        .await?;
        // Installs the metrics recorder before anything records.
        ops::prometheus();
        let blobs = blobs::Blobs::open(config.blob_url.as_deref(), &config.data_dir)?;
        let tmp_dir = config.data_dir.join("tmp");
        // Spooled uploads of a previous run that died mid-request are garbage now.
        if tmp_dir.exists() {
            std::fs::remove_dir_all(&tmp_dir).ok();
        }
        std::fs::create_dir_all(&tmp_dir)?;
        let fetcher = net::Fetcher::new(
            config.allow_private_urls,
            config.fetch_timeout,
            config.webhook_timeout,
        )?;
        if config.database_url.is_some() && config.secret_key.is_none() {
            tracing::warn!(
                "no --secret-key (CONFAB_SECRET_KEY): channel secrets are sealed with this node's \
                 key file; other nodes on this database cannot open them, so give every node \
                 the same --secret-key"
            );
        }
        let secrets = secrets::SecretBox::load(config.secret_key.as_deref(), &config.data_dir)?;
        let sealed = secrets::seal_stored(store.as_ref(), &secrets).await?;
        if sealed > 0 {
            tracing::info!(
                channels = sealed,
                "encrypted the stored secrets of channels"
            );
        }
        let app = app::App {
            store,
            blobs,
            fetcher,
            clock,
            tmp_dir,
            max_attachment_size: config.max_attachment_size,
            delivery_wakeup: wakeup::Wakeup::default(),
            webhook_wakeup: wakeup::Wakeup::default(),
            intake_wakeup: wakeup::Wakeup::default(),
            channels_wakeup: wakeup::Wakeup::default(),
            secrets,
        };
        let app = Arc::new(app);
        let connectors = Arc::new(connectors::Connectors::new(app.clone(), &config)?);
        let template_source: app::SharedTemplateSource = Some(connectors.whatsapp.clone());
        Ok(Self(Arc::new(Shared {
            app,
            connectors,
            write_health: Arc::default(),
            template_source,
            heartbeats: ops::SharedHeartbeats::default(),
            limiter: http::rate_limit::Limiter::new(
                config.rate_limit,
                config.rate_burst,
                config.max_requests_per_token,
            ),
            login_limiter: ui::login_limit::LoginLimiter::new(),
            streams: stream::Streams::new(config.max_streams),
            config: Arc::new(config),
        })))
    }
}

/// Serves the API on `listener` until `shutdown` completes, then finishes the requests in
/// flight and returns.
///
/// # Errors
/// When the data dir is locked by another server, or cannot be opened.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    run_with_clock(config, listener, shutdown, Arc::new(clock::SystemClock)).await
}

/// [`run`], telling time by `clock` (tests move a [`clock::ManualClock`] instead of
/// waiting for retry delays and leases).
///
/// # Errors
/// When the data dir is locked by another server, or cannot be opened.
pub async fn run_with_clock(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    clock: SharedClock,
) -> anyhow::Result<()> {
    let _lock = lock_data_dir(&config)?;
    let open_files = serve::raise_open_file_limit();
    let connection_limits = serve::ConnectionLimits {
        max_connections: serve::connection_cap(config.max_connections, open_files),
        header_read_timeout: config.header_read_timeout,
        keep_alive_timeout: config.keep_alive_timeout,
    };
    let state = AppState::open(config, clock).await?;
    let cancel = tokio_util::sync::CancellationToken::new();
    // Bound before any task starts, so a failed bind leaves nothing running.
    let admin_listener = match state.config.admin_listen {
        Some(addr) => Some(
            TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on --admin-listen {addr}"))?,
        ),
        None => None,
    };
    let workers = worker::WorkerState {
        app: state.app.clone(),
        config: state.config.clone(),
        heartbeats: state.heartbeats.clone(),
        connectors: state.connectors.clone(),
    };
    let node = node_id(&state.config)?;
    let worker = tokio::spawn(delivery::run_worker(workers.clone(), cancel.clone()));
    let intake = tokio::spawn(connectors::intake::run_intake(
        workers.clone(),
        state.connectors.clone(),
        cancel.clone(),
    ));
    let telegram = tokio::spawn(connectors::telegram::poller::run_supervisor(
        state.connectors.telegram.clone(),
        node,
        cancel.clone(),
    ));
    let dispatcher = tokio::spawn(webhooks::run_dispatcher(workers.clone(), cancel.clone()));
    // The sandbox's device receipts (ack 2), durable rows a sandbox send leaves due.
    let device_receipts = tokio::spawn(delivery::sandbox::run_device_receipts(
        workers.clone(),
        cancel.clone(),
    ));
    let templates = tokio::spawn(template_sync::run_template_sync(
        state.app.clone(),
        state.template_source.clone(),
        cancel.clone(),
    ));
    let pruner = tokio::spawn(retention::run_pruner(workers, cancel.clone()));
    let admin = match admin_listener {
        Some(listener) => {
            let admin_app = http::admin_router(state.clone());
            let stop = cancel.clone();
            Some(tokio::spawn(async move {
                axum::serve(listener, admin_app)
                    .with_graceful_shutdown(async move { stop.cancelled().await })
                    .await
            }))
        }
        None => None,
    };
    // Event streams never end by themselves, and a graceful shutdown waits for every open
    // response: they are told to end as soon as the shutdown begins.
    let streams = state.streams.clone();
    let shutdown = async move {
        shutdown.await;
        streams.close_all();
    };
    let app = http::router(state);
    // Path normalisation must wrap the router (not be a layer in it), since layers of a
    // router run after routing.
    let app = MapRequestLayer::new(http::normalize_path).layer(app);
    serve::serve(listener, app, connection_limits, shutdown).await;
    cancel.cancel();
    if let Some(admin) = admin {
        admin.await.context("admin server failed")??;
    }
    worker.await.context("delivery worker failed")?;
    intake.await.context("intake worker failed")?;
    telegram.await.context("Telegram supervisor failed")?;
    dispatcher.await.context("webhook dispatcher failed")?;
    device_receipts
        .await
        .context("sandbox device receipts failed")?;
    pruner.await.context("event log pruner failed")?;
    templates.await.context("template sync failed")?;
    Ok(())
}
