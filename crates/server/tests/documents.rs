//! The commercial invoice from an order: issued by the seller once the order binds, a new
//! immutable version only when its data changed, every version readable by both parties
//! (and nobody else), and accepted by the official EN 16931 / Peppol validator.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::process::Command;

async fn event(s: &Session, order: &str, name: &str) -> Value {
    json_of(s.post(&format!("/api/v1/orders/{order}/events"), &json!({"event": name})).await, StatusCode::OK).await
}

/// Runs the official validator on `xml`; `None` (with the reason printed) when it is absent.
fn validate(xml: &str) -> Option<Result<(), String>> {
    let tool = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/standards/bin/validate-invoice");
    if !tool.is_file() {
        println!("skipped the official validation: {} is missing", tool.display());
        return None;
    }
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("invoice.xml");
    std::fs::write(&file, xml).expect("write");
    let out = match Command::new(&tool).arg(&file).output() {
        Ok(o) => o,
        Err(e) => {
            println!("skipped the official validation: {e}");
            return None;
        }
    };
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    match out.status.code() {
        Some(0) => Some(Ok(())),
        Some(2) => {
            println!("skipped the official validation: the validator could not set itself up: {report}");
            None
        }
        _ => Some(Err(report)),
    }
}

#[tokio::test]
async fn the_seller_issues_versioned_invoices_both_parties_read_and_the_rules_accept() {
    let app = TestApp::spawn().await;
    let (buyer, _) = app.register("Hanse Kaffee", "DE", "B1", "b@x.example").await;
    let (seller, seller_org) = app.register("Pepper House", "VN", "S1", "s@x.example").await;
    let (third, _) = app.register("Third Party", "KE", "T1", "t@x.example").await;
    verify(&app, &seller_org).await;
    let o = json_of(buyer.post("/api/v1/orders", &purchase_order(&seller_org)).await, StatusCode::CREATED).await;
    let id = o["id"].as_str().expect("id").to_string();
    let issue = format!("/api/v1/orders/{id}/documents/commercial-invoice");

    // Not before the order binds, and only by the seller.
    let e = assert_problem(seller.post(&issue, &json!({})).await, StatusCode::CONFLICT, None).await;
    assert!(e["detail"].as_str().expect("detail").contains("both sides agreed"), "{e}");
    event(&buyer, &id, "accept").await;
    event(&seller, &id, "accept").await;
    let e = assert_problem(buyer.post(&issue, &json!({})).await, StatusCode::CONFLICT, None).await;
    assert!(e["detail"].as_str().expect("detail").contains("the seller issues"), "{e}");
    assert_problem(third.post(&issue, &json!({})).await, StatusCode::NOT_FOUND, None).await;

    let v1 = json_of(seller.post(&issue, &json!({})).await, StatusCode::CREATED).await;
    assert_eq!((v1["version"].as_u64(), v1["kind"].as_str()), (Some(1), Some("commercial_invoice")));
    assert_eq!(v1["format"], "ubl-2.1-invoice/en16931", "no LEIs: plain EN 16931");
    assert_eq!(
        (v1["cii"]["format"].as_str(), v1["cii"]["version"].as_u64()),
        (Some("cii-d16b-invoice/en16931"), Some(1))
    );
    assert_eq!(v1["cii"]["number"], v1["number"], "one invoice in two syntaxes");
    // The PDF for people, with the UBL invoice attached (where the server has a font).
    if let Some(pdf) = v1["pdf"].as_object() {
        assert_eq!((pdf["format"].as_str(), pdf["version"].as_u64()), (Some("pdf-a-3b/invoice"), Some(1)));
        let res = buyer.get(&format!("/api/v1/orders/{id}/documents/{}", pdf["id"].as_str().expect("pdf id"))).await;
        assert_eq!(res.headers()["content-type"], "application/pdf");
        let bytes = res.bytes().await.expect("pdf");
        assert!(bytes.starts_with(b"%PDF-1.7"));
        assert_eq!(hex::encode(Sha256::digest(&bytes)), pdf["sha256"].as_str().expect("sha"));
    } else {
        println!("the server has no font: the invoice was issued without its PDF");
    }
    // Nothing changed: the same version again.
    let again = json_of(seller.post(&issue, &json!({})).await, StatusCode::OK).await;
    assert_eq!((again["id"].clone(), again["new_version"].clone()), (v1["id"].clone(), json!(false)));
    assert_eq!(again["pdf"]["id"], v1["pdf"]["id"], "no new PDF either");

    // Both parties download it; the body is what its SHA-256 says; the rules accept it.
    let path = format!("/api/v1/orders/{id}/documents/{}", v1["id"].as_str().expect("doc id"));
    let res = buyer.get(&path).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().expect("ct").starts_with("application/xml"));
    let etag = res.headers()["etag"].to_str().expect("etag").trim_matches('"').to_string();
    let xml = res.text().await.expect("xml");
    assert_eq!(hex::encode(Sha256::digest(xml.as_bytes())), etag);
    assert_eq!(etag, v1["sha256"].as_str().expect("sha"));
    for needle in [
        "Pepper House",
        "Hanse Kaffee",
        "<cbc:PayableAmount currencyID=\"USD\">425.00</cbc:PayableAmount>",
        "090411",
        &id,
    ] {
        assert!(xml.contains(needle), "{needle} in {xml}");
    }
    if let Some(result) = validate(&xml) {
        assert_eq!(result, Ok(()), "{xml}");
    }
    let cii_path = format!("/api/v1/orders/{id}/documents/{}", v1["cii"]["id"].as_str().expect("cii id"));
    let cii = seller.get(&cii_path).await.text().await.expect("cii");
    assert!(cii.contains("CrossIndustryInvoice") && cii.contains("<ram:DuePayableAmount>425.00<"), "{cii}");
    if let Some(result) = validate(&cii) {
        assert_eq!(result, Ok(()), "{cii}");
    }
    assert_problem(third.get(&path).await, StatusCode::NOT_FOUND, None).await;
    assert_problem(app.anonymous().get(&path).await, StatusCode::UNAUTHORIZED, None).await;

    // A correction to the order (an amendment both accept) makes version 2; v1 stays.
    let mut po = purchase_order(&seller_org);
    po["buyer"] = json!("");
    po["seller"] = json!("");
    po["lines"][0]["quantity"] = json!("120");
    let a = json_of(seller.post(&format!("/api/v1/orders/{id}/amendments"), &po).await, StatusCode::OK).await;
    let v = a["pending_amendment"]["version"].as_u64().expect("version");
    json_of(buyer.post(&format!("/api/v1/orders/{id}/amendments/{v}/accept"), &json!({})).await, StatusCode::OK).await;
    let v2 = json_of(seller.post(&issue, &json!({})).await, StatusCode::CREATED).await;
    assert_eq!(v2["version"], 2);
    assert_ne!(v2["sha256"], v1["sha256"]);
    let list = json_of(buyer.get(&format!("/api/v1/orders/{id}/documents")).await, StatusCode::OK).await;
    let versions: Vec<u64> = list.as_array().expect("list").iter().filter_map(|d| d["version"].as_u64()).collect();
    let expected: &[u64] = if v1["pdf"].is_object() { &[1, 2, 1, 2, 1, 2] } else { &[1, 2, 1, 2] };
    assert_eq!(versions, expected, "UBL, CII and PDF, each in two versions");
    let old = buyer.get(&path).await.text().await.expect("v1");
    assert_eq!(old, xml, "an issued version never changes");
    let n = json_of(buyer.get("/api/v1/notifications").await, StatusCode::OK).await;
    assert_eq!(n["items"][0]["kind"], "document_issued", "{n}");
    assert_problem(third.get(&format!("/api/v1/orders/{id}/documents")).await, StatusCode::NOT_FOUND, None).await;
    // The order page lists every version with its download link; only the seller may issue.
    let page = buyer.get(&format!("/orders/{id}")).await.text().await.expect("page");
    assert!(page.contains("Commercial invoice (UBL)") && page.contains("Commercial invoice (CII)"), "{page}");
    assert!(page.contains(&path) && !page.contains("id=\"invoice-form\""), "{page}");
    let page = seller.get(&format!("/orders/{id}")).await.text().await.expect("page");
    assert!(page.contains("id=\"invoice-form\""));
}

#[tokio::test]
async fn a_refund_is_credited_against_the_invoice() {
    let app = TestApp::spawn().await;
    let (buyer, _) = app.register("Hanse Kaffee", "DE", "B1", "b@x.example").await;
    let (seller, seller_org) = app.register("Pepper House", "VN", "S1", "s@x.example").await;
    verify(&app, &seller_org).await;
    let o = json_of(buyer.post("/api/v1/orders", &purchase_order(&seller_org)).await, StatusCode::CREATED).await;
    let id = o["id"].as_str().expect("id").to_string();
    event(&buyer, &id, "accept").await;
    event(&seller, &id, "accept").await;
    fund_through_bank(&buyer, &id).await;
    let credit = format!("/api/v1/orders/{id}/documents/credit-note");
    let e = assert_problem(seller.post(&credit, &json!({})).await, StatusCode::CONFLICT, None).await;
    assert!(e["detail"].as_str().expect("detail").contains("commercial invoice first"), "{e}");
    json_of(
        seller.post(&format!("/api/v1/orders/{id}/documents/commercial-invoice"), &json!({})).await,
        StatusCode::CREATED,
    )
    .await;
    let e = assert_problem(seller.post(&credit, &json!({})).await, StatusCode::CONFLICT, None).await;
    assert!(e["detail"].as_str().expect("detail").contains("nothing was refunded"), "{e}");
    let refund = seller
        .post_with_header(&format!("/api/v1/orders/{id}/refund"), &json!({"amount": "100.00"}), "Idempotency-Key", "r1")
        .await;
    json_of(refund, StatusCode::OK).await;
    assert_problem(buyer.post(&credit, &json!({})).await, StatusCode::CONFLICT, None).await;
    let cn = json_of(seller.post(&credit, &json!({})).await, StatusCode::CREATED).await;
    assert_eq!(
        (cn["kind"].as_str(), cn["format"].as_str()),
        (Some("credit_note"), Some("ubl-2.1-credit-note/en16931"))
    );
    json_of(seller.post(&credit, &json!({})).await, StatusCode::OK).await;
    let xml = buyer
        .get(&format!("/api/v1/orders/{id}/documents/{}", cn["id"].as_str().expect("id")))
        .await
        .text()
        .await
        .expect("xml");
    for needle in [
        "<cbc:CreditNoteTypeCode>381<",
        "<cbc:PayableAmount currencyID=\"USD\">100.00<",
        "<cac:InvoiceDocumentReference>",
    ] {
        assert!(xml.contains(needle), "{needle} in {xml}");
    }
    if let Some(result) = validate(&xml) {
        assert_eq!(result, Ok(()), "{xml}");
    }
    // A second refund changes the credited total: a new version.
    let refund = seller
        .post_with_header(&format!("/api/v1/orders/{id}/refund"), &json!({"amount": "25.00"}), "Idempotency-Key", "r2")
        .await;
    json_of(refund, StatusCode::OK).await;
    let v2 = json_of(seller.post(&credit, &json!({})).await, StatusCode::CREATED).await;
    assert_eq!(v2["version"], 2);
    // Another company cannot issue or read it.
    let (third, _) = app.register("Third Party", "KE", "T1", "t@x.example").await;
    assert_problem(third.post(&credit, &json!({})).await, StatusCode::NOT_FOUND, None).await;
    let path = format!("/api/v1/orders/{id}/documents/{}", cn["id"].as_str().expect("id"));
    assert_problem(third.get(&path).await, StatusCode::NOT_FOUND, None).await;
}
