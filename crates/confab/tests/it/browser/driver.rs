//! `Browser`: one headless Chromium session through a chromedriver of its own, pointed at a
//! test server; and the helpers the browser tests share (go to a path, find by CSS, wait
//! for a condition, resize the window, save a screenshot).
//!
//! At most one Chromium runs at a time: the suite runs its tests in parallel on small
//! machines, and two browsers at once would starve the servers under test. A `Browser`
//! holds the one turn from its start to its drop.

// Helpers for the browser tests to come (the inbox) are here before their first user.
#![allow(dead_code)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use tempfile::TempDir;
use tokio::sync::{Mutex, MutexGuard};

/// How long a wait gives a condition before failing: generous, since a shared 2-core
/// machine may be slow; the tests never assert how long anything took.
pub const WAIT: Duration = Duration::from_secs(15);

/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(50);

/// The phone-sized window (an iPhone 12-14 viewport) the pages must also work at.
pub const PHONE: (u32, u32) = (390, 844);

/// The desktop window every session starts with.
pub const DESKTOP: (u32, u32) = (1280, 800);

/// The one browser turn (see the module comment).
static TURN: Mutex<()> = Mutex::const_new(());

/// The flags Chromium runs with: headless, no sandbox (CI runs as root in a container),
/// and nothing that reaches beyond this machine on its own (sync, component updates,
/// background networking, QUIC).
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,800",
];

/// Where the programs are: `CONFAB_CHROMEDRIVER` and `CONFAB_CHROMIUM`, else Debian's.
fn tool_paths() -> (PathBuf, PathBuf) {
    let from_env = |var: &str, default: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map_or_else(|| PathBuf::from(default), PathBuf::from)
    };
    (
        from_env("CONFAB_CHROMEDRIVER", "/usr/bin/chromedriver"),
        from_env("CONFAB_CHROMIUM", "/usr/bin/chromium"),
    )
}

/// Whether a missing browser fails the test rather than skipping it (CI sets it).
fn browser_required() -> bool {
    std::env::var("CONFAB_REQUIRE_BROWSER").is_ok_and(|v| v == "1")
}

/// The workspace's `target/browser-artifacts`, where screenshots go (created on demand).
pub fn artifacts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/browser-artifacts")
        .components()
        .collect()
}

/// A chromedriver process in a process group of its own. Chromium runs in that group
/// too and outlives a killed chromedriver, so the whole group is killed on drop, also
/// when a test panics before closing its session.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    /// Starts chromedriver on a free loopback port and waits until it is ready.
    async fn start(program: &Path) -> Self {
        // A port found free may be taken before chromedriver binds it: try a few.
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = free_port();
            let child = {
                use std::os::unix::process::CommandExt;
                Command::new(program)
                    .arg(format!("--port={port}"))
                    .arg("--allowed-ips=127.0.0.1")
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .process_group(0)
                    .spawn()
                    .unwrap_or_else(|e| panic!("start {}: {e}", program.display()))
            };
            let mut driver = Self { child, port };
            match driver.wait_ready().await {
                Ok(()) => return driver,
                Err(e) => last_error = e,
            }
        }
        panic!("chromedriver did not start: {last_error}");
    }

    /// `http://127.0.0.1:PORT`, the WebDriver endpoint.
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn wait_ready(&mut self) -> Result<(), String> {
        let http = reqwest::Client::new();
        let started = Instant::now();
        while started.elapsed() < WAIT {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("chromedriver exited: {status}"));
            }
            if let Ok(answer) = http.get(format!("{}/status", self.url())).send().await
                && let Ok(body) = answer.json::<serde_json::Value>().await
                && body["value"]["ready"] == true
            {
                return Ok(());
            }
            tokio::time::sleep(POLL).await;
        }
        Err(format!("not ready on port {} after {WAIT:?}", self.port))
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group's id is chromedriver's pid (`process_group(0)`); `kill` the command
        // keeps the test free of unsafe FFI.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free loopback port, as the OS hands one out.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A headless Chromium session pointed at one test server.
pub struct Browser {
    /// The WebDriver client, for what the helpers do not cover.
    pub client: Client,
    /// The test server's `http://127.0.0.1:PORT`.
    base: String,
    // Dropped in this order: the driver (and Chromium with it), then the profile, then
    // the turn, so the next browser starts only once this one is gone.
    driver: Driver,
    profile: TempDir,
    _turn: MutexGuard<'static, ()>,
}

impl Browser {
    /// Opens a browser on the server at `base`, once it is this test's turn. `None` (after
    /// saying why) when Chromium or chromedriver is missing, unless `CONFAB_REQUIRE_BROWSER=1`,
    /// which makes a missing browser a failure.
    pub async fn open(base: &str) -> Option<Self> {
        let (chromedriver, chromium) = tool_paths();
        let missing: Vec<String> = [&chromedriver, &chromium]
            .into_iter()
            .filter(|p| !p.is_file())
            .map(|p| p.display().to_string())
            .collect();
        if !missing.is_empty() {
            let message = format!(
                "skipped: Chromium not found at {}; install Debian's chromium and \
                 chromium-driver (or set CONFAB_CHROMIUM and CONFAB_CHROMEDRIVER)",
                missing.join(" and ")
            );
            assert!(
                !browser_required(),
                "CONFAB_REQUIRE_BROWSER=1 but {message}"
            );
            eprintln!("{message}");
            return None;
        }

        let turn = TURN.lock().await;
        let profile = tempfile::tempdir().expect("a temp profile dir");
        let driver = Driver::start(&chromedriver).await;
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| (*f).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".to_owned(), json!("chrome"));
        // Downloads land in the temp profile, not in the home directory, without asking.
        let downloads = profile.path().join("downloads");
        let prefs = json!({
            "download.default_directory": downloads,
            "download.prompt_for_download": false,
        });
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({ "binary": chromium, "args": args, "prefs": prefs }),
        );
        let client = ClientBuilder::rustls()
            .expect("a WebDriver client")
            .capabilities(capabilities)
            .connect(&driver.url())
            .await
            .unwrap_or_else(|e| panic!("start a Chromium session ({}): {e}", chromium.display()));
        Some(Self {
            client,
            base: base.trim_end_matches('/').to_owned(),
            driver,
            profile,
            _turn: turn,
        })
    }

    /// The folder the browser saves downloads in (inside its temp profile).
    pub fn downloads_dir(&self) -> PathBuf {
        self.profile.path().join("downloads")
    }

    /// The absolute URL of `path` on the test server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Navigates to `path` on the test server (redirects are followed, as a user's are).
    pub async fn goto(&self, path: &str) {
        let url = self.url(path);
        self.client
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("go to {url}: {e}"));
    }

    /// The path of the page shown now (without query or fragment).
    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("the current URL")
            .path()
            .to_owned()
    }

    /// The one element `css` selects now; fails at once when there is none.
    pub async fn find(&self, css: &str) -> Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element,
            Err(e) => panic!(
                "find {css:?}: {e}; the browser shows {}",
                self.describe().await
            ),
        }
    }

    /// Every element `css` selects now (maybe none).
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find all {css:?}: {e}"))
    }

    /// The button whose visible text is `text` (after trimming), waited for.
    pub async fn button(&self, text: &str) -> Element {
        let xpath = format!("//button[normalize-space()={}]", xpath_literal(text));
        self.wait_until(&format!("a button {text:?}"), |client| {
            let xpath = xpath.clone();
            async move { Ok(!client.find_all(Locator::XPath(&xpath)).await?.is_empty()) }
        })
        .await;
        self.client
            .find(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("find the button {text:?}: {e}"))
    }

    /// Types `text` into the field `css` selects, replacing what was there.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.wait_for(css).await;
        field.clear().await.expect("clear the field");
        field.send_keys(text).await.expect("type into the field");
    }

    /// Waits (up to [`WAIT`]) until `css` selects an element, and answers the first.
    pub async fn wait_for(&self, css: &str) -> Element {
        self.wait_until(&format!("an element {css:?}"), |client| async move {
            Ok(!client.find_all(Locator::Css(css)).await?.is_empty())
        })
        .await;
        self.find(css).await
    }

    /// Waits (up to [`WAIT`]) until the page shown is at `path`.
    pub async fn wait_for_path(&self, path: &str) {
        self.wait_until(&format!("the page at {path}"), |client| async move {
            Ok(client.current_url().await?.path() == path)
        })
        .await;
    }

    /// Waits (up to [`WAIT`], polling) until `check` answers true; `what` names the
    /// condition in the failure. WebDriver errors while waiting (a page mid-navigation)
    /// count as "not yet".
    pub async fn wait_until<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut(Client) -> Fut,
        Fut: Future<Output = Result<bool, CmdError>>,
    {
        let started = Instant::now();
        let mut last_error = None;
        loop {
            match check(self.client.clone()).await {
                Ok(true) => return,
                Ok(false) => {}
                Err(e) => last_error = Some(e),
            }
            if started.elapsed() > WAIT {
                let error = last_error.map(|e| format!(" (last error: {e})"));
                panic!(
                    "waited {WAIT:?} for {what}{}; the browser shows {}",
                    error.unwrap_or_default(),
                    self.describe().await
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The visible text of the page's body.
    pub async fn text(&self) -> String {
        self.find("body")
            .await
            .text()
            .await
            .expect("the page's text")
    }

    /// The value of the cookie `name` as the browser holds it (HttpOnly ones too).
    pub async fn cookie(&self, name: &str) -> Option<String> {
        self.client
            .get_named_cookie(name)
            .await
            .ok()
            .map(|c| c.value().to_owned())
    }

    /// Resizes the window so that the page's viewport is `(width, height)` CSS pixels,
    /// e.g. [`PHONE`]. The window's outer size includes whatever Chromium draws around the
    /// page, so the size is set, the viewport measured, and the difference made up.
    pub async fn set_window_size(&self, (width, height): (u32, u32)) {
        let resize = |w: u32, h: u32| async move {
            self.client
                .set_window_size(w, h)
                .await
                .unwrap_or_else(|e| panic!("resize the window to {w}x{h}: {e}"));
        };
        resize(width, height).await;
        let (inner_width, inner_height) = self.viewport().await;
        let grow = |want: u32, got: u32| (want + want).saturating_sub(got);
        if (inner_width, inner_height) != (width, height) {
            resize(grow(width, inner_width), grow(height, inner_height)).await;
        }
        let got = self.viewport().await;
        assert_eq!(got, (width, height), "the viewport after resizing");
    }

    /// The page's viewport, `(innerWidth, innerHeight)` in CSS pixels.
    pub async fn viewport(&self) -> (u32, u32) {
        let size = self
            .client
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await
            .expect("measure the viewport");
        let dimension = |i: usize| {
            size.get(i)
                .and_then(serde_json::Value::as_u64)
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or_else(|| panic!("a viewport size, not {size}"))
        };
        (dimension(0), dimension(1))
    }

    /// Saves what the window shows to `target/browser-artifacts/<name>.png`; answers the
    /// file's path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("a screenshot");
        let dir = artifacts_dir();
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        path
    }

    /// Ends the session cleanly (chromedriver quits Chromium); dropping the `Browser`
    /// without it kills them instead.
    pub async fn close(self) {
        let Self { client, driver, .. } = self;
        // A session that is already gone is no failure of the page under test.
        let _ = client.close().await;
        drop(driver);
    }

    /// Where the browser is and what it shows, for failure messages.
    async fn describe(&self) -> String {
        let url = self
            .client
            .current_url()
            .await
            .map_or_else(|e| format!("<no URL: {e}>"), |u| u.to_string());
        let source = self.client.source().await.unwrap_or_default();
        format!("{url}:\n{source}")
    }
}

/// `text` as an XPath string literal (XPath 1.0 has no escapes: `concat` splits quotes).
fn xpath_literal(text: &str) -> String {
    if !text.contains('"') {
        format!("\"{text}\"")
    } else if !text.contains('\'') {
        format!("'{text}'")
    } else {
        let parts: Vec<String> = text.split('"').map(|p| format!("\"{p}\"")).collect();
        format!("concat({})", parts.join(", '\"', "))
    }
}
