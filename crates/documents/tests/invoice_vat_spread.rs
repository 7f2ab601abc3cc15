//! A spread of generated invoices and credit notes — currencies EUR, USD and JPY; VAT
//! categories O, G, K, AE, S, Z and E; freight, insurance and discounts; several lines —
//! each written as UBL and as CII and checked by the official validator (XSD, EN 16931
//! and, where both parties have an LEI, Peppol BIS Billing 3.0). Any fatal rule fails.

mod invoice_support;

use invoice_support::{BUYER_LEI, SELLER_LEI, money, official_validator, party, terms};
use tradewind_documents::{cii, ubl};
use tradewind_domain::documents::{
    CommercialInvoice, CreditNote, InvoiceOptions, SupplyKind, VatCategory, VatTreatment,
};

struct Case {
    tag: &'static str,
    invoice: CommercialInvoice,
    expect: VatCategory,
    /// The payable amount the invoice must state.
    payable: &'static str,
}

fn build(
    tag: &'static str,
    (seller, buyer): (tradewind_domain::documents::DocumentParty, tradewind_domain::documents::DocumentParty),
    t: tradewind_domain::deal::order::OrderTerms,
    options: InvoiceOptions,
    expect: VatCategory,
    payable: &'static str,
) -> Case {
    let invoice = CommercialInvoice::for_order_with(
        &format!("0190-{tag}"),
        1,
        &t,
        seller,
        buyer,
        time::macros::date!(2026 - 11 - 26),
        "Paid into escrow on tradewind".into(),
        &options,
    )
    .expect(tag);
    Case { tag, invoice, expect, payable }
}

fn cases() -> Vec<Case> {
    let delivered = Some(time::macros::date!(2026 - 11 - 20));
    let de = |lei| party("Hanse Kaffee", "DE", Some("DE123456789"), lei);
    let fr = |lei| party("Brulerie Lyon", "FR", Some("FR12345678901"), lei);
    let vn = |lei| party("Saigon Pepper", "VN", Some("VN0312345678"), lei);
    vec![
        // O: no VAT ids at all; USD, FOB, as the platform issues today.
        build(
            "o-usd",
            (party("Saigon Pepper", "VN", None, None), party("Hanse Kaffee", "DE", None, None)),
            terms("USD", "FOB", "VNSGN", &[("100", "4.25"), ("2.5", "6.13")]),
            InvoiceOptions::default(),
            VatCategory::OutsideScope,
            "440.32",
        ),
        // O with charges: the buyer's VAT id is on record but must not be shown.
        build(
            "o-cif-eur",
            (party("Saigon Pepper", "VN", None, Some(SELLER_LEI)), de(Some(BUYER_LEI))),
            terms("EUR", "CIF", "DEHAM", &[("1000", "3.10")]),
            InvoiceOptions {
                freight: Some(money("250", "EUR")),
                insurance: Some(money("12.40", "EUR")),
                ..InvoiceOptions::default()
            },
            VatCategory::OutsideScope,
            "3362.40",
        ),
        // G: a VAT-registered Vietnamese exporter to Germany, CIF with freight, insurance and
        // a discount; Peppol.
        build(
            "g-cif-eur",
            (vn(Some(SELLER_LEI)), de(Some(BUYER_LEI))),
            terms("EUR", "CIF", "DEHAM", &[("1000", "3.10"), ("250", "4.05"), ("12.5", "19.99")]),
            InvoiceOptions {
                freight: Some(money("480", "EUR")),
                insurance: Some(money("21.35", "EUR")),
                discount: Some(money("100", "EUR")),
                ..InvoiceOptions::default()
            },
            VatCategory::Export,
            "4763.73",
        ),
        // G in JPY (no minor unit), CIP.
        build(
            "g-cip-jpy",
            (vn(None), party("Kyoto Trading", "JP", Some("JP1234567890123"), None)),
            terms("JPY", "CIP", "JPTYO", &[("40", "1250"), ("3", "613")]),
            InvoiceOptions {
                freight: Some(money("9000", "JPY")),
                insurance: Some(money("350", "JPY")),
                ..InvoiceOptions::default()
            },
            VatCategory::Export,
            "61189",
        ),
        // K: goods from Germany to France, both VAT-registered; CPT with freight.
        build(
            "k-cpt-eur",
            (de(Some(SELLER_LEI)), fr(Some(BUYER_LEI))),
            terms("EUR", "CPT", "FRLYS", &[("60", "12.50"), ("12", "7.25")]),
            InvoiceOptions { freight: Some(money("95", "EUR")), delivery_date: delivered, ..InvoiceOptions::default() },
            VatCategory::IntraCommunitySupply,
            "932.00",
        ),
        // AE: the same parties, services (reverse charge), in USD.
        build(
            "ae-usd",
            (de(None), fr(None)),
            terms("USD", "EXW", "DEHAM", &[("8", "150"), ("1", "99.99")]),
            InvoiceOptions { supply: SupplyKind::Services, ..InvoiceOptions::default() },
            VatCategory::ReverseCharge,
            "1299.99",
        ),
        // S: domestic German sale at 19 %, DAP with freight and a discount. Not Peppol: the
        // German Peppol rules (DE-R-001, DE-R-005/006) want payment instructions and a
        // seller telephone number, which the platform does not hold.
        build(
            "s-de-eur",
            (de(None), party("Kaffeehaus Berlin", "DE", Some("DE987654321"), None)),
            terms("EUR", "DAP", "DEBER", &[("100", "4.25"), ("2.5", "6.13"), ("3", "0.33")]),
            InvoiceOptions {
                freight: Some(money("35", "EUR")),
                discount: Some(money("10.50", "EUR")),
                ..InvoiceOptions::default()
            },
            VatCategory::StandardRate,
            // 440.32 + 0.99 + 35 − 10.50 = 465.81; VAT 88.5039 → 88.50.
            "554.31",
        ),
        // S: domestic French sale at 20 %, Peppol.
        build(
            "s-fr-eur",
            (fr(Some(SELLER_LEI)), party("Cafe Marseille", "FR", Some("FR98765432109"), Some(BUYER_LEI))),
            terms("EUR", "DAP", "FRMRS", &[("3", "19.99"), ("1", "0.05")]),
            InvoiceOptions { freight: Some(money("7.90", "EUR")), ..InvoiceOptions::default() },
            VatCategory::StandardRate,
            // 59.97 + 0.05 + 7.90 = 67.92; VAT 13.584 → 13.58.
            "81.50",
        ),
        // S: domestic Vietnamese sale at 10 % in JPY.
        build(
            "s-vn-jpy",
            (vn(None), party("Hanoi Foods", "VN", Some("VN0109876543"), None)),
            terms("JPY", "EXW", "VNSGN", &[("7", "1999")]),
            InvoiceOptions::default(),
            VatCategory::StandardRate,
            // 13993 + 10 % = 1399.3 → 1399.
            "15392",
        ),
        // Z: zero-rated, explicitly chosen.
        build(
            "z-eur",
            (de(None), party("Kaffeehaus Berlin", "DE", Some("DE987654321"), None)),
            terms("EUR", "FCA", "DEHAM", &[("10", "2.50")]),
            InvoiceOptions { vat: Some(VatTreatment::zero_rated()), ..InvoiceOptions::default() },
            VatCategory::ZeroRated,
            "25.00",
        ),
        // E: exempt, with its reason.
        build(
            "e-usd",
            (de(None), party("Kaffeehaus Berlin", "DE", Some("DE987654321"), None)),
            terms("USD", "FCA", "DEHAM", &[("10", "2.50")]),
            InvoiceOptions {
                vat: Some(VatTreatment::exempt("Exempt under Article 132(1)(c) of Directive 2006/112/EC")),
                ..InvoiceOptions::default()
            },
            VatCategory::Exempt,
            "25.00",
        ),
    ]
}

fn payable(xml: &str, ubl: bool) -> String {
    let (open, close) = if ubl {
        ("<cbc:PayableAmount", "</cbc:PayableAmount>")
    } else {
        ("<ram:DuePayableAmount>", "</ram:DuePayableAmount>")
    };
    let start = xml.find(open).expect("payable");
    let rest = &xml[start..];
    let gt = rest.find('>').expect(">") + 1;
    rest[gt..rest.find(close).expect("close")].to_string()
}

#[test]
fn every_vat_category_currency_and_charge_passes_the_official_rules() {
    let mut failures = Vec::new();
    for case in cases() {
        assert_eq!(case.invoice.vat.category, case.expect, "{}", case.tag);
        let number = case.invoice.number.clone();
        let credited = case.invoice.totals().expect("totals").tax_exclusive;
        let cn = CreditNote::for_refund(case.invoice.clone(), &number, credited).expect("credit note");
        let docs = [
            ("ubl", ubl::invoice(&case.invoice).expect("ubl"), true),
            ("cii", cii::invoice(&case.invoice).expect("cii"), false),
            ("ubl-cn", ubl::credit_note(&cn).expect("ubl cn"), true),
            ("cii-cn", cii::credit_note(&cn).expect("cii cn"), false),
        ];
        for (syntax, xml, is_ubl) in docs {
            let tag = format!("{}-{syntax}", case.tag);
            if !syntax.ends_with("-cn") {
                assert_eq!(payable(&xml, is_ubl), case.payable, "{tag}\n{xml}");
            }
            assert!(xml.contains(case.expect.code()), "{tag}");
            for vat_id in [&case.invoice.seller.vat_id, &case.invoice.buyer.vat_id].into_iter().flatten() {
                let shown = xml.contains(vat_id.as_str());
                assert_eq!(shown, case.expect != VatCategory::OutsideScope, "{tag}: VAT id {vat_id} (BR-O-02)");
            }
            match official_validator(&xml, &tag) {
                None => return,
                Some(Ok(())) => {}
                Some(Err(report)) => failures.push(format!("{tag}:\n{report}\n{xml}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
