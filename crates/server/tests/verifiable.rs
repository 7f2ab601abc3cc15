//! Verifiable documents through the API: the seller makes its issued invoice verifiable, anyone
//! verifies it without logging in (intact, issuer, still valid), a changed field is named,
//! a hidden field keeps it valid, the issuer revokes it and verifiers see why; credentials
//! in W3C VC form; batches under one signature; and the hostile cases: a proof for another
//! document, a valid signature by a key that is not the issuer's, and JSON that is too deep,
//! too big or has duplicate keys.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tradewind_attestation::keys::CompanyKeys;

async fn event(s: &Session, order: &str, name: &str) {
    json_of(s.post(&format!("/api/v1/orders/{order}/events"), &json!({"event": name})).await, StatusCode::OK).await;
}

/// An agreed order whose seller issued the commercial invoice: (seller, buyer, stranger,
/// order id, UBL document id, seller org).
async fn issued_invoice(app: &TestApp) -> (Session, Session, Session, String, String, String) {
    let (buyer, _) = app.register("Hanse Kaffee GmbH", "DE", "B1", "b@x.example").await;
    let (seller, seller_org) = app.register("Pepper House JSC", "VN", "S1", "s@x.example").await;
    let (stranger, _) = app.register("Somebody Else Ltd", "KE", "X1", "x@x.example").await;
    verify(app, &seller_org).await;
    let o = json_of(buyer.post("/api/v1/orders", &purchase_order(&seller_org)).await, StatusCode::CREATED).await;
    let id = o["id"].as_str().expect("id").to_string();
    event(&buyer, &id, "accept").await;
    event(&seller, &id, "accept").await;
    let inv = json_of(
        seller.post(&format!("/api/v1/orders/{id}/documents/commercial-invoice"), &json!({})).await,
        StatusCode::CREATED,
    )
    .await;
    let doc = inv["id"].as_str().expect("document id").to_string();
    // The PDF carries the link (and QR code) to the verification page of the version it shows.
    if let Some(pdf_id) = inv["pdf"]["id"].as_str() {
        let pdf = seller.get(&format!("/api/v1/orders/{id}/documents/{pdf_id}")).await.bytes().await.expect("pdf");
        if let Some(text) = pdf_text(&pdf) {
            // Text extraction may break a long link across lines: read it without whitespace.
            let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            let at = text.find("/verify/").expect("a verification link on the PDF");
            let fingerprint: String = text[at + 8..].chars().take_while(char::is_ascii_hexdigit).collect();
            let status =
                json_of(app.anonymous().get(&format!("/api/v1/verifiable/status/{fingerprint}")).await, StatusCode::OK)
                    .await;
            assert_eq!(status["known"], true, "the PDF's link names a registered document: {status}");
        }
    }
    (seller, buyer, stranger, id, doc, seller_org)
}

/// The text of a PDF through poppler's `pdftotext`; `None` (with the reason printed) when
/// poppler is not installed.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().ok()?;
    let file = dir.path().join("doc.pdf");
    std::fs::write(&file, pdf).ok()?;
    match std::process::Command::new("pdftotext").arg(&file).arg("-").output() {
        Ok(out) if out.status.success() => Some(String::from_utf8_lossy(&out.stdout).into_owned()),
        _ => {
            println!("skipped the PDF link check: pdftotext (poppler-utils) is not installed");
            None
        }
    }
}

async fn verify_doc(app: &TestApp, doc: &Value) -> Value {
    let body = serde_json::to_vec(doc).expect("json");
    json_of(app.anonymous().post_raw("/api/v1/verify", "application/json", body).await, StatusCode::OK).await
}

/// Replaces the salted value of `data.<path>` keeping its salt and type, as a forger would.
fn forge(doc: &mut Value, pointer: &str, new_value: &str) {
    let slot = doc.pointer_mut(pointer).expect("field to forge");
    let old = slot.as_str().expect("salted").to_string();
    let mut parts = old.splitn(3, ':');
    let (salt, kind) = (parts.next().expect("salt"), parts.next().expect("type"));
    *slot = json!(format!("{salt}:{kind}:{new_value}"));
}

#[tokio::test]
async fn an_issued_invoice_is_verified_by_anyone_a_change_is_named_hiding_keeps_it_valid_and_revocation_shows() {
    let app = TestApp::spawn().await;
    let (seller, buyer, stranger, order, doc_id, seller_org) = issued_invoice(&app).await;
    let make = format!("/api/v1/orders/{order}/documents/{doc_id}/verifiable");

    // Only the issuer makes it verifiable; an outsider does not even see it.
    assert_problem(buyer.post(&make, &json!({})).await, StatusCode::CONFLICT, None).await;
    assert_problem(stranger.post(&make, &json!({})).await, StatusCode::NOT_FOUND, None).await;
    let signed = json_of(seller.post(&make, &json!({})).await, StatusCode::CREATED).await;
    let fingerprint = signed["fingerprint"].as_str().expect("fingerprint").to_string();
    assert_eq!(signed["format"], "openattestation-v2");
    assert!(signed["verify_url"].as_str().expect("url").ends_with(&format!("/verify/{fingerprint}")));
    let document = signed["document"].clone();
    assert_eq!(document["signature"]["targetHash"], fingerprint.as_str());

    // Anyone verifies it, without logging in: three answers, all passing.
    let v = verify_doc(&app, &document).await;
    assert_eq!(v["verified"], true, "{v}");
    assert_eq!(v["intact"]["ok"], true);
    assert_eq!(v["issuer"]["ok"], true, "{v}");
    assert!(v["issuer"]["reason"].as_str().expect("reason").contains("Pepper House JSC"), "{v}");
    assert_eq!(v["status"]["ok"], true, "{v}");

    // The company's DID document names the key that signed, and the identity endpoint gives
    // the DNS record a company would publish.
    let did = format!("did:web:{}:companies:{seller_org}", app.base.trim_start_matches("http://").replace(':', "%3A"));
    assert_eq!(document["proof"][0]["verificationMethod"], format!("{did}#controller"));
    let did_doc =
        json_of(app.anonymous().get(&format!("/companies/{seller_org}/did.json")).await, StatusCode::OK).await;
    assert_eq!(did_doc["id"], did.as_str());
    let identity = json_of(seller.get("/api/v1/organizations/me/identity").await, StatusCode::OK).await;
    assert_eq!(identity["dns_txt_record"], format!("openatts a=dns-did; p={did}#controller; v=1.0;"));
    assert!(
        did_doc["verificationMethod"][0]["blockchainAccountId"]
            .as_str()
            .expect("account")
            .ends_with(identity["ethereum_address"].as_str().expect("address"))
    );

    // A changed total is caught and named.
    let mut forged = document.clone();
    forge(&mut forged, "/data/summary/total/amount", "1.00");
    let v = verify_doc(&app, &forged).await;
    assert_eq!(v["verified"], false);
    assert_eq!(v["intact"]["ok"], false);
    assert_eq!(v["intact"]["changed_fields"], json!(["summary.total.amount"]), "{v}");

    // The holder hides the price fields and the attachment before passing it on: still valid,
    // and the hidden values are gone from the file.
    // The salted leaf (salt, type and value) of the total: the value alone may recur in a line.
    let total = document.pointer("/data/summary/total/amount").and_then(Value::as_str).expect("total").to_string();
    let hidden = json_of(
        app.anonymous()
            .post("/api/v1/verify/hide", &json!({"document": document, "fields": ["summary.total", "attachments"]}))
            .await,
        StatusCode::OK,
    )
    .await;
    let text = hidden.to_string();
    assert!(!text.contains(&total), "the hidden total is gone");
    assert!(hidden["data"].get("attachments").is_none());
    let v = verify_doc(&app, &hidden).await;
    assert_eq!(v["verified"], true, "{v}");
    let bad =
        app.anonymous().post("/api/v1/verify/hide", &json!({"document": document, "fields": ["no.such.field"]})).await;
    let p = assert_problem(bad, StatusCode::BAD_REQUEST, None).await;
    assert!(p["detail"].as_str().expect("detail").contains("no.such.field"), "{p}");

    // Parties download it; the stranger does not.
    assert_eq!(seller.get(&format!("/api/v1/verifiable/{fingerprint}")).await.status(), StatusCode::OK);
    assert_eq!(buyer.get(&format!("/api/v1/verifiable/{fingerprint}")).await.status(), StatusCode::OK);
    assert_eq!(stranger.get(&format!("/api/v1/verifiable/{fingerprint}")).await.status(), StatusCode::NOT_FOUND);

    // Revocation: only the issuer, with a reason; verifiers then see when, by whom and why.
    let revoke = format!("/api/v1/verifiable/{fingerprint}/revoke");
    assert_problem(buyer.post(&revoke, &json!({"reason": "no"})).await, StatusCode::NOT_FOUND, None).await;
    assert_problem(
        seller.post(&revoke, &json!({"reason": "  "})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("reason"),
    )
    .await;
    json_of(seller.post(&revoke, &json!({"reason": "Superseded by version 2"})).await, StatusCode::OK).await;
    assert_problem(seller.post(&revoke, &json!({"reason": "again"})).await, StatusCode::CONFLICT, None).await;
    let v = verify_doc(&app, &document).await;
    assert_eq!(v["verified"], false);
    assert_eq!(v["intact"]["ok"], true);
    assert_eq!(v["status"]["ok"], false);
    let reason = v["status"]["reason"].as_str().expect("reason");
    assert!(reason.contains("Superseded by version 2") && reason.contains("Pepper House JSC"), "{reason}");
    let status =
        json_of(app.anonymous().get(&format!("/api/v1/verifiable/status/0x{fingerprint}")).await, StatusCode::OK).await;
    assert_eq!(status["revoked"], true);
    // Integrity alone still passes.
    let body = serde_json::to_vec(&document).expect("json");
    let v = json_of(
        app.anonymous().post_raw("/api/v1/verify?integrity_only=true", "application/json", body).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(v["verified"], true);
    assert!(v["issuer"].is_null());

    // Every signing and revocation is in the audit trail.
    let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_entries WHERE organization_id = $1")
        .bind(&seller_org)
        .fetch_all(app.store.pool())
        .await
        .expect("audit");
    for a in ["company.keys_created", "attestation.batch_signed", "attestation.revoked"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}

#[tokio::test]
async fn credentials_batches_and_hostile_documents() {
    let app = TestApp::spawn().await;
    let (seller, _buyer, _stranger, order, doc_id, _) = issued_invoice(&app).await;

    // The same invoice as a W3C verifiable credential.
    let vc = json_of(
        seller
            .post(&format!("/api/v1/orders/{order}/documents/{doc_id}/verifiable"), &json!({"format": "w3c-vc-2.0"}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    let credential = vc["document"].clone();
    assert_eq!(credential["proof"]["cryptosuite"], "eddsa-jcs-2022");
    let v = verify_doc(&app, &credential).await;
    assert_eq!(v["verified"], true, "{v}");
    assert_eq!(v["format"], "w3c-vc-2.0");
    let mut changed = credential.clone();
    changed["credentialSubject"]["document"]["number"] = json!("INV-FAKE");
    let v = verify_doc(&app, &changed).await;
    assert_eq!(v["intact"]["ok"], false, "{v}");

    // A batch: many documents under one signature and one merkle root.
    let docs: Vec<Value> = (0..25)
        .map(|i| json!({"title": format!("Warehouse receipt {i}"), "receipt": {"number": i, "bags": 10 + i}}))
        .collect();
    let batch =
        json_of(seller.post("/api/v1/verifiable/batch", &json!({"documents": docs})).await, StatusCode::CREATED).await;
    let wrapped = batch["documents"].as_array().expect("documents");
    assert_eq!(wrapped.len(), 25);
    let root = batch["merkle_root"].as_str().expect("root");
    for w in wrapped {
        assert_eq!(w["document"]["signature"]["merkleRoot"], root);
    }
    let first = wrapped[0]["document"].clone();
    let second = wrapped[1]["document"].clone();
    assert_eq!(verify_doc(&app, &second).await["verified"], true);

    // A proof that belongs to another document of the batch.
    let mut swapped = first.clone();
    swapped["signature"] = second["signature"].clone();
    let v = verify_doc(&app, &swapped).await;
    assert_eq!(v["intact"]["ok"], false, "{v}");

    // A valid signature over the right root, made by a key that is not the issuer's.
    let mut impostor = first.clone();
    let other = CompanyKeys::generate();
    let method = first["proof"][0]["verificationMethod"].as_str().expect("method").to_string();
    let mut unsigned = first.clone();
    unsigned.as_object_mut().expect("object").remove("proof");
    let resigned = tradewind_attestation::oa::sign_did(&unsigned, &other, &method).expect("sign");
    impostor["proof"] = resigned["proof"].clone();
    let v = verify_doc(&app, &impostor).await;
    assert_eq!(v["intact"]["ok"], true);
    assert_eq!(v["issuer"]["ok"], false, "{v}");
    assert!(v["issuer"]["reason"].as_str().expect("reason").contains("someone else"), "{v}");

    // Hostile JSON: nested too deep, duplicate keys, too big, not JSON at all.
    let deep = format!("{}{}", "{\"a\":".repeat(200), "1".to_string() + &"}".repeat(200));
    let p = assert_problem(
        app.anonymous().post_raw("/api/v1/verify", "application/json", deep.into_bytes()).await,
        StatusCode::BAD_REQUEST,
        None,
    )
    .await;
    assert!(p["detail"].as_str().expect("detail").contains("deep"), "{p}");
    let dup = br#"{"data": {"a": "1"}, "data": {"a": "2"}, "signature": {}}"#.to_vec();
    let p = assert_problem(
        app.anonymous().post_raw("/api/v1/verify", "application/json", dup).await,
        StatusCode::BAD_REQUEST,
        None,
    )
    .await;
    assert!(p["detail"].as_str().expect("detail").contains("data"), "{p}");
    let huge = format!("{{\"data\": {{\"x\": \"{}\"}}}}", "a".repeat(17 * 1024 * 1024)).into_bytes();
    let res = app.anonymous().post_raw("/api/v1/verify", "application/json", huge).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let p = assert_problem(
        app.anonymous().post_raw("/api/v1/verify", "application/json", b"{\"invoice\": 1}".to_vec()).await,
        StatusCode::BAD_REQUEST,
        None,
    )
    .await;
    assert!(p["detail"].as_str().expect("detail").contains("not a verifiable document"), "{p}");

    // Batches need a login and at least one object.
    assert_eq!(
        app.anonymous().post("/api/v1/verifiable/batch", &json!({"documents": [{}]})).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_problem(
        seller.post("/api/v1/verifiable/batch", &json!({"documents": []})).await,
        StatusCode::BAD_REQUEST,
        None,
    )
    .await;
    assert_problem(
        seller.post("/api/v1/verifiable/batch", &json!({"documents": [1]})).await,
        StatusCode::BAD_REQUEST,
        None,
    )
    .await;
}
