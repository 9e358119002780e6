//! `confab`: the conversations server and its command line.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, Parser, Subcommand};
use client_cmd::ClientCommand;
use tracing_subscriber::EnvFilter;

mod client_cmd;

/// A request allocates and frees many small strings on both worker threads; mimalloc's
/// per-thread pages make that several times cheaper than glibc's arenas (profiled: glibc
/// malloc and free were 30 % of a conversations list's CPU). With the `override` feature
/// the bundled SQLite allocates from it too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A self-hosted conversations server speaking the Pact.im Private API v1.
#[derive(Debug, Parser)]
#[command(name = "confab", version, about)]
struct Cli {
    #[command(flatten)]
    connection: client_cmd::args::Connection,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve(Box<confab_server::Config>),
    /// Manage API users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Companies of the calling user.
    #[command(subcommand)]
    Companies(client_cmd::args::Companies),
    /// Messenger channels of a company.
    #[command(subcommand)]
    Channels(client_cmd::args::Channels),
    /// Conversations of a company.
    #[command(subcommand)]
    Conversations(client_cmd::args::Conversations),
    /// Messages of a conversation.
    #[command(subcommand)]
    Messages(client_cmd::args::Messages),
    /// Simulate customers (the server must run with --sandbox).
    #[command(subcommand)]
    Sandbox(client_cmd::args::Sandbox),
    /// Webhook delivery log.
    #[command(subcommand)]
    Webhooks(client_cmd::args::Webhooks),
    /// Members of a company and their roles (admin, agent).
    #[command(subcommand)]
    Members(client_cmd::args::Members),
    /// A company's events as they happen.
    #[command(subcommand)]
    Events(client_cmd::events::Events),
    /// Forward a company's events to a local endpoint as signed webhooks (for
    /// developing a webhook receiver without a public URL).
    Listen(client_cmd::events::Listen),
    /// Print a shell completion script.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Manage a user's API token.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Create a user and print its API token (alone, on stdout).
    Create {
        /// The user's display name.
        #[arg(long)]
        name: String,
        /// The data dir of the server the user is for.
        #[arg(long, env = "CONFAB_DATA_DIR", default_value = "./confab-data")]
        data_dir: PathBuf,
        /// The server's PostgreSQL database, when it runs on one.
        #[arg(long, env = "CONFAB_DATABASE_URL", hide_env_values = true)]
        database_url: Option<String>,
    },
    /// Give a user a password for logging in to the browser inbox (by the user's name),
    /// read as one line from stdin; ends the user's browser sessions.
    Password {
        /// The user's id.
        #[arg(long)]
        user: i64,
        /// The data dir of the server the user is for.
        #[arg(long, env = "CONFAB_DATA_DIR", default_value = "./confab-data")]
        data_dir: PathBuf,
        /// The server's PostgreSQL database, when it runs on one.
        #[arg(long, env = "CONFAB_DATABASE_URL", hide_env_values = true)]
        database_url: Option<String>,
    },
    /// List the users: id, name and the companies they are a member of (--json for
    /// scripts).
    List {
        /// The data dir of the server the users are of.
        #[arg(long, env = "CONFAB_DATA_DIR", default_value = "./confab-data")]
        data_dir: PathBuf,
        /// The server's PostgreSQL database, when it runs on one.
        #[arg(long, env = "CONFAB_DATABASE_URL", hide_env_values = true)]
        database_url: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Give a user a new token (printed alone on stdout) and revoke the old one at once.
    Rotate {
        /// The user's id.
        #[arg(long)]
        user: i64,
        /// The data dir of the server the user is for.
        #[arg(long, env = "CONFAB_DATA_DIR", default_value = "./confab-data")]
        data_dir: PathBuf,
        /// The server's PostgreSQL database, when it runs on one.
        #[arg(long, env = "CONFAB_DATABASE_URL", hide_env_values = true)]
        database_url: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("confab: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli.command, &cli.connection)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("confab: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(
    command: Command,
    connection: &client_cmd::args::Connection,
) -> anyhow::Result<()> {
    let client_command = match command {
        Command::Companies(c) => ClientCommand::Companies(c),
        Command::Channels(c) => ClientCommand::Channels(c),
        Command::Conversations(c) => ClientCommand::Conversations(c),
        Command::Messages(c) => ClientCommand::Messages(c),
        Command::Sandbox(c) => ClientCommand::Sandbox(c),
        Command::Webhooks(c) => ClientCommand::Webhooks(c),
        Command::Members(c) => ClientCommand::Members(c),
        Command::Events(c) => ClientCommand::Events(c),
        Command::Listen(c) => ClientCommand::Listen(c),
        other => return local(other, connection.json).await,
    };
    client_cmd::run(client_command, connection).await
}

/// The commands that work on this machine rather than through the API.
async fn local(command: Command, json: bool) -> anyhow::Result<()> {
    match command {
        Command::Completions { shell } => {
            // Generated into memory first: clap_complete panics on a failed write (a closed
            // pipe), while a write error here is just reported.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "confab", &mut script);
            std::io::Write::write_all(&mut std::io::stdout(), &script).ok();
            Ok(())
        }
        Command::Serve(config) => serve(*config).await,
        Command::User {
            command:
                UserCommand::Create {
                    name,
                    data_dir,
                    database_url,
                },
        } => {
            if name.trim().is_empty() {
                anyhow::bail!("--name must not be blank");
            }
            let (_user, token) =
                confab_server::users::create_user(&data_dir, database_url.as_deref(), &name)
                    .await?;
            println!("{token}");
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Password {
                    user,
                    data_dir,
                    database_url,
                },
        } => {
            let password = read_password()?;
            let user = confab_server::users::set_password(
                &data_dir,
                database_url.as_deref(),
                user,
                &password,
            )
            .await?;
            eprintln!(
                "confab: user {} ({}) can now log in with this password",
                user.id, user.name
            );
            Ok(())
        }
        Command::User {
            command:
                UserCommand::List {
                    data_dir,
                    database_url,
                },
        } => {
            let users =
                confab_server::users::list_users(&data_dir, database_url.as_deref()).await?;
            client_cmd::print_users(&users, json)
        }
        Command::User {
            command:
                UserCommand::Token {
                    command:
                        TokenCommand::Rotate {
                            user,
                            data_dir,
                            database_url,
                        },
                },
        } => {
            let (_user, token) =
                confab_server::users::rotate_token(&data_dir, database_url.as_deref(), user)
                    .await?;
            println!("{token}");
            Ok(())
        }
        Command::Companies(_)
        | Command::Channels(_)
        | Command::Conversations(_)
        | Command::Messages(_)
        | Command::Sandbox(_)
        | Command::Webhooks(_)
        | Command::Members(_)
        | Command::Events(_)
        | Command::Listen(_) => anyhow::bail!("a client command reached the local dispatcher"),
    }
}

/// The password on stdin: its first line, without the line ending. At most a little more
/// than the longest password is read, so a file piped in by mistake is refused rather
/// than read whole.
fn read_password() -> anyhow::Result<String> {
    use std::io::Read;
    let limit = confab_server::domain::password::MAX_LEN + 2;
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(u64::try_from(limit + 1).unwrap_or(u64::MAX))
        .read_to_end(&mut bytes)
        .context("cannot read the password from stdin")?;
    let text = String::from_utf8(bytes).context("the password is not UTF-8")?;
    let line = text.split('\n').next().unwrap_or_default();
    let line = line.strip_suffix('\r').unwrap_or(line);
    confab_server::domain::password::check(line)
        .map_err(|e| anyhow::anyhow!("{e} (give it as one line on stdin)"))?;
    Ok(line.to_owned())
}

async fn serve(config: confab_server::Config) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let sandbox = config.sandbox;
    let server = tokio::spawn(confab_server::run(config, listener, shutdown_signal()));
    // `run` opens the data dir before serving; announce readiness once it answers.
    let ready = wait_ready(addr).await;
    if server.is_finished() {
        return server.await.context("server task failed")?;
    }
    ready?;
    println!(
        "confab listening on http://{addr}{}",
        if sandbox { " (sandbox)" } else { "" }
    );
    server.await.context("server task failed")?
}

/// Waits until the server answers `/healthz` on a raw connection.
async fn wait_ready(addr: std::net::SocketAddr) -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    for _ in 0..400 {
        if let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await {
            let request =
                format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
            if stream.write_all(request.as_bytes()).await.is_ok() {
                let mut answer = Vec::new();
                if stream.read_to_end(&mut answer).await.is_ok()
                    && answer.starts_with(b"HTTP/1.1 200")
                {
                    return Ok(());
                }
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    anyhow::bail!("the server did not become ready on {addr}")
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c().await.ok();
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
