//! The marketplace driven in a real, headless Chromium: a buyer posts a request for quotes,
//! sees the explained supplier matches; the seller finds the request through search and
//! quotes in another currency; the buyer compares the quote converted to its own currency
//! and accepts it.
//!
//! Same rules as `browser.rs`: needs `/usr/bin/chromium` and `/usr/bin/chromedriver`;
//! without them the test says why and passes, unless `TRADEWIND_REQUIRE_BROWSER=1`.
//! `TRADEWIND_SCREENSHOTS=<folder>` saves a PNG of each page it checks.

#[path = "common/browser.rs"]
mod browser_support;

use browser_support::*;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

const OPERATOR_EMAIL: &str = "operator@market.test";
const OPERATOR_PASSWORD: &str = "operator-password-1";
const PASSWORD: &str = "a long enough password";
const SELLER: &str = "Dak Lak Coffee Exporters JSC";
const SELLER_EMAIL: &str = "lan@daklakcoffee.example";
const BUYER: &str = "Hamburg Roasters GmbH";
const BUYER_EMAIL: &str = "jonas@hamburgroasters.example";
const PRODUCT: &str = "Robusta green coffee beans, grade 1";
const RFQ: &str = "Robusta coffee for our Hamburg roastery";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_rfq_is_matched_quoted_compared_and_accepted_in_a_browser() -> Outcome {
    if let Some(reason) = skip_reason()? {
        println!("skipping browser test: {reason}");
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let server = TestServer::start(dir.path(), OPERATOR_EMAIL, OPERATOR_PASSWORD).await?;
    let setup = companies(&server.base).await;
    let driver = Chromedriver::start()?;
    driver.wait_until_ready().await?;
    let browser = driver.open_browser(&dir.path().join("chromium-profile")).await?;
    // Run the whole flow before judging it, so that the browser is always closed.
    let outcome = match setup {
        Ok(()) => rfq_flow(&browser, &server.base).await,
        Err(e) => Err(e),
    };
    let closed = browser.close().await;
    server.stop().await;
    drop(driver);
    outcome?;
    closed?;
    Ok(())
}

/// A verified coffee exporter with a listed product, and a buyer, set up through the API.
async fn companies(base: &str) -> Outcome {
    let seller_org = register(base, SELLER, "VN", SELLER_EMAIL).await?;
    register(base, BUYER, "DE", BUYER_EMAIL).await?;
    let (seller, csrf) = api_login(base, SELLER_EMAIL, PASSWORD).await?;
    let product = json!({
        "title": PRODUCT,
        "description": "Washed robusta, screen 16, 60 kg jute bags",
        "hs_code": "090111",
        "origin_country": "VN",
        "unit": "KGM",
        "moq": "1000",
        "supply_capacity": "200000",
        "currency": "USD",
        "price_tiers": [
            {"min_quantity": "1000", "max_quantity": "9999", "unit_price": "2.40"},
            {"min_quantity": "10000", "unit_price": "2.05"}
        ],
        "lead_time_days": 30,
        "certifications": ["Organic"]
    });
    let res =
        seller.post(format!("{base}/api/v1/products")).header("x-csrf-token", &csrf).json(&product).send().await?;
    check(res.status().as_u16() == 201, format!("listing the product failed: {}", res.text().await?))?;
    let (operator, op_csrf) = api_login(base, OPERATOR_EMAIL, OPERATOR_PASSWORD).await?;
    let res = operator
        .post(format!("{base}/api/v1/operator/organizations/{seller_org}/verify"))
        .header("x-csrf-token", &op_csrf)
        .json(&json!({}))
        .send()
        .await?;
    check(res.status().is_success(), format!("verifying the seller failed: {}", res.text().await?))?;
    Ok(())
}

async fn register(base: &str, name: &str, country: &str, email: &str) -> Outcome<String> {
    let body = json!({
        "legal_name": name,
        "country": country,
        "registration_number": format!("REG-{country}-1"),
        "address": {"street": "1 Harbour Road", "city": "Port Town", "postal_code": "12345"},
        "contact": {"name": "Pat Lee", "email": email, "phone": "+49 40 000000"},
        "lei": null,
        "roles": ["exporter", "importer"],
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

fn in_days(d: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(d)).to_string()
}

async fn rfq_flow(b: &Client, base: &str) -> Outcome {
    // The buyer logs in and posts a buy request from the navigation.
    log_in(b, base, BUYER_EMAIL).await?;
    click(b, "nav a[href='/leads/new']").await?;
    wait_for_path(b, "/leads/new").await?;
    expect_text(b, "Post a buy request or a sell offer").await?;
    let checked = prop(b, Locator::Id("side-buy"), "checked").await?;
    check(checked.as_deref() == Some("true"), "a buy request is not the default")?;

    // First with a port outside the destination: the form comes back with the error.
    fill(b, "title", RFQ).await?;
    fill(b, "description", "Grade 1 robusta, 60 kg jute bags, steady monthly volume").await?;
    fill(b, "hs_code", "090111").await?;
    fill(b, "quantity", "19200").await?;
    choose(b, "unit", "KGM").await?;
    fill(b, "target_price", "2.10").await?;
    choose(b, "currency", "USD").await?;
    choose(b, "incoterm", "CIF").await?;
    choose(b, "lead_country", "DE").await?;
    fill(b, "port", "SGSIN").await?;
    set_value(b, "needed_by", &in_days(90)).await?;
    click(b, "#post-lead").await?;
    expect_in(b, ".error-summary", "This place is not in the country chosen above").await?;
    let described = attr(b, Locator::Id("port"), "aria-describedby").await?;
    check(described.as_deref().is_some_and(|d| d.contains("port-error")), "the port error is not linked to its input")?;
    let kept = prop(b, Locator::Id("title"), "value").await?;
    check(kept.as_deref() == Some(RFQ), format!("the title was not kept: {kept:?}"))?;
    snap(b, "lead-form-errors").await?;
    fill(b, "port", "DEHAM").await?;
    click(b, "#post-lead").await?;

    // The request's page: the seller in the explained matches.
    expect_text(b, "Your lead is posted").await?;
    let lead_path = b.current_url().await?.path().to_string();
    check(
        lead_path.starts_with("/leads/") && lead_path != "/leads/new",
        format!("not on the lead's page: {lead_path}"),
    )?;
    expect_in(b, "h1", RFQ).await?;
    expect_in(b, "#matches", SELLER).await?;
    expect_in(b, "#matches .badge-verified", "Verified").await?;
    expect_in(b, "#matches table.factors", "same HS subheading 090111").await?;
    expect_in(b, "#matches table.factors", "HS code").await?;
    expect_in(b, "#quotes", "No quotes yet").await?;
    snap(b, "lead-matches").await?;
    log_out(b).await?;

    // The seller was told, and finds the request through search.
    log_in(b, base, SELLER_EMAIL).await?;
    click(b, "nav a[href='/notifications']").await?;
    expect_in(b, ".notifications", "Matching buy request").await?;
    click(b, "nav a[href='/search']").await?;
    wait_for_path(b, "/search").await?;
    fill(b, "q", "robusta coffee").await?;
    click(b, "#search-submit").await?;
    expect_in(b, ".hits", RFQ).await?;
    expect_in(b, ".hits", PRODUCT).await?;
    expect_in(b, ".facets", "(VN)").await?;
    snap(b, "search").await?;
    // Narrow to buy requests with the filters (folded away at first), then open the hit.
    click(b, "details.filters summary").await?;
    choose(b, "side", "buy").await?;
    click(b, "#search-submit").await?;
    expect_in(b, ".hits", RFQ).await?;
    let hits = text_of(b, Locator::Css(".hits")).await?;
    check(!hits.contains(PRODUCT), format!("the side filter kept the product: {hits}"))?;
    expect_in(b, ".hits", "Unverified company").await?;
    click_on(b, Locator::LinkText(RFQ)).await?;
    wait_for_path(b, &lead_path).await?;
    expect_in(b, ".caution", "has not verified this company").await?;

    // The seller quotes in euros.
    expect_text(b, "Send a quote").await?;
    fill(b, "unit_price", "1.85").await?;
    choose(b, "currency", "EUR").await?;
    choose(b, "payment_terms", "letter_of_credit").await?;
    fill(b, "lead_time_days", "30").await?;
    let place = prop(b, Locator::Id("named_place"), "value").await?;
    check(place.as_deref() == Some("DEHAM"), format!("the named place is not the request's port: {place:?}"))?;
    click(b, "#send-quote").await?;
    expect_text(b, "Your quote was sent to the buyer").await?;
    expect_in(b, "#my-quotes", "EUR 1.85").await?;
    expect_in(b, "#my-quotes", "Submitted").await?;
    snap(b, "quote-sent").await?;

    // The seller lists another product, with HS codes suggested from its words.
    click(b, "nav a[href='/products/new']").await?;
    wait_for_path(b, "/products/new").await?;
    fill(b, "title", "Arabica coffee, roasted").await?;
    fill(b, "description", "Medium roast coffee beans, not decaffeinated").await?;
    click(b, "#suggest-hs").await?;
    expect_in(b, ".suggestions", "Coffee").await?;
    let kept = prop(b, Locator::Id("title"), "value").await?;
    check(kept.as_deref() == Some("Arabica coffee, roasted"), format!("the title was not kept: {kept:?}"))?;
    click(b, ".suggestion-list button").await?;
    expect_text(b, "List a product").await?;
    let code = prop(b, Locator::Id("hs_code"), "value").await?.unwrap_or_default();
    check(code.starts_with("09"), format!("the chosen suggestion is not in the HS code input: {code:?}"))?;
    choose(b, "origin_country", "VN").await?;
    choose(b, "unit", "KGM").await?;
    fill(b, "moq", "500").await?;
    fill(b, "supply_capacity", "20000").await?;
    fill(b, "lead_time_days", "21").await?;
    choose(b, "currency", "USD").await?;
    fill(b, "tier1_min", "500").await?;
    fill(b, "tier1_price", "6.40").await?;
    // Tier 2 overlaps tier 1, which has no maximum: the error lands on tier 2's input.
    fill(b, "tier2_min", "5000").await?;
    fill(b, "tier2_price", "5.90").await?;
    click(b, "#certifications input[value='Organic']").await?;
    fill(b, "other_certifications", "Rainforest Alliance").await?;
    click(b, "#list-product").await?;
    expect_in(b, ".error-summary", "Tier 2 from quantity").await?;
    let described = attr(b, Locator::Id("tier2_min"), "aria-describedby").await?;
    check(described.as_deref() == Some("tier2_min-error"), "the tier error is not linked to its input")?;
    fill(b, "tier1_max", "4999").await?;
    click(b, "#list-product").await?;
    expect_text(b, "Your product is listed").await?;
    expect_in(b, "h1", "Arabica coffee, roasted").await?;
    expect_in(b, ".company-line .badge-verified", "Verified").await?;
    expect_in(b, ".tiers-table", "5000 KGM or more").await?;
    expect_in(b, ".tiers-table", "USD 5.90").await?;
    expect_in(b, ".tags", "Rainforest Alliance").await?;
    snap(b, "product").await?;
    log_out(b).await?;

    // The buyer compares the quote in US dollars, with the rate, and accepts it.
    log_in(b, base, BUYER_EMAIL).await?;
    b.goto(&format!("{base}{lead_path}")).await?;
    expect_in(b, "#quotes", SELLER).await?;
    expect_in(b, ".quotes-table", "EUR 1.85").await?;
    // 1.85 EUR at 1.16 USD per euro (the demo rates) is 2.146, rounded to USD 2.15.
    expect_in(b, ".quotes-table .converted", "USD 2.15").await?;
    expect_in(b, ".quotes-table", "1 EUR = 1.16 USD").await?;
    expect_in(b, ".quotes-table", "USD 41280.00").await?;
    expect_in(b, "#rates-note", "2026-11-02").await?;
    expect_in(b, "#rates-note", "tradewind demo rates").await?;
    snap(b, "quotes-compared").await?;
    // The same comparison in euros, without JavaScript: the currency form is a GET.
    choose(b, "compare_currency", "EUR").await?;
    click(b, "#quotes form[method='get'] button[type='submit']").await?;
    expect_in(b, ".quotes-table", "same currency").await?;
    expect_in(b, ".quotes-table .converted", "EUR 1.85").await?;
    click(b, ".accept-form button[type='submit']").await?;
    expect_text(b, "You accepted the quote").await?;
    expect_in(b, ".quotes-table .badge-accepted", "Accepted").await?;
    check(count(b, ".accept-form").await? == 0, "an accepted request still offers Accept buttons")?;
    snap(b, "quote-accepted").await?;

    // The same page in Simplified Chinese.
    click(b, "a.lang-switch").await?;
    expect_in(b, ".quotes-table .badge-accepted", "已接受").await?;
    expect_in(b, "#matches", "匹配").await?;
    Ok(())
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
