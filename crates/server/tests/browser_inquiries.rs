//! Inquiries and platform governance driven in a real, headless Chromium: a buyer asks about
//! a product from its page; the seller finds the question under Inquiries and replies with a
//! PDF; the buyer reads the reply and downloads the file, then reports the listing; the
//! operator hides it from the reported listings; the buyer can no longer open it.
//!
//! Same rules as `browser.rs`: needs `/usr/bin/chromium` and `/usr/bin/chromedriver`;
//! without them the test says why and passes, unless `TRADEWIND_REQUIRE_BROWSER=1`.
//! `TRADEWIND_SCREENSHOTS=<folder>` saves a PNG of each page it checks.

#[path = "common/browser.rs"]
mod browser_support;

use browser_support::*;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const OPERATOR_EMAIL: &str = "operator@inquiries.test";
const OPERATOR_PASSWORD: &str = "operator-password-1";
const PASSWORD: &str = "a long enough password";
const SELLER: &str = "Shenzhen Bright Lamps Co., Ltd.";
const SELLER_EMAIL: &str = "wei@brightlamps.example";
const BUYER: &str = "Rotterdam Lighting BV";
const BUYER_EMAIL: &str = "anna@rotterdamlighting.example";
const PRODUCT: &str = "Constant-current LED driver, 40 W";
const QUESTION: &str = "Can you ship 2000 drivers to Rotterdam by March, with CE certificates?";
const ANSWER: &str = "Yes. Our CE certificate is attached; March shipment is possible.";
const ATTACHMENT: &str = "ce-certificate.pdf";
const REASON: &str = "The CE certificate in this thread looks forged.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_is_answered_with_a_file_and_a_reported_listing_is_hidden_in_a_browser() -> Outcome {
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
        Ok(product_id) => inquiry_flow(&browser, &server.base, &product_id, dir.path()).await,
        Err(e) => Err(e),
    };
    let closed = browser.close().await;
    server.stop().await;
    drop(driver);
    outcome?;
    closed?;
    Ok(())
}

/// A seller with a listed product and a buyer, set up through the API; returns the
/// product's id.
async fn companies(base: &str) -> Outcome<String> {
    register(base, SELLER, "CN", SELLER_EMAIL).await?;
    register(base, BUYER, "NL", BUYER_EMAIL).await?;
    let (seller, csrf) = api_login(base, SELLER_EMAIL, PASSWORD).await?;
    let product = json!({
        "title": PRODUCT,
        "description": "Static converter for LED panels, 900 mA, flicker-free",
        "hs_code": "850440",
        "origin_country": "CN",
        "unit": "H87",
        "moq": "200",
        "supply_capacity": "50000",
        "currency": "USD",
        "price_tiers": [{"min_quantity": "200", "unit_price": "11.50"}],
        "lead_time_days": 25,
        "certifications": ["CE"]
    });
    let res =
        seller.post(format!("{base}/api/v1/products")).header("x-csrf-token", &csrf).json(&product).send().await?;
    let status = res.status().as_u16();
    let body: Value = res.json().await?;
    check(status == 201, format!("listing the product failed: {body}"))?;
    Ok(body["id"].as_str().ok_or("no product id")?.to_string())
}

async fn register(base: &str, name: &str, country: &str, email: &str) -> Outcome<String> {
    let body = json!({
        "legal_name": name,
        "country": country,
        "registration_number": format!("REG-{country}-7"),
        "address": {"street": "8 Harbour Road", "city": "Port Town", "postal_code": "12345"},
        "contact": {"name": "Sam Ng", "email": email, "phone": "+31 10 000000"},
        "lei": null,
        "roles": ["exporter", "importer"],
        "admin": {"name": "Sam Ng", "email": email, "password": PASSWORD}
    });
    let res = reqwest::Client::new().post(format!("{base}/api/v1/registrations")).json(&body).send().await?;
    check(res.status().as_u16() == 201, format!("registering {name} failed"))?;
    let body: Value = res.json().await?;
    Ok(body["organization"]["id"].as_str().ok_or("no organization id")?.to_string())
}

async fn api_login(base: &str, email: &str, password: &str) -> Outcome<(reqwest::Client, String)> {
    // Redirects are not followed, so that a form's Post/Redirect/Get shows as a 303.
    let client = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build()?;
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

fn write_pdf(dir: &Path) -> Outcome<PathBuf> {
    let path = dir.join(ATTACHMENT);
    std::fs::write(&path, b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")?;
    Ok(path)
}

async fn inquiry_flow(b: &Client, base: &str, product_id: &str, dir: &Path) -> Outcome {
    let product_path = format!("/products/{product_id}");

    // The buyer opens the product and asks a question; an empty one comes back first.
    log_in(b, base, BUYER_EMAIL, "/company").await?;
    b.goto(&format!("{base}{product_path}")).await?;
    expect_in(b, "h1", PRODUCT).await?;
    expect_in(b, "#ask-form", "Ask a question").await?;
    expect_in(b, "#report-form", "Report this listing").await?;
    expect_in(b, "details.block-confirm summary", "Block this company").await?;
    click(b, "details.block-confirm summary").await?;
    expect_in(b, "#block-submit", SELLER).await?;
    snap(b, "listing-actions").await?;
    // Skip the browser's own check to see the server's answer.
    b.execute("document.getElementById('message').removeAttribute('required');", vec![]).await?;
    click(b, "#ask-submit").await?;
    expect_in(b, "#contact .error-summary", "Write your message.").await?;
    snap(b, "listing-actions-error").await?;
    let described = attr(b, Locator::Id("message"), "aria-describedby").await?;
    check(
        described.as_deref().is_some_and(|d| d.contains("message-error")),
        format!("the message error is not linked to its input: {described:?}"),
    )?;
    fill(b, "message", QUESTION).await?;
    click(b, "#ask-submit").await?;
    expect_text(b, "Your question was sent").await?;
    let thread_path = b.current_url().await?.path().to_string();
    check(thread_path.starts_with("/inquiries/"), format!("not on the thread: {thread_path}"))?;
    expect_in(b, "h1", PRODUCT).await?;
    expect_in(b, ".company-line", SELLER).await?;
    expect_in(b, ".messages", QUESTION).await?;
    expect_in(b, ".messages .author", BUYER).await?;
    snap(b, "inquiry-asked").await?;
    log_out(b).await?;

    // The seller finds it under Inquiries and replies with a PDF.
    log_in(b, base, SELLER_EMAIL, "/company").await?;
    click(b, "nav a[href='/inquiries']").await?;
    wait_for_path(b, "/inquiries").await?;
    expect_in(b, ".inquiries-table", PRODUCT).await?;
    expect_in(b, ".inquiries-table", BUYER).await?;
    expect_in(b, ".inquiries-table", "Asked you").await?;
    snap(b, "inquiries").await?;
    click_on(b, Locator::LinkText(PRODUCT)).await?;
    wait_for_path(b, &thread_path).await?;
    expect_in(b, ".messages", QUESTION).await?;
    fill(b, "message", ANSWER).await?;
    let pdf = write_pdf(dir)?;
    send_keys(b, Locator::Id("attachment"), &pdf.to_string_lossy()).await?;
    click(b, "#reply-submit").await?;
    expect_text(b, "Your reply was sent").await?;
    expect_in(b, ".messages", ANSWER).await?;
    expect_in(b, ".messages .attachment", ATTACHMENT).await?;
    log_out(b).await?;

    // The buyer reads the reply and downloads the file with its session.
    log_in(b, base, BUYER_EMAIL, "/company").await?;
    click(b, "nav a[href='/inquiries']").await?;
    expect_in(b, ".inquiries-table", SELLER).await?;
    expect_in(b, ".inquiries-table", "You asked").await?;
    b.goto(&format!("{base}{thread_path}")).await?;
    expect_in(b, ".messages", ANSWER).await?;
    expect_in(b, ".messages .message:last-child .author", SELLER).await?;
    let link = Locator::Css(".messages .attachment a");
    check(text_of(b, link).await? == ATTACHMENT, "the attachment link does not name the file")?;
    let href = attr(b, link, "href").await?.ok_or("no attachment link")?;
    check(
        href.starts_with(&format!("/api/v1{thread_path}/messages/")) && href.ends_with("/attachment"),
        format!("unexpected attachment link {href}"),
    )?;
    let got = b
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0], {credentials: 'same-origin'})
               .then(r => r.arrayBuffer().then(buf => done([r.status, r.headers.get('content-type'), String.fromCharCode(...new Uint8Array(buf).slice(0, 5))])))
               .catch(e => done([0, String(e), '']));",
            vec![Value::String(href)],
        )
        .await?;
    check(got[0] == 200 && got[1] == "application/pdf" && got[2] == "%PDF-", format!("attachment download: {got}"))?;
    snap(b, "inquiry-replied").await?;

    // The buyer reports the listing.
    b.goto(&format!("{base}{product_path}")).await?;
    fill(b, "report_reason", REASON).await?;
    click(b, "#report-submit").await?;
    expect_text(b, "The platform operator will review your report").await?;
    expect_in(b, "h1", PRODUCT).await?;
    log_out(b).await?;

    // The operator hides it from the reported listings.
    log_in(b, base, OPERATOR_EMAIL, "/operator/queue").await?;
    click(b, "nav a[href='/operator/reports']").await?;
    wait_for_path(b, "/operator/reports").await?;
    expect_in(b, ".reports", PRODUCT).await?;
    expect_in(b, ".reports", REASON).await?;
    expect_in(b, ".reports", BUYER).await?;
    expect_in(b, ".reports", SELLER).await?;
    let listing = attr(b, Locator::LinkText(PRODUCT), "href").await?;
    check(listing.as_deref() == Some(product_path.as_str()), format!("the report links to {listing:?}"))?;
    snap(b, "reports").await?;
    send_keys(b, Locator::Css(".decision-form textarea[name='note']"), "Forged certificates are not allowed.").await?;
    click(b, ".decision-form button[value='hide']").await?;
    expect_text(b, "The listing is hidden").await?;
    expect_text(b, "No open reports").await?;
    log_out(b).await?;

    // The buyer can no longer open the product.
    log_in(b, base, BUYER_EMAIL, "/company").await?;
    b.goto(&format!("{base}{product_path}")).await?;
    expect_in(b, "h1", "Page not found").await?;
    let shown = text_of(b, Locator::Css("main")).await?;
    check(!shown.contains(PRODUCT), "the hidden product is still shown")?;

    // The thread stays readable, in Chinese too.
    b.goto(&format!("{base}{thread_path}?lang=zh")).await?;
    expect_in(b, "#reply-title", "回复").await?;
    expect_in(b, ".messages", ANSWER).await?;
    Ok(())
}

/// The page answers a block and the daily limit with the pages' own words, not an error
/// page. Plain HTTP with the session's CSRF token, so it runs without a browser.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_companies_and_the_daily_limit_are_explained_on_the_page() -> Outcome {
    let dir = tempfile::tempdir()?;
    let server = TestServer::start(dir.path(), OPERATOR_EMAIL, OPERATOR_PASSWORD).await?;
    let outcome = limits_flow(&server.base).await;
    server.stop().await;
    outcome
}

async fn limits_flow(base: &str) -> Outcome {
    let product_id = companies(base).await?;
    let (buyer, buyer_csrf) = api_login(base, BUYER_EMAIL, PASSWORD).await?;
    let (seller, seller_csrf) = api_login(base, SELLER_EMAIL, PASSWORD).await?;
    let me: Value = buyer.get(format!("{base}/api/v1/organizations/me")).send().await?.json().await?;
    let buyer_org = me["id"].as_str().ok_or("no organization id")?.to_string();
    let ask = |message: &str| {
        buyer.post(format!("{base}/inquiries")).form(&[
            ("csrf_token", buyer_csrf.as_str()),
            ("subject_kind", "product"),
            ("subject_id", product_id.as_str()),
            ("message", message),
        ])
    };

    // An open thread, then the seller's admin blocks the buyer from the page.
    let res = ask(QUESTION).send().await?;
    check(res.status().as_u16() == 303, format!("asking answered {}", res.status()))?;
    let thread = res
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .and_then(|l| l.split('?').next())
        .ok_or("no thread address")?
        .to_string();
    // Nobody else sees the thread: not a third company, not the operator.
    register(base, "Lyon Luminaires SARL", "FR", "chloe@lyonluminaires.example").await?;
    let (third, _) = api_login(base, "chloe@lyonluminaires.example", PASSWORD).await?;
    let (operator, _) = api_login(base, OPERATOR_EMAIL, OPERATOR_PASSWORD).await?;
    for (who, client) in [("another company", &third), ("the operator", &operator)] {
        let res = client.get(format!("{base}{thread}")).send().await?;
        check(res.status().as_u16() == 404, format!("{who} opened the thread: {}", res.status()))?;
        check(res.text().await?.contains("Page not found"), format!("{who} did not get the not-found page"))?;
    }
    let page = third.get(format!("{base}/inquiries")).send().await?.text().await?;
    check(!page.contains(PRODUCT), "another company lists the thread")?;

    let res = seller
        .post(format!("{base}/company/blocks"))
        .form(&[("csrf_token", seller_csrf.as_str()), ("organization_id", buyer_org.as_str())])
        .send()
        .await?;
    check(res.status().as_u16() == 303, format!("blocking answered {}", res.status()))?;
    let page = seller.get(format!("{base}/company/blocks")).send().await?.text().await?;
    check(page.contains(BUYER) && page.contains("Unblock"), "the blocked company is not listed")?;

    // The buyer is told on the listing and in the thread, and cannot get through.
    let page = buyer.get(format!("{base}/products/{product_id}")).send().await?.text().await?;
    check(page.contains("does not accept inquiries from your company"), "the listing does not say it is blocked")?;
    check(!page.contains("id=\"ask-form\""), "a blocked company is still offered the question form")?;
    let res = ask("Another question").send().await?;
    check(res.status().as_u16() == 409, format!("a blocked question answered {}", res.status()))?;
    let page = res.text().await?;
    check(page.contains("does not accept inquiries or messages"), "the refusal is not explained")?;
    let page = buyer.get(format!("{base}{thread}")).send().await?.text().await?;
    check(page.contains("has blocked your company"), "the thread does not say it is blocked")?;
    check(!page.contains("id=\"reply-form\""), "a blocked company is still offered the reply form")?;
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", buyer_csrf.clone())
        .text("message", "Are you there?")
        .part("attachment", reqwest::multipart::Part::bytes(Vec::new()).file_name(""));
    let res = buyer.post(format!("{base}{thread}/messages")).multipart(form).send().await?;
    check(res.status().as_u16() == 409, format!("a blocked reply answered {}", res.status()))?;
    check(res.text().await?.contains("does not accept inquiries or messages"), "the reply refusal is not explained")?;

    // Unblocked again, the buyer uses up the day's inquiries; the next one is explained.
    let res = seller
        .post(format!("{base}/company/blocks/{buyer_org}/unblock"))
        .form(&[("csrf_token", seller_csrf.as_str())])
        .send()
        .await?;
    check(res.status().as_u16() == 303, format!("unblocking answered {}", res.status()))?;
    for n in 2..=20 {
        let res = buyer
            .post(format!("{base}/api/v1/inquiries"))
            .header("x-csrf-token", &buyer_csrf)
            .json(&json!({"subject_kind": "product", "subject_id": product_id, "body": format!("Question {n}")}))
            .send()
            .await?;
        check(res.status().as_u16() == 201, format!("inquiry {n} answered {}", res.status()))?;
    }
    let res = ask("One too many").send().await?;
    check(res.status().as_u16() == 429, format!("the 21st question answered {}", res.status()))?;
    let page = res.text().await?;
    check(page.contains("the daily limit"), "the daily limit is not explained")?;
    check(page.contains("One too many"), "the question was not kept")?;
    Ok(())
}

async fn log_in(b: &Client, base: &str, email: &str, lands_on: &str) -> Outcome {
    let password = if email == OPERATOR_EMAIL { OPERATOR_PASSWORD } else { PASSWORD };
    b.goto(&format!("{base}/login")).await?;
    fill(b, "email", email).await?;
    fill(b, "password", password).await?;
    click(b, "form[action='/login'] button[type='submit']").await?;
    wait_for_path(b, lands_on).await
}

async fn log_out(b: &Client) -> Outcome {
    click(b, "#logout").await?;
    expect_text(b, "You are logged out").await
}
