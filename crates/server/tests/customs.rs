//! The customs single window through the API, on a fresh database: declarations through
//! each lane to release with duty matching hand-worked examples, certificates of origin
//! behind preferential rates, manifests reconciled, drawback without double claims, and
//! every bad input the issue lists refused clearly with nothing written.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Registers a verified company with the given roles.
async fn company(
    app: &TestApp,
    name: &str,
    country: &str,
    reg: &str,
    email: &str,
    roles: &[&str],
) -> (Session, String) {
    let mut body = registration(name, country, reg, email);
    body["roles"] = json!(roles);
    let res = app.anonymous().post("/api/v1/registrations", &body).await;
    assert_eq!(res.status(), StatusCode::CREATED, "registration: {}", res.text().await.unwrap_or_default());
    let v: Value = res.json().await.expect("json");
    let org = v["organization"]["id"].as_str().expect("org").to_string();
    verify(app, &org).await;
    (app.login(email, PASSWORD).await, org)
}

struct Customs {
    importer: Session,
    importer_org: String,
    officer: Session,
    inspector: Session,
    quarantine: Session,
    foreign_officer: Session,
    outsider: Session,
}

const DE_PROFILE: &str = r#"
seed = 1
sampling = { red_per_10000 = 0, yellow_per_10000 = 0 }

[[rules]]
id = "furniture"
description = "Wooden furniture: timber legality check"
lane = "red"
condition = { hs_prefix = "9403" }

[[rules]]
id = "apparel"
description = "Apparel: valuation check"
lane = "yellow"
condition = { hs_prefix = "6109" }
"#;

async fn customs_world(app: &TestApp) -> Customs {
    let (importer, importer_org) =
        company(app, "Hanse Moebel Import GmbH", "DE", "HRB-1001", "imports@hanse.example", &["importer", "exporter"])
            .await;
    let (officer, _) =
        company(app, "Hauptzollamt Hamburg", "DE", "ZOLL-HH", "officer@zoll.example", &["customs_authority"]).await;
    let (inspector, inspector_org) = company(
        app,
        "Hafen Inspektion Hamburg",
        "DE",
        "INSP-HH",
        "inspector@inspektion.example",
        &["other_government_agency"],
    )
    .await;
    let (quarantine, quarantine_org) = company(
        app,
        "Pflanzenschutzdienst Hamburg",
        "DE",
        "PSD-HH",
        "plants@psd.example",
        &["other_government_agency"],
    )
    .await;
    let (foreign_officer, _) =
        company(app, "Singapore Customs", "SG", "SGC-1", "officer@customs.sg.example", &["customs_authority"]).await;
    let (outsider, _) = company(app, "Nosy Traders", "DE", "HRB-9", "nosy@traders.example", &["importer"]).await;
    let operator = app.operator().await;
    for (org, agency) in [(&inspector_org, "inspection"), (&quarantine_org, "quarantine")] {
        let res = operator.put(&format!("/api/v1/operator/customs-agencies/{org}"), &json!({"agency": agency})).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
    }
    let res = officer.put_text("/api/v1/customs/risk-profile", DE_PROFILE).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT, "{}", res.text().await.unwrap_or_default());
    Customs { importer, importer_org, officer, inspector, quarantine, foreign_officer, outsider }
}

fn money(a: &str) -> rust_decimal::Decimal {
    a.parse().expect("decimal")
}

fn eur(a: &str) -> Value {
    json!({"amount": a, "currency": "EUR"})
}

fn item(description: &str, hs: &str, origin: &str, value: Value, quantity: &str, unit: &str) -> Value {
    json!({"description": description, "hs_code": hs, "origin": origin, "value": value, "quantity": quantity,
           "unit": unit, "gross_kg": "500", "packages": 10})
}

fn import(number: &str, items: Vec<Value>) -> Value {
    json!({"direction": "import", "economy": "DE", "number": number, "incoterm": "CIF",
           "transport_document": format!("BL-{number}"), "items": items})
}

async fn lodge(s: &Session, body: &Value, key: &str) -> reqwest::Response {
    s.post_with_header("/api/v1/customs/declarations", body, "Idempotency-Key", key).await
}

async fn act(s: &Session, id: &str, body: Value) -> reqwest::Response {
    s.post(&format!("/api/v1/customs/declarations/{id}/actions"), &body).await
}

async fn pay(s: &Session, id: &str, key: &str) -> reqwest::Response {
    s.post_with_header(
        &format!("/api/v1/customs/declarations/{id}/actions"),
        &json!({"action": "pay_duty"}),
        "Idempotency-Key",
        key,
    )
    .await
}

/// An exporter asks the Australian authority for an AUSFTA certificate for `bom`.
async fn request_ausfta_certificate(exporter: &Session, authority: &str, bom: &Value) -> Value {
    json_of(
        exporter
            .post(
                "/api/v1/customs/origin/certificates",
                &json!({"authority": authority, "agreement": "AUSFTA", "bill_of_materials": bom}),
            )
            .await,
        StatusCode::CREATED,
    )
    .await
}

fn steps(detail: &Value) -> Vec<String> {
    detail["events"].as_array().expect("events").iter().map(|e| e["step"].as_str().unwrap_or("").to_string()).collect()
}

#[tokio::test]
async fn a_red_lane_declaration_is_inspected_assessed_paid_approved_and_released() {
    let app = TestApp::spawn().await;
    let w = customs_world(&app).await;
    // Furniture (9403.60, MFN 0 %) and cotton T-shirts (6109.10, MFN 12 %), CIF Hamburg in EUR.
    let body = import(
        "IMP-RED-1",
        vec![
            item("Teak dining tables", "940360", "VN", eur("2000.00"), "20", "H87"),
            item("Cotton T-shirts", "610910", "VN", eur("1000.00"), "500", "H87"),
        ],
    );
    let d = json_of(lodge(&w.importer, &body, "red-1").await, StatusCode::CREATED).await;
    let id = d["id"].as_str().expect("id").to_string();
    assert_eq!(d["lane"], "red");
    assert_eq!(d["status"], "awaiting_inspection");
    // Hand-worked: duty 0 % × 2,000.00 + 12 % × 1,000.00 = 120.00; import VAT 19 % on the
    // customs value plus duty (3,000.00 + 120.00 = 3,120.00) = 592.80; total 712.80.
    assert_eq!(dec(&d["assessment"]["duty"]["amount"]), money("120.00"));
    assert_eq!(dec(&d["assessment"]["tax"]["amount"]), money("592.80"));
    assert_eq!(dec(&d["duty"]["amount"]), money("712.80"));
    let fired: Vec<&str> =
        d["selection"]["fired"].as_array().expect("fired").iter().filter_map(|f| f["id"].as_str()).collect();
    assert!(fired.contains(&"furniture") && fired.contains(&"apparel"), "every rule that fired is recorded: {fired:?}");
    assert!(d["agencies"].as_array().expect("agencies").iter().any(|a| a["agency"] == "quarantine"));

    // The officer cannot skip the inspection; the importer cannot pay before assessment.
    assert_problem(act(&w.officer, &id, json!({"action": "accept_documents"})).await, StatusCode::CONFLICT, None).await;
    assert_problem(pay(&w.importer, &id, "pay-early").await, StatusCode::CONFLICT, None).await;
    // A company that is no party, and another economy's customs, see nothing.
    assert_eq!(w.outsider.get(&format!("/api/v1/customs/declarations/{id}")).await.status(), StatusCode::NOT_FOUND);
    assert_problem(
        act(&w.foreign_officer, &id, json!({"action": "reassess", "duty": eur("1.00"), "reason": "x"})).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;

    // The inspection service books a slot, photographs the goods and records its findings.
    let booked = json_of(
        act(&w.inspector, &id, json!({"action": "book_inspection", "slot": "2026-11-27T09:00:00Z"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(booked["status"], "inspection_booked");
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let photo = json_of(
        w.inspector
            .upload(&format!("/api/v1/customs/declarations/{id}/photos"), "crate.png", "image/png", png.clone())
            .await,
        StatusCode::CREATED,
    )
    .await;
    let sha = photo["sha256"].as_str().expect("sha").to_string();
    let recorded = json_of(
        act(
            &w.inspector,
            &id,
            json!({"action": "record_inspection", "compliant": true, "findings": "20 tables and 500 T-shirts as declared",
                   "photos": [sha]}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(recorded["status"], "awaiting_payment");
    let got = w.importer.get(&format!("/api/v1/customs/declarations/{id}/photos/{sha}")).await;
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.bytes().await.expect("bytes").to_vec(), png);

    // Duty is paid once through the customs ledger, whatever the retries.
    let paid = json_of(pay(&w.importer, &id, "pay-1").await, StatusCode::OK).await;
    assert_eq!(paid["status"], "awaiting_agency_approvals");
    let again = pay(&w.importer, &id, "pay-2").await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.headers().get("idempotent-replayed").map(|v| v.to_str().unwrap_or("")), Some("true"));
    let (entries, ledger) = app.store.customs_ledger().await.expect("ledger");
    assert_eq!(entries.len(), 1, "one duty payment posted");
    let revenue = tradewind_domain::deal::ledger::Account::CustomsRevenue { economy: "DE".into() };
    assert_eq!(ledger.balance(&revenue, "EUR".parse().expect("EUR")), money("712.80"));

    // Quarantine approves; nothing is outstanding, so the system releases the goods.
    let released = json_of(
        act(&w.quarantine, &id, json!({"action": "decide", "approved": true, "note": "ISPM 15 marks seen"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(released["status"], "released");
    let detail = json_of(w.importer.get(&format!("/api/v1/customs/declarations/{id}")).await, StatusCode::OK).await;
    assert_eq!(
        steps(&detail),
        ["lodged", "selected", "inspection_booked", "inspection_recorded", "duty_paid", "agency_decided", "released"]
    );
    let notes = json_of(w.importer.get("/api/v1/notifications").await, StatusCode::OK).await;
    assert!(notes.to_string().contains("customs_release"), "the release notice reaches the declarant");
    // Nothing more can happen to a released declaration.
    assert_problem(
        act(&w.importer, &id, json!({"action": "cancel", "reason": "late"})).await,
        StatusCode::CONFLICT,
        None,
    )
    .await;

    let report = json_of(w.officer.get("/api/v1/customs/time-release").await, StatusCode::OK).await;
    let red = report["per_lane"].as_array().expect("lanes").iter().find(|f| f["label"] == "red").cloned();
    assert_eq!(red.map(|r| r["declarations"].clone()), Some(json!(1)), "{report}");
}

#[tokio::test]
async fn a_yellow_lane_declaration_is_amended_checked_reassessed_and_released() {
    let app = TestApp::spawn().await;
    let w = customs_world(&app).await;
    let d = json_of(
        lodge(
            &w.importer,
            &import("IMP-Y-1", vec![item("Cotton T-shirts", "610910", "BD", eur("1000.00"), "500", "H87")]),
            "y-1",
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = d["id"].as_str().expect("id").to_string();
    assert_eq!((d["lane"].as_str(), d["status"].as_str()), (Some("yellow"), Some("awaiting_document_check")));
    // The importer corrects the value before assessment: 1,200.00 → duty 144.00, VAT 19 % of
    // 1,344.00 = 255.36, total 399.36.
    let amended = json_of(
        w.importer
            .put(
                &format!("/api/v1/customs/declarations/{id}"),
                &import("IMP-Y-1", vec![item("Cotton T-shirts", "610910", "BD", eur("1200.00"), "500", "H87")]),
            )
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(dec(&amended["duty"]["amount"]), money("399.36"));
    assert_eq!(amended["lane"], "yellow");
    let checked = json_of(act(&w.officer, &id, json!({"action": "accept_documents"})).await, StatusCode::OK).await;
    assert_eq!(checked["status"], "awaiting_payment");
    // A reassessment needs a reason; with one the duty changes and the old figure is kept.
    assert_problem(
        act(&w.officer, &id, json!({"action": "reassess", "duty": eur("450.00"), "reason": " "})).await,
        StatusCode::CONFLICT,
        None,
    )
    .await;
    let re = json_of(
        act(
            &w.officer,
            &id,
            json!({"action": "reassess", "duty": eur("450.00"), "reason": "Freight not added to value"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(dec(&re["duty"]["amount"]), money("450.00"));
    // Amending after assessment is refused.
    let late = w
        .importer
        .put(
            &format!("/api/v1/customs/declarations/{id}"),
            &import("IMP-Y-1", vec![item("Cotton T-shirts", "610910", "BD", eur("1.00"), "500", "H87")]),
        )
        .await;
    assert_problem(late, StatusCode::CONFLICT, None).await;
    let done = json_of(pay(&w.importer, &id, "y-pay").await, StatusCode::OK).await;
    assert_eq!(done["status"], "released", "no agency needed for T-shirts: released once paid");
    let detail = json_of(w.officer.get(&format!("/api/v1/customs/declarations/{id}")).await, StatusCode::OK).await;
    let re_event = detail["events"].as_array().expect("events").iter().find(|e| e["step"] == "reassessed").cloned();
    assert_eq!(re_event.map(|e| e["details"]["reason"].clone()), Some(json!("Freight not added to value")));
}

#[tokio::test]
async fn a_changed_risk_profile_applies_from_the_next_lodgement() {
    // The node keeps the profile it read; a change through it must not wait for that to expire.
    let app = TestApp::spawn().await;
    let w = customs_world(&app).await;
    let coffee =
        |number: &str| import(number, vec![item("Roasted coffee", "090121", "BR", eur("4000.00"), "1000", "KGM")]);
    let first = json_of(lodge(&w.importer, &coffee("IMP-P-1"), "p-1").await, StatusCode::CREATED).await;
    assert_eq!(first["lane"], "green");
    let stricter = format!(
        "{DE_PROFILE}\n[[rules]]\nid = \"coffee\"\ndescription = \"Coffee: pesticide residues\"\nlane = \"red\"\ncondition = {{ hs_prefix = \"0901\" }}\n"
    );
    let res = w.officer.put_text("/api/v1/customs/risk-profile", &stricter).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT, "{}", res.text().await.unwrap_or_default());
    let second = json_of(lodge(&w.importer, &coffee("IMP-P-2"), "p-2").await, StatusCode::CREATED).await;
    assert_eq!(second["lane"], "red", "the new profile was not applied: {}", second["selection"]);
    let fired: Vec<&str> =
        second["selection"]["fired"].as_array().expect("fired").iter().filter_map(|f| f["id"].as_str()).collect();
    assert_eq!(fired, vec!["coffee"]);
    let shown = json_of(w.officer.get("/api/v1/customs/risk-profile").await, StatusCode::OK).await;
    assert!(shown.to_string().contains("pesticide"), "the officer reads the profile it set: {shown}");
}

#[tokio::test]
async fn green_lane_goods_are_assessed_at_once_and_wait_only_for_payment_and_agencies() {
    let app = TestApp::spawn().await;
    let w = customs_world(&app).await;
    // Roasted coffee 0901.21 at 7.5 %: 4,000.00 → duty 300.00; VAT 19 % of 4,300.00 = 817.00.
    let d = json_of(
        lodge(
            &w.importer,
            &import("IMP-G-1", vec![item("Roasted coffee", "090121", "BR", eur("4000.00"), "1000", "KGM")]),
            "g-1",
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!((d["lane"].as_str(), d["status"].as_str()), (Some("green"), Some("awaiting_payment")));
    assert_eq!(dec(&d["duty"]["amount"]), money("1117.00"));
    let id = d["id"].as_str().expect("id").to_string();
    let paid = json_of(pay(&w.importer, &id, "g-pay").await, StatusCode::OK).await;
    assert_eq!(paid["status"], "awaiting_agency_approvals");
    // The agency's queue lists it; a refusal needs a note and ends the declaration.
    let queue = json_of(w.quarantine.get("/api/v1/customs/declarations").await, StatusCode::OK).await;
    assert_eq!(queue["items"].as_array().map(Vec::len), Some(1));
    let refused = json_of(
        act(&w.quarantine, &id, json!({"action": "decide", "approved": false, "note": "Live insects found"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(refused["status"], "refused");
}

#[tokio::test]
async fn bad_input_is_refused_clearly_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let w = customs_world(&app).await;
    let before = count(&app.store, "customs_declarations").await;
    // An HS code the importing economy's tariff does not hold.
    let p = assert_problem(
        lodge(&w.importer, &import("BAD-1", vec![item("Horses", "010121", "IE", eur("1.00"), "1", "H87")]), "b1").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("items[0].hs_code"),
    )
    .await;
    assert!(p.to_string().contains("010121"), "{p}");
    // A code that existed, but not on the declaration's date (8517.12 was split in HS 2022).
    let mut old = import("BAD-2", vec![item("Mobile phones", "851712", "CN", eur("1.00"), "1", "H87")]);
    old["date"] = json!("2026-11-26");
    let p = assert_problem(
        lodge(&w.importer, &old, "b2").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("items[0].hs_code"),
    )
    .await;
    assert!(p.to_string().contains("2021-12-31"), "the dates it was valid are named: {p}");
    // A value in a currency that does not exist.
    let p = assert_problem(
        lodge(
            &w.importer,
            &import(
                "BAD-3",
                vec![item("Tables", "940360", "VN", json!({"amount": "1.00", "currency": "XYZ"}), "1", "H87")],
            ),
            "b3",
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
    )
    .await;
    assert!(p.to_string().contains("XYZ"), "{p}");
    // A preferential rate claimed on a certificate nobody issued.
    let mut claimed = item("Cotton T-shirts", "610910", "JP", eur("100.00"), "10", "H87");
    claimed["preference"] = json!({"agreement": "EUJEPA", "certificate_number": "CO-JP-NOPE"});
    let p = assert_problem(
        lodge(&w.importer, &import("BAD-4", vec![claimed]), "b4").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("items[0].preference"),
    )
    .await;
    assert!(p.to_string().contains("CO-JP-NOPE"), "{p}");
    assert_eq!(count(&app.store, "customs_declarations").await, before, "nothing written for refused declarations");

    // Submitted twice with the same key: one declaration, the same answer.
    let body = import("DUP-1", vec![item("Tables", "940360", "VN", eur("10.00"), "1", "H87")]);
    let first = json_of(lodge(&w.importer, &body, "dup").await, StatusCode::CREATED).await;
    let second = lodge(&w.importer, &body, "dup").await;
    assert_eq!(second.status(), StatusCode::OK);
    assert_eq!(second.headers().get("idempotent-replayed").map(|v| v.to_str().unwrap_or("")), Some("true"));
    assert_eq!(json_of(second, StatusCode::OK).await["id"], first["id"]);
    // The same number under another key is a conflict, not a second declaration.
    assert_problem(lodge(&w.importer, &body, "dup-other").await, StatusCode::CONFLICT, Some("number")).await;
    assert_eq!(count(&app.store, "customs_declarations").await, before + 1);
    // Lodging needs a key.
    let res = w.importer.post("/api/v1/customs/declarations", &body).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, Some("Idempotency-Key")).await;

    // An officer of another economy acting on this declaration: refused as unknown.
    let id = first["id"].as_str().expect("id");
    assert_problem(
        act(&w.foreign_officer, id, json!({"action": "reject", "reason": "not ours"})).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;

    // A bill of materials whose inputs cost more than the ex-works price.
    let bom = json!({"agreements": ["EUJEPA"], "bill_of_materials": {
        "product": "Cotton T-shirt", "product_hs": "610910", "produced_in": "JP", "wholly_obtained": false,
        "ex_works_price": eur("10.00"), "fob_price": null,
        "inputs": [{"description": "Knitted cotton fabric", "hs": "600621", "origin": "CN", "value": eur("12.00")}]}});
    let p = assert_problem(
        w.importer.post("/api/v1/customs/origin/determinations", &bom).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("bill_of_materials"),
    )
    .await;
    assert!(p.to_string().contains("ex-works"), "{p}");
    let _ = &w.importer_org;
}

#[tokio::test]
async fn a_preferential_rate_needs_a_certificate_the_authority_approved() {
    let app = TestApp::spawn().await;
    let (exporter, _) =
        company(&app, "Sydney Cotton Pty Ltd", "AU", "ABN-1", "export@sydneycotton.example", &["exporter"]).await;
    let (au_authority, au_org) =
        company(&app, "Australian Border Force", "AU", "ABF-1", "origin@abf.example", &["customs_authority"]).await;
    let (importer, _) =
        company(&app, "Brooklyn Tees LLC", "US", "EIN-1", "buy@brooklyntees.example", &["importer"]).await;
    // Made in Australia from Australian yarn and fabric: originating under AUSFTA.
    let bom = json!({"product": "Cotton T-shirt", "product_hs": "610910", "produced_in": "AU", "wholly_obtained": false,
        "ex_works_price": {"amount": "8.00", "currency": "AUD"}, "fob_price": {"amount": "8.50", "currency": "AUD"},
        "inputs": [
            {"description": "Knitted cotton fabric", "hs": "600621", "origin": "AU", "value": {"amount": "3.00", "currency": "AUD"}},
            {"description": "Sewing thread", "hs": "520411", "origin": "AU", "value": {"amount": "0.20", "currency": "AUD"}}]});
    let decided = json_of(
        exporter
            .post("/api/v1/customs/origin/determinations", &json!({"agreements": ["AUSFTA"], "bill_of_materials": bom}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(decided[0]["eligible"], true, "{decided}");
    let requested = request_ausfta_certificate(&exporter, &au_org, &bom).await;
    let number = requested["number"].as_str().expect("number").to_string();
    let cert_id = requested["id"].as_str().expect("id").to_string();

    let declaration = |key: &str| {
        json!({"direction": "import", "economy": "US", "number": format!("US-{key}"), "incoterm": "FOB",
               "items": [{"description": "Cotton T-shirts", "hs_code": "610910", "origin": "AU",
                          "value": {"amount": "10000.00", "currency": "USD"}, "quantity": "1000", "unit": "H87",
                          "gross_kg": "200", "packages": 20,
                          "preference": {"agreement": "AUSFTA", "certificate_number": number}}]})
    };
    // Not yet approved: the preference is refused.
    let p = assert_problem(
        lodge(&importer, &declaration("1"), "us-1").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("items[0].preference"),
    )
    .await;
    assert!(p.to_string().contains("not approved"), "{p}");
    let approved = json_of(
        au_authority
            .post(&format!("/api/v1/customs/origin/certificates/{cert_id}/decision"), &json!({"decision": "approve"}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(approved["status"], "approved");
    // Approved: AUSFTA's free rate instead of 16.5 %; only the merchandise processing fee
    // remains: 0.3464 % of 10,000.00 = 34.64 (between the 33.58 minimum and 651.50 maximum).
    let d = json_of(lodge(&importer, &declaration("2"), "us-2").await, StatusCode::CREATED).await;
    assert_eq!(dec(&d["assessment"]["duty"]["amount"]), money("0.00"));
    assert_eq!(dec(&d["duty"]["amount"]), money("34.64"));
    // Without the claim the MFN rate applies: 16.5 % = 1,650.00 + 34.64.
    let mut mfn = declaration("3");
    mfn["items"][0]["preference"] = Value::Null;
    let d = json_of(lodge(&importer, &mfn, "us-3").await, StatusCode::CREATED).await;
    assert_eq!(dec(&d["duty"]["amount"]), money("1684.64"));
}

#[tokio::test]
async fn manifests_are_reconciled_and_drawback_is_never_claimed_twice() {
    let app = TestApp::spawn().await;
    let w = customs_world(&app).await;
    let (carrier, _) =
        company(&app, "Elbe Container Line", "DE", "HRB-CAR", "ops@elbeline.example", &["carrier_or_forwarder"]).await;
    // Import 500 T-shirts: duty 120.00 (12 % of 1,000.00).
    let imp = json_of(
        lodge(
            &w.importer,
            &import("IMP-D-1", vec![item("Cotton T-shirts", "610910", "VN", eur("1000.00"), "500", "H87")]),
            "d-1",
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let imp_id = imp["id"].as_str().expect("id").to_string();
    json_of(act(&w.officer, &imp_id, json!({"action": "accept_documents"})).await, StatusCode::OK).await;
    let released = json_of(pay(&w.importer, &imp_id, "d-pay").await, StatusCode::OK).await;
    assert_eq!(released["status"], "released");

    // The manifest lists the import's bill of lading and one nobody declared.
    let manifest = json!({"economy": "DE", "conveyance": "ELBE EXPRESS 12W", "arrival_at": "2026-11-25T06:00:00Z",
        "entries": [
            {"transport_document": "BL-IMP-D-1", "packages": 10, "gross_kg": "500", "description": "T-shirts"},
            {"transport_document": "BL-GHOST", "packages": 3, "gross_kg": "90", "description": "Unknown cartons"}]});
    json_of(carrier.post("/api/v1/customs/manifests", &manifest).await, StatusCode::CREATED).await;
    let rec = json_of(w.officer.get("/api/v1/customs/manifests").await, StatusCode::OK).await;
    let r = &rec["items"][0]["reconciliation"];
    assert!(r["manifested_not_declared"].to_string().contains("BL-GHOST"), "{r}");
    assert!(r["matched"].to_string().contains("BL-IMP-D-1"), "{r}");

    // Re-export 200 of them.
    let mut exp = import("EXP-D-1", vec![item("Cotton T-shirts", "610910", "VN", eur("500.00"), "200", "H87")]);
    exp["direction"] = json!("export");
    let e = json_of(lodge(&w.importer, &exp, "d-exp").await, StatusCode::CREATED).await;
    let e_id = e["id"].as_str().expect("id").to_string();
    if e["status"] != "released" {
        json_of(act(&w.officer, &e_id, json!({"action": "accept_documents"})).await, StatusCode::OK).await;
    }
    let line = |q: &str| {
        json!({"lines": [{"export_declaration": "EXP-D-1", "export_item": 1, "import_declaration": "IMP-D-1",
                          "import_item": 1, "quantity": q}]})
    };
    // 200 of 500: 120.00 × 200 / 500 = 48.00 back.
    let claim = json_of(
        w.importer.post_with_header("/api/v1/customs/drawback", &line("200"), "Idempotency-Key", "db-1").await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(dec(&claim["refund"]["amount"]), money("48.00"));
    // 301 more than the 300 left: refused with what remains, nothing changed.
    let p = assert_problem(
        w.importer.post_with_header("/api/v1/customs/drawback", &line("301"), "Idempotency-Key", "db-2").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("lines"),
    )
    .await;
    assert!(p.to_string().contains("300"), "{p}");
    let (entries, ledger) = app.store.customs_ledger().await.expect("ledger");
    assert_eq!(entries.len(), 2, "the duty payment and one drawback");
    let revenue = tradewind_domain::deal::ledger::Account::CustomsRevenue { economy: "DE".into() };
    // Collected 120.00 duty + 212.80 VAT (19 % of 1,120.00) = 332.80, less 48.00 drawback.
    assert_eq!(ledger.balance(&revenue, "EUR".parse().expect("EUR")), money("284.80"));
    // The same claim retried answers the first one.
    let again = w.importer.post_with_header("/api/v1/customs/drawback", &line("200"), "Idempotency-Key", "db-1").await;
    assert_eq!(again.status(), StatusCode::OK);
}

#[tokio::test]
async fn landed_cost_matches_hand_worked_examples() {
    let app = TestApp::spawn().await;
    let (s, _) = company(&app, "Calc Co", "DE", "HRB-C", "calc@co.example", &["importer"]).await;
    // Germany values CIF: T-shirts FOB EUR 1,000.00 + freight 120.00 + insurance 5.00 =
    // 1,125.00; duty 12 % = 135.00; VAT 19 % of 1,260.00 = 239.40; total 374.40.
    let shipment = json!({"importing": "DE", "date": "2026-11-26", "incoterm": "FOB",
        "freight": eur("120.00"), "insurance": eur("5.00"),
        "lines": [{"hs": "610910", "description": "T-shirts", "origin": "VN", "value": eur("1000.00"),
                   "quantity": "500", "unit": "H87", "preference": null}]});
    let c = json_of(s.post("/api/v1/customs/landed-cost", &shipment).await, StatusCode::OK).await;
    assert_eq!(dec(&c["customs_value"]["amount"]), money("1125.00"));
    assert_eq!(dec(&c["duty"]["amount"]), money("135.00"));
    assert_eq!(dec(&c["tax"]["amount"]), money("239.40"));
    assert_eq!(dec(&c["total_duties_and_taxes"]["amount"]), money("374.40"));
    assert!(c["explanation"].as_array().map(Vec::len).unwrap_or(0) >= 3, "every step explained: {c}");
    // Missing freight where the valuation needs it is named.
    let mut no_freight = shipment.clone();
    no_freight["freight"] = Value::Null;
    let p = assert_problem(
        s.post("/api/v1/customs/landed-cost", &no_freight).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
    )
    .await;
    assert!(p.to_string().to_lowercase().contains("freight"), "{p}");
}

#[tokio::test]
async fn a_cross_border_shop_price_includes_duty_and_tax_delivered_duty_paid() {
    let app = TestApp::spawn().await;
    let (seller, _) =
        company(&app, "Marina Tees Pte Ltd", "SG", "SG-TEES", "shop@marinatees.example", &["exporter"]).await;
    let store = json_of(
        seller
            .post(
                "/api/v1/stores",
                &json!({"display_name": "Marina Tees", "currency": "EUR", "returns_window_days": 14,
                        "returns_address": "1 Marina Way, 018989 Singapore", "contact_email": "care@marinatees.example",
                        "contact_phone": "+65 6000 0002"}),
            )
            .await,
        StatusCode::CREATED,
    )
    .await;
    let store_id = store["id"].as_str().expect("store").to_string();
    let product = json_of(
        seller
            .post(
                "/api/v1/products",
                &json!({"title": "Cotton T-shirt", "description": "Cotton T-shirt, knitted", "hs_code": "610910",
                        "origin_country": "SG", "unit": "H87", "moq": "1", "supply_capacity": "1000", "currency": "EUR",
                        "price_tiers": [{"min_quantity": "1", "unit_price": "20.00"}], "lead_time_days": 3,
                        "certifications": []}),
            )
            .await,
        StatusCode::CREATED,
    )
    .await;
    json_of(
        seller
            .post(
                &format!("/api/v1/stores/{store_id}/offers"),
                &json!({"product_id": product["id"], "unit_price": "20.00", "stock": 10}),
            )
            .await,
        StatusCode::CREATED,
    )
    .await;
    json_of(
        seller
            .post(
                &format!("/api/v1/stores/{store_id}/shipping-options"),
                &json!({"name": "Tracked air", "destinations": ["DE"], "price": "8.00", "delivery_days": 7}),
            )
            .await,
        StatusCode::CREATED,
    )
    .await;
    let front =
        json_of(app.anonymous().get(&format!("/api/v1/stores/{store_id}?country=DE")).await, StatusCode::OK).await;
    let price = &front["offers"][0]["delivered_prices"][0];
    // One T-shirt delivered duty paid: value 20.00 + 8.00 shipping = 28.00, under the EUR 150
    // duty de minimis, so no duty; import VAT 19 % of 28.00 = 5.32; total 33.32.
    assert_eq!(price["duties_and_taxes"]["status"], "included", "{price}");
    assert_eq!(dec(&price["duties_and_taxes"]["amount"]["amount"]), money("5.32"));
    assert_eq!(dec(&price["total"]["amount"]), money("33.32"));
    let basis = price["duties_and_taxes"]["basis"].as_str().unwrap_or("");
    assert!(basis.contains("de minimis") && basis.contains("19"), "each line explained: {basis}");
}

#[tokio::test]
async fn the_demo_declaration_clears_the_yellow_lane_with_plant_quarantine() {
    use tradewind_server::demo::{DEMO_CUSTOMS_OFFICER, DEMO_PASSWORD, DEMO_QUARANTINE};
    let app = TestApp::spawn().await;
    tradewind_server::demo::seed(&app.store).await.expect("demo data");
    let officer = app.login(DEMO_CUSTOMS_OFFICER, DEMO_PASSWORD).await;
    let queue =
        json_of(officer.get("/api/v1/customs/declarations?status=awaiting_document_check").await, StatusCode::OK).await;
    let d = &queue["items"][0];
    assert_eq!(d["number"], "HKI-IMP-2026-0001", "{queue}");
    assert_eq!(d["lane"], "yellow");
    // Pepper and coffee are duty free in the EU: only import VAT, on CIF in EUR at the demo
    // rate (1 EUR = 1.16 USD): goods 50,784.00 + freight 1,850.00 + insurance 60.00 USD.
    assert!(dec(&d["assessment"]["duty"]["amount"]).is_zero());
    assert!(dec(&d["duty"]["amount"]) > money("8000"), "{}", d["duty"]);
    let id = d["id"].as_str().expect("id").to_string();
    json_of(act(&officer, &id, json!({"action": "accept_documents"})).await, StatusCode::OK).await;
    let importer = app.login("jonas@hansekaffee.example", DEMO_PASSWORD).await;
    json_of(pay(&importer, &id, "demo-pay").await, StatusCode::OK).await;
    let plants = app.login(DEMO_QUARANTINE, DEMO_PASSWORD).await;
    let done = json_of(act(&plants, &id, json!({"action": "decide", "approved": true})).await, StatusCode::OK).await;
    assert_eq!(done["status"], "released");
    let manifests = json_of(officer.get("/api/v1/customs/manifests").await, StatusCode::OK).await;
    assert!(
        manifests["items"][0]["reconciliation"]["matched"].to_string().contains("MFFL-SIN-HAM-0007"),
        "{manifests}"
    );
}

#[tokio::test]
async fn bulk_lodgement_stores_every_declaration_with_its_events_agencies_and_audit_entry() {
    use tradewind_domain::customs::submission::DeclarationInput;
    let app = TestApp::spawn().await;
    let w = customs_world(&app).await;
    let customs = tradewind_server::customs::CustomsService::load(&app.store).await.expect("customs");
    let mut batch = Vec::new();
    for i in 0..30 {
        let body = import(
            &format!("BULK-{i}"),
            vec![
                item("Teak tables", "940360", "VN", eur("900.00"), "3", "H87"),
                item("Coffee", "090121", "BR", eur("50.00"), "10", "KGM"),
            ],
        );
        let input: DeclarationInput = serde_json::from_value(body).expect("input");
        let prepared = tradewind_server::customs::prepare_declaration(&app.store, &customs, &w.importer_org, &input)
            .await
            .expect("prepared");
        batch.push(tradewind_server::customs::new_declaration(&input, &prepared, &w.importer_org, None).expect("row"));
    }
    let before = count(&app.store, "audit_entries").await;
    let n = app.store.submit_declarations_batch(&tradewind_store::Actor::system(), &batch).await.expect("batch");
    assert_eq!(n, 30);
    assert_eq!(count(&app.store, "audit_entries").await, before + 30, "one audit entry per declaration");
    assert!(app.store.verify_audit().await.expect("audit").fault.is_none(), "the chain still verifies");
    assert_eq!(count(&app.store, "customs_agency_tasks").await, 30, "quarantine for each (wood and coffee)");
    // Every declaration reads back whole, red for furniture, with its first events.
    let page = json_of(w.officer.get("/api/v1/customs/declarations?lane=red&limit=100").await, StatusCode::OK).await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(30));
    let id = page["items"][0]["id"].as_str().expect("id");
    let detail = json_of(w.importer.get(&format!("/api/v1/customs/declarations/{id}")).await, StatusCode::OK).await;
    assert_eq!(steps(&detail)[..2], ["lodged", "selected"]);
    assert_eq!(dec(&detail["declaration"]["assessment"]["duty"]["amount"]), money("3.75"), "7.5 % of 50.00 coffee");
    // A batch with a number already lodged writes nothing.
    let again = app.store.submit_declarations_batch(&tradewind_store::Actor::system(), &batch[..2]).await;
    assert!(again.is_err());
    assert_eq!(count(&app.store, "customs_declarations").await, 30);
}

#[tokio::test]
async fn concurrent_lodgements_commit_in_groups_and_each_keeps_its_key_and_number() {
    let app = TestApp::spawn().await;
    let w = customs_world(&app).await;
    let s = std::sync::Arc::new(w.importer);
    let mut tasks = Vec::new();
    for i in 0..40 {
        let s = s.clone();
        // 0-29 distinct; 30-34 repeat key and body of 0-4; 35-39 reuse numbers 5-9 under new keys.
        let (n, key) = match i {
            0..30 => (i, format!("k{i}")),
            30..35 => (i - 30, format!("k{}", i - 30)),
            _ => (i - 30, format!("other{i}")),
        };
        tasks.push(tokio::spawn(async move {
            let body = import(&format!("CONC-{n}"), vec![item("Tables", "940360", "VN", eur("10.00"), "1", "H87")]);
            let res = lodge(&s, &body, &key).await;
            (i, res.status())
        }));
    }
    let mut created = 0;
    let mut replayed_or_created = 0;
    let mut conflicts = 0;
    for t in tasks {
        let (i, status) = t.await.expect("task");
        match status {
            StatusCode::CREATED => created += 1,
            StatusCode::OK => replayed_or_created += 1,
            StatusCode::CONFLICT => conflicts += 1,
            other => panic!("request {i}: {other}"),
        }
    }
    assert_eq!(created + replayed_or_created, 35, "30 new and 5 replays answered");
    assert_eq!(conflicts, 5, "a number lodged under another key is a conflict");
    assert_eq!(count(&app.store, "customs_declarations").await, 30);
    assert!(app.store.verify_audit().await.expect("audit").fault.is_none());
}

#[tokio::test]
async fn another_company_reaches_none_of_a_declarations_customs_endpoints() {
    let app = TestApp::spawn().await;
    let w = customs_world(&app).await;
    let body = import("ISO-1", vec![item("Teak tables", "940360", "VN", eur("900.00"), "3", "H87")]);
    let d = json_of(lodge(&w.importer, &body, "iso-1").await, StatusCode::CREATED).await;
    let id = d["id"].as_str().expect("id");
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let photo = json_of(
        w.inspector
            .upload(&format!("/api/v1/customs/declarations/{id}/photos"), "p.png", "image/png", png.clone())
            .await,
        StatusCode::CREATED,
    )
    .await;
    let sha = photo["sha256"].as_str().expect("sha");
    let nosy = &w.outsider;
    for path in
        [format!("/api/v1/customs/declarations/{id}"), format!("/api/v1/customs/declarations/{id}/photos/{sha}")]
    {
        assert_eq!(nosy.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(nosy.put(&format!("/api/v1/customs/declarations/{id}"), &body).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        nosy.upload(&format!("/api/v1/customs/declarations/{id}/photos"), "p.png", "image/png", png).await.status(),
        StatusCode::NOT_FOUND
    );
    // Only an officer of the economy reads or sets its risk profile and time-release figures.
    assert_eq!(nosy.get("/api/v1/customs/risk-profile").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(nosy.put_text("/api/v1/customs/risk-profile", DE_PROFILE).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(nosy.get("/api/v1/customs/time-release").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(w.foreign_officer.get("/api/v1/customs/time-release").await.status(), StatusCode::OK);
    let sg_report = json_of(w.foreign_officer.get("/api/v1/customs/time-release").await, StatusCode::OK).await;
    assert_eq!(sg_report["per_lane"], json!([]), "another economy's figures hold none of DE's declarations");
    // Lists show only the caller's own.
    let mine = json_of(nosy.get("/api/v1/customs/declarations").await, StatusCode::OK).await;
    assert_eq!(mine["items"], json!([]));
    let sg_queue = json_of(w.foreign_officer.get("/api/v1/customs/declarations").await, StatusCode::OK).await;
    assert_eq!(sg_queue["items"], json!([]), "another economy's officer sees none of DE's declarations");
    // Another carrier's manifest is not in this carrier's list.
    let (carrier_a, _) =
        company(&app, "Carrier A", "DE", "HRB-CA", "a@carrier.example", &["carrier_or_forwarder"]).await;
    let (carrier_b, _) =
        company(&app, "Carrier B", "DE", "HRB-CB", "b@carrier.example", &["carrier_or_forwarder"]).await;
    let manifest = json!({"economy": "DE", "conveyance": "A 1", "arrival_at": "2026-11-25T06:00:00Z",
        "entries": [{"transport_document": "BL-A-1", "packages": 1, "gross_kg": "10", "description": "x"}]});
    json_of(carrier_a.post("/api/v1/customs/manifests", &manifest).await, StatusCode::CREATED).await;
    let b_list = json_of(carrier_b.get("/api/v1/customs/manifests").await, StatusCode::OK).await;
    assert_eq!(b_list["items"], json!([]));
    // A company that is no carrier cannot submit one.
    assert_problem(nosy.post("/api/v1/customs/manifests", &manifest).await, StatusCode::CONFLICT, None).await;
}

#[tokio::test]
async fn only_the_named_authority_decides_a_certificate_of_origin() {
    let app = TestApp::spawn().await;
    let (exporter, _) = company(&app, "Sydney Cotton", "AU", "ABN-2", "x@sydney.example", &["exporter"]).await;
    let (_, au_org) = company(&app, "ABF", "AU", "ABF-2", "o@abf.example", &["customs_authority"]).await;
    let (other_authority, _) =
        company(&app, "Other Customs", "NZ", "NZC-1", "o@nzc.example", &["customs_authority"]).await;
    let bom = json!({"product": "Cotton T-shirt", "product_hs": "610910", "produced_in": "AU", "wholly_obtained": false,
        "ex_works_price": {"amount": "8.00", "currency": "AUD"}, "fob_price": {"amount": "8.50", "currency": "AUD"},
        "inputs": [{"description": "Knitted cotton fabric", "hs": "600621", "origin": "AU",
                    "value": {"amount": "3.00", "currency": "AUD"}}]});
    let cert = request_ausfta_certificate(&exporter, &au_org, &bom).await;
    let id = cert["id"].as_str().expect("id");
    let res = other_authority
        .post(&format!("/api/v1/customs/origin/certificates/{id}/decision"), &json!({"decision": "approve"}))
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, None).await;
    // Naming a company that is no customs authority as issuer is refused.
    let res = exporter
        .post(
            "/api/v1/customs/origin/certificates",
            &json!({"authority": cert["exporter_org"], "agreement": "AUSFTA", "bill_of_materials": bom}),
        )
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, Some("authority")).await;
}
