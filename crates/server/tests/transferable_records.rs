//! Transferable records through the API: an e-B/L issued by the carrier from its bill of
//! lading moves shipper → bank → consignee, is surrendered and accepted; a replayed transfer
//! is refused; of two concurrent transfers exactly one wins; outsiders see nothing; the
//! operator's reassignment is audited; chain verification catches a tampered step.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tradewind_server::demo::DEMO_PASSWORD;

const BASE: &str = "/api/v1/transferable-records";

struct Demo {
    app: TestApp,
    shipper: Session,
    shipper_org: String,
    consignee: Session,
    consignee_org: String,
    carrier: Session,
    carrier_org: String,
    bank: Session,
    bank_org: String,
    order: String,
}

async fn org_of(s: &Session) -> String {
    let me = json_of(s.get("/api/v1/organizations/me").await, StatusCode::OK).await;
    me["id"].as_str().expect("org id").to_string()
}

/// The demo order with its bill of lading issued by the carrier, and a verified bank.
async fn demo() -> Demo {
    let app = TestApp::spawn().await;
    tradewind_server::demo::seed(&app.store).await.expect("demo data");
    let shipper = app.login("mei@lioncityspice.example", DEMO_PASSWORD).await;
    let consignee = app.login("jonas@hansekaffee.example", DEMO_PASSWORD).await;
    let carrier = app.login("amina@mombasafreight.example", DEMO_PASSWORD).await;
    let mut reg = registration("Straits Trade Bank", "SG", "BANK-1", "bank@x.example");
    reg["roles"] = json!(["bank"]);
    let r = json_of(app.anonymous().post("/api/v1/registrations", &reg).await, StatusCode::CREATED).await;
    let bank_org = r["organization"]["id"].as_str().expect("bank org").to_string();
    verify(&app, &bank_org).await;
    let bank = app.login("bank@x.example", PASSWORD).await;
    let orders = json_of(shipper.get("/api/v1/orders").await, StatusCode::OK).await;
    let order = orders["items"][0]["id"].as_str().expect("the demo order").to_string();
    json_of(
        carrier.post(&format!("/api/v1/orders/{order}/document-set/bill_of_lading"), &json!({})).await,
        StatusCode::CREATED,
    )
    .await;
    let (shipper_org, consignee_org, carrier_org) =
        (org_of(&shipper).await, org_of(&consignee).await, org_of(&carrier).await);
    Demo { app, shipper, shipper_org, consignee, consignee_org, carrier, carrier_org, bank, bank_org, order }
}

async fn issue_ebl(d: &Demo) -> Value {
    json_of(
        d.carrier.post(BASE, &json!({"kind": "electronic_bill_of_lading", "order_id": d.order})).await,
        StatusCode::CREATED,
    )
    .await
}

async fn act(who: &Session, id: &str, action: &str, body: Value) -> Value {
    json_of(who.post(&format!("{BASE}/{id}/{action}"), &body).await, StatusCode::OK).await
}

fn version(r: &Value) -> i64 {
    r["version"].as_i64().expect("version")
}

#[tokio::test]
async fn an_ebl_moves_from_carrier_to_shipper_to_bank_to_consignee_and_is_surrendered() {
    let d = demo().await;
    // Only the carrier issues it.
    let p = assert_problem(
        d.shipper.post(BASE, &json!({"kind": "electronic_bill_of_lading", "order_id": d.order})).await,
        StatusCode::CONFLICT,
        None,
    )
    .await;
    assert!(p["detail"].as_str().unwrap_or("").contains("carrier"), "{p}");
    let r = issue_ebl(&d).await;
    let id = r["id"].as_str().expect("id").to_string();
    assert_eq!(
        (r["holder"].as_str(), r["beneficiary"].as_str()),
        (Some(d.shipper_org.as_str()), Some(d.shipper_org.as_str()))
    );
    assert_eq!(r["issuer"], json!(d.carrier_org));
    assert_eq!(version(&r), 1);
    // One e-B/L per bill of lading.
    assert_problem(
        d.carrier.post(BASE, &json!({"kind": "electronic_bill_of_lading", "order_id": d.order})).await,
        StatusCode::CONFLICT,
        Some("document_id"),
    )
    .await;

    // Shipper endorses to the bank (nominate, endorse) and hands it over.
    let r = act(&d.shipper, &id, "nominate", json!({"expected_version": 1, "nominee": d.bank_org})).await;
    let r = act(&d.shipper, &id, "endorse", json!({"expected_version": version(&r)})).await;
    let r = act(&d.shipper, &id, "transfer", json!({"expected_version": version(&r), "to": d.bank_org})).await;
    assert_eq!(
        (r["holder"].as_str(), r["beneficiary"].as_str()),
        (Some(d.bank_org.as_str()), Some(d.bank_org.as_str()))
    );
    // The bank passes it to the consignee.
    let r = act(&d.bank, &id, "nominate", json!({"expected_version": version(&r), "nominee": d.consignee_org})).await;
    let r = act(&d.bank, &id, "endorse", json!({"expected_version": version(&r)})).await;
    let r = act(&d.bank, &id, "transfer", json!({"expected_version": version(&r), "to": d.consignee_org})).await;
    // The consignee surrenders it; the carrier holds it while it decides, rejects once, then accepts.
    let r = act(&d.consignee, &id, "surrender", json!({"expected_version": version(&r)})).await;
    assert_eq!(r["status"], "surrender_pending");
    assert_eq!(r["holder"], json!(d.carrier_org));
    let p = assert_problem(
        d.carrier
            .post(&format!("{BASE}/{id}/reject-surrender"), &json!({"expected_version": version(&r), "reason": " "}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("reason"),
    )
    .await;
    assert!(p["detail"].as_str().is_some());
    let r = act(
        &d.carrier,
        &id,
        "reject-surrender",
        json!({"expected_version": version(&r), "reason": "the customs release is missing"}),
    )
    .await;
    assert_eq!((r["status"].as_str(), r["holder"].as_str()), (Some("active"), Some(d.consignee_org.as_str())));
    let r = act(&d.consignee, &id, "surrender", json!({"expected_version": version(&r)})).await;
    let r = act(&d.carrier, &id, "accept-surrender", json!({"expected_version": version(&r)})).await;
    assert_eq!(r["status"], "accomplished");
    assert_eq!(version(&r), 11);
    // Nothing moves an accomplished record.
    let p = assert_problem(
        d.carrier.post(&format!("{BASE}/{id}/transfer"), &json!({"expected_version": 11, "to": d.bank_org})).await,
        StatusCode::CONFLICT,
        None,
    )
    .await;
    assert!(p["detail"].as_str().unwrap_or("").contains("accomplished"), "{p}");

    // The consignee (last holder and beneficiary) sees the whole signed chain; it verifies.
    let full = json_of(d.consignee.get(&format!("{BASE}/{id}")).await, StatusCode::OK).await;
    let chain = full["chain"].as_array().expect("chain");
    let actions: Vec<&str> = chain.iter().filter_map(|s| s["action"].as_str()).collect();
    assert_eq!(
        actions,
        [
            "issue",
            "nominate",
            "endorse",
            "transfer_holdership",
            "nominate",
            "endorse",
            "transfer_holdership",
            "surrender",
            "reject_surrender",
            "surrender",
            "accept_surrender"
        ]
    );
    assert!(chain.iter().all(|s| s["signature"].as_str().is_some_and(|s| s.len() == 128)));
    assert_eq!(full["up_to_exit"], false);
    assert_eq!(full["parties"][&d.bank_org], "Straits Trade Bank");
    let v = json_of(d.consignee.get(&format!("{BASE}/{id}/verification")).await, StatusCode::OK).await;
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["steps"].as_array().map(Vec::len), Some(11));

    // The shipper, a past holder, sees the record only up to its exit.
    let past = json_of(d.shipper.get(&format!("{BASE}/{id}")).await, StatusCode::OK).await;
    assert_eq!(past["up_to_exit"], true);
    assert_eq!(past["chain"].as_array().map(Vec::len), Some(4));
    assert_eq!(past["holder"], json!(d.bank_org));
    assert!(!past.to_string().contains(&d.consignee_org), "the shipper never learns who came after the bank");
    let listed = json_of(d.shipper.get(BASE).await, StatusCode::OK).await;
    assert_eq!(listed["items"][0]["holder"], json!(d.bank_org));
    for who in [&d.carrier, &d.bank, &d.consignee] {
        let l = json_of(who.get(BASE).await, StatusCode::OK).await;
        assert_eq!(l["items"].as_array().map(Vec::len), Some(1));
    }
    // Every step is in the audit trail of the company that took it.
    let audit = json_of(d.bank.get("/api/v1/organizations/me/audit?limit=200").await, StatusCode::OK).await;
    let bank_actions: Vec<&str> =
        audit["items"].as_array().expect("audit").iter().filter_map(|e| e["action"].as_str()).collect();
    for a in ["title.nominate", "title.endorse", "title.transfer_holdership"] {
        assert!(bank_actions.contains(&a), "{a} in {bank_actions:?}");
    }
}

#[tokio::test]
async fn a_replayed_transfer_is_refused_and_changes_nothing() {
    let d = demo().await;
    let r = issue_ebl(&d).await;
    let id = r["id"].as_str().expect("id").to_string();
    let transfer = json!({"expected_version": 1, "to": d.bank_org});
    act(&d.shipper, &id, "transfer", transfer.clone()).await;
    let steps = count(&d.app.store, "title_steps").await;
    let p =
        assert_problem(d.shipper.post(&format!("{BASE}/{id}/transfer"), &transfer).await, StatusCode::CONFLICT, None)
            .await;
    assert_eq!(p["detail"], "you no longer hold this record");
    // With the fresh version it is still not the shipper's to move.
    let again = json!({"expected_version": 2, "to": d.consignee_org});
    let p = assert_problem(d.shipper.post(&format!("{BASE}/{id}/transfer"), &again).await, StatusCode::CONFLICT, None)
        .await;
    assert!(p["detail"].as_str().unwrap_or("").contains("do not hold this record"), "{p}");
    assert_eq!(count(&d.app.store, "title_steps").await, steps);
    let now = json_of(d.bank.get(&format!("{BASE}/{id}")).await, StatusCode::OK).await;
    assert_eq!((now["holder"].as_str(), version(&now)), (Some(d.bank_org.as_str()), 2));
    // Bad input: an unknown company, an unknown action.
    assert_problem(
        d.bank.post(&format!("{BASE}/{id}/transfer"), &json!({"expected_version": 2, "to": "nobody"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("to"),
    )
    .await;
    assert_problem(
        d.bank.post(&format!("{BASE}/{id}/steal"), &json!({"expected_version": 2})).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
}

#[tokio::test]
async fn of_two_concurrent_transfers_exactly_one_wins() {
    let d = demo().await;
    let r = issue_ebl(&d).await;
    let id = r["id"].as_str().expect("id").to_string();
    let path = format!("{BASE}/{id}/transfer");
    let to_bank = json!({"expected_version": 1, "to": d.bank_org});
    let to_consignee = json!({"expected_version": 1, "to": d.consignee_org});
    let (a, b) = tokio::join!(d.shipper.post(&path, &to_bank), d.shipper.post(&path, &to_consignee));
    let statuses = [a.status(), b.status()];
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count(), 1, "{statuses:?}");
    let loser = if a.status() == StatusCode::CONFLICT { a } else { b };
    let p: Value = loser.json().await.expect("problem");
    assert_eq!(p["detail"], "you no longer hold this record");
    let steps = json_of(d.carrier.get(&format!("{BASE}/{id}")).await, StatusCode::OK).await;
    let chain = steps["chain"].as_array().expect("chain");
    assert_eq!(chain.len(), 2, "the issue and exactly one transfer");
    assert_eq!(chain[1]["to_holder"], steps["holder"]);
}

#[tokio::test]
async fn outsiders_get_404_and_the_operator_reassigns_with_an_audited_reason() {
    let d = demo().await;
    let r = issue_ebl(&d).await;
    let id = r["id"].as_str().expect("id").to_string();
    // The bank has no part in it yet: it cannot see, verify or act on it.
    assert_problem(d.bank.get(&format!("{BASE}/{id}")).await, StatusCode::NOT_FOUND, None).await;
    assert_problem(d.bank.get(&format!("{BASE}/{id}/verification")).await, StatusCode::NOT_FOUND, None).await;
    assert_problem(
        d.bank.post(&format!("{BASE}/{id}/transfer"), &json!({"expected_version": 1, "to": d.bank_org})).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    assert_eq!(json_of(d.bank.get(BASE).await, StatusCode::OK).await["items"], json!([]));
    // Companies cannot use the operator's door.
    let reassign = format!("/api/v1/operator/transferable-records/{id}/reassign");
    let body =
        json!({"expected_version": 1, "holder": d.bank_org, "reason": "the shipper lost its key; court order 17/2026"});
    assert_problem(d.shipper.post(&reassign, &body).await, StatusCode::NOT_FOUND, None).await;
    let op = d.app.operator().await;
    assert_problem(
        op.post(&reassign, &json!({"expected_version": 1, "holder": d.bank_org, "reason": "  "})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("reason"),
    )
    .await;
    let r = json_of(op.post(&reassign, &body).await, StatusCode::OK).await;
    assert_eq!(
        (r["holder"].as_str(), r["beneficiary"].as_str()),
        (Some(d.bank_org.as_str()), Some(d.shipper_org.as_str()))
    );
    let full = json_of(d.bank.get(&format!("{BASE}/{id}")).await, StatusCode::OK).await;
    let last = &full["chain"][1];
    assert_eq!((last["action"].as_str(), last["actor_org"].as_str()), (Some("reassign"), None));
    assert_eq!(last["reason"], "the shipper lost its key; court order 17/2026");
    let v = json_of(d.bank.get(&format!("{BASE}/{id}/verification")).await, StatusCode::OK).await;
    assert_eq!(v["valid"], true, "an operator step is unsigned but audited: {v}");
    let audit = json_of(d.bank.get("/api/v1/organizations/me/audit?limit=200").await, StatusCode::OK).await;
    let entry = audit["items"]
        .as_array()
        .expect("audit")
        .iter()
        .find(|e| e["action"] == "title.reassign")
        .cloned()
        .expect("the reassignment is audited");
    assert!(entry["details"].as_str().unwrap_or("").contains("court order 17/2026"), "{entry}");
    let _ = &d.consignee;
}

#[tokio::test]
async fn chain_verification_names_a_tampered_step() {
    let d = demo().await;
    let r = issue_ebl(&d).await;
    let id = r["id"].as_str().expect("id").to_string();
    act(&d.shipper, &id, "transfer", json!({"expected_version": 1, "to": d.bank_org})).await;
    act(&d.bank, &id, "transfer", json!({"expected_version": 2, "to": d.consignee_org})).await;
    let ok = json_of(d.carrier.get(&format!("{BASE}/{id}/verification")).await, StatusCode::OK).await;
    assert_eq!(ok["valid"], true, "{ok}");
    // Someone with database access rewrites step 2 to send it to the consignee directly.
    sqlx::query("UPDATE title_steps SET to_holder = $1 WHERE record_id = $2 AND seq = 2")
        .bind(&d.consignee_org)
        .bind(&id)
        .execute(d.app.store.pool())
        .await
        .expect("tamper");
    let bad = json_of(d.carrier.get(&format!("{BASE}/{id}/verification")).await, StatusCode::OK).await;
    assert_eq!(bad["valid"], false);
    assert!(bad["link_fault"].as_str().unwrap_or("").contains("step 2"), "{bad}");
    assert_eq!(bad["steps"][1]["ok"], false, "{bad}");
    assert!(bad["steps"][1]["problem"].as_str().unwrap_or("").contains("changed"), "{bad}");
    assert_eq!(bad["steps"][2]["ok"], true);
}

#[tokio::test]
async fn a_warehouse_receipt_is_issued_to_a_named_holder() {
    let d = demo().await;
    let body = json!({"kind": "warehouse_receipt", "holder": d.shipper_org, "number": "WR-2026-0042",
        "description": "120 bags black pepper, lot 7, bay C"});
    let r = json_of(d.carrier.post(BASE, &body).await, StatusCode::CREATED).await;
    assert_eq!((r["kind"].as_str(), r["holder"].as_str()), (Some("warehouse_receipt"), Some(d.shipper_org.as_str())));
    let mut bad = body.clone();
    bad["holder"] = json!("nobody");
    assert_problem(d.carrier.post(BASE, &bad).await, StatusCode::UNPROCESSABLE_ENTITY, Some("holder")).await;
    let mut bad = body.clone();
    bad["kind"] = json!("cheque");
    assert_problem(d.carrier.post(BASE, &bad).await, StatusCode::UNPROCESSABLE_ENTITY, Some("kind")).await;
    let mut bad = body;
    bad["number"] = json!("");
    assert_problem(d.carrier.post(BASE, &bad).await, StatusCode::UNPROCESSABLE_ENTITY, Some("number")).await;
    let id = r["id"].as_str().expect("id");
    let r = act(&d.shipper, id, "return", json!({"expected_version": 1})).await;
    assert_eq!(r["holder"], json!(d.carrier_org));
}
