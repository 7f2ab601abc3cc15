//! The deal's second slice through the API: refunds by the seller or the operator (partial,
//! full before shipping, never more than escrow holds, posted once whatever the retries),
//! disputes with evidence from both sides, the operator's decision, and who may do what.

mod common;

use common::*;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::str::FromStr;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal")
}

async fn event(s: &Session, order: &str, name: &str) -> reqwest::Response {
    s.post(&format!("/api/v1/orders/{order}/events"), &json!({"event": name})).await
}

async fn money(s: &Session, order: &str, op: &str, key: &str) -> reqwest::Response {
    s.post_with_header(&format!("/api/v1/orders/{order}/{op}"), &json!({}), "Idempotency-Key", key).await
}

async fn refund(s: &Session, order: &str, amount: Option<&str>, key: &str) -> reqwest::Response {
    let body = match amount {
        Some(a) => json!({"amount": a}),
        None => json!({}),
    };
    s.post_with_header(&format!("/api/v1/orders/{order}/refund"), &body, "Idempotency-Key", key).await
}

async fn decide(s: &Session, order: &str, body: &Value, key: &str) -> reqwest::Response {
    s.post_with_header(&format!("/api/v1/operator/orders/{order}/dispute-decision"), body, "Idempotency-Key", key).await
}

fn balance(ledger: &Value, kind: &str) -> Decimal {
    ledger["balances"]
        .as_array()
        .expect("balances")
        .iter()
        .find(|b| b["account"]["kind"] == kind)
        .map(|b| dec(&b["balance"]))
        .unwrap_or(Decimal::ZERO)
}

/// Every stored entry's debits equal its credits, and so does the whole ledger.
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

async fn ledger_of(s: &Session, id: &str) -> Value {
    let l = json_of(s.get(&format!("/api/v1/orders/{id}/ledger")).await, StatusCode::OK).await;
    assert_entries_balance(&l);
    l
}

struct Funded {
    app: TestApp,
    buyer: Session,
    seller: Session,
    id: String,
}

/// A direct order of 425.00 USD, accepted by both sides and funded.
async fn funded() -> Funded {
    let app = TestApp::spawn().await;
    let (buyer, _) = app.register("Hanse Kaffee", "DE", "B1", "b@x.example").await;
    let (seller, seller_org) = app.register("Pepper House", "VN", "S1", "s@x.example").await;
    let op = app.operator().await;
    let res = op.post(&format!("/api/v1/operator/organizations/{seller_org}/verify"), &json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let o = json_of(buyer.post("/api/v1/orders", &purchase_order(&seller_org)).await, StatusCode::CREATED).await;
    let id = o["id"].as_str().expect("id").to_string();
    json_of(event(&buyer, &id, "accept").await, StatusCode::OK).await;
    json_of(event(&seller, &id, "accept").await, StatusCode::OK).await;
    fund_through_bank(&buyer, &id).await;
    Funded { app, buyer, seller, id }
}

#[tokio::test]
async fn a_partial_refund_posts_once_and_the_rest_is_released() {
    let Funded { app, buyer, seller, id } = funded().await;
    // Only the seller (or the operator) refunds.
    assert_problem(refund(&buyer, &id, Some("100"), "b-r").await, StatusCode::CONFLICT, None).await;
    let (a, b) = tokio::join!(refund(&seller, &id, Some("100.00"), "r-1"), refund(&seller, &id, Some("100.00"), "r-1"));
    let (a, b) = (json_of(a, StatusCode::OK).await, json_of(b, StatusCode::OK).await);
    assert_eq!(a["entry"]["id"], b["entry"]["id"], "one entry for both");
    assert_ne!(a["replayed"], b["replayed"], "one of them is the replay");
    assert_eq!(a["entry"]["kind"], "refund");
    assert_eq!(a["order"]["status"]["status"], "funded", "a partial refund leaves the order funded");
    let again = refund(&seller, &id, Some("100.00"), "r-1").await;
    assert_eq!(again.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
    // The same key for another amount is another request.
    let e =
        assert_problem(refund(&seller, &id, Some("50"), "r-1").await, StatusCode::CONFLICT, Some("Idempotency-Key"))
            .await;
    assert!(e["detail"].as_str().expect("detail").contains("already used"), "{e}");
    let l = ledger_of(&seller, &id).await;
    assert_eq!(l["entries"].as_array().map(Vec::len), Some(2), "{l}");
    assert_eq!(balance(&l, "escrow"), d("325"));
    assert_eq!(balance(&l, "refunds_payable"), d("100"));

    for step in ["start_production", "ship"] {
        json_of(event(&seller, &id, step).await, StatusCode::OK).await;
    }
    json_of(event(&buyer, &id, "confirm_delivery").await, StatusCode::OK).await;
    let r = json_of(money(&buyer, &id, "release", "rel-1").await, StatusCode::OK).await;
    assert_eq!(r["order"]["status"]["status"], "completed");
    let fee = d("6.50"); // 2.00% of the 325.00 released
    for who in [&buyer, &seller] {
        let l = ledger_of(who, &id).await;
        assert_eq!(l["entries"].as_array().map(Vec::len), Some(3), "{l}");
        assert_eq!(balance(&l, "escrow"), Decimal::ZERO);
        assert_eq!(balance(&l, "refunds_payable"), d("100"));
        assert_eq!(balance(&l, "seller_payable"), d("325") - fee);
        assert_eq!(balance(&l, "platform_fees"), fee);
        assert_eq!(balance(&l, "provider_clearing"), d("425"), "everything paid in is accounted for");
    }
    assert_eq!(count(&app.store, "ledger_entries").await, 3);
    assert!(app.store.verify_audit().await.expect("audit").fault.is_none(), "the audit chain holds");
}

#[tokio::test]
async fn a_full_refund_before_shipping_cancels_the_order() {
    let Funded { app, buyer, seller, id } = funded().await;
    // The operator may refund part; its answer shows the order without a side.
    let op = app.operator().await;
    let r = json_of(refund(&op, &id, Some("25"), "op-1").await, StatusCode::OK).await;
    assert_eq!(r["order"]["status"]["status"], "funded");
    assert_eq!(dec(&r["total"]["amount"]), d("425"));
    // Left out, the amount is all that escrow still holds.
    let r = json_of(refund(&seller, &id, None, "all-1").await, StatusCode::OK).await;
    assert_eq!(r["order"]["status"], json!({"status": "cancelled", "refunded": true}));
    assert_eq!(dec(&r["entry"]["postings"][0]["amount"]["amount"]), d("400"));
    let l = ledger_of(&buyer, &id).await;
    assert_eq!(balance(&l, "escrow"), Decimal::ZERO);
    assert_eq!(balance(&l, "refunds_payable"), d("425"));
    assert_eq!(balance(&l, "seller_payable"), Decimal::ZERO);
    // Nothing is left to refund or release.
    let e = assert_problem(refund(&seller, &id, None, "all-2").await, StatusCode::CONFLICT, None).await;
    assert!(e["detail"].as_str().expect("detail").contains("nothing to refund"), "{e}");
    assert_problem(money(&buyer, &id, "release", "rel-1").await, StatusCode::CONFLICT, None).await;
    let n = json_of(buyer.get("/api/v1/notifications").await, StatusCode::OK).await;
    assert_eq!(n["items"][0]["subject"], "The seller refunded USD 400.00 of an order; it is now cancelled", "{n}");
    assert_eq!(n["items"][1]["subject"], "The platform operator refunded USD 25.00 of an order; it is now funded");
}

#[tokio::test]
async fn an_over_refund_is_refused_on_amount_and_writes_nothing() {
    let Funded { app, buyer: _, seller, id } = funded().await;
    let e = assert_problem(
        refund(&seller, &id, Some("425.01"), "r-1").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("amount"),
    )
    .await;
    assert_eq!(e["errors"][0]["code"], "more_than_escrowed");
    assert!(e["detail"].as_str().expect("detail").contains("425"), "{e}");
    for (bad, code) in [("abc", "not_a_number"), ("0", "not_positive"), ("1.005", "invalid_amount")] {
        let e = assert_problem(
            refund(&seller, &id, Some(bad), "r-2").await,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("amount"),
        )
        .await;
        assert_eq!(e["errors"][0]["code"], code, "{bad}");
    }
    assert_eq!(count(&app.store, "ledger_entries").await, 1, "only the funding");
    assert_eq!(count(&app.store, "idempotency_keys").await, 1, "only the funding's key");
    let l = ledger_of(&seller, &id).await;
    assert_eq!(balance(&l, "escrow"), d("425"));
    // After shipping, all of the escrow goes back only through a dispute.
    json_of(event(&seller, &id, "ship").await, StatusCode::OK).await;
    let e = assert_problem(refund(&seller, &id, None, "r-3").await, StatusCode::CONFLICT, None).await;
    assert!(e["detail"].as_str().expect("detail").contains("open a dispute"), "{e}");
    assert_eq!(count(&app.store, "ledger_entries").await, 1);
}

#[tokio::test]
async fn a_buyers_dispute_with_evidence_is_split_by_the_operator() {
    let Funded { app, buyer, seller, id } = funded().await;
    json_of(event(&seller, &id, "ship").await, StatusCode::OK).await;
    let path = format!("/api/v1/orders/{id}/disputes");
    let e = assert_problem(
        buyer.post(&format!("{path}/evidence"), &json!({"statement": "early"})).await,
        StatusCode::CONFLICT,
        None,
    )
    .await;
    assert!(e["detail"].as_str().expect("detail").contains("open one first"), "{e}");
    assert_problem(buyer.post(&path, &json!({"reason": "  "})).await, StatusCode::UNPROCESSABLE_ENTITY, Some("reason"))
        .await;
    let dsp = json_of(buyer.post(&path, &json!({"reason": "Half the bags are wet"})).await, StatusCode::CREATED).await;
    assert_eq!(dsp["opened_by"], "buyer");
    assert_problem(seller.post(&path, &json!({"reason": "again"})).await, StatusCode::CONFLICT, None).await;
    let o = json_of(buyer.get(&format!("/api/v1/orders/{id}")).await, StatusCode::OK).await;
    assert_eq!(o["status"], json!({"status": "disputed", "during": "shipped"}));
    // Refunds wait for the decision.
    assert_problem(refund(&seller, &id, Some("10"), "r-1").await, StatusCode::CONFLICT, None).await;

    let ev = format!("{path}/evidence");
    json_of(buyer.post(&ev, &json!({"statement": "Photos show water damage on 50 bags"})).await, StatusCode::CREATED)
        .await;
    json_of(
        seller.post(&ev, &json!({"statement": "The bags left dry; see the survey report"})).await,
        StatusCode::CREATED,
    )
    .await;
    let op = app.operator().await;
    let op_path = format!("/api/v1/operator/orders/{id}/dispute");
    for view in [
        json_of(buyer.get(&path).await, StatusCode::OK).await,
        json_of(seller.get(&path).await, StatusCode::OK).await,
        json_of(op.get(&op_path).await, StatusCode::OK).await,
    ] {
        let parties: Vec<&str> =
            view["evidence"].as_array().expect("evidence").iter().filter_map(|e| e["party"].as_str()).collect();
        assert_eq!(parties, ["buyer", "seller"], "{view}");
        assert_eq!(view["reason"], "Half the bags are wet");
    }

    // Only the operator decides; to anyone else the endpoint does not exist.
    let split = json!({"decision": "split", "buyer_share": "125.00"});
    assert_problem(decide(&buyer, &id, &split, "d-1").await, StatusCode::NOT_FOUND, None).await;
    assert_problem(decide(&seller, &id, &split, "d-1").await, StatusCode::NOT_FOUND, None).await;
    assert_problem(op.get(&format!("/api/v1/operator/orders/{id}/nope")).await, StatusCode::NOT_FOUND, None).await;
    let e = assert_problem(
        decide(&op, &id, &json!({"decision": "split", "buyer_share": "425"}), "d-0").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("buyer_share"),
    )
    .await;
    assert_eq!(e["errors"][0]["code"], "out_of_range");
    let (a, b) = tokio::join!(decide(&op, &id, &split, "d-1"), decide(&op, &id, &split, "d-1"));
    let (a, b) = (json_of(a, StatusCode::OK).await, json_of(b, StatusCode::OK).await);
    assert_eq!(a["entry"]["id"], b["entry"]["id"], "decided once");
    assert_eq!(a["order"]["status"]["status"], "completed");
    assert_eq!(a["entry"]["kind"], "dispute_decision");
    assert_problem(decide(&op, &id, &json!({"decision": "refund_to_buyer"}), "d-2").await, StatusCode::CONFLICT, None)
        .await;

    // 425.00: 125.00 back to the buyer, 300.00 to the seller minus 2.00% on those 300.00 only.
    for who in [&buyer, &seller] {
        let l = ledger_of(who, &id).await;
        assert_eq!(l["entries"].as_array().map(Vec::len), Some(2), "{l}");
        assert_eq!(balance(&l, "escrow"), Decimal::ZERO);
        assert_eq!(balance(&l, "refunds_payable"), d("125.00"));
        assert_eq!(balance(&l, "seller_payable"), d("294.00"));
        assert_eq!(balance(&l, "platform_fees"), d("6.00"));
    }
    let dsp = json_of(seller.get(&path).await, StatusCode::OK).await;
    assert_eq!(dsp["decision"], "split");
    assert_eq!(dec(&dsp["buyer_share"]["amount"]), d("125"));
    assert_problem(buyer.post(&ev, &json!({"statement": "late"})).await, StatusCode::CONFLICT, None).await;
    assert_eq!(count(&app.store, "dispute_evidence").await, 2);
    assert!(app.store.verify_audit().await.expect("audit").fault.is_none(), "the audit chain holds");
}

#[tokio::test]
async fn another_company_sees_no_dispute_and_strangers_are_asked_to_log_in() {
    let Funded { app, buyer, seller: _, id } = funded().await;
    let path = format!("/api/v1/orders/{id}/disputes");
    json_of(buyer.post(&path, &json!({"reason": "Late"})).await, StatusCode::CREATED).await;
    let (third, _) = app.register("Third Party", "KE", "T1", "t@x.example").await;
    let ev = format!("{path}/evidence");
    let op_path = format!("/api/v1/operator/orders/{id}/dispute");
    let split = json!({"decision": "split", "buyer_share": "1"});
    for res in [
        refund(&third, &id, Some("1"), "t-1").await,
        refund(&third, &id, None, "t-2").await,
        third.post(&path, &json!({"reason": "mine"})).await,
        third.get(&path).await,
        third.post(&ev, &json!({"statement": "mine"})).await,
        third.get(&op_path).await,
        decide(&third, &id, &split, "t-3").await,
    ] {
        assert_problem(res, StatusCode::NOT_FOUND, None).await;
    }
    let anon = app.anonymous();
    for res in [
        refund(&anon, &id, None, "a-1").await,
        anon.post(&path, &json!({"reason": "x"})).await,
        anon.get(&path).await,
        anon.post(&ev, &json!({"statement": "x"})).await,
        anon.get(&op_path).await,
        decide(&anon, &id, &split, "a-2").await,
    ] {
        assert_problem(res, StatusCode::UNAUTHORIZED, None).await;
    }
    assert_eq!(count(&app.store, "dispute_evidence").await, 0);
    assert_eq!(count(&app.store, "ledger_entries").await, 1);
    assert_eq!(count(&app.store, "idempotency_keys").await, 1);
    assert_eq!(count(&app.store, "operator_idempotency_keys").await, 0);
}

#[tokio::test]
async fn the_side_that_opened_a_dispute_withdraws_it_and_the_order_goes_on() {
    let Funded { app, buyer, seller, id } = funded().await;
    let path = format!("/api/v1/orders/{id}/disputes");
    assert_problem(buyer.post(&format!("{path}/withdraw"), &json!({})).await, StatusCode::CONFLICT, None).await;
    json_of(buyer.post(&path, &json!({"reason": "Wrong grade in the sample"})).await, StatusCode::CREATED).await;
    let n = json_of(seller.get("/api/v1/notifications").await, StatusCode::OK).await;
    assert_eq!(n["items"][0]["kind"], "dispute_opened", "{n}");
    // The operator cannot "withdraw" for them; the other side cannot either.
    let op = app.operator().await;
    let e = assert_problem(
        decide(&op, &id, &json!({"decision": "withdrawn"}), "w-0").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("decision"),
    )
    .await;
    assert_eq!(e["errors"][0]["code"], "unknown_decision");
    let e =
        assert_problem(seller.post(&format!("{path}/withdraw"), &json!({})).await, StatusCode::CONFLICT, None).await;
    assert!(e["detail"].as_str().expect("detail").contains("only the buyer"), "{e}");
    let (third, _) = app.register("Third Party", "KE", "T1", "t@x.example").await;
    assert_problem(third.post(&format!("{path}/withdraw"), &json!({})).await, StatusCode::NOT_FOUND, None).await;

    let d = json_of(buyer.post(&format!("{path}/withdraw"), &json!({})).await, StatusCode::OK).await;
    assert_eq!(d["decision"], "withdrawn");
    let o = json_of(seller.get(&format!("/api/v1/orders/{id}")).await, StatusCode::OK).await;
    assert_eq!(o["status"]["status"], "funded", "back where it was");
    assert_problem(buyer.post(&format!("{path}/withdraw"), &json!({})).await, StatusCode::CONFLICT, None).await;
    assert_problem(
        decide(&op, &id, &json!({"decision": "release_to_seller"}), "w-1").await,
        StatusCode::CONFLICT,
        None,
    )
    .await;
    // Escrow still holds the total, and the order carries on to release.
    json_of(event(&seller, &id, "ship").await, StatusCode::OK).await;
    json_of(event(&buyer, &id, "confirm_delivery").await, StatusCode::OK).await;
    let r = buyer.post_with_header(&format!("/api/v1/orders/{id}/release"), &json!({}), "Idempotency-Key", "rel").await;
    let r = json_of(r, StatusCode::OK).await;
    assert_eq!(r["order"]["status"]["status"], "completed");
    assert_eq!(count(&app.store, "ledger_entries").await, 2, "fund and release only");
}
