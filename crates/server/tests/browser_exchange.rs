//! Document exchange in a real, headless Chromium: the seller opens the send form from its
//! order's document centre and sends the invoice's UBL and CII renditions to a customs
//! authority; the authority finds them in its inbox, rejects one with a reason and accepts
//! the other; the seller sees both answers in its outbox.
//!
//! Same rules as `browser.rs`: needs `/usr/bin/chromium` and `/usr/bin/chromedriver`;
//! without them the test says why and passes, unless `TRADEWIND_REQUIRE_BROWSER=1`.
//! `TRADEWIND_SCREENSHOTS=<folder>` saves a PNG of each page it checks.

#[path = "common/browser.rs"]
mod browser_support;

use browser_support::*;
use fantoccini::Client;
use serde_json::{Value, json};

const OPERATOR_EMAIL: &str = "operator@exchange.test";
const OPERATOR_PASSWORD: &str = "operator-password-1";
const PASSWORD: &str = "a long enough password";
const SELLER_EMAIL: &str = "lan@daklakcoffee.example";
const BUYER_EMAIL: &str = "jonas@hamburgroasters.example";
const CUSTOMS: &str = "Hauptzollamt Hamburg";
const CUSTOMS_EMAIL: &str = "abfertigung@zoll.example";
const REASON: &str = "The seller's VAT number (BT-31) is missing";

/// What the browser works on, made through the API.
struct Setup {
    order: String,
    ubl: String,
    cii: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seller_sends_documents_and_customs_answers_each_in_a_browser() -> Outcome {
    if let Some(reason) = skip_reason()? {
        println!("skipping browser test: {reason}");
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let server = TestServer::start(dir.path(), OPERATOR_EMAIL, OPERATOR_PASSWORD).await?;
    let setup = prepare(&server.base).await;
    let driver = Chromedriver::start()?;
    driver.wait_until_ready().await?;
    let browser = driver.open_browser(&dir.path().join("chromium-profile")).await?;
    // Run the whole flow before judging it, so that the browser is always closed.
    let outcome = match setup {
        Ok(s) => exchange_flow(&browser, &server.base, &s).await,
        Err(e) => Err(e),
    };
    let closed = browser.close().await;
    server.stop().await;
    drop(driver);
    outcome?;
    closed?;
    Ok(())
}

fn in_days(d: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(d)).to_string()
}

async fn register(base: &str, name: &str, country: &str, email: &str, role: &str) -> Outcome<String> {
    let body = json!({
        "legal_name": name,
        "country": country,
        "registration_number": format!("REG-{email}"),
        "address": {"street": "1 Harbour Road", "city": "Port Town", "postal_code": "12345"},
        "contact": {"name": "Pat Lee", "email": email, "phone": "+49 40 000000"},
        "lei": null,
        "roles": [role],
        "admin": {"name": "Pat Lee", "email": email, "password": PASSWORD}
    });
    let res = reqwest::Client::new().post(format!("{base}/api/v1/registrations")).json(&body).send().await?;
    check(res.status().as_u16() == 201, format!("registering {name} failed"))?;
    let body: Value = res.json().await?;
    Ok(body["organization"]["id"].as_str().ok_or("no organization id")?.to_string())
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
    let csrf = body["csrf_token"].as_str().ok_or("no CSRF token")?.to_string();
    Ok((client, csrf))
}

async fn post(who: &(reqwest::Client, String), url: String, body: Value) -> Outcome<Value> {
    let res = who.0.post(&url).header("x-csrf-token", &who.1).json(&body).send().await?;
    let status = res.status();
    let text = res.text().await?;
    check(status.is_success(), format!("POST {url} answered {status}: {text}"))?;
    Ok(serde_json::from_str(&text)?)
}

/// Three verified companies, an agreed order and its commercial invoice, through the API.
async fn prepare(base: &str) -> Outcome<Setup> {
    let seller = register(base, "Dak Lak Coffee Exporters JSC", "VN", SELLER_EMAIL, "exporter").await?;
    let buyer = register(base, "Hamburg Roasters GmbH", "DE", BUYER_EMAIL, "importer").await?;
    let customs = register(base, CUSTOMS, "DE", CUSTOMS_EMAIL, "customs_authority").await?;
    let operator = api_login(base, OPERATOR_EMAIL, OPERATOR_PASSWORD).await?;
    for org in [&seller, &buyer, &customs] {
        post(&operator, format!("{base}/api/v1/operator/organizations/{org}/verify"), json!({})).await?;
    }
    let b = api_login(base, BUYER_EMAIL, PASSWORD).await?;
    let s = api_login(base, SELLER_EMAIL, PASSWORD).await?;
    let po = json!({
        "seller": seller, "currency": "USD",
        "lines": [{"description": "Robusta green coffee beans", "hs_code": "090111", "quantity": "19200",
            "unit": "KGM", "unit_price": "2.08"}],
        "incoterm": "FOB", "named_place": "VNSGN", "payment_terms": "escrow",
        "delivery_earliest": in_days(30), "delivery_latest": in_days(60)
    });
    let order = post(&b, format!("{base}/api/v1/orders"), po).await?;
    let order = order["id"].as_str().ok_or("no order id")?.to_string();
    for who in [&b, &s] {
        post(who, format!("{base}/api/v1/orders/{order}/events"), json!({"event": "accept"})).await?;
    }
    let invoice = post(&s, format!("{base}/api/v1/orders/{order}/documents/commercial-invoice"), json!({})).await?;
    Ok(Setup {
        ubl: invoice["id"].as_str().ok_or("no UBL id")?.to_string(),
        cii: invoice["cii"]["id"].as_str().ok_or("no CII id")?.to_string(),
        order,
    })
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

async fn exchange_flow(b: &Client, base: &str, s: &Setup) -> Outcome {
    // The seller sends two renditions of its invoice from the document centre.
    log_in(b, base, SELLER_EMAIL).await?;
    b.goto(&format!("{base}/orders/{}/documents", s.order)).await?;
    click(b, "#send-documents").await?;
    wait_for_path(b, "/exchanges/new").await?;
    expect_text(b, "Send documents").await?;
    snap(b, "exchange-send").await?;
    let customs_id = attr(
        b,
        fantoccini::Locator::XPath(&format!("//select[@id='receiver']/option[contains(., '{CUSTOMS}')]")),
        "value",
    )
    .await?;
    choose(b, "receiver", &customs_id.ok_or("the customs authority is not offered as a receiver")?).await?;
    click(b, &format!("#send-{}", s.ubl)).await?;
    click(b, &format!("#send-{}", s.cii)).await?;
    fill(b, "note", "For import declaration 26DE000118").await?;
    click(b, "#send-form button[type='submit']").await?;
    expect_text(b, "The documents are sent").await?;
    expect_in(b, &format!("#doc-{} .status", s.ubl), "sent").await?;
    log_out(b).await?;

    // Customs finds them in its inbox, rejects the CII with a reason and accepts the UBL.
    log_in(b, base, CUSTOMS_EMAIL).await?;
    b.goto(&format!("{base}/documents")).await?;
    click(b, "#exchange-inbox").await?;
    wait_for_path(b, "/exchanges/inbox").await?;
    expect_text(b, "Dak Lak Coffee Exporters JSC").await?;
    snap(b, "exchange-inbox").await?;
    click(b, "#inbox .exchange a").await?;
    expect_text(b, "For import declaration 26DE000118").await?;
    // A rejection without a reason is refused on the page, and nothing changes.
    click(b, &format!("#doc-{} .reject-form button", s.cii)).await?;
    expect_in(b, "#exchange-error", "reason").await?;
    expect_in(b, &format!("#doc-{} .status", s.cii), "sent").await?;
    fill(b, &format!("reason-{}", s.cii), REASON).await?;
    click(b, &format!("#doc-{} .reject-form button", s.cii)).await?;
    expect_text(b, "The document is rejected").await?;
    expect_in(b, &format!("#doc-{} .status", s.cii), "rejected").await?;
    click(b, &format!("#doc-{} .accept-form button", s.ubl)).await?;
    expect_text(b, "The document is accepted").await?;
    expect_in(b, &format!("#doc-{} .status", s.ubl), "accepted").await?;
    snap(b, "exchange-answered").await?;
    log_out(b).await?;

    // The seller sees each document's answer in its outbox.
    log_in(b, base, SELLER_EMAIL).await?;
    b.goto(&format!("{base}/exchanges/outbox")).await?;
    expect_text(b, "rejected").await?;
    expect_text(b, "accepted").await?;
    expect_text(b, CUSTOMS).await?;
    snap(b, "exchange-outbox").await?;
    click(b, "#outbox .exchange a").await?;
    expect_in(b, &format!("#doc-{} .reason", s.cii), REASON).await?;
    Ok(())
}
