//! The web UI driven in a real, headless Chromium through chromedriver: a company signs up,
//! uploads evidence, the operator verifies it, and the company sees its verified badge.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian: `apt-get install chromium
//! chromium-driver`). Without them the test says why and passes, unless
//! `TRADEWIND_REQUIRE_BROWSER=1` is set, which turns a missing browser into a failure.
//! With `TRADEWIND_SCREENSHOTS=<folder>` it saves a PNG of each page it checks, at a
//! desktop and at a phone width, for a person to look at.

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tradewind_server::{AppState, ServerSettings};
use tradewind_store::{NewUser, Store};

type Error = Box<dyn std::error::Error + Send + Sync>;
type Outcome<T = ()> = Result<T, Error>;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const OPERATOR_EMAIL: &str = "operator@browser.test";
const OPERATOR_PASSWORD: &str = "operator-password-1";
const COMPANY: &str = "Harbour Lights Shipping Ltd";
const ADMIN_EMAIL: &str = "ann@harbourlights.example";
const ADMIN_PASSWORD: &str = "harbour-lights-1";
const EVIDENCE_FILE: &str = "registry-extract.pdf";
/// How long to wait for a page to show what a step expects.
const PATIENCE: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_company_signs_up_and_the_operator_verifies_it_in_a_browser() -> Outcome {
    if let Some(reason) = missing_browser() {
        if std::env::var("TRADEWIND_REQUIRE_BROWSER").as_deref() == Ok("1") {
            return Err(format!("TRADEWIND_REQUIRE_BROWSER=1 but {reason}").into());
        }
        println!("skipping browser test: {reason}");
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let server = TestServer::start(dir.path()).await?;
    let driver = Chromedriver::start()?;
    driver.wait_until_ready().await?;
    let browser = driver.open_browser(&dir.path().join("chromium-profile")).await?;
    // Run the whole flow before judging it, so that the browser is always closed.
    let outcome = company_registration_flow(&browser, &server.base, dir.path()).await;
    let closed = browser.close().await;
    server.stop().await;
    drop(driver);
    outcome?;
    closed?;
    Ok(())
}

async fn company_registration_flow(b: &Client, base: &str, dir: &Path) -> Outcome {
    // The home page says what tradewind is and leads to the sign-up.
    b.goto(base).await?;
    expect_text(b, "One window for cross-border trade").await?;
    b.find(Locator::Css("main a[href='/signup']")).await?.click().await?;
    wait_for_path(b, "/signup").await?;

    // Sign up, first forgetting the roles: the form comes back with the error and the input.
    fill_registration(b).await?;
    submit(b, "form[action='/signup']").await?;
    expect_text(b, "Choose at least one role").await?;
    snap(b, "signup-errors").await?;
    let kept = b.find(Locator::Id("legal_name")).await?.prop("value").await?;
    check(kept.as_deref() == Some(COMPANY), format!("the legal name was not kept: {kept:?}"))?;
    let invalid = b.find(Locator::Id("roles")).await?.attr("aria-describedby").await?;
    check(invalid.as_deref() == Some("roles-error"), "the roles error is not linked to its fieldset")?;
    b.find(Locator::Id("role-exporter")).await?.click().await?;
    b.find(Locator::Id("role-carrier_or_forwarder")).await?.click().await?;
    fill(b, "admin_password", ADMIN_PASSWORD).await?;
    submit(b, "form[action='/signup']").await?;

    // Logged in on the new company's profile, pending review.
    wait_for_path(b, "/company").await?;
    expect_text(b, "Your company is registered and waiting for review").await?;
    expect_in(b, "h1", COMPANY).await?;
    expect_in(b, "h1 .badge", "Pending review").await?;

    // Upload a PDF as evidence of registration.
    let pdf = write_evidence(dir)?;
    b.find(Locator::Id("file")).await?.send_keys(&pdf.to_string_lossy()).await?;
    submit(b, "form[action='/company/evidence']").await?;
    expect_text(b, "The evidence was uploaded").await?;
    expect_in(b, ".evidence-list", EVIDENCE_FILE).await?;
    snap(b, "company-pending").await?;
    log_out(b).await?;

    // The operator finds the company in the queue, with its evidence, and verifies it.
    log_in(b, OPERATOR_EMAIL, OPERATOR_PASSWORD).await?;
    wait_for_path(b, "/operator/queue").await?;
    snap(b, "operator-queue").await?;
    let entry = format!("//article[.//h2[contains(., '{COMPANY}')]]");
    let card = b.find(Locator::XPath(&entry)).await?;
    let card_text = card.text().await?;
    check(card_text.contains(EVIDENCE_FILE), format!("the queue does not list the evidence: {card_text}"))?;
    check(card_text.contains("Exporter"), "the queue does not show the company's roles")?;
    card.find(Locator::Css("form.verify-form button")).await?.click().await?;
    expect_text(b, "The company is now verified").await?;
    expect_text(b, "No company is waiting for review").await?;
    log_out(b).await?;

    // The company admin logs in again and sees the verified badge.
    log_in(b, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
    wait_for_path(b, "/company").await?;
    expect_in(b, "h1 .badge-verified", "Verified").await?;
    expect_text(b, "Your company is verified").await?;
    snap(b, "company-verified").await?;

    // The same page in Simplified Chinese, from the language switcher.
    b.find(Locator::Css("a.lang-switch")).await?.click().await?;
    expect_in(b, "h1 .badge-verified", "已认证").await?;
    let lang = b.find(Locator::Css("html")).await?.attr("lang").await?;
    check(lang.as_deref() == Some("zh-Hans"), format!("<html lang> is {lang:?}"))?;
    snap(b, "company-verified-zh").await?;
    b.goto(&format!("{base}/")).await?;
    snap(b, "home-zh").await?;
    Ok(())
}

/// Saves the page as `<name>-desktop.png` and `<name>-phone.png` when
/// `TRADEWIND_SCREENSHOTS` names a folder.
async fn snap(b: &Client, name: &str) -> Outcome {
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

async fn fill_registration(b: &Client) -> Outcome {
    for (id, value) in [
        ("legal_name", COMPANY),
        ("registration_number", "12345678"),
        ("address_street", "1 Dock Road"),
        ("address_city", "Southampton"),
        ("address_postal_code", "SO14 2AQ"),
        ("contact_name", "Ann Lee"),
        ("contact_email", ADMIN_EMAIL),
        ("contact_phone", "+44 23 8000 0000"),
        ("admin_name", "Ann Lee"),
        ("admin_email", ADMIN_EMAIL),
        ("admin_password", ADMIN_PASSWORD),
    ] {
        fill(b, id, value).await?;
    }
    b.find(Locator::Id("country")).await?.select_by_value("GB").await?;
    Ok(())
}

async fn log_in(b: &Client, email: &str, password: &str) -> Outcome {
    b.find(Locator::Css("nav a[href='/login']")).await?.click().await?;
    wait_for_path(b, "/login").await?;
    fill(b, "email", email).await?;
    fill(b, "password", password).await?;
    submit(b, "form[action='/login']").await
}

async fn log_out(b: &Client) -> Outcome {
    b.find(Locator::Id("logout")).await?.click().await?;
    expect_text(b, "You are logged out").await
}

async fn fill(b: &Client, id: &str, value: &str) -> Outcome {
    let input = b.find(Locator::Id(id)).await?;
    input.clear().await?;
    input.send_keys(value).await?;
    Ok(())
}

/// Clicks the submit button of the form matching `form`.
async fn submit(b: &Client, form: &str) -> Outcome {
    b.find(Locator::Css(&format!("{form} button[type='submit']"))).await?.click().await?;
    Ok(())
}

fn write_evidence(dir: &Path) -> Outcome<PathBuf> {
    let path = dir.join(EVIDENCE_FILE);
    std::fs::write(&path, b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")?;
    Ok(path)
}

fn check(ok: bool, what: impl Into<String>) -> Outcome {
    if ok { Ok(()) } else { Err(what.into().into()) }
}

/// Waits until the text of the first element matching `css` contains `needle`.
async fn expect_in(b: &Client, css: &str, needle: &str) -> Outcome {
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
            let page = b.find(Locator::Css("main")).await?.text().await.unwrap_or_default();
            return Err(format!(
                "waited for '{needle}' in '{css}' on {url}; it shows '{seen}'. The page says:\n{page}"
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the page's main content contains `needle`.
async fn expect_text(b: &Client, needle: &str) -> Outcome {
    expect_in(b, "main", needle).await
}

async fn wait_for_path(b: &Client, path: &str) -> Outcome {
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

/// Why the browser test cannot run here, if it cannot.
fn missing_browser() -> Option<String> {
    [CHROMIUM, CHROMEDRIVER].into_iter().find(|p| !Path::new(p).exists()).map(|p| format!("{p} is not installed"))
}

/// The real application on a random local port, with a fresh SQLite database and one
/// operator account.
struct TestServer {
    base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    async fn start(dir: &Path) -> Outcome<TestServer> {
        let store = Store::connect(&format!("sqlite://{}", dir.join("t.db").display())).await?;
        tradewind_server::ensure_reference_data(&store).await?;
        let password_hash = tradewind_server::auth::hash_password(OPERATOR_PASSWORD.into()).await?;
        store
            .create_operator(&NewUser { email: OPERATOR_EMAIL.into(), name: "Olu Operator".into(), password_hash })
            .await?;
        let state = AppState::new(store, ServerSettings::default()).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(tradewind_server::serve(listener, state, async {
            let _ = stopped.await;
        }));
        Ok(TestServer { base, stop, task })
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(Duration::from_secs(10), self.task).await;
    }
}

/// A chromedriver process of our own, killed when dropped (also when the test fails).
struct Chromedriver {
    child: Child,
    port: u16,
}

impl Chromedriver {
    fn start() -> Outcome<Chromedriver> {
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

    async fn wait_until_ready(&self) -> Outcome {
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

    async fn open_browser(&self, profile: &Path) -> Outcome<Client> {
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
