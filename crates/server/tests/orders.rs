//! The deal's first slice through the API: an order from an accepted quote or placed
//! directly, both sides accepting, escrow funded once whatever the retries, the goods
//! produced, shipped and delivered, escrow released to the seller minus the platform fee,
//! and what each company may see and do.

mod common;

use common::*;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::str::FromStr;

fn rfq() -> Value {
    json!({
        "side": "buy",
        "title": "Robusta green coffee beans",
        "description": "Grade 1 robusta, 60 kg jute bags",
        "hs_code": "090111",
        "quantity": "19200",
        "unit": "KGM",
        "target_price": "2.10",
        "currency": "USD",
        "country": "DE",
        "port": "DEHAM",
        "incoterm": "CIF",
        "needed_by": in_days(90),
        "expires_on": in_days(30)
    })
}

fn quote() -> Value {
    json!({"unit_price": "2.08", "currency": "USD", "incoterm": "CIF", "named_place": "DEHAM",
        "valid_until": in_days(20), "lead_time_days": 35, "payment_terms": "escrow"})
}

async fn event(s: &Session, order: &str, name: &str) -> reqwest::Response {
    s.post(&format!("/api/v1/orders/{order}/events"), &json!({"event": name})).await
}

async fn money(s: &Session, order: &str, op: &str, key: &str) -> reqwest::Response {
    s.post_with_header(&format!("/api/v1/orders/{order}/{op}"), &json!({}), "Idempotency-Key", key).await
}

/// A balance from the ledger view, zero when the account has no postings.
fn balance(ledger: &Value, kind: &str) -> Decimal {
    ledger["balances"]
        .as_array()
        .expect("balances")
        .iter()
        .find(|b| b["account"]["kind"] == kind)
        .map(|b| dec(&b["balance"]))
        .unwrap_or(Decimal::ZERO)
}

/// Every stored entry's debits equal its credits.
fn assert_entries_balance(ledger: &Value) {
    for e in ledger["entries"].as_array().expect("entries") {
        let (mut debit, mut credit) = (Decimal::ZERO, Decimal::ZERO);
        for p in e["postings"].as_array().expect("postings") {
            let a = dec(&p["amount"]["amount"]);
            if p["side"] == "debit" { debit += a } else { credit += a }
        }
        assert_eq!(debit, credit, "entry balances: {e}");
    }
    for t in ledger["trial_balance"].as_array().expect("trial balance") {
        assert_eq!(dec(&t["sum"]), Decimal::ZERO, "the ledger balances: {ledger}");
    }
}

struct Deal {
    app: TestApp,
    buyer: Session,
    seller: Session,
    quote_id: String,
}

/// A buyer's RFQ with a seller's quote on it, not accepted yet.
async fn deal() -> Deal {
    let app = TestApp::spawn().await;
    let (buyer, _) = app.register("Hanse Kaffee", "DE", "B1", "b@x.example").await;
    let (seller, seller_org) = app.register("Saigon Beans", "VN", "S1", "s@x.example").await;
    verify(&app, &seller_org).await;
    let lead = json_of(buyer.post("/api/v1/leads", &rfq()).await, StatusCode::CREATED).await;
    let lid = lead["id"].as_str().expect("lead id");
    let q = json_of(seller.post(&format!("/api/v1/rfqs/{lid}/quotes"), &quote()).await, StatusCode::CREATED).await;
    let quote_id = q["id"].as_str().expect("quote id").to_string();
    Deal { app, buyer, seller, quote_id }
}

#[tokio::test]
async fn a_quote_becomes_an_order_that_is_funded_once_and_released_minus_the_fee() {
    let Deal { app, buyer, seller, quote_id } = deal().await;
    // Only an accepted quote becomes an order.
    let path = format!("/api/v1/quotes/{quote_id}/order");
    let e = assert_problem(buyer.post(&path, &json!({})).await, StatusCode::CONFLICT, None).await;
    assert!(e["detail"].as_str().expect("detail").contains("accept the quote first"), "{e}");
    json_of(buyer.post(&format!("/api/v1/quotes/{quote_id}/accept"), &json!({})).await, StatusCode::OK).await;
    assert_problem(seller.post(&path, &json!({})).await, StatusCode::NOT_FOUND, None).await;
    let o = json_of(buyer.post(&path, &json!({})).await, StatusCode::CREATED).await;
    let id = o["id"].as_str().expect("order id").to_string();
    assert_eq!(o["quote_id"], quote_id.as_str());
    assert_eq!(o["status"]["status"], "draft");
    assert_eq!(o["your_side"], "buyer");
    let line = &o["terms"]["lines"][0];
    assert_eq!((line["hs_code"].as_str(), line["unit"].as_str()), (Some("090111"), Some("KGM")));
    assert_eq!(dec(&line["quantity"]), Decimal::from(19200));
    assert_eq!(dec(&line["unit_price"]["amount"]), Decimal::from_str("2.08").expect("d"));
    assert_eq!((o["terms"]["incoterm"].as_str(), o["terms"]["named_place"].as_str()), (Some("CIF"), Some("DEHAM")));
    assert_eq!(o["terms"]["payment_terms"], "escrow");
    let total = Decimal::from_str("39936").expect("d"); // 19200 × 2.08
    assert_eq!(dec(&o["total"]["amount"]), total);
    assert_problem(buyer.post(&path, &json!({})).await, StatusCode::CONFLICT, None).await;

    let n = json_of(seller.get("/api/v1/notifications").await, StatusCode::OK).await;
    assert_eq!(n["items"][0]["kind"], "order_placed", "{n}");
    // The seller sees it too, from its side.
    let s = json_of(seller.get(&format!("/api/v1/orders/{id}")).await, StatusCode::OK).await;
    assert_eq!(s["your_side"], "seller");
    let list = json_of(seller.get("/api/v1/orders").await, StatusCode::OK).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));

    // Nothing moves money before both sides accept.
    let e = assert_problem(start_payment(&buyer, &id, "k-early").await, StatusCode::CONFLICT, None).await;
    assert!(e["detail"].as_str().expect("detail").contains("allowed now: accept, cancel"), "{e}");
    let o = json_of(event(&seller, &id, "accept").await, StatusCode::OK).await;
    assert_eq!(o["status"], json!({"status": "draft", "buyer_accepted": false, "seller_accepted": true}));
    let o = json_of(event(&buyer, &id, "accept").await, StatusCode::OK).await;
    assert_eq!(o["status"]["status"], "agreed");

    // Paying needs a key; the same key twice, even at once, starts one payment.
    let e = assert_problem(
        buyer.post(&format!("/api/v1/orders/{id}/payments"), &json!({})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("Idempotency-Key"),
    )
    .await;
    assert_eq!(e["errors"][0]["code"], "required");
    let (a, b) = tokio::join!(start_payment(&buyer, &id, "pay-1"), start_payment(&buyer, &id, "pay-1"));
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CREATED], "one of them is the replay");
    let (a, b) = (a.json::<Value>().await.expect("json"), b.json::<Value>().await.expect("json"));
    assert_eq!(a["id"], b["id"], "one payment for both");
    let p = json_of(start_payment(&buyer, &id, "pay-1").await, StatusCode::OK).await;
    assert_eq!((p["id"].clone(), p["replayed"].clone()), (a["id"].clone(), json!(true)));
    assert_eq!(p["status"], "initiated");
    assert_eq!(dec(&p["amount"]["amount"]), total);
    let reference = p["reference"].as_str().expect("reference").to_string();
    assert!(reference.starts_with("RF"), "an ISO 11649 creditor reference: {reference}");
    assert_eq!(p["instruction"]["method"], "bank_transfer");
    assert_eq!(p["instruction"]["reference"], reference.as_str());
    assert_eq!(p["instruction"]["account"]["iban"], "DE89370400440532013000");
    // A second payment while one waits is refused, naming the first.
    let e = assert_problem(start_payment(&buyer, &id, "pay-2").await, StatusCode::CONFLICT, Some("order")).await;
    assert!(e["detail"].as_str().expect("detail").contains(&reference), "{e}");
    assert_problem(start_payment(&seller, &id, "pay-s").await, StatusCode::CONFLICT, None).await;
    // Nothing is posted until the bank confirms.
    let l = json_of(buyer.get(&format!("/api/v1/orders/{id}/ledger")).await, StatusCode::OK).await;
    assert_eq!(l["entries"], json!([]));
    let transfer = json!({"reference": reference, "amount": p["amount"]});
    json_of(buyer.post("/api/v1/sandbox/bank-transfers", &transfer).await, StatusCode::ACCEPTED).await;
    wait_for_status(&buyer, &id, "funded").await;
    let ps = json_of(seller.get(&format!("/api/v1/orders/{id}/payments")).await, StatusCode::OK).await;
    assert_eq!(ps[0]["status"], "settled", "{ps}");
    assert!(ps[0]["entry_id"].is_string());
    // A new key is a new payment, which the funded order refuses.
    assert_problem(start_payment(&buyer, &id, "pay-3").await, StatusCode::CONFLICT, None).await;
    let l = json_of(buyer.get(&format!("/api/v1/orders/{id}/ledger")).await, StatusCode::OK).await;
    assert_eq!(l["entries"].as_array().map(Vec::len), Some(1), "{l}");
    assert_eq!(balance(&l, "escrow"), total, "escrow holds the total once");
    assert_eq!(balance(&l, "provider_clearing"), total);
    assert_entries_balance(&l);
    let n = json_of(seller.get("/api/v1/notifications").await, StatusCode::OK).await;
    assert_eq!(n["items"][0]["kind"], "order_funded", "{n}");

    // Each side sends its own events.
    let e = assert_problem(event(&buyer, &id, "ship").await, StatusCode::UNPROCESSABLE_ENTITY, Some("event")).await;
    assert_eq!(e["errors"][0]["code"], "not_your_event");
    json_of(event(&seller, &id, "start_production").await, StatusCode::OK).await;
    json_of(event(&seller, &id, "ship").await, StatusCode::OK).await;
    let e =
        assert_problem(event(&seller, &id, "confirm_delivery").await, StatusCode::UNPROCESSABLE_ENTITY, Some("event"))
            .await;
    assert!(e["detail"].as_str().expect("detail").contains("buyer's to send"), "{e}");
    let o = json_of(event(&buyer, &id, "confirm_delivery").await, StatusCode::OK).await;
    assert_eq!(o["status"]["status"], "delivered");
    let e = assert_problem(event(&buyer, &id, "confirm_delivery").await, StatusCode::CONFLICT, None).await;
    assert_eq!(
        e["detail"],
        "cannot confirm_delivery an order that is delivered; allowed now: release, auto_release, open_dispute"
    );

    // A key is bound to its first request; only the buyer releases.
    let e = assert_problem(money(&buyer, &id, "release", "pay-1").await, StatusCode::CONFLICT, Some("Idempotency-Key"))
        .await;
    assert!(e["detail"].as_str().expect("detail").contains("already used"), "{e}");
    assert_problem(money(&seller, &id, "release", "rel-s").await, StatusCode::CONFLICT, None).await;
    let r = json_of(money(&buyer, &id, "release", "rel-1").await, StatusCode::OK).await;
    assert_eq!(r["order"]["status"]["status"], "completed");
    let r2 = json_of(money(&buyer, &id, "release", "rel-1").await, StatusCode::OK).await;
    assert_eq!(r2["entry"]["id"], r["entry"]["id"]);

    let fee = Decimal::from_str("798.72").expect("d"); // 2.00% of 39936.00
    for who in [&buyer, &seller] {
        let l = json_of(who.get(&format!("/api/v1/orders/{id}/ledger")).await, StatusCode::OK).await;
        assert_eq!(l["entries"].as_array().map(Vec::len), Some(2), "{l}");
        assert_eq!(balance(&l, "escrow"), Decimal::ZERO);
        assert_eq!(balance(&l, "seller_payable"), total - fee);
        assert_eq!(balance(&l, "platform_fees"), fee);
        assert_entries_balance(&l);
    }
    assert_eq!(count(&app.store, "ledger_entries").await, 2);
    assert!(app.store.verify_audit().await.expect("audit").fault.is_none(), "the audit chain holds");
}

#[tokio::test]
async fn refused_moves_name_what_is_allowed() {
    let app = TestApp::spawn().await;
    let (buyer, buyer_org) = app.register("Hanse Kaffee", "DE", "B1", "b@x.example").await;
    let (seller, seller_org) = app.register("Pepper House", "VN", "S1", "s@x.example").await;
    verify(&app, &seller_org).await;
    let o = json_of(buyer.post("/api/v1/orders", &purchase_order(&seller_org)).await, StatusCode::CREATED).await;
    let id = o["id"].as_str().expect("id").to_string();
    assert_eq!(dec(&o["total"]["amount"]), Decimal::from_str("425").expect("d"));
    assert_eq!((o["terms"]["buyer"].as_str(), o["terms"]["seller"].as_str()), (Some(&*buyer_org), Some(&*seller_org)));

    // An event the status does not allow names the ones it does.
    let e = assert_problem(event(&seller, &id, "ship").await, StatusCode::CONFLICT, None).await;
    assert_eq!(e["detail"], "cannot ship an order that is draft; allowed now: accept, cancel");
    let e = assert_problem(event(&buyer, &id, "teleport").await, StatusCode::UNPROCESSABLE_ENTITY, Some("event")).await;
    assert_eq!(e["errors"][0]["code"], "unknown_event");
    let e = assert_problem(event(&buyer, &id, "fund").await, StatusCode::UNPROCESSABLE_ENTITY, Some("event")).await;
    assert!(e["detail"].as_str().expect("detail").contains("Idempotency-Key"), "{e}");
    json_of(event(&buyer, &id, "accept").await, StatusCode::OK).await;
    let e = assert_problem(event(&buyer, &id, "accept").await, StatusCode::CONFLICT, None).await;
    assert!(e["detail"].as_str().expect("detail").contains("waiting for the seller"), "{e}");

    // Funding a cancelled order.
    json_of(event(&seller, &id, "cancel").await, StatusCode::OK).await;
    let e = assert_problem(start_payment(&buyer, &id, "k1").await, StatusCode::CONFLICT, None).await;
    assert_eq!(e["detail"], "cannot fund an order that is cancelled; allowed now: nothing (the order is closed)");
    let e = assert_problem(
        start_payment(&buyer, &id, "a b").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("Idempotency-Key"),
    )
    .await;
    assert_eq!(e["errors"][0]["code"], "invalid_value");
    assert_eq!(count(&app.store, "ledger_entries").await, 0);
    assert_eq!(count(&app.store, "idempotency_keys").await, 0, "a refused request keeps no key");
}

#[tokio::test]
async fn bad_purchase_orders_are_refused_by_field() {
    let app = TestApp::spawn().await;
    let (buyer, buyer_org) = app.register("Hanse Kaffee", "DE", "B1", "b@x.example").await;
    let (_, seller_org) = app.register("Pepper House", "VN", "S1", "s@x.example").await;
    let (_, other_org) = app.register("Someone Else", "SG", "O1", "o@x.example").await;

    // An unverified seller is no seller yet.
    let e = assert_problem(
        buyer.post("/api/v1/orders", &purchase_order(&seller_org)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("seller"),
    )
    .await;
    assert_eq!(e["errors"][0]["code"], "unknown_seller");
    verify(&app, &seller_org).await;

    let mut po = purchase_order(&seller_org);
    po["buyer"] = json!(other_org);
    po["lines"] = json!([
        {"description": "Pepper", "hs_code": "090411", "quantity": "0", "unit": "KGM", "unit_price": "-1"},
        {"description": "Pepper", "hs_code": "099999", "quantity": "5", "unit": "KGM", "unit_price": "1.005"}
    ]);
    po["incoterm"] = json!("DAT");
    po["delivery_latest"] = json!(in_days(10));
    let e = assert_problem(buyer.post("/api/v1/orders", &po).await, StatusCode::UNPROCESSABLE_ENTITY, None).await;
    let fields: Vec<(&str, &str)> = e["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|f| (f["field"].as_str().unwrap_or(""), f["code"].as_str().unwrap_or("")))
        .collect();
    for want in [
        ("buyer", "not_your_company"),
        ("lines[0].quantity", "not_positive"),
        ("lines[0].unit_price", "not_positive"),
        ("lines[1].unit_price", "too_precise"),
        ("incoterm", "unknown_incoterm"),
        ("delivery_latest", "before_earliest"),
    ] {
        assert!(fields.contains(&want), "{want:?} in {fields:?}");
    }
    // A well-formed HS code that is not in the nomenclature.
    let mut po = purchase_order(&seller_org);
    po["lines"][0]["hs_code"] = json!("099999");
    let e = assert_problem(
        buyer.post("/api/v1/orders", &po).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("lines[0].hs_code"),
    )
    .await;
    assert_eq!(e["errors"][0]["code"], "unknown_hs_code");
    // Ordering from oneself.
    let e = assert_problem(
        buyer.post("/api/v1/orders", &purchase_order(&buyer_org)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("buyer"),
    )
    .await;
    assert_eq!(e["errors"][0]["code"], "same_party");
    assert_eq!(count(&app.store, "orders").await, 0);
}

#[tokio::test]
async fn another_company_sees_no_order_and_strangers_are_asked_to_log_in() {
    let Deal { app, buyer, seller: _, quote_id } = deal().await;
    json_of(buyer.post(&format!("/api/v1/quotes/{quote_id}/accept"), &json!({})).await, StatusCode::OK).await;
    let (third, _) = app.register("Third Party", "KE", "T1", "t@x.example").await;
    // A stranger cannot make an order from someone else's quote.
    let quote_path = format!("/api/v1/quotes/{quote_id}/order");
    assert_problem(third.post(&quote_path, &json!({})).await, StatusCode::NOT_FOUND, None).await;
    let o = json_of(buyer.post(&quote_path, &json!({})).await, StatusCode::CREATED).await;
    let id = o["id"].as_str().expect("id");

    assert_problem(third.get(&format!("/api/v1/orders/{id}")).await, StatusCode::NOT_FOUND, None).await;
    assert_problem(third.get(&format!("/api/v1/orders/{id}/ledger")).await, StatusCode::NOT_FOUND, None).await;
    assert_problem(event(&third, id, "accept").await, StatusCode::NOT_FOUND, None).await;
    assert_problem(event(&third, id, "cancel").await, StatusCode::NOT_FOUND, None).await;
    assert_problem(start_payment(&third, id, "t1").await, StatusCode::NOT_FOUND, None).await;
    assert_problem(third.get(&format!("/api/v1/orders/{id}/payments")).await, StatusCode::NOT_FOUND, None).await;
    assert_problem(money(&third, id, "release", "t2").await, StatusCode::NOT_FOUND, None).await;
    let list = json_of(third.get("/api/v1/orders").await, StatusCode::OK).await;
    assert_eq!(list["items"], json!([]));

    let anon = app.anonymous();
    for res in [
        anon.get("/api/v1/orders").await,
        anon.get(&format!("/api/v1/orders/{id}")).await,
        anon.get(&format!("/api/v1/orders/{id}/ledger")).await,
        anon.post("/api/v1/orders", &json!({})).await,
        anon.post(&quote_path, &json!({})).await,
        event(&anon, id, "accept").await,
        start_payment(&anon, id, "a1").await,
        anon.get(&format!("/api/v1/orders/{id}/payments")).await,
        money(&anon, id, "release", "a2").await,
    ] {
        assert_problem(res, StatusCode::UNAUTHORIZED, None).await;
    }
    let o = json_of(buyer.get(&format!("/api/v1/orders/{id}")).await, StatusCode::OK).await;
    assert_eq!(o["status"]["status"], "draft", "nothing the others tried changed it");
    assert_eq!(count(&app.store, "idempotency_keys").await, 0);
}

#[tokio::test]
async fn concurrent_payments_with_different_keys_start_one_payment() {
    let app = TestApp::spawn().await;
    let (buyer, _) = app.register("Hanse Kaffee", "DE", "B1", "b@x.example").await;
    let (seller, seller_org) = app.register("Pepper House", "VN", "S1", "s@x.example").await;
    verify(&app, &seller_org).await;
    let o = json_of(buyer.post("/api/v1/orders", &purchase_order(&seller_org)).await, StatusCode::CREATED).await;
    let id = o["id"].as_str().expect("id");
    json_of(event(&buyer, id, "accept").await, StatusCode::OK).await;
    json_of(event(&seller, id, "accept").await, StatusCode::OK).await;
    let (a, b, c, d) = tokio::join!(
        start_payment(&buyer, id, "p1"),
        start_payment(&buyer, id, "p2"),
        start_payment(&buyer, id, "p3"),
        start_payment(&buyer, id, "p4"),
    );
    let statuses = [a.status(), b.status(), c.status(), d.status()];
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count(), 3, "{statuses:?}");
    assert_eq!(count(&app.store, "payments").await, 1);
    assert_eq!(count(&app.store, "idempotency_keys").await, 1);
    // Even if the buyer transfers twice, escrow is funded once; the second transfer shows
    // in reconciliation as money the ledger does not know.
    let p = json_of(buyer.get(&format!("/api/v1/orders/{id}/payments")).await, StatusCode::OK).await;
    let transfer = json!({"reference": p[0]["reference"], "amount": p[0]["amount"]});
    json_of(buyer.post("/api/v1/sandbox/bank-transfers", &transfer).await, StatusCode::ACCEPTED).await;
    json_of(buyer.post("/api/v1/sandbox/bank-transfers", &transfer).await, StatusCode::ACCEPTED).await;
    wait_for_status(&buyer, id, "funded").await;
    let op = app.operator().await;
    let mut r = Value::Null;
    for _ in 0..100 {
        r = json_of(op.get("/api/v1/operator/reconciliation").await, StatusCode::OK).await;
        if r["unapplied_events"].as_array().map(Vec::len) == Some(1) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(r["clean"], false, "{r}");
    assert_eq!(r["report"]["matched"].as_array().map(Vec::len), Some(1), "{r}");
    assert_eq!(r["report"]["only_at_provider"].as_array().map(Vec::len), Some(1), "{r}");
    assert_eq!(r["unapplied_events"][0]["outcome"], "not_open", "{r}");
    let l = json_of(buyer.get(&format!("/api/v1/orders/{id}/ledger")).await, StatusCode::OK).await;
    assert_eq!(l["entries"].as_array().map(Vec::len), Some(1));
    assert_eq!(balance(&l, "escrow"), Decimal::from(425));
    assert_entries_balance(&l);
}

#[tokio::test]
async fn amendments_bind_only_when_both_sides_accept_and_rates_lock_at_agreement() {
    let app = TestApp::spawn().await;
    let (buyer, _) = app.register("Hanse Kaffee", "DE", "B1", "b@x.example").await;
    let (seller, seller_org) = app.register("Pepper House", "VN", "S1", "s@x.example").await;
    let (third, _) = app.register("Third Party", "KE", "T1", "t@x.example").await;
    verify(&app, &seller_org).await;
    let o = json_of(buyer.post("/api/v1/orders", &purchase_order(&seller_org)).await, StatusCode::CREATED).await;
    let id = o["id"].as_str().expect("id").to_string();
    assert!(o.get("fx_lock").is_none(), "no lock before agreement: {o}");
    let amend = format!("/api/v1/orders/{id}/amendments");

    // A draft is revised: the seller's change lapses the buyer's acceptance.
    json_of(event(&buyer, &id, "accept").await, StatusCode::OK).await;
    let mut po = purchase_order(&seller_org);
    po["buyer"] = json!("");
    po["seller"] = json!("");
    po["lines"][0]["quantity"] = json!("120");
    let r = json_of(seller.post(&amend, &po).await, StatusCode::OK).await;
    assert_eq!(r["version"], 2);
    assert_eq!(r["status"], json!({"status": "draft", "buyer_accepted": false, "seller_accepted": true}));
    let o = json_of(event(&buyer, &id, "accept").await, StatusCode::OK).await;
    assert_eq!(o["status"]["status"], "agreed");

    // Agreement locks the total in each party's national currency (EUR for Germany, VND
    // for Viet Nam) at the rate table of that moment.
    let lock = &o["fx_lock"];
    let conv: Vec<&str> = lock["conversions"]
        .as_array()
        .expect("conversions")
        .iter()
        .filter_map(|c| c["amount"]["currency"].as_str())
        .collect();
    assert_eq!(conv, ["EUR", "VND"], "{lock}");
    assert!(lock["source"].as_str().expect("source").contains("demo"), "{lock}");
    let vnd = dec(&lock["conversions"][1]["amount"]["amount"]);
    assert_eq!(vnd.scale(), 0, "VND has no minor unit: {vnd}");

    // An amendment by one party only changes nothing yet.
    po["lines"][0]["quantity"] = json!("150");
    let r = json_of(seller.post(&amend, &po).await, StatusCode::OK).await;
    assert_eq!(r["version"], 2, "the binding version stays");
    assert_eq!(r["pending_amendment"]["version"], 3);
    assert_eq!(dec(&r["terms"]["lines"][0]["quantity"]), Decimal::from(120));
    let e =
        assert_problem(seller.post(&format!("{amend}/3/accept"), &json!({})).await, StatusCode::CONFLICT, None).await;
    assert!(e["detail"].as_str().expect("detail").contains("already accepted"), "{e}");
    let e = assert_problem(buyer.post(&amend, &po).await, StatusCode::CONFLICT, None).await;
    assert!(e["detail"].as_str().expect("detail").contains("waiting for an answer"), "{e}");
    assert_problem(buyer.post(&format!("{amend}/9/accept"), &json!({})).await, StatusCode::CONFLICT, None).await;
    assert_problem(third.post(&format!("{amend}/3/accept"), &json!({})).await, StatusCode::NOT_FOUND, None).await;
    assert_problem(third.post(&amend, &po).await, StatusCode::NOT_FOUND, None).await;
    let r = json_of(buyer.post(&format!("{amend}/3/accept"), &json!({})).await, StatusCode::OK).await;
    assert_eq!(r["version"], 3);
    assert!(r["pending_amendment"].is_null());
    assert_eq!(dec(&r["total"]["amount"]), Decimal::from(150) * Decimal::from_str("4.25").expect("d"));

    // Once funded, the total may not change; a rejected amendment leaves the terms.
    fund_through_bank(&buyer, &id).await;
    po["lines"][0]["quantity"] = json!("10");
    let e = assert_problem(buyer.post(&amend, &po).await, StatusCode::CONFLICT, None).await;
    assert!(e["detail"].as_str().expect("detail").contains("may not change the total"), "{e}");
    let mut changed = po.clone();
    changed["lines"][0]["quantity"] = json!("150");
    changed["named_place"] = json!("VNHPH");
    let r = json_of(buyer.post(&amend, &changed).await, StatusCode::OK).await;
    assert_eq!(r["pending_amendment"]["version"], 4);
    let r = json_of(seller.post(&format!("{amend}/4/reject"), &json!({})).await, StatusCode::OK).await;
    assert!(r["pending_amendment"].is_null());
    assert_eq!(r["terms"]["named_place"], purchase_order(&seller_org)["named_place"]);
    // Bad terms are refused by field.
    let mut bad = po.clone();
    bad["lines"][0]["quantity"] = json!("-1");
    assert_problem(buyer.post(&amend, &bad).await, StatusCode::UNPROCESSABLE_ENTITY, Some("lines[0].quantity")).await;
    assert!(app.store.verify_audit().await.expect("audit").fault.is_none());
}
