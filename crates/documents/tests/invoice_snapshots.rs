//! Snapshots of the commercial invoice and the credit note, UBL and CII, for the sample
//! shipment: any change in what the writers produce shows up here for review. Rewrite the
//! expected files with `UPDATE_SNAPSHOTS=1` after checking the difference.

use std::path::PathBuf;
use tradewind_documents::{cii, ubl};
use tradewind_domain::Money;
use tradewind_domain::documents::{CommercialInvoice, CreditNote, sample_trade_facts};

fn sample_invoice() -> CommercialInvoice {
    let f = sample_trade_facts(0);
    CommercialInvoice {
        number: f.number("INV", 1),
        issue_date: time::macros::date!(2026 - 11 - 26),
        due_date: None,
        currency: f.currency,
        order_reference: f.order_id.clone(),
        seller: f.seller.clone(),
        buyer: f.buyer.clone(),
        lines: f.lines.clone(),
        delivery_terms: "FOB VNSGN".into(),
        delivery_country: Some(f.named_place.country()),
        payment_note: f.payment_note.clone(),
        vat: Default::default(),
        allowances_charges: Vec::new(),
        delivery_date: None,
    }
}

fn matches_snapshot(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(expected == actual, "{name} changed; review and run with UPDATE_SNAPSHOTS=1:\n{actual}");
}

#[test]
fn the_commercial_invoice_matches_its_snapshots() {
    let inv = sample_invoice();
    matches_snapshot("commercial_invoice.ubl.xml", &ubl::invoice(&inv).expect("ubl"));
    matches_snapshot("commercial_invoice.cii.xml", &cii::invoice(&inv).expect("cii"));
}

#[test]
fn the_credit_note_matches_its_snapshots() {
    let inv = sample_invoice();
    let refunded = Money::new("1250.00".parse().expect("amount"), inv.currency).expect("money");
    let cn = CreditNote::for_refund(inv.clone(), &inv.number, refunded).expect("credit note");
    matches_snapshot("credit_note.ubl.xml", &ubl::credit_note(&cn).expect("ubl"));
    matches_snapshot("credit_note.cii.xml", &cii::credit_note(&cn).expect("cii"));
}
