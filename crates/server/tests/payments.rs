//! Payments through the provider and payouts: signed callbacks (forged, stale, replayed,
//! unknown, wrong amount) are refused or applied once; a returned transfer lets the buyer
//! pay again; escrow releases itself after the period; sellers give a bank account and the
//! operator's payout run writes a pain.001 file that the official XSD accepts; the
//! reconciliation report compares ledger and bank.

mod common;

use common::*;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Stdio};
use tradewind_domain::deal::payment::{SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};
use tradewind_server::ServerSettings;

const SECRET: &str = "test-bank-secret";

async fn app() -> TestApp {
    let mut settings = ServerSettings::default();
    settings.simulated_bank.secret = SECRET.into();
    TestApp::spawn_with(settings).await
}

async fn event(s: &Session, order: &str, name: &str) -> Value {
    json_of(s.post(&format!("/api/v1/orders/{order}/events"), &json!({"event": name})).await, StatusCode::OK).await
}

/// An agreed purchase order (USD 425) between a German buyer and a Vietnamese seller.
async fn agreed(app: &TestApp) -> (Session, Session, String, String) {
    let (buyer, _) = app.register("Hanse Kaffee", "DE", "B1", "b@x.example").await;
    let (seller, seller_org) = app.register("Pepper House", "VN", "S1", "s@x.example").await;
    verify(app, &seller_org).await;
    let o = json_of(buyer.post("/api/v1/orders", &purchase_order(&seller_org)).await, StatusCode::CREATED).await;
    let id = o["id"].as_str().expect("id").to_string();
    event(&buyer, &id, "accept").await;
    event(&seller, &id, "accept").await;
    (buyer, seller, id, seller_org)
}

/// Sends a callback as the bank would, signed with `secret` at `ts`.
async fn callback(app: &TestApp, body: &Value, secret: &str, ts: i64) -> reqwest::Response {
    let body = serde_json::to_vec(body).expect("json");
    reqwest::Client::new()
        .post(app.url("/api/v1/payments/callbacks/simulated-bank"))
        .header("content-type", "application/json")
        .header(TIMESTAMP_HEADER, ts.to_string())
        .header(SIGNATURE_HEADER, sign(secret.as_bytes(), ts, &body))
        .body(body)
        .send()
        .await
        .expect("callback")
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn settled(event_id: &str, reference: &Value, amount: &Value) -> Value {
    json!({"event_id": event_id, "reference": reference, "outcome": "settled", "amount": amount, "booked_at": "2026-11-26T10:00:00Z"})
}

#[tokio::test]
async fn callbacks_are_checked_and_applied_once() {
    let app = app().await;
    let (buyer, seller, id, _) = agreed(&app).await;
    let p = json_of(start_payment(&buyer, &id, "k1").await, StatusCode::CREATED).await;
    let (reference, amount) = (p["reference"].clone(), p["amount"].clone());
    let body = settled("ev-1", &reference, &amount);

    // Forged, stale and unsigned callbacks are refused and change nothing.
    let e = assert_problem(callback(&app, &body, "wrong-secret", now()).await, StatusCode::UNAUTHORIZED, None).await;
    assert!(e["detail"].as_str().expect("detail").contains("signature"), "{e}");
    let e = assert_problem(callback(&app, &body, SECRET, now() - 600).await, StatusCode::UNAUTHORIZED, None).await;
    assert!(e["detail"].as_str().expect("detail").contains("replayed or delayed"), "{e}");
    let unsigned = reqwest::Client::new()
        .post(app.url("/api/v1/payments/callbacks/simulated-bank"))
        .json(&body)
        .send()
        .await
        .expect("send");
    assert_problem(unsigned, StatusCode::UNAUTHORIZED, None).await;
    assert_problem(callback_to(&app, "other-bank", &body).await, StatusCode::NOT_FOUND, None).await;

    // An unknown reference and a wrong amount are refused but kept for the operator.
    let unknown = settled("ev-u", &json!("RF18539007547034"), &amount);
    let e = assert_problem(
        callback(&app, &unknown, SECRET, now()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("reference"),
    )
    .await;
    assert_eq!(e["errors"][0]["code"], "unknown_payment");
    let short = settled("ev-short", &reference, &json!({"amount": "400.00", "currency": "USD"}));
    let e =
        assert_problem(callback(&app, &short, SECRET, now()).await, StatusCode::UNPROCESSABLE_ENTITY, Some("amount"))
            .await;
    assert_eq!(e["errors"][0]["code"], "amount_differs");
    let o = json_of(buyer.get(&format!("/api/v1/orders/{id}")).await, StatusCode::OK).await;
    assert_eq!(o["status"]["status"], "agreed");
    assert_eq!(count(&app.store, "ledger_entries").await, 0);

    // The genuine callback funds the order; a replay (same event id, fresh signature)
    // changes nothing.
    let r = json_of(callback(&app, &body, SECRET, now()).await, StatusCode::OK).await;
    assert_eq!(r["outcome"], "settled");
    let r = json_of(callback(&app, &body, SECRET, now()).await, StatusCode::OK).await;
    assert_eq!(r["outcome"], "already_processed");
    // Another event for the settled payment is refused.
    assert_problem(
        callback(&app, &settled("ev-2", &reference, &amount), SECRET, now()).await,
        StatusCode::CONFLICT,
        None,
    )
    .await;
    let o = json_of(seller.get(&format!("/api/v1/orders/{id}")).await, StatusCode::OK).await;
    assert_eq!(o["status"]["status"], "funded");
    assert_eq!(count(&app.store, "ledger_entries").await, 1);

    // The operator sees what did not post; the companies cannot.
    let op = app.operator().await;
    let r = json_of(op.get("/api/v1/operator/reconciliation").await, StatusCode::OK).await;
    let outcomes: Vec<&str> =
        r["unapplied_events"].as_array().expect("events").iter().filter_map(|e| e["outcome"].as_str()).collect();
    assert_eq!(outcomes.len(), 3, "{r}");
    for o in ["unknown_payment", "amount_differs", "not_open"] {
        assert!(outcomes.contains(&o), "{o} in {outcomes:?}");
    }
    // No money reached the simulated bank (the callbacks above were sent by hand), so the
    // ledger's funding has no transfer behind it.
    assert_eq!(r["report"]["only_in_ledger"].as_array().map(Vec::len), Some(1), "{r}");
    assert_problem(buyer.get("/api/v1/operator/reconciliation").await, StatusCode::NOT_FOUND, None).await;
    assert!(app.store.verify_audit().await.expect("audit").fault.is_none());
}

async fn callback_to(app: &TestApp, provider: &str, body: &Value) -> reqwest::Response {
    let bytes = serde_json::to_vec(body).expect("json");
    let ts = now();
    reqwest::Client::new()
        .post(app.url(&format!("/api/v1/payments/callbacks/{provider}")))
        .header(TIMESTAMP_HEADER, ts.to_string())
        .header(SIGNATURE_HEADER, sign(SECRET.as_bytes(), ts, &bytes))
        .body(bytes)
        .send()
        .await
        .expect("send")
}

#[tokio::test]
async fn a_returned_transfer_fails_the_payment_and_the_buyer_pays_again() {
    let app = app().await;
    let (buyer, _seller, id, _) = agreed(&app).await;
    let p = json_of(start_payment(&buyer, &id, "k1").await, StatusCode::CREATED).await;
    let e = assert_problem(
        buyer
            .post("/api/v1/sandbox/bank-transfers", &json!({"reference": "RF19539007547034", "amount": p["amount"]}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("reference"),
    )
    .await;
    assert_eq!(e["errors"][0]["code"], "invalid_reference");
    let ret = json!({"reference": p["reference"], "reason": "beneficiary account name does not match"});
    json_of(buyer.post("/api/v1/sandbox/bank-returns", &ret).await, StatusCode::ACCEPTED).await;
    let mut ps = Value::Null;
    for _ in 0..100 {
        ps = json_of(buyer.get(&format!("/api/v1/orders/{id}/payments")).await, StatusCode::OK).await;
        if ps[0]["status"] == "failed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(ps[0]["status"], "failed", "{ps}");
    assert_eq!(ps[0]["reason"], "beneficiary account name does not match");
    let n = json_of(buyer.get("/api/v1/notifications").await, StatusCode::OK).await;
    assert_eq!(n["items"][0]["kind"], "payment_failed", "{n}");
    // A new payment gets a new reference and funds the order.
    let p2 = fund_through_bank(&buyer, &id).await;
    assert_ne!(p2["reference"], p["reference"]);
    assert_eq!(count(&app.store, "ledger_entries").await, 1);
}

/// Runs xmllint against the official pain.001.001.03 schema; `None` (with the reason
/// printed) when the schema or xmllint is missing.
fn xsd_check(xml: &str) -> Option<Result<(), String>> {
    let xsd = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/standards/iso20022/pain.001.001.03.xsd");
    if !xsd.is_file() {
        println!("skipped the schema check: {} is missing", xsd.display());
        return None;
    }
    let mut child = match Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&xsd)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            println!("skipped the schema check: xmllint is not available ({e}); install libxml2-utils");
            return None;
        }
    };
    child.stdin.take().expect("stdin").write_all(xml.as_bytes()).expect("write");
    let out = child.wait_with_output().expect("xmllint");
    Some(if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).into_owned()) })
}

#[tokio::test]
async fn sellers_are_paid_out_once_in_a_pain001_file_the_official_schema_accepts() {
    let app = app().await;
    let (buyer, seller, id, seller_org) = agreed(&app).await;
    fund_through_bank(&buyer, &id).await;
    event(&seller, &id, "ship").await;
    event(&buyer, &id, "confirm_delivery").await;
    let rel =
        buyer.post_with_header(&format!("/api/v1/orders/{id}/release"), &json!({}), "Idempotency-Key", "r1").await;
    json_of(rel, StatusCode::OK).await;

    // Bank accounts: validated, admins only, each company its own.
    let e = assert_problem(
        seller
            .put("/api/v1/organization/bank-account", &json!({"holder_name": "", "iban": "VN12 3456", "bic": "NOPE"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
    )
    .await;
    let fields: Vec<&str> =
        e["errors"].as_array().expect("errors").iter().filter_map(|f| f["field"].as_str()).collect();
    assert_eq!(fields, ["holder_name", "iban", "bic"], "{e}");
    assert_problem(seller.get("/api/v1/organization/bank-account").await, StatusCode::NOT_FOUND, None).await;

    // Without an account the seller waits; nothing is written.
    let op = app.operator().await;
    let run = json_of(
        op.post_with_header("/api/v1/operator/payouts", &json!({}), "Idempotency-Key", "run-0").await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(run["files"], json!([]));
    assert_eq!(run["waiting_for_bank_account"][0]["order_id"], id.as_str());
    assert_eq!(dec(&run["waiting_for_bank_account"][0]["amount"]["amount"]), Decimal::new(41650, 2));

    let acct = json!({"holder_name": "Pepper House Co Ltd", "iban": "GB29 NWBK 6016 1331 9268 19", "bic": "NWBKGB2L"});
    let a = json_of(seller.put("/api/v1/organization/bank-account", &acct).await, StatusCode::OK).await;
    assert_eq!(a["account"]["iban"], "GB29NWBK60161331926819");
    assert_eq!(a["organization_id"], seller_org.as_str());
    assert_problem(buyer.get("/api/v1/operator/payouts").await, StatusCode::NOT_FOUND, None).await;
    assert_problem(
        seller.post_with_header("/api/v1/operator/payouts", &json!({}), "Idempotency-Key", "x").await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;

    let empty = json!({});
    let (a, b) = tokio::join!(
        op.post_with_header("/api/v1/operator/payouts", &empty, "Idempotency-Key", "run-1"),
        op.post_with_header("/api/v1/operator/payouts", &empty, "Idempotency-Key", "run-1"),
    );
    let (a, b) = (a.json::<Value>().await.expect("json"), b.json::<Value>().await.expect("json"));
    assert_eq!(a["files"], b["files"], "a retried run is the same run");
    let file = &a["files"][0];
    assert_eq!(dec(&file["total"]["amount"]), Decimal::new(41650, 2), "{a}");
    assert_eq!(file["item_count"], 1);
    let again = json_of(
        op.post_with_header("/api/v1/operator/payouts", &json!({}), "Idempotency-Key", "run-2").await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(again["files"], json!([]), "an order's payable is paid out once");

    let fid = file["id"].as_str().expect("file id");
    let res = op.get(&format!("/api/v1/operator/payouts/{fid}/pain001")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().expect("ct").starts_with("application/xml"));
    let xml = res.text().await.expect("xml");
    for needle in
        ["pain.001.001.03", "<CtrlSum>416.50</CtrlSum>", "GB29NWBK60161331926819", "DE89370400440532013000", &id]
    {
        assert!(xml.contains(needle), "{needle} in {xml}");
    }
    if let Some(result) = xsd_check(&xml) {
        assert_eq!(result, Ok(()), "{xml}");
    }
    assert_problem(seller.get(&format!("/api/v1/operator/payouts/{fid}/pain001")).await, StatusCode::NOT_FOUND, None)
        .await;

    // The ledger: the seller's payable is now zero, and the books balance.
    let l = json_of(seller.get(&format!("/api/v1/orders/{id}/ledger")).await, StatusCode::OK).await;
    let payable: Decimal = l["balances"]
        .as_array()
        .expect("balances")
        .iter()
        .filter(|b| b["account"]["kind"] == "seller_payable")
        .map(|b| dec(&b["balance"]))
        .sum();
    assert_eq!(payable, Decimal::ZERO, "{l}");
    assert!(l["trial_balance"].as_array().expect("tb").iter().all(|t| dec(&t["sum"]).is_zero()));
    let r = json_of(op.get("/api/v1/operator/reconciliation").await, StatusCode::OK).await;
    assert_eq!(r["clean"], true, "{r}");
    // The payouts page is the operator's: a company gets not found, anonymous a login.
    let page = op.get("/operator/payouts").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.expect("page").contains(file["message_id"].as_str().expect("message id")));
    assert_eq!(seller.get("/operator/payouts").await.status(), StatusCode::NOT_FOUND);
    let anon = app.anonymous().get("/operator/payouts").await;
    assert_eq!(anon.url().path(), "/login", "sent to log in");
}

#[tokio::test]
async fn escrow_releases_itself_after_the_period_and_not_before() {
    let app = app().await;
    let (buyer, seller, id, _) = agreed(&app).await;
    fund_through_bank(&buyer, &id).await;
    event(&seller, &id, "ship").await;
    let op = app.operator().await;
    let r = json_of(op.post("/api/v1/operator/auto-release", &json!({})).await, StatusCode::OK).await;
    assert_eq!(r["released"], json!([]), "a fresh shipment waits");
    assert_problem(buyer.post("/api/v1/operator/auto-release", &json!({})).await, StatusCode::NOT_FOUND, None).await;
    // Fifteen days pass.
    let then = tradewind_store::format_time(time::OffsetDateTime::now_utc() - time::Duration::days(15));
    sqlx_exec(&app, &format!("UPDATE orders SET updated_at = '{then}' WHERE id = '{id}'")).await;
    let r = json_of(op.post("/api/v1/operator/auto-release", &json!({})).await, StatusCode::OK).await;
    assert_eq!(r["released"], json!([id]));
    let o = json_of(seller.get(&format!("/api/v1/orders/{id}")).await, StatusCode::OK).await;
    assert_eq!(o["status"]["status"], "completed");
    let r = json_of(op.post("/api/v1/operator/auto-release", &json!({})).await, StatusCode::OK).await;
    assert_eq!(r["released"], json!([]), "released once");
    let n = json_of(buyer.get("/api/v1/notifications").await, StatusCode::OK).await;
    assert_eq!(n["items"][0]["kind"], "order_auto_released", "{n}");
    assert_eq!(count(&app.store, "ledger_entries").await, 2);
}

async fn sqlx_exec(app: &TestApp, sql: &str) {
    sqlx::query(sql).execute(app.store.pool()).await.expect("exec");
}
