//! The whole document set of a real-looking shipment through the API: the seller adds its
//! packing and origin data once, previews (every missing field named at once) and issues the
//! invoice, proforma, packing list and export declaration; a chamber issues the certificate
//! of origin on request; the carrier issues the bill of lading; the consistency check
//! catches a wrong weight and clears when it is corrected; a foreign invoice is imported
//! and hostile files are refused. Each company sees only what it may.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn register_with_roles(app: &TestApp, name: &str, country: &str, email: &str, roles: Value) -> (Session, String) {
    let mut body = registration(name, country, &format!("REG-{email}"), email);
    body["roles"] = roles;
    let reg = json_of(app.anonymous().post("/api/v1/registrations", &body).await, StatusCode::CREATED).await;
    let org = reg["organization"]["id"].as_str().expect("org id").to_string();
    (app.login(email, PASSWORD).await, org)
}

fn fields_of(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["field"].as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

fn seller_fields(gross: [&str; 2]) -> Value {
    json!({
        "marks_and_numbers": "HFF/HAM/2026-118\nMADE IN VIETNAM",
        "signatory": {"name": "Tran Thi Mai", "title": "Export Manager"},
        "place_of_issue": "Ho Chi Minh City",
        "customs_procedure": "1000",
        "lines": [
            {"packages": 384, "package_type": "BG", "net_kg": "9600", "gross_kg": gross[0], "origin_country": "VN", "origin_criterion": "WO"},
            {"packages": 200, "package_type": "CT", "net_kg": "4536", "gross_kg": gross[1], "origin_country": "VN", "origin_criterion": "WO"}
        ]
    })
}

fn carrier_fields(verified: Option<&str>) -> Value {
    let mut f = json!({
        "signatory": {"name": "Lim Wei Jie", "title": "Documentation Officer"},
        "place_of_issue": "Ho Chi Minh City",
        "vessel_name": "MEKONG STAR",
        "voyage_number": "118W",
        "shipped_on_board": "2026-11-20",
        "planned_arrival": "2026-12-24",
        "seal_numbers": ["MB2026118"]
    });
    if let Some(v) = verified {
        f["verified_gross_kg"] = json!(v);
    }
    f
}

fn facts_of(issued: &Value) -> Vec<String> {
    issued["inconsistencies"]
        .as_array()
        .expect("inconsistencies")
        .iter()
        .filter_map(|i| i["fact"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn an_exporter_produces_the_full_set_and_a_wrong_weight_is_caught() {
    let app = TestApp::spawn().await;
    let (buyer, _) =
        register_with_roles(&app, "Hanseatic Fine Foods GmbH", "DE", "b@x.example", json!(["importer"])).await;
    let (seller, seller_org) =
        register_with_roles(&app, "Saigon Spice Export JSC", "VN", "s@x.example", json!(["exporter"])).await;
    verify(&app, &seller_org).await;
    let (carrier, carrier_org) =
        register_with_roles(&app, "Mekong Blue Freight", "SG", "c@x.example", json!(["carrier_or_forwarder"])).await;
    verify(&app, &carrier_org).await;
    let (chamber, chamber_org) =
        register_with_roles(&app, "VCCI HCMC", "VN", "co@x.example", json!(["other_government_agency"])).await;
    let (stranger, _) = register_with_roles(&app, "Somebody Else", "KE", "x@x.example", json!(["exporter"])).await;
    json_of(carrier.post("/api/v1/carrier", &json!({"scac": "MBFF"})).await, StatusCode::CREATED).await;
    let card = json!({"origin": "VNSGN", "destination": "DEHAM", "mode": "sea", "currency": "USD",
        "price_per_kg": "0.12", "minimum_charge": "400", "transit_days": 34});
    let card = json_of(carrier.post("/api/v1/rate-cards", &card).await, StatusCode::CREATED).await;

    let mut po = purchase_order(&seller_org);
    po["lines"] = json!([
        {"description": "Black pepper, whole, ASTA grade, 25 kg bags", "hs_code": "090411", "quantity": "9600",
            "unit": "KGM", "unit_price": "4.25"},
        {"description": "Robusta coffee, green, 60 kg bags", "hs_code": "090111", "quantity": "4536",
            "unit": "KGM", "unit_price": "7.10"}
    ]);
    let o = json_of(buyer.post("/api/v1/orders", &po).await, StatusCode::CREATED).await;
    let id = o["id"].as_str().expect("id").to_string();
    for s in [&seller, &buyer] {
        json_of(s.post(&format!("/api/v1/orders/{id}/events"), &json!({"event": "accept"})).await, StatusCode::OK)
            .await;
    }
    fund_through_bank(&buyer, &id).await;
    let booking = json!({"rate_card_id": card["id"], "packages": [{"gross_kg": "14652", "length_cm": "590",
        "width_cm": "235", "height_cm": "239", "pieces": 1}]});
    let s = json_of(seller.post(&format!("/api/v1/orders/{id}/shipments"), &booking).await, StatusCode::CREATED).await;
    let sid = s["id"].as_str().expect("shipment");
    json_of(
        carrier.post(&format!("/api/v1/shipments/{sid}/confirm"), &json!({"containers": ["MSKU1234565"]})).await,
        StatusCode::OK,
    )
    .await;
    let set = format!("/api/v1/orders/{id}/document-set");

    // Before the seller adds its packing data, the packing list names every missing field.
    let p = assert_problem(
        seller.get(&format!("{set}/packing_list/preview")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
    )
    .await;
    let missing = fields_of(&p);
    for f in ["seller_fields.lines[0].gross_kg", "seller_fields.lines[1].gross_kg", "seller_fields.lines[0].net_kg"] {
        assert!(missing.iter().any(|m| m == f), "{f} in {missing:?}");
    }
    let overview = json_of(seller.get(&set).await, StatusCode::OK).await;
    assert_eq!(overview["role"]["role"], "seller");
    // Bad own fields are refused field by field.
    let mut bad = seller_fields(["9792", "4860"]);
    bad["lines"][0]["net_kg"] = json!("99999");
    bad["lines"][1]["package_type"] = json!("carton");
    let p =
        assert_problem(seller.put(&format!("{set}/fields"), &bad).await, StatusCode::UNPROCESSABLE_ENTITY, None).await;
    assert_eq!(fields_of(&p), vec!["lines[0].net_kg".to_string(), "lines[1].package_type".to_string()]);
    json_of(seller.put(&format!("{set}/fields"), &seller_fields(["9792", "4860"])).await, StatusCode::OK).await;

    // Preview: the UBL packing list and its PDF, nothing stored.
    let preview = json_of(seller.get(&format!("{set}/packing_list/preview")).await, StatusCode::OK).await;
    assert_eq!(preview["renditions"][0]["format"].as_str().map(|f| f.starts_with("ubl-2.1-packing-list")), Some(true));
    assert!(preview["renditions"][0]["content"].as_str().expect("xml").contains("<cbc:GrossWeightMeasure"));
    assert_eq!(preview["summary"]["gross_kg"], "14652");
    let pdf = seller.get(&format!("{set}/packing_list/preview.pdf")).await;
    if pdf.status() == StatusCode::OK {
        assert!(pdf.bytes().await.expect("pdf").starts_with(b"%PDF"));
    }

    // The seller issues its documents; the buyer cannot issue them.
    for kind in ["packing_list", "proforma_invoice", "export_declaration"] {
        let issued = json_of(seller.post(&format!("{set}/{kind}"), &json!({})).await, StatusCode::CREATED).await;
        assert_eq!(issued["renditions"][0]["kind"], kind);
        assert_eq!(issued["renditions"][0]["version"], 1);
    }
    let again = json_of(seller.post(&format!("{set}/packing_list"), &json!({})).await, StatusCode::OK).await;
    assert_eq!(again["renditions"][0]["version"], 1, "unchanged facts issue nothing new");
    let e =
        assert_problem(buyer.post(&format!("{set}/packing_list"), &json!({})).await, StatusCode::CONFLICT, None).await;
    assert!(e["detail"].as_str().expect("detail").contains("the seller issues"), "{e}");
    json_of(
        seller.post(&format!("/api/v1/orders/{id}/documents/commercial-invoice"), &json!({})).await,
        StatusCode::CREATED,
    )
    .await;

    // The certificate of origin: the seller asks the chamber, which then sees the facts and issues.
    assert_problem(chamber.get(&set).await, StatusCode::NOT_FOUND, None).await;
    // Requests that cannot be: a kind the seller or carrier issues, an unknown company, oneself.
    let requests = format!("/api/v1/orders/{id}/document-requests");
    let e = assert_problem(
        seller.post(&requests, &json!({"kind": "packing_list", "issuer": chamber_org})).await,
        StatusCode::CONFLICT,
        None,
    )
    .await;
    assert!(e["detail"].as_str().expect("detail").contains("seller"), "{e}");
    assert_problem(
        seller.post(&requests, &json!({"kind": "certificate_of_origin", "issuer": "no-such-company"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("issuer"),
    )
    .await;
    assert_problem(
        seller.post(&requests, &json!({"kind": "certificate", "issuer": chamber_org})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("kind"),
    )
    .await;
    assert_problem(
        seller.post(&requests, &json!({"kind": "certificate_of_origin", "issuer": seller_org})).await,
        StatusCode::CONFLICT,
        None,
    )
    .await;
    let r = json!({"kind": "certificate_of_origin", "issuer": chamber_org, "note": "Preferential, RCEP"});
    let r =
        json_of(seller.post(&format!("/api/v1/orders/{id}/document-requests"), &r).await, StatusCode::CREATED).await;
    let queue = json_of(chamber.get("/api/v1/document-requests").await, StatusCode::OK).await;
    assert_eq!(queue[0]["id"], r["id"]);
    let p = assert_problem(
        chamber.post(&format!("{set}/certificate_of_origin"), &json!({})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
    )
    .await;
    assert!(fields_of(&p).iter().any(|f| f.starts_with("named_fields.signatory")), "{p}");
    let officer = json!({"signatory": {"name": "Nguyen Van An", "title": "Certifying Officer"}, "place_of_issue": "Ho Chi Minh City"});
    json_of(chamber.put(&format!("{set}/fields"), &officer).await, StatusCode::OK).await;
    let co =
        json_of(chamber.post(&format!("{set}/certificate_of_origin"), &json!({})).await, StatusCode::CREATED).await;
    assert_eq!(co["renditions"][0]["issued_by"], chamber_org.as_str());
    let queue = json_of(chamber.get("/api/v1/document-requests").await, StatusCode::OK).await;
    assert_eq!(queue[0]["status"], "issued");
    // The chamber and the carrier find the set from their documents page.
    let page = chamber.get("/documents").await.text().await.expect("page");
    assert!(page.contains("Certificate of origin") && page.contains(&format!("/orders/{id}/documents")), "{page}");
    let page = carrier.get("/documents").await.text().await.expect("page");
    assert!(page.contains("VNSGN → DEHAM") && page.contains(&format!("/orders/{id}/documents")), "{page}");
    let page = chamber.get(&format!("/orders/{id}/documents")).await.text().await.expect("page");
    assert!(page.contains("Certificate of origin") && !page.contains("Packing and origin per line"), "{page}");
    // The chamber sees what it issued, not the seller's other documents.
    let seen = json_of(chamber.get(&format!("/api/v1/orders/{id}/documents")).await, StatusCode::OK).await;
    assert!(seen.as_array().expect("list").iter().all(|d| d["issued_by"] == chamber_org.as_str()), "{seen}");
    assert_problem(chamber.post(&format!("{set}/packing_list"), &json!({})).await, StatusCode::CONFLICT, None).await;

    // The carrier weighed the container 48 kg heavier: its bill of lading disagrees.
    json_of(carrier.put(&format!("{set}/fields"), &carrier_fields(Some("14700"))).await, StatusCode::OK).await;
    let bl = json_of(carrier.post(&format!("{set}/bill_of_lading"), &json!({})).await, StatusCode::CREATED).await;
    assert_eq!(bl["renditions"][0]["format"].as_str().map(|f| f.starts_with("dcsa-ebl")), Some(true), "{bl}");
    assert!(bl["renditions"].as_array().expect("renditions").len() >= 2, "DCSA JSON and UBL");
    assert_eq!(facts_of(&bl), vec!["gross weight (kg)".to_string()], "{bl}");
    let found = json_of(buyer.get(&format!("{set}/consistency")).await, StatusCode::OK).await;
    let message = found[0]["message"].as_str().expect("message");
    assert!(message.contains("packing list") && message.contains("14652") && message.contains("14700"), "{message}");
    let dcsa = bl["renditions"][0]["id"].as_str().expect("id");
    let res = buyer.get(&format!("/api/v1/orders/{id}/documents/{dcsa}")).await;
    assert_eq!(res.headers()["content-type"], "application/json; charset=utf-8");
    let doc: Value = res.json().await.expect("json");
    assert_eq!(doc["transportDocumentTypeCode"], "BOL");

    // Corrected: the next version agrees with the set.
    json_of(carrier.put(&format!("{set}/fields"), &carrier_fields(None)).await, StatusCode::OK).await;
    let bl2 = json_of(carrier.post(&format!("{set}/bill_of_lading"), &json!({})).await, StatusCode::CREATED).await;
    assert_eq!(bl2["renditions"][0]["version"], 2);
    assert_eq!(facts_of(&bl2), Vec::<String>::new(), "{bl2}");
    let overview = json_of(seller.get(&set).await, StatusCode::OK).await;
    assert_eq!(overview["inconsistencies"], json!([]));
    let issued: Vec<&str> = overview["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .filter(|d| !d["latest"].is_null())
        .filter_map(|d| d["kind"].as_str())
        .collect();
    for kind in [
        "commercial_invoice",
        "proforma_invoice",
        "packing_list",
        "certificate_of_origin",
        "bill_of_lading",
        "export_declaration",
    ] {
        assert!(issued.contains(&kind), "{kind} in {issued:?}");
    }

    // Nobody else reaches the set, its fields, its previews, its requests or its pages.
    for path in [
        set.clone(),
        format!("{set}/packing_list/preview"),
        format!("{set}/packing_list/preview.pdf"),
        format!("{set}/consistency"),
        format!("{set}/fields"),
    ] {
        assert_problem(stranger.get(&path).await, StatusCode::NOT_FOUND, None).await;
    }
    assert_problem(stranger.post(&format!("{set}/packing_list"), &json!({})).await, StatusCode::NOT_FOUND, None).await;
    assert_problem(stranger.put(&format!("{set}/fields"), &json!({})).await, StatusCode::NOT_FOUND, None).await;
    let ask = json!({"kind": "certificate_of_origin", "issuer": chamber_org});
    assert_problem(
        stranger.post(&format!("/api/v1/orders/{id}/document-requests"), &ask).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    let reject = json!({"reason": "not ours"});
    let rid = r["id"].as_str().expect("request id");
    for who in [&stranger, &seller] {
        let res = who.post(&format!("/api/v1/document-requests/{rid}/reject"), &reject).await;
        assert_problem(res, StatusCode::NOT_FOUND, None).await;
    }
    let res = chamber.post(&format!("/api/v1/document-requests/{rid}/reject"), &json!({"reason": " "})).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, Some("reason")).await;
    let res = chamber.post(&format!("/api/v1/document-requests/{rid}/reject"), &reject).await;
    assert_problem(res, StatusCode::CONFLICT, None).await;
    assert_eq!(stranger.get(&format!("/orders/{id}/documents")).await.status(), StatusCode::NOT_FOUND);
    let theirs = json_of(stranger.get("/api/v1/document-requests").await, StatusCode::OK).await;
    assert_eq!(theirs, json!([]));
    let _ = carrier_org;
}

#[tokio::test]
async fn a_foreign_invoice_is_imported_and_hostile_files_are_refused() {
    let app = TestApp::spawn().await;
    let (buyer, _) = app.register("Hanse Kaffee", "DE", "B1", "b@x.example").await;
    let (seller, seller_org) = app.register("Pepper House", "VN", "S1", "s@x.example").await;
    let (stranger, _) = app.register("Third Party", "KE", "T1", "t@x.example").await;
    verify(&app, &seller_org).await;
    let o = json_of(buyer.post("/api/v1/orders", &purchase_order(&seller_org)).await, StatusCode::CREATED).await;
    let id = o["id"].as_str().expect("id").to_string();
    for s in [&seller, &buyer] {
        json_of(s.post(&format!("/api/v1/orders/{id}/events"), &json!({"event": "accept"})).await, StatusCode::OK)
            .await;
    }
    // The seller's own invoice, as another system would send it.
    let inv = json_of(
        seller.post(&format!("/api/v1/orders/{id}/documents/commercial-invoice"), &json!({})).await,
        StatusCode::CREATED,
    )
    .await;
    let xml = seller
        .get(&format!("/api/v1/orders/{id}/documents/{}", inv["id"].as_str().expect("id")))
        .await
        .bytes()
        .await
        .expect("xml")
        .to_vec();
    let import = format!("/api/v1/orders/{id}/document-set/import");
    let report =
        json_of(buyer.post_raw("/api/v1/documents/validate", "application/xml", xml.clone()).await, StatusCode::OK)
            .await;
    assert_eq!(report["valid"], true, "{report}");
    let imported = json_of(buyer.post_raw(&import, "application/xml", xml.clone()).await, StatusCode::CREATED).await;
    assert_eq!(imported["document"]["kind"], "imported_invoice");
    assert_eq!(imported["inconsistencies"], json!([]), "the same invoice agrees with the set");
    assert_problem(stranger.post_raw(&import, "application/xml", xml.clone()).await, StatusCode::NOT_FOUND, None).await;

    // A tampered total is refused with the rule that caught it.
    let text = String::from_utf8(xml.clone()).expect("utf8");
    let tampered = text.replacen(
        "<cbc:PayableAmount currencyID=\"USD\">425.00<",
        "<cbc:PayableAmount currencyID=\"USD\">425.01<",
        1,
    );
    assert_ne!(tampered, text, "the payable amount is in the file");
    let p = assert_problem(
        buyer.post_raw(&import, "application/xml", tampered.into_bytes()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("file"),
    )
    .await;
    assert!(p.to_string().contains("BR-CO-16"), "{p}");

    // Hostile and wrong files: refused, nothing stored.
    let xxe =
        br#"<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY x SYSTEM "file:///etc/passwd">]><Invoice>&x;</Invoice>"#;
    let laughs = br#"<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><Invoice>&b;</Invoice>"#;
    let order = br#"<?xml version="1.0"?><Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>"#;
    for (bytes, hint) in
        [(&xxe[..], "DOCTYPE"), (&laughs[..], "DOCTYPE"), (&order[..], "Order"), (b"not xml at all <", "")]
    {
        let p = assert_problem(
            buyer.post_raw(&import, "application/xml", bytes.to_vec()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("file"),
        )
        .await;
        assert!(p.to_string().contains(hint), "{hint}: {p}");
    }
    let huge = vec![b' '; 50 * 1024 * 1024];
    let res = buyer.post_raw(&import, "application/xml", huge).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let docs = json_of(buyer.get(&format!("/api/v1/orders/{id}/documents")).await, StatusCode::OK).await;
    let imported: Vec<&Value> =
        docs.as_array().expect("docs").iter().filter(|d| d["kind"] == "imported_invoice").collect();
    assert_eq!(imported.len(), 1, "only the good file was stored");
}

#[tokio::test]
async fn the_demo_order_issues_its_whole_set_in_one_go_and_it_agrees() {
    let app = TestApp::spawn().await;
    tradewind_server::demo::seed(&app.store).await.expect("demo data");
    let seller = app.login("mei@lioncityspice.example", tradewind_server::demo::DEMO_PASSWORD).await;
    let carrier = app.login("amina@mombasafreight.example", tradewind_server::demo::DEMO_PASSWORD).await;
    let orders = json_of(seller.get("/api/v1/orders").await, StatusCode::OK).await;
    let id = orders["items"][0]["id"].as_str().expect("the demo order").to_string();
    let set = format!("/api/v1/orders/{id}/document-set");
    json_of(
        seller.post(&format!("/api/v1/orders/{id}/documents/commercial-invoice"), &json!({})).await,
        StatusCode::CREATED,
    )
    .await;
    for kind in ["proforma_invoice", "packing_list", "export_declaration"] {
        json_of(seller.post(&format!("{set}/{kind}"), &json!({})).await, StatusCode::CREATED).await;
    }
    for kind in ["bill_of_lading", "sea_waybill", "delivery_order", "cargo_manifest"] {
        json_of(carrier.post(&format!("{set}/{kind}"), &json!({})).await, StatusCode::CREATED).await;
    }
    let overview = json_of(seller.get(&set).await, StatusCode::OK).await;
    assert_eq!(overview["inconsistencies"], json!([]), "{overview}");
}
