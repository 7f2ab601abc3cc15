//! An electronic bill of lading in a real, headless Chromium: the carrier issues it from its
//! bill of lading on the records page; the shipper nominates the consignee as beneficiary and
//! transfers it to its bank; the bank endorses the nomination and transfers it to the
//! consignee; the consignee surrenders it and the carrier accepts the surrender. Each page
//! shows the signed chain of title as it grows.
//!
//! Same rules as `browser.rs`: needs `/usr/bin/chromium` and `/usr/bin/chromedriver`;
//! without them the test says why and passes, unless `TRADEWIND_REQUIRE_BROWSER=1`.

#[path = "common/browser.rs"]
mod browser_support;

use browser_support::*;
use fantoccini::Client;
use serde_json::{Value, json};
use tradewind_server::demo::DEMO_PASSWORD;

const OPERATOR_EMAIL: &str = "operator@title.test";
const OPERATOR_PASSWORD: &str = "operator-password-1";
const SHIPPER_EMAIL: &str = "mei@lioncityspice.example";
const CONSIGNEE_EMAIL: &str = "jonas@hansekaffee.example";
const CARRIER_EMAIL: &str = "amina@mombasafreight.example";
const BANK: &str = "Straits Trade Bank";
const BANK_EMAIL: &str = "bank@straitstrade.example";
const BANK_PASSWORD: &str = "a long enough password";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ebl_is_issued_transferred_twice_and_surrendered_in_a_browser() -> Outcome {
    if let Some(reason) = skip_reason()? {
        println!("skipping browser test: {reason}");
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let server = TestServer::start(dir.path(), OPERATOR_EMAIL, OPERATOR_PASSWORD).await?;
    let setup = setup(&server).await;
    let driver = Chromedriver::start()?;
    driver.wait_until_ready().await?;
    let browser = driver.open_browser(&dir.path().join("chromium-profile")).await?;
    let outcome = match setup {
        Ok(parties) => flow(&browser, &server.base, &parties).await,
        Err(e) => Err(e),
    };
    let closed = browser.close().await;
    server.stop().await;
    drop(driver);
    outcome?;
    closed?;
    Ok(())
}

struct Parties {
    bank: String,
    consignee: String,
}

async fn api_login(base: &str, email: &str, password: &str) -> Outcome<(reqwest::Client, String)> {
    let client = reqwest::Client::builder().cookie_store(true).build()?;
    let res = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await?;
    check(res.status().is_success(), format!("API login as {email} failed"))?;
    let body: Value = res.json().await?;
    Ok((client, body["csrf_token"].as_str().ok_or("no CSRF token")?.to_string()))
}

/// The demo data, the carrier's bill of lading for the demo order, and a verified bank.
async fn setup(server: &TestServer) -> Outcome<Parties> {
    let base = &server.base;
    tradewind_server::demo::seed(&server.store).await?;
    let (shipper, _) = api_login(base, SHIPPER_EMAIL, DEMO_PASSWORD).await?;
    let orders: Value = shipper.get(format!("{base}/api/v1/orders")).send().await?.json().await?;
    let order = orders["items"][0]["id"].as_str().ok_or("no demo order")?.to_string();
    let (carrier, carrier_csrf) = api_login(base, CARRIER_EMAIL, DEMO_PASSWORD).await?;
    let res = carrier
        .post(format!("{base}/api/v1/orders/{order}/document-set/bill_of_lading"))
        .header("x-csrf-token", &carrier_csrf)
        .json(&json!({}))
        .send()
        .await?;
    check(res.status().as_u16() == 201, format!("issuing the bill of lading failed: {}", res.text().await?))?;
    let reg = json!({
        "legal_name": BANK, "country": "SG", "registration_number": "BANK-SG-1",
        "address": {"street": "1 Raffles Place", "city": "Singapore", "postal_code": "048616"},
        "contact": {"name": "Tan Wei", "email": BANK_EMAIL, "phone": "+65 6000 0000"},
        "lei": null, "roles": ["bank"],
        "admin": {"name": "Tan Wei", "email": BANK_EMAIL, "password": BANK_PASSWORD}
    });
    let res = reqwest::Client::new().post(format!("{base}/api/v1/registrations")).json(&reg).send().await?;
    check(res.status().as_u16() == 201, "registering the bank failed")?;
    let body: Value = res.json().await?;
    let bank = body["organization"]["id"].as_str().ok_or("no bank id")?.to_string();
    let (operator, op_csrf) = api_login(base, OPERATOR_EMAIL, OPERATOR_PASSWORD).await?;
    let res = operator
        .post(format!("{base}/api/v1/operator/organizations/{bank}/verify"))
        .header("x-csrf-token", &op_csrf)
        .json(&json!({}))
        .send()
        .await?;
    check(res.status().is_success(), "verifying the bank failed")?;
    let (consignee, _) = api_login(base, CONSIGNEE_EMAIL, DEMO_PASSWORD).await?;
    let me: Value = consignee.get(format!("{base}/api/v1/organizations/me")).send().await?.json().await?;
    let consignee = me["id"].as_str().ok_or("no consignee id")?.to_string();
    Ok(Parties { bank, consignee })
}

async fn log_in(b: &Client, base: &str, email: &str, password: &str) -> Outcome {
    b.goto(&format!("{base}/login")).await?;
    fill(b, "email", email).await?;
    fill(b, "password", password).await?;
    click(b, "form[action='/login'] button[type='submit']").await?;
    wait_for_path(b, "/company").await
}

async fn log_out(b: &Client) -> Outcome {
    click(b, "#logout").await?;
    expect_text(b, "You are logged out").await
}

/// Opens the record from the records page.
async fn open_record(b: &Client) -> Outcome {
    click(b, "nav a[href='/records']").await?;
    wait_for_path(b, "/records").await?;
    click(b, "a.record-link").await?;
    expect_text(b, "Chain of title").await
}

async fn flow(b: &Client, base: &str, p: &Parties) -> Outcome {
    // The carrier issues the e-B/L from its bill of lading.
    log_in(b, base, CARRIER_EMAIL, DEMO_PASSWORD).await?;
    click(b, "nav a[href='/records']").await?;
    wait_for_path(b, "/records").await?;
    click(b, "#records-bills .issue-ebl button").await?;
    expect_text(b, "The record is issued").await?;
    let record_path = b.current_url().await?.path().to_string();
    check(record_path.starts_with("/records/"), format!("not on the record's page: {record_path}"))?;
    expect_in(b, "#record-holder", "Lion City Spice").await?;
    expect_in(b, "#record-beneficiary", "Lion City Spice").await?;
    expect_in(b, "#chain-verdict", "signed by the company").await?;
    snap(b, "record-issued").await?;
    log_out(b).await?;

    // The shipper nominates the consignee as beneficiary and hands the record to its bank.
    log_in(b, base, SHIPPER_EMAIL, DEMO_PASSWORD).await?;
    open_record(b).await?;
    choose(b, "nominate-to", &p.consignee).await?;
    click(b, "#nominate-button").await?;
    expect_text(b, "the step is signed").await?;
    expect_in(b, "#record-nominee", "Hanse Kaffee").await?;
    choose(b, "transfer-to", &p.bank).await?;
    click(b, "#transfer-button").await?;
    expect_text(b, "the step is signed").await?;
    expect_in(b, "#record-holder", BANK).await?;
    // It is no longer the shipper's to move: no forms but the nomination it may still change.
    check(count(b, "#transfer-form").await? == 0, "the shipper can still transfer")?;
    log_out(b).await?;

    // The bank endorses the nomination and transfers it to the consignee.
    log_in(b, base, BANK_EMAIL, BANK_PASSWORD).await?;
    open_record(b).await?;
    click(b, "#endorse-button").await?;
    expect_text(b, "the step is signed").await?;
    expect_in(b, "#record-beneficiary", "Hanse Kaffee").await?;
    choose(b, "transfer-to", &p.consignee).await?;
    click(b, "#transfer-button").await?;
    expect_text(b, "the step is signed").await?;
    expect_in(b, "#record-holder", "Hanse Kaffee").await?;
    log_out(b).await?;

    // The consignee, holder and beneficiary, surrenders it for delivery.
    log_in(b, base, CONSIGNEE_EMAIL, DEMO_PASSWORD).await?;
    open_record(b).await?;
    click(b, "#surrender-button").await?;
    expect_text(b, "the step is signed").await?;
    expect_in(b, "#record-status", "surrender pending").await?;
    log_out(b).await?;

    // The carrier accepts the surrender: the record is accomplished.
    log_in(b, base, CARRIER_EMAIL, DEMO_PASSWORD).await?;
    b.goto(&format!("{base}{record_path}")).await?;
    click(b, "#accept-button").await?;
    expect_text(b, "the step is signed").await?;
    expect_in(b, "#record-status", "accomplished").await?;
    expect_in(b, "#chain-verdict", "signed by the company").await?;
    let steps = count(b, "#record-chain tr.step").await?;
    check(steps == 7, format!("expected 7 steps in the chain, saw {steps}"))?;
    expect_in(b, "#record-chain", "accept surrender").await?;
    snap(b, "record-accomplished").await?;
    log_out(b).await
}
