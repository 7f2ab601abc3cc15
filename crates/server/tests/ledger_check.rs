//! The ledger check (`Store::check_ledger`, `tradewind ledger check`) on books the API wrote:
//! sound after a real funding through the bank, and naming each fault planted by hand (an
//! unbalanced entry and the trial balance it breaks, escrow driven below zero, an order
//! whose status disagrees with its entries, a settled payment without its entry).

mod common;

use common::*;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::Row;
use tradewind_store::{LedgerFault, Store};

async fn exec(store: &Store, sql: &str) {
    sqlx::query(sql).execute(store.pool()).await.expect(sql);
}

async fn text(store: &Store, sql: &str) -> String {
    sqlx::query(sql).fetch_one(store.pool()).await.expect(sql).try_get(0).expect("text")
}

/// A funded order and an agreed one between two verified companies.
async fn books(app: &TestApp) -> (String, String) {
    let (buyer, _) = app.register("Buyer GmbH", "DE", "HRB-1", "buyer@b.example").await;
    let (seller, seller_org) = app.register("Seller Co", "VN", "VN-1", "seller@s.example").await;
    verify(app, &seller_org).await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let o = json_of(buyer.post("/api/v1/orders", &purchase_order(&seller_org)).await, StatusCode::CREATED).await;
        let id = o["id"].as_str().expect("id").to_string();
        for s in [&seller, &buyer] {
            json_of(s.post(&format!("/api/v1/orders/{id}/events"), &json!({"event": "accept"})).await, StatusCode::OK)
                .await;
        }
        ids.push(id);
    }
    fund_through_bank(&buyer, &ids[0]).await;
    (ids[0].clone(), ids[1].clone())
}

#[tokio::test]
async fn books_written_by_the_api_are_sound_and_planted_faults_are_named() {
    let app = TestApp::spawn().await;
    let (funded, agreed) = books(&app).await;
    let report = app.store.check_ledger().await.expect("check");
    assert!(report.is_sound(), "{:?}", report.faults);
    assert_eq!(report.entries_checked, 1);
    assert_eq!(report.orders_checked, 2);
    assert_eq!(report.trial_balance, vec![("USD".to_string(), Decimal::ZERO)]);
    assert_eq!(report.entries_by_kind.get("fund"), Some(&1));

    // The agreed order claims to be funded: no fund entry, no money in escrow.
    let state = text(&app.store, &format!("SELECT state FROM orders WHERE id = '{funded}'")).await;
    let agreed_state = text(&app.store, &format!("SELECT state FROM orders WHERE id = '{agreed}'")).await;
    exec(&app.store, &format!("UPDATE orders SET status = 'funded', state = '{state}' WHERE id = '{agreed}'")).await;
    let report = app.store.check_ledger().await.expect("check");
    assert!(
        report.faults.iter().any(|f| matches!(f, LedgerFault::StatusDisagrees { order_id, reason, .. }
            if *order_id == agreed && reason.contains("no fund entry"))),
        "{:?}",
        report.faults
    );
    exec(&app.store, &format!("UPDATE orders SET status = 'agreed', state = '{agreed_state}' WHERE id = '{agreed}'"))
        .await;

    // The fund entry's debit altered: the entry and the trial balance no longer balance.
    let postings = text(&app.store, &format!("SELECT postings FROM ledger_entries WHERE order_id = '{funded}'")).await;
    assert!(postings.contains("\"425\""), "{postings}");
    let altered = postings.replacen("\"425\"", "\"400\"", 1);
    exec(&app.store, &format!("UPDATE ledger_entries SET postings = '{altered}' WHERE order_id = '{funded}'")).await;
    let report = app.store.check_ledger().await.expect("check");
    assert!(report.faults.iter().any(|f| matches!(f, LedgerFault::EntryUnbalanced { .. })), "{:?}", report.faults);
    assert!(
        report.faults.iter().any(|f| matches!(f, LedgerFault::TrialBalanceNotZero { currency, off_by }
            if currency == "USD" && off_by.abs() == Decimal::new(25, 0))),
        "{:?}",
        report.faults
    );
    exec(&app.store, &format!("UPDATE ledger_entries SET postings = '{postings}' WHERE order_id = '{funded}'")).await;
    let report = app.store.check_ledger().await.expect("check");
    assert!(report.is_sound(), "{:?}", report.faults);

    // A release of more than escrow holds, balanced in itself, posted behind the order's back.
    let parsed: serde_json::Value = serde_json::from_str(&postings).expect("postings");
    let mut amount = parsed[1]["amount"].clone();
    let currency = amount["currency"].clone();
    amount = json!({"amount": "500.00", "currency": currency});
    let release = json!([
        {"account": {"kind": "escrow", "order": funded}, "side": "debit", "amount": amount},
        {"account": {"kind": "platform_fees"}, "side": "credit", "amount": amount},
    ])
    .to_string();
    exec(
        &app.store,
        &format!(
            "INSERT INTO ledger_entries (id, order_id, kind, memo, postings, created_at)
             VALUES ('zzzz-release', '{funded}', 'release', 'planted', '{release}', '2099-01-01T00:00:00.000000Z')"
        ),
    )
    .await;
    let report = app.store.check_ledger().await.expect("check");
    assert!(
        report.faults.iter().any(|f| matches!(f, LedgerFault::NegativeBalance { after_entry, .. }
            if after_entry == "zzzz-release")),
        "{:?}",
        report.faults
    );
    assert!(
        report.faults.iter().any(|f| matches!(f, LedgerFault::StatusDisagrees { order_id, .. } if *order_id == funded)),
        "{:?}",
        report.faults
    );
    assert!(report.trial_balance.iter().all(|(_, d)| d.is_zero()), "a balanced entry keeps the trial balance");
    exec(&app.store, "DELETE FROM ledger_entries WHERE id = 'zzzz-release'").await;

    // A settled payment that lost its entry.
    exec(&app.store, &format!("UPDATE payments SET entry_id = NULL WHERE order_id = '{funded}'")).await;
    let report = app.store.check_ledger().await.expect("check");
    assert!(
        report.faults.iter().any(|f| matches!(f, LedgerFault::PaymentDisagrees { reason, .. }
            if reason.contains("without a fund entry"))),
        "{:?}",
        report.faults
    );
}
