//! Customs in a real, headless Chromium: a German importer lodges an import of wooden
//! furniture from Viet Nam through the form; the customs risk profile sends HS 9403 to the
//! red lane; the inspection service books a slot, uploads a photo and records compliant
//! findings; the importer pays the duty and import VAT; the quarantine service approves;
//! the goods are released and the timeline shows every step.
//!
//! Same rules as `browser.rs`: needs `/usr/bin/chromium` and `/usr/bin/chromedriver`;
//! without them the browser test says why and passes, unless `TRADEWIND_REQUIRE_BROWSER=1`.
//! `TRADEWIND_SCREENSHOTS=<folder>` saves a PNG of each page it checks. The plain HTTP
//! tests at the end run everywhere.

#[path = "common/browser.rs"]
mod browser_support;

use browser_support::*;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

const OPERATOR_EMAIL: &str = "operator@customs.test";
const OPERATOR_PASSWORD: &str = "operator-password-1";
const PASSWORD: &str = "a long enough password";
const IMPORTER_EMAIL: &str = "einkauf@moebelhaus.example";
const CUSTOMS_EMAIL: &str = "abfertigung@zoll.example";
const INSPECTION_EMAIL: &str = "beschau@zoll.example";
const QUARANTINE_EMAIL: &str = "pflanzenschutz@julius-kuehn.example";
const OUTSIDER_EMAIL: &str = "info@nachbar.example";
const NUMBER: &str = "IMP-2026-0001";

/// Wooden furniture (9403) to the red lane, every time (no random sampling).
const RISK_PROFILE: &str = r#"
seed = 1
sampling = { red_per_10000 = 0, yellow_per_10000 = 0 }

[[rules]]
id = "wooden-furniture"
description = "Wooden furniture: physical check for pests and declared species"
lane = "red"
condition = { hs_prefix = "9403" }
"#;

/// A 1×1 PNG, as an inspector's camera would send a (much larger) one.
const PNG: [u8; 70] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49,
    0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x64, 0x60, 0xf8, 0x5f, 0x0f, 0x00, 0x02, 0x87, 0x01, 0x80, 0xeb, 0x47, 0xba,
    0x92, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

type Session = (reqwest::Client, String);

async fn register(base: &str, name: &str, email: &str, role: &str) -> Outcome<String> {
    let body = json!({
        "legal_name": name,
        "country": "DE",
        "registration_number": format!("REG-{email}"),
        "address": {"street": "1 Hafenstrasse", "city": "Hamburg", "postal_code": "20457"},
        "contact": {"name": "Pat Lee", "email": email, "phone": "+49 40 000000"},
        "lei": null,
        "roles": [role],
        "admin": {"name": "Pat Lee", "email": email, "password": PASSWORD}
    });
    let res = reqwest::Client::new().post(format!("{base}/api/v1/registrations")).json(&body).send().await?;
    let status = res.status();
    let text = res.text().await?;
    check(status.as_u16() == 201, format!("registering {name} answered {status}: {text}"))?;
    let body: Value = serde_json::from_str(&text)?;
    Ok(body["organization"]["id"].as_str().ok_or("no organization id")?.to_string())
}

async fn api_login(base: &str, email: &str, password: &str) -> Outcome<Session> {
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

async fn send(who: &Session, req: reqwest::RequestBuilder, what: &str) -> Outcome<String> {
    let res = req.header("x-csrf-token", &who.1).send().await?;
    let status = res.status();
    let text = res.text().await?;
    check(status.is_success(), format!("{what} answered {status}: {text}"))?;
    Ok(text)
}

/// The parties, verified, with their agency codes and the red-lane rule, through the API.
async fn prepare(base: &str) -> Outcome {
    let importer = register(base, "Möbelhaus Nord GmbH", IMPORTER_EMAIL, "importer").await?;
    let customs = register(base, "Hauptzollamt Hamburg", CUSTOMS_EMAIL, "customs_authority").await?;
    let inspection = register(base, "Zollamt Waltershof Beschau", INSPECTION_EMAIL, "other_government_agency").await?;
    let quarantine =
        register(base, "Pflanzenschutzdienst Hamburg", QUARANTINE_EMAIL, "other_government_agency").await?;
    let outsider = register(base, "Nachbar Handel GmbH", OUTSIDER_EMAIL, "importer").await?;
    let operator = api_login(base, OPERATOR_EMAIL, OPERATOR_PASSWORD).await?;
    for org in [&importer, &customs, &inspection, &quarantine, &outsider] {
        let url = format!("{base}/api/v1/operator/organizations/{org}/verify");
        send(&operator, operator.0.post(&url).json(&json!({})), "verifying").await?;
    }
    for (org, agency) in [(&inspection, "inspection"), (&quarantine, "quarantine")] {
        let url = format!("{base}/api/v1/operator/customs-agencies/{org}");
        send(&operator, operator.0.put(&url).json(&json!({"agency": agency})), "registering an agency").await?;
    }
    let officer = api_login(base, CUSTOMS_EMAIL, PASSWORD).await?;
    let url = format!("{base}/api/v1/customs/risk-profile");
    send(
        &officer,
        officer.0.put(&url).header("content-type", "text/plain").body(RISK_PROFILE),
        "putting the risk profile",
    )
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_red_lane_import_is_inspected_paid_approved_and_released_in_a_browser() -> Outcome {
    if let Some(reason) = skip_reason()? {
        println!("skipping browser test: {reason}");
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let server = TestServer::start(dir.path(), OPERATOR_EMAIL, OPERATOR_PASSWORD).await?;
    let setup = prepare(&server.base).await;
    let photo = dir.path().join("container-photo.png");
    std::fs::write(&photo, PNG)?;
    let driver = Chromedriver::start()?;
    driver.wait_until_ready().await?;
    let browser = driver.open_browser(&dir.path().join("chromium-profile")).await?;
    // Run the whole flow before judging it, so that the browser is always closed.
    let outcome = match setup {
        Ok(_) => customs_flow(&browser, &server.base, &photo).await,
        Err(e) => Err(e),
    };
    let closed = browser.close().await;
    server.stop().await;
    drop(driver);
    outcome?;
    closed?;
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

/// Opens the declaration from the viewer's customs desk.
async fn open_from_desk(b: &Client, base: &str) -> Outcome {
    b.goto(&format!("{base}/customs")).await?;
    expect_in(b, "#declarations", NUMBER).await?;
    click(b, "#declarations tbody a").await?;
    expect_in(b, "h1", NUMBER).await
}

async fn customs_flow(b: &Client, base: &str, photo: &std::path::Path) -> Outcome {
    // The importer lodges through the form; a four-digit HS code is refused at its input.
    log_in(b, base, IMPORTER_EMAIL).await?;
    b.goto(&format!("{base}/customs")).await?;
    click(b, "#lodge-declaration").await?;
    wait_for_path(b, "/customs/declarations/new").await?;
    choose(b, "direction", "import").await?;
    choose(b, "economy", "DE").await?;
    choose(b, "incoterm", "FOB").await?;
    for (id, value) in [
        ("number", NUMBER),
        ("freight_amount", "300.00"),
        ("freight_currency", "USD"),
        ("insurance_amount", "25.00"),
        ("insurance_currency", "USD"),
        ("transport_document", "MAEU123456789"),
        ("item0_description", "Wooden dining chairs, acacia"),
        ("item0_hs_code", "9403"),
        ("item0_origin", "VN"),
        ("item0_value_amount", "5000.00"),
        ("item0_value_currency", "USD"),
        ("item0_quantity", "50"),
        ("item0_unit", "H87"),
        ("item0_gross_kg", "800"),
        ("item0_packages", "10"),
    ] {
        fill(b, id, value).await?;
    }
    snap(b, "customs-lodge").await?;
    click(b, "#lodge-submit").await?;
    expect_in(b, ".error-summary", "HS code").await?;
    check(count(b, "#item0_hs_code-error").await? == 1, "the HS code error is not beside its input")?;
    snap(b, "customs-lodge-error").await?;
    fill(b, "item0_hs_code", "940360").await?;
    click(b, "#lodge-submit").await?;
    expect_text(b, "The declaration is lodged").await?;
    expect_in(b, "#lane", "Red lane").await?;
    expect_in(b, "#status", "Awaiting inspection").await?;
    expect_in(b, "#risk", "wooden-furniture").await?;
    expect_in(b, "#agencies", "quarantine").await?;
    expect_in(b, "#assessment", "Einfuhrumsatzsteuer").await?;
    snap(b, "customs-lodged").await?;
    log_out(b).await?;

    // The inspection service finds it on its red-lane desk, books, photographs, records.
    log_in(b, base, INSPECTION_EMAIL).await?;
    open_from_desk(b, base).await?;
    set_value(b, "slot", "2026-11-27T09:00").await?;
    click(b, "#book-form button").await?;
    expect_in(b, "#status", "Inspection booked").await?;
    send_keys(b, Locator::Id("photo-file"), &photo.display().to_string()).await?;
    click(b, "#photo-form button").await?;
    expect_text(b, "The photo is uploaded").await?;
    expect_in(b, "#uploaded-photos", "").await?;
    click(b, "#compliant-yes").await?;
    fill(b, "findings", "Acacia chairs as declared; heat-treatment marks on the pallets.").await?;
    snap(b, "customs-inspection").await?;
    click(b, "#inspection-form button").await?;
    expect_in(b, "#status", "Awaiting payment").await?;
    check(count(b, "#photos img").await? > 0, "the inspection photo is not shown")?;
    log_out(b).await?;

    // The importer pays the duty and import VAT.
    log_in(b, base, IMPORTER_EMAIL).await?;
    open_from_desk(b, base).await?;
    click(b, "#pay-form button").await?;
    expect_text(b, "The duty is paid").await?;
    expect_in(b, "#status", "Awaiting agency approvals").await?;
    log_out(b).await?;

    // The quarantine service approves from its queue; the goods are released at once.
    log_in(b, base, QUARANTINE_EMAIL).await?;
    open_from_desk(b, base).await?;
    fill(b, "note", "ISPM 15 marks present").await?;
    click(b, "#approve").await?;
    expect_in(b, "#status", "Released").await?;
    expect_in(b, "#agencies", "approved").await?;
    for step in
        ["lodged", "selected", "inspection_booked", "inspection_recorded", "duty_paid", "agency_decided", "released"]
    {
        check(
            count(b, &format!("#timeline li[data-step='{step}']")).await? > 0,
            format!("the timeline has no {step} step"),
        )?;
    }
    snap(b, "customs-released").await?;
    log_out(b).await?;

    // The importer's desk shows it released too.
    log_in(b, base, IMPORTER_EMAIL).await?;
    b.goto(&format!("{base}/customs")).await?;
    expect_in(b, "#declarations .status-word", "Released").await?;
    snap(b, "customs-desk").await?;
    Ok(())
}

// ---------------------------------------------------------------- plain HTTP

async fn page(who: &Session, url: &str) -> Outcome<(u16, String)> {
    let res = who.0.get(url).send().await?;
    Ok((res.status().as_u16(), res.text().await?))
}

async fn post_form(who: &Session, url: &str, fields: &[(&str, &str)]) -> Outcome<reqwest::Response> {
    let mut all: Vec<(&str, &str)> = vec![("csrf_token", who.1.as_str())];
    all.extend_from_slice(fields);
    Ok(who.0.post(url).form(&all).send().await?)
}

const LODGE_FORM: [(&str, &str); 16] = [
    ("direction", "import"),
    ("economy", "DE"),
    ("number", NUMBER),
    ("incoterm", "CIF"),
    ("transport_document", "MAEU123456789"),
    ("item0_description", "Wooden dining chairs"),
    ("item0_hs_code", "940360"),
    ("item0_origin", "VN"),
    ("item0_value_amount", "5000.00"),
    ("item0_value_currency", "USD"),
    ("item0_quantity", "50"),
    ("item0_unit", "H87"),
    ("item0_gross_kg", "800"),
    ("item0_packages", "10"),
    ("item1_description", ""),
    ("item2_description", ""),
];

#[tokio::test]
async fn a_form_posted_twice_lodges_once_and_outsiders_get_not_found() -> Outcome {
    let dir = tempfile::tempdir()?;
    let server = TestServer::start(dir.path(), OPERATOR_EMAIL, OPERATOR_PASSWORD).await?;
    let base = server.base.clone();
    let outcome = async {
        prepare(&base).await?;
        let importer = api_login(&base, IMPORTER_EMAIL, PASSWORD).await?;
        let mut fields = LODGE_FORM.to_vec();
        fields.push(("idempotency_key", "form-key-1"));
        let url = format!("{base}/customs/declarations/new");
        let first = post_form(&importer, &url, &fields).await?;
        check(first.status().as_u16() == 303, format!("lodging answered {}", first.status()))?;
        let at = first.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        check(at.starts_with("/customs/declarations/"), format!("lodging sent the browser to {at}"))?;
        let again = post_form(&importer, &url, &fields).await?;
        let at_again = again.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        check(at == at_again, format!("the second post went to {at_again}, not {at}"))?;
        let (status, desk) = page(&importer, &format!("{base}/customs")).await?;
        check(status == 200 && desk.matches(NUMBER).count() == 1, "the desk lists the declaration once")?;

        let path = at.split('?').next().unwrap_or("").to_string();
        let (status, body) = page(&importer, &format!("{base}{path}")).await?;
        check(status == 200 && body.contains("Red lane"), format!("the declarant sees it ({status})"))?;
        check(body.contains("id=\"cancel-form\""), "the declarant may cancel it")?;
        check(!body.contains("id=\"book-form\""), "the declarant may not book an inspection")?;

        let outsider = api_login(&base, OUTSIDER_EMAIL, PASSWORD).await?;
        let (status, _) = page(&outsider, &format!("{base}{path}")).await?;
        check(status == 404, format!("an outsider got {status} on the declaration page"))?;
        let acted = post_form(&outsider, &format!("{base}{path}/cancel"), &[("reason", "mine now")]).await?;
        check(acted.status().as_u16() == 404, format!("an outsider's action got {}", acted.status()))?;
        let (_, desk) = page(&outsider, &format!("{base}/customs")).await?;
        check(!desk.contains(NUMBER), "an outsider's desk does not list it")?;

        // The officer's desk, manifests and time release; others get not found there.
        let officer = api_login(&base, CUSTOMS_EMAIL, PASSWORD).await?;
        let (status, desk) = page(&officer, &format!("{base}/customs?lane=red")).await?;
        check(status == 200 && desk.contains(NUMBER), "the officer's red-lane filter lists it")?;
        let (_, green) = page(&officer, &format!("{base}/customs?lane=green")).await?;
        check(!green.contains(NUMBER), "the green-lane filter leaves it out")?;
        let (status, _) = page(&officer, &format!("{base}/customs/time-release")).await?;
        check(status == 200, format!("the officer's time release answered {status}"))?;
        let (status, _) = page(&officer, &format!("{base}/customs/manifests")).await?;
        check(status == 200, format!("the officer's manifests answered {status}"))?;
        let (status, _) = page(&importer, &format!("{base}/customs/time-release")).await?;
        check(status == 404, format!("an importer's time release answered {status}"))?;
        let (status, body) = page(&officer, &format!("{base}{path}")).await?;
        check(status == 200 && body.contains("id=\"reject-form\""), "the officer may reject it")?;
        let refused = post_form(&officer, &format!("{base}{path}/reject"), &[("reason", "")]).await?;
        check(refused.status().as_u16() == 422, format!("a rejection without reason got {}", refused.status()))?;
        check(refused.text().await?.contains("Say why."), "the refusal is said in words")?;

        // A bad HS code is said at its input; nothing is lodged.
        let mut bad = LODGE_FORM.to_vec();
        bad.retain(|(k, _)| *k != "item0_hs_code" && *k != "number");
        bad.extend([("item0_hs_code", "12"), ("number", "IMP-2"), ("idempotency_key", "form-key-2")]);
        let res = post_form(&importer, &url, &bad).await?;
        check(res.status().as_u16() == 422, format!("a bad HS code answered {}", res.status()))?;
        let body = res.text().await?;
        check(body.contains("id=\"item0_hs_code-error\""), "the HS error sits at its input")?;
        check(body.contains("form-key-2"), "the corrected form keeps its idempotency key")?;
        Ok::<_, Error>(())
    }
    .await;
    server.stop().await;
    outcome
}

#[tokio::test]
async fn the_landed_cost_page_renders_each_step() -> Outcome {
    let dir = tempfile::tempdir()?;
    let server = TestServer::start(dir.path(), OPERATOR_EMAIL, OPERATOR_PASSWORD).await?;
    let base = server.base.clone();
    let outcome = async {
        register(&base, "Möbelhaus Nord GmbH", IMPORTER_EMAIL, "importer").await?;
        let importer = api_login(&base, IMPORTER_EMAIL, PASSWORD).await?;
        let (status, form) = page(&importer, &format!("{base}/customs/landed-cost")).await?;
        check(status == 200 && form.contains("landed-cost-form"), "the calculator shows its form")?;
        let url = format!("{base}/customs/landed-cost");
        let res = post_form(
            &importer,
            &url,
            &[
                ("importing", "DE"),
                ("date", "2026-11-26"),
                ("incoterm", "CIF"),
                ("line0_description", "Wooden dining chairs"),
                ("line0_hs_code", "940360"),
                ("line0_origin", "VN"),
                ("line0_value_amount", "1000.00"),
                ("line0_value_currency", "EUR"),
                ("line0_quantity", "10"),
                ("line0_unit", "H87"),
            ],
        )
        .await?;
        let status = res.status().as_u16();
        let body = res.text().await?;
        check(status == 200, format!("the calculation answered {status}: {body}"))?;
        check(body.contains("id=\"cost-steps\""), "the explanation table is shown")?;
        check(body.contains("Einfuhrumsatzsteuer"), "German import VAT is named")?;
        // CIF EUR 1,000.00 at 0 % duty; import VAT 19 % of 1,000.00 = 190.00.
        check(body.contains("190.00"), "the import VAT is 190.00 EUR")?;

        // No goods: refused in words at the first row.
        let res =
            post_form(&importer, &url, &[("importing", "DE"), ("date", "2026-11-26"), ("incoterm", "CIF")]).await?;
        check(res.status().as_u16() == 422, "a calculation without goods is refused")?;
        check(res.text().await?.contains("Declare at least one goods item"), "the refusal says what is missing")?;
        Ok::<_, Error>(())
    }
    .await;
    server.stop().await;
    outcome
}
