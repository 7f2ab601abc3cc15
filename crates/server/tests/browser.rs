//! The web UI driven in a real, headless Chromium through chromedriver: a company signs up,
//! uploads evidence, the operator verifies it, and the company sees its verified badge.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian: `apt-get install chromium
//! chromium-driver`). Without them the test says why and passes, unless
//! `TRADEWIND_REQUIRE_BROWSER=1` is set, which turns a missing browser into a failure.
//! With `TRADEWIND_SCREENSHOTS=<folder>` it saves a PNG of each page it checks, at a
//! desktop and at a phone width, for a person to look at.

#[path = "common/browser.rs"]
mod browser_support;

use browser_support::*;
use fantoccini::{Client, Locator};
use std::path::{Path, PathBuf};

const OPERATOR_EMAIL: &str = "operator@browser.test";
const OPERATOR_PASSWORD: &str = "operator-password-1";
const COMPANY: &str = "Harbour Lights Shipping Ltd";
const ADMIN_EMAIL: &str = "ann@harbourlights.example";
const ADMIN_PASSWORD: &str = "harbour-lights-1";
const EVIDENCE_FILE: &str = "registry-extract.pdf";
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_company_signs_up_and_the_operator_verifies_it_in_a_browser() -> Outcome {
    if let Some(reason) = skip_reason()? {
        println!("skipping browser test: {reason}");
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let server = TestServer::start(dir.path(), OPERATOR_EMAIL, OPERATOR_PASSWORD).await?;
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
    click_on(b, Locator::Css("main a[href='/signup']")).await?;
    wait_for_path(b, "/signup").await?;

    // Sign up, first forgetting the roles: the form comes back with the error and the input.
    fill_registration(b).await?;
    submit(b, "form[action='/signup']").await?;
    expect_text(b, "Choose at least one role").await?;
    snap(b, "signup-errors").await?;
    let kept = prop(b, Locator::Id("legal_name"), "value").await?;
    check(kept.as_deref() == Some(COMPANY), format!("the legal name was not kept: {kept:?}"))?;
    let invalid = attr(b, Locator::Id("roles"), "aria-describedby").await?;
    check(invalid.as_deref() == Some("roles-error"), "the roles error is not linked to its fieldset")?;
    click_on(b, Locator::Id("role-exporter")).await?;
    click_on(b, Locator::Id("role-carrier_or_forwarder")).await?;
    fill(b, "admin_password", ADMIN_PASSWORD).await?;
    submit(b, "form[action='/signup']").await?;

    // Logged in on the new company's profile, pending review.
    wait_for_path(b, "/company").await?;
    expect_text(b, "Your company is registered and waiting for review").await?;
    expect_in(b, "h1", COMPANY).await?;
    expect_in(b, "h1 .badge", "Pending review").await?;

    // Upload a PDF as evidence of registration.
    let pdf = write_evidence(dir)?;
    send_keys(b, Locator::Id("file"), &pdf.to_string_lossy()).await?;
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
    let card_text = text_of(b, Locator::XPath(&entry)).await?;
    check(card_text.contains(EVIDENCE_FILE), format!("the queue does not list the evidence: {card_text}"))?;
    check(card_text.contains("Exporter"), "the queue does not show the company's roles")?;
    click_on(b, Locator::XPath(&format!("{entry}//form[contains(@class, 'verify-form')]//button"))).await?;
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
    click_on(b, Locator::Css("a.lang-switch")).await?;
    expect_in(b, "h1 .badge-verified", "已认证").await?;
    let lang = attr(b, Locator::Css("html"), "lang").await?;
    check(lang.as_deref() == Some("zh-Hans"), format!("<html lang> is {lang:?}"))?;
    snap(b, "company-verified-zh").await?;
    b.goto(&format!("{base}/")).await?;
    snap(b, "home-zh").await?;
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
    choose(b, "country", "GB").await?;
    Ok(())
}

async fn log_in(b: &Client, email: &str, password: &str) -> Outcome {
    click_on(b, Locator::Css("nav a[href='/login']")).await?;
    wait_for_path(b, "/login").await?;
    fill(b, "email", email).await?;
    fill(b, "password", password).await?;
    submit(b, "form[action='/login']").await
}

async fn log_out(b: &Client) -> Outcome {
    click_on(b, Locator::Id("logout")).await?;
    expect_text(b, "You are logged out").await
}

/// Clicks the submit button of the form matching `form`.
async fn submit(b: &Client, form: &str) -> Outcome {
    click_on(b, Locator::Css(&format!("{form} button[type='submit']"))).await?;
    Ok(())
}

fn write_evidence(dir: &Path) -> Outcome<PathBuf> {
    let path = dir.join(EVIDENCE_FILE);
    std::fs::write(&path, b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")?;
    Ok(path)
}
