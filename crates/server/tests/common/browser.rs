//! What browser tests share: a chromedriver of their own, the real server on a random port
//! against a fresh SQLite database, and patient helpers that wait for a page to show what a
//! step expects. Include it with `#[path = "common/browser.rs"] mod browser_support;`.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver`; see [`skip_reason`].
#![allow(dead_code)]

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tradewind_server::{AppState, ServerSettings};
use tradewind_store::{NewUser, Store};

pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type Outcome<T = ()> = Result<T, Error>;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long to wait for a page to show what a step expects.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Why the browser test should not run here, or an error when it must
/// (`TRADEWIND_REQUIRE_BROWSER=1`); `Ok(None)` when it can run.
pub fn skip_reason() -> Outcome<Option<String>> {
    let Some(reason) = missing_browser() else { return Ok(None) };
    if std::env::var("TRADEWIND_REQUIRE_BROWSER").as_deref() == Ok("1") {
        return Err(format!("TRADEWIND_REQUIRE_BROWSER=1 but {reason}").into());
    }
    Ok(Some(reason))
}

fn missing_browser() -> Option<String> {
    [CHROMIUM, CHROMEDRIVER].into_iter().find(|p| !Path::new(p).exists()).map(|p| format!("{p} is not installed"))
}

/// Saves the page as `<name>-desktop.png` and `<name>-phone.png` when
/// `TRADEWIND_SCREENSHOTS` names a folder.
pub async fn snap(b: &Client, name: &str) -> Outcome {
    let Some(folder) = std::env::var_os("TRADEWIND_SCREENSHOTS") else { return Ok(()) };
    std::fs::create_dir_all(&folder)?;
    for (size, width) in [("desktop", 1280), ("phone", 390)] {
        b.set_window_size(width, 1400).await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
        std::fs::write(Path::new(&folder).join(format!("{name}-{size}.png")), b.screenshot().await?)?;
    }
    b.set_window_size(1280, 1024).await?;
    Ok(())
}

/// Runs one WebDriver step on a freshly found element, again and again while the page is
/// still changing under it: the element may not exist yet, may be replaced by the next
/// page (a stale reference) or may not take input yet. Any other error, or the same one
/// after [`PATIENCE`], is the step's failure.
pub async fn patiently<T, F, Fut>(what: &str, mut step: F) -> Outcome<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, fantoccini::error::CmdError>>,
{
    let started = Instant::now();
    loop {
        match step().await {
            Ok(value) => return Ok(value),
            Err(e) if page_in_flux(&e) && started.elapsed() < PATIENCE => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => return Err(format!("{what}: {e}").into()),
        }
    }
}

fn page_in_flux(e: &fantoccini::error::CmdError) -> bool {
    e.is_stale_element_reference() || e.is_no_such_element() || e.is_element_not_interactable()
}

/// Types `value` into the input with this id, replacing what it held.
pub async fn fill(b: &Client, id: &str, value: &str) -> Outcome {
    patiently(&format!("filling #{id}"), || async {
        let input = b.find(Locator::Id(id)).await?;
        input.clear().await?;
        input.send_keys(value).await
    })
    .await
}

/// Sets an input's value directly: date inputs take typed keys in the browser's locale.
pub async fn set_value(b: &Client, id: &str, value: &str) -> Outcome {
    b.execute(
        "document.getElementById(arguments[0]).value = arguments[1];",
        vec![serde_json::json!(id), serde_json::json!(value)],
    )
    .await?;
    Ok(())
}

pub async fn choose(b: &Client, id: &str, value: &str) -> Outcome {
    patiently(&format!("choosing {value} in #{id}"), || async {
        b.find(Locator::Id(id)).await?.select_by_value(value).await
    })
    .await
}

/// Clicks the element matching `css`.
pub async fn click(b: &Client, css: &str) -> Outcome {
    click_on(b, Locator::Css(css)).await
}

/// Clicks the element `locator` finds.
pub async fn click_on(b: &Client, locator: Locator<'_>) -> Outcome {
    patiently(&format!("clicking {locator:?}"), || async { b.find(locator).await?.click().await }).await
}

/// Types into a file input (or any input) without clearing it first.
pub async fn send_keys(b: &Client, locator: Locator<'_>, keys: &str) -> Outcome {
    patiently(&format!("typing into {locator:?}"), || async { b.find(locator).await?.send_keys(keys).await }).await
}

/// The DOM property `name` of the element `locator` finds (`value`, `checked`, ...).
pub async fn prop(b: &Client, locator: Locator<'_>, name: &str) -> Outcome<Option<String>> {
    patiently(&format!("reading {name} of {locator:?}"), || async { b.find(locator).await?.prop(name).await }).await
}

/// The attribute `name` of the element `locator` finds.
pub async fn attr(b: &Client, locator: Locator<'_>, name: &str) -> Outcome<Option<String>> {
    patiently(&format!("reading @{name} of {locator:?}"), || async { b.find(locator).await?.attr(name).await }).await
}

/// The text of the element `locator` finds.
pub async fn text_of(b: &Client, locator: Locator<'_>) -> Outcome<String> {
    patiently(&format!("reading the text of {locator:?}"), || async { b.find(locator).await?.text().await }).await
}

/// How many elements match `css` on the page as it is now (none is an answer, not an error).
pub async fn count(b: &Client, css: &str) -> Outcome<usize> {
    patiently(&format!("counting {css}"), || async { Ok(b.find_all(Locator::Css(css)).await?.len()) }).await
}

pub fn check(ok: bool, what: impl Into<String>) -> Outcome {
    if ok { Ok(()) } else { Err(what.into().into()) }
}

/// Waits until the text of the first element matching `css` contains `needle`.
pub async fn expect_in(b: &Client, css: &str, needle: &str) -> Outcome {
    let started = Instant::now();
    loop {
        let seen = match b.find(Locator::Css(css)).await {
            Ok(el) => el.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if seen.contains(needle) {
            return Ok(());
        }
        if started.elapsed() > PATIENCE {
            let url = b.current_url().await.map(|u| u.to_string()).unwrap_or_default();
            let page = match b.find(Locator::Css("main")).await {
                Ok(main) => main.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            return Err(format!(
                "waited for '{needle}' in '{css}' on {url}; it shows '{seen}'. The page says:\n{page}"
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the page's main content contains `needle`.
pub async fn expect_text(b: &Client, needle: &str) -> Outcome {
    expect_in(b, "main", needle).await
}

/// Waits until the browser is on `path` (any query).
pub async fn wait_for_path(b: &Client, path: &str) -> Outcome {
    let started = Instant::now();
    loop {
        let url = b.current_url().await?;
        if url.path() == path {
            return Ok(());
        }
        if started.elapsed() > PATIENCE {
            return Err(format!("expected to reach {path}, but the browser is on {url}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The real application on a random local port, with a fresh SQLite database and one
/// operator account.
pub struct TestServer {
    pub base: String,
    pub store: Store,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    pub async fn start(dir: &Path, operator_email: &str, operator_password: &str) -> Outcome<TestServer> {
        let store = Store::connect(&format!("sqlite://{}", dir.join("t.db").display())).await?;
        tradewind_server::ensure_reference_data(&store).await?;
        let password_hash = tradewind_server::auth::hash_password(operator_password.into()).await?;
        store
            .create_operator(&NewUser { email: operator_email.into(), name: "Olu Operator".into(), password_hash })
            .await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        // The simulated bank calls this server back.
        let settings = ServerSettings { public_url: base.clone(), ..ServerSettings::default() };
        let state = AppState::new(store.clone(), settings).await?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(tradewind_server::serve(listener, state, async {
            let _ = stopped.await;
        }));
        Ok(TestServer { base, store, stop, task })
    }

    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(Duration::from_secs(10), self.task).await;
    }
}

/// A chromedriver process of our own, killed when dropped (also when the test fails).
pub struct Chromedriver {
    child: Child,
    port: u16,
}

impl Chromedriver {
    pub fn start() -> Outcome<Chromedriver> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        Ok(Chromedriver { child, port })
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub async fn wait_until_ready(&self) -> Outcome {
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(res) = http.get(format!("{}/status", self.url())).send().await
                && res.status().is_success()
            {
                return Ok(());
            }
            if started.elapsed() > PATIENCE {
                return Err("chromedriver did not answer on its port".into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn open_browser(&self, profile: &Path) -> Outcome<Client> {
        let capabilities = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--window-size=1280,1024",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            return Err("capabilities must be a JSON object".into());
        };
        let client = ClientBuilder::new(HttpConnector::new()).capabilities(capabilities).connect(&self.url()).await?;
        Ok(client)
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
