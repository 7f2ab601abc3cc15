//! Verifiable documents in a real, headless Chromium: the seller makes its issued UBL invoice
//! verifiable from the order's document centre; an anonymous visitor pastes the signed file
//! on the public verification page and sees it verified (intact, issuer, still valid); hides
//! the total and downloads a copy that still verifies and no longer carries it; a forged
//! total is caught and named; the seller revokes the document with a reason, which the
//! public page of the document and a fresh check both show.
//!
//! Same rules as `browser.rs`: needs `/usr/bin/chromium` and `/usr/bin/chromedriver`;
//! without them the test says why and passes, unless `TRADEWIND_REQUIRE_BROWSER=1`.
//! `TRADEWIND_SCREENSHOTS=<folder>` saves a PNG of each page it checks. The server runs on
//! a fresh SQLite database, or on PostgreSQL when `TRADEWIND_TEST_DATABASE_URL` is set.

#[path = "common/browser.rs"]
mod browser_support;
mod common;

use base64::Engine;
use browser_support::*;
use common::{PASSWORD, Session, TestApp, json_of, purchase_order};
use fantoccini::{Client, Locator};
use reqwest::StatusCode;
use serde_json::{Value, json};

const SELLER: &str = "Pepper House JSC";
const SELLER_EMAIL: &str = "lan@pepperhouse.example";
const BUYER_EMAIL: &str = "jonas@hansekaffee.example";
const REASON: &str = "Superseded by version 2 after a price correction";

/// What the browser works on, made through the API.
struct Setup {
    seller: Session,
    order: String,
    ubl: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invoice_is_verified_on_the_public_page_after_one_field_is_hidden() -> Outcome {
    if let Some(reason) = skip_reason()? {
        println!("skipping browser test: {reason}");
        return Ok(());
    }
    let app = TestApp::spawn().await;
    let setup = prepare(&app).await;
    let dir = tempfile::tempdir()?;
    let driver = Chromedriver::start()?;
    driver.wait_until_ready().await?;
    let browser = driver.open_browser(&dir.path().join("chromium-profile")).await?;
    // Run the whole flow before judging it, so that the browser is always closed.
    let outcome = verify_flow(&browser, &app.base, &setup).await;
    let closed = browser.close().await;
    drop(driver);
    outcome?;
    closed?;
    Ok(())
}

async fn event(s: &Session, order: &str, name: &str) {
    json_of(s.post(&format!("/api/v1/orders/{order}/events"), &json!({"event": name})).await, StatusCode::OK).await;
}

/// A verified seller, a buyer, their agreed order and the seller's commercial invoice.
async fn prepare(app: &TestApp) -> Setup {
    let (buyer, _) = app.register("Hanse Kaffee GmbH", "DE", "HRB-1", BUYER_EMAIL).await;
    let (seller, seller_org) = app.register(SELLER, "VN", "VN-0301", SELLER_EMAIL).await;
    common::verify(app, &seller_org).await;
    let order = json_of(buyer.post("/api/v1/orders", &purchase_order(&seller_org)).await, StatusCode::CREATED).await;
    let order = order["id"].as_str().unwrap_or_default().to_string();
    event(&buyer, &order, "accept").await;
    event(&seller, &order, "accept").await;
    let invoice = json_of(
        seller.post(&format!("/api/v1/orders/{order}/documents/commercial-invoice"), &json!({})).await,
        StatusCode::CREATED,
    )
    .await;
    let ubl = invoice["id"].as_str().unwrap_or_default().to_string();
    Setup { seller, order, ubl }
}

async fn verify_flow(b: &Client, base: &str, s: &Setup) -> Outcome {
    let centre = format!("{base}/orders/{}/documents", s.order);

    // The seller makes its UBL invoice verifiable from the document centre.
    log_in(b, base, SELLER_EMAIL).await?;
    b.goto(&format!("{centre}#verifiable")).await?;
    let before = verify_links(b).await?;
    choose(b, "verifiable-document", &s.ubl).await?;
    click(b, "#make-verifiable-form button[type='submit']").await?;
    expect_text(b, "The document is now verifiable").await?;
    let after = verify_links(b).await?;
    let added: Vec<&String> = after.iter().filter(|l| !before.contains(l)).collect();
    check(added.len() == 1, format!("expected one new verifiable document, the list went {before:?} -> {after:?}"))?;
    let fingerprint = added[0].trim_start_matches("/verify/").to_string();
    check(fingerprint.len() == 64, format!("the link names no fingerprint: {}", added[0]))?;
    let item = text_of(b, Locator::Id(&format!("verifiable-{fingerprint}"))).await?;
    check(item.contains("openattestation-v2"), format!("the new item is not OpenAttestation: {item}"))?;
    snap(b, "verifiable-made").await?;

    // The signed document, as its issuer downloads it.
    let res = s.seller.get(&format!("/api/v1/verifiable/{fingerprint}")).await;
    check(res.status() == StatusCode::OK, format!("downloading the signed document answered {}", res.status()))?;
    let signed_text = res.text().await?;
    let signed: Value = serde_json::from_str(&signed_text)?;
    check(signed["signature"]["targetHash"] == fingerprint.as_str(), "the download is another document")?;
    log_out(b).await?;

    // Anyone, without an account, pastes it on the public page: three checks, all good.
    b.goto(&format!("{base}/verify")).await?;
    set_value(b, "verify-paste", &signed_text).await?;
    click(b, "#verify-submit").await?;
    expect_verdict(b, true).await?;
    for check_id in ["check-intact", "check-issuer", "check-status"] {
        expect_class(b, check_id, "good").await?;
    }
    expect_in(b, "#check-issuer", SELLER).await?;
    snap(b, "verify-verified").await?;

    // The holder hides the total before passing the document on: still verified, and the
    // file offered for download no longer carries the total's salted value.
    fill(b, "hide-fields", "summary.total").await?;
    click(b, "#hide-form button[type='submit']").await?;
    expect_in(b, "#hidden-notice", "summary.total").await?;
    expect_verdict(b, true).await?;
    for check_id in ["check-intact", "check-issuer", "check-status"] {
        expect_class(b, check_id, "good").await?;
    }
    let href = attr(b, Locator::Id("download-shared"), "href").await?.unwrap_or_default();
    let encoded = href
        .strip_prefix("data:application/json;base64,")
        .ok_or_else(|| format!("the download is not a base64 JSON data: URL: {}", &href[..href.len().min(60)]))?;
    let shared_text = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(encoded)?)?;
    let shared: Value = serde_json::from_str(&shared_text)?;
    let total = signed.pointer("/data/summary/total/amount").and_then(Value::as_str).ok_or("no salted total")?;
    check(shared.pointer("/data/summary/total").is_none(), "the shared copy still has summary.total")?;
    check(!shared_text.contains(total), "the shared copy still carries the total's salted value")?;
    check(
        shared.pointer("/privacy/obfuscatedData").and_then(Value::as_array).is_some_and(|a| !a.is_empty()),
        "the shared copy records no hidden field",
    )?;
    check(shared["signature"] == signed["signature"], "hiding changed the signature")?;
    snap(b, "verify-hidden").await?;

    // A forged total (same salt, new value) is caught, and the changed field is named.
    let mut forged = signed.clone();
    let (salt_and_type, _) = total.rsplit_once(':').ok_or("the total is not a salted value")?;
    let slot = forged.pointer_mut("/data/summary/total/amount").ok_or("no total to forge")?;
    *slot = json!(format!("{salt_and_type}:1.00"));
    b.goto(&format!("{base}/verify")).await?;
    set_value(b, "verify-paste", &serde_json::to_string(&forged)?).await?;
    click(b, "#verify-submit").await?;
    expect_verdict(b, false).await?;
    expect_class(b, "check-intact", "bad").await?;
    expect_in(b, "#check-intact", "summary.total.amount").await?;
    check(count(b, "#hide-form").await? == 0, "hiding fields is offered for a changed document")?;
    snap(b, "verify-forged").await?;

    // The seller revokes it from the document centre, with a reason.
    log_in(b, base, SELLER_EMAIL).await?;
    b.goto(&format!("{centre}#verifiable")).await?;
    let form = format!("#verifiable-{fingerprint} form.revoke-form");
    send_keys(b, Locator::Css(&format!("{form} input[name='reason']")), REASON).await?;
    click(b, &format!("{form} button[type='submit']")).await?;
    expect_text(b, "The document was revoked").await?;
    let item = text_of(b, Locator::Id(&format!("verifiable-{fingerprint}"))).await?;
    check(item.contains("Revoked") && item.contains(REASON), format!("the list does not show the revocation: {item}"))?;
    log_out(b).await?;

    // The document's public page says it was revoked, and why.
    b.goto(&format!("{base}/verify/{fingerprint}")).await?;
    expect_in(b, "#record-status", "Revoked").await?;
    expect_in(b, "#record-status", REASON).await?;
    snap(b, "verify-record-revoked").await?;

    // Checking the file again: still intact, no longer standing, with the reason.
    b.goto(&format!("{base}/verify")).await?;
    set_value(b, "verify-paste", &signed_text).await?;
    click(b, "#verify-submit").await?;
    expect_verdict(b, false).await?;
    expect_class(b, "check-intact", "good").await?;
    expect_class(b, "check-status", "bad").await?;
    expect_in(b, "#check-status", REASON).await?;
    snap(b, "verify-revoked").await?;
    Ok(())
}

/// The `/verify/…` links of the document centre's verifiable list.
async fn verify_links(b: &Client) -> Outcome<Vec<String>> {
    let mut links = Vec::new();
    for a in b.find_all(Locator::Css(".verifiable-list a[href^='/verify/']")).await? {
        if let Some(href) = a.attr("href").await? {
            links.push(href);
        }
    }
    Ok(links)
}

/// Waits for the verdict, then checks it says `verified` (or not) in words and in colour.
async fn expect_verdict(b: &Client, verified: bool) -> Outcome {
    expect_in(b, "#verdict", if verified { "Verified: every check passed" } else { "Not verified" }).await?;
    expect_class(b, "verdict", if verified { "good" } else { "bad" }).await
}

async fn expect_class(b: &Client, id: &str, class: &str) -> Outcome {
    let classes = attr(b, Locator::Id(id), "class").await?.unwrap_or_default();
    check(classes.split_whitespace().any(|c| c == class), format!("#{id} has class '{classes}', not '{class}'"))
}

async fn log_in(b: &Client, base: &str, email: &str) -> Outcome {
    b.goto(&format!("{base}/login")).await?;
    fill(b, "email", email).await?;
    fill(b, "password", PASSWORD).await?;
    click(b, "form[action='/login'] button[type='submit']").await?;
    wait_for_path(b, "/company").await
}

async fn log_out(b: &Client) -> Outcome {
    click(b, "#logout").await?;
    expect_text(b, "You are logged out").await
}
