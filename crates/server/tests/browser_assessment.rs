//! The paperless-trade assessment driven in a real, headless Chromium: a company starts
//! it, saves a draft, is told what is unanswered, submits, reads its score beside the
//! measured one with the charts, and downloads the PDF report.
//!
//! Same rules as `browser.rs`: needs `/usr/bin/chromium` and `/usr/bin/chromedriver`;
//! without them the test says why and passes, unless `TRADEWIND_REQUIRE_BROWSER=1`.
//! `TRADEWIND_SCREENSHOTS=<folder>` saves a PNG of each page it checks.

#[path = "common/browser.rs"]
mod browser_support;

use browser_support::*;
use fantoccini::{Client, Locator};
use serde_json::json;

const COMPANY: &str = "Harbour Lights Shipping Ltd";
const EMAIL: &str = "ann@harbourlights.example";
const PASSWORD: &str = "harbour-lights-1";

/// The company, registered through the API.
async fn register(base: &str) -> Outcome {
    let body = json!({
        "legal_name": COMPANY,
        "country": "GB",
        "registration_number": "12345678",
        "address": {"street": "1 Dock Road", "city": "Southampton", "postal_code": "SO14 2AQ"},
        "contact": {"name": "Ann Lee", "email": EMAIL, "phone": "+44 23 8000 0000"},
        "lei": null,
        "roles": ["exporter"],
        "admin": {"name": "Ann Lee", "email": EMAIL, "password": PASSWORD}
    });
    let res = reqwest::Client::new().post(format!("{base}/api/v1/registrations")).json(&body).send().await?;
    check(res.status() == reqwest::StatusCode::CREATED, format!("registration: {}", res.status()))
}

/// A company takes the paperless-trade assessment in the browser: starts it, saves a draft,
/// answers everything, submits, reads its score beside the measured one, and downloads the
/// PDF report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_company_takes_the_assessment_and_downloads_the_report_in_a_browser() -> Outcome {
    if let Some(reason) = skip_reason()? {
        println!("skipping browser test: {reason}");
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let server = TestServer::start(dir.path(), "operator@assess.test", "operator-password-1").await?;
    register(&server.base).await?;
    let driver = Chromedriver::start()?;
    driver.wait_until_ready().await?;
    let browser = driver.open_browser(&dir.path().join("chromium-profile")).await?;
    let outcome = assessment_flow(&browser, &server.base).await;
    let closed = browser.close().await;
    server.stop().await;
    drop(driver);
    outcome?;
    closed?;
    Ok(())
}

async fn assessment_flow(b: &Client, base: &str) -> Outcome {
    b.goto(&format!("{base}/login")).await?;
    fill(b, "email", EMAIL).await?;
    fill(b, "password", PASSWORD).await?;
    click(b, "form[action='/login'] button[type='submit']").await?;
    wait_for_path(b, "/company").await?;

    // Start a company self-assessment from the navigation.
    click_on(b, Locator::Css("nav a[href='/assessments']")).await?;
    wait_for_path(b, "/assessments").await?;
    expect_text(b, "No assessment yet").await?;
    click(b, "form.start-form button[type='submit']").await?;
    expect_in(b, "h1", "Company self-assessment").await?;
    snap(b, "assessment-form").await?;

    // Answer one question and save the draft; the answer is kept.
    click_on(b, Locator::Id("q-b2g-registration-1")).await?;
    click_on(b, Locator::Id("save-draft")).await?;
    expect_text(b, "Your answers are saved as a draft").await?;
    let kept = prop(b, Locator::Id("q-b2g-registration-1"), "checked").await?;
    check(kept.as_deref() == Some("true"), format!("the saved answer was not kept: {kept:?}"))?;
    expect_in(b, "#progress", "1 /").await?;

    // Submitting too early names the unanswered questions.
    click_on(b, Locator::Id("submit-assessment")).await?;
    expect_in(b, ".error-summary", "Answer this question before submitting").await?;

    // Answer every question at its second level and submit.
    b.execute(
        "document.querySelectorAll('fieldset.question').forEach(f => { const r = f.querySelectorAll('input[type=radio]'); r[1].checked = true; });",
        vec![],
    )
    .await?;
    click_on(b, Locator::Id("submit-assessment")).await?;
    expect_text(b, "The assessment is submitted").await?;
    let score: u32 = text_of(b, Locator::Id("score")).await?.trim().parse()?;
    check((12..100).contains(&score), format!("score {score}"))?;
    expect_in(b, "#level", "").await?;
    expect_in(b, "#measured-score", "14").await?;
    expect_in(b, "#measured-note", "No trades on tradewind yet").await?;
    expect_in(b, ".action-plan", "+").await?;
    expect_in(b, "svg.chart", &format!("Self-assessed {score}")).await?;
    snap(b, "assessment-report").await?;

    // Download the PDF report through the page's own link, with the session's cookie.
    let href = attr(b, Locator::Id("download-report"), "href").await?.ok_or("no report link")?;
    let got = b
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0], {credentials: 'same-origin'})
               .then(r => r.arrayBuffer().then(buf => done([r.status, r.headers.get('content-type'), String.fromCharCode(...new Uint8Array(buf).slice(0, 5)), buf.byteLength])))
               .catch(e => done([0, String(e), '', 0]));",
            vec![serde_json::Value::String(href.clone())],
        )
        .await?;
    check(got[0] == 200, format!("report download: {got}"))?;
    check(got[1] == "application/pdf", format!("report type: {got}"))?;
    check(got[2] == "%PDF-", format!("report content: {got}"))?;

    // The Chinese page draws the same report in Chinese.
    click_on(b, Locator::Css("a.lang-switch")).await?;
    expect_in(b, "#score-title", "自评得分").await?;
    snap(b, "assessment-report-zh").await?;
    Ok(())
}
