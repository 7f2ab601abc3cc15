//! The document set of an order: one entry point that generates any kind from the order's
//! facts, and the summary of a commercial invoice for the set's consistency check.

use crate::{GenerateError, Generated};
use tradewind_domain::documents::{CommercialInvoice, DocumentKind, DocumentSummary, SummaryLine, TradeFacts};

/// Every rendition of `kind` for the order described by `facts`, numbered for `version`
/// and dated `issue_date`. The commercial invoice and the credit note have their own entry
/// points (they need the order's terms and refunds) and are refused here.
pub fn generate(
    kind: DocumentKind,
    facts: &TradeFacts,
    version: u32,
    issue_date: time::Date,
) -> Result<Vec<Generated>, GenerateError> {
    use crate::{
        air_waybill, certificate_of_origin, dcsa_ebl, declaration, delivery_order, indemnity, insurance, manifest,
        packing_list, proforma,
    };
    let (f, v, d) = (facts, version, issue_date);
    match kind {
        DocumentKind::CommercialInvoice | DocumentKind::CreditNote => Err(GenerateError::Unsupported(kind)),
        DocumentKind::ProformaInvoice => proforma::generate(f, v, d),
        DocumentKind::PackingList => packing_list::generate(f, v, d),
        DocumentKind::CertificateOfOrigin => certificate_of_origin::generate(f, v, d),
        DocumentKind::BillOfLading => dcsa_ebl::generate_bill_of_lading(f, v, d),
        DocumentKind::SeaWaybill => dcsa_ebl::generate_sea_waybill(f, v, d),
        DocumentKind::AirWaybill => air_waybill::generate(f, v, d),
        DocumentKind::DeliveryOrder => delivery_order::generate(f, v, d),
        DocumentKind::LetterOfIndemnity => indemnity::generate(f, v, d),
        DocumentKind::InsuranceCertificate => insurance::generate(f, v, d),
        DocumentKind::CargoManifest => manifest::generate(f, v, d),
        DocumentKind::ExportDeclaration => declaration::generate_export(f, v, d),
        DocumentKind::ImportDeclaration => declaration::generate_import(f, v, d),
        DocumentKind::DrawbackClaim => declaration::generate_drawback(f, v, d, &f.seller_fields.drawback_imports),
    }
}

/// What a commercial invoice states for the consistency check.
pub fn invoice_summary(inv: &CommercialInvoice) -> DocumentSummary {
    let mut s = DocumentSummary::new(DocumentKind::CommercialInvoice, inv.number.clone());
    s.seller = Some(inv.seller.legal_name.clone());
    s.buyer = Some(inv.buyer.legal_name.clone());
    s.lines = inv
        .lines
        .iter()
        .map(|l| SummaryLine {
            description: l.description.clone(),
            hs_code: Some(l.hs_code.clone()),
            quantity: Some(l.quantity),
            unit: Some(l.unit.code().to_string()),
        })
        .collect();
    s.total = inv.total().ok();
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use tradewind_domain::documents::{consistency, sample_trade_facts};

    #[test]
    fn the_sample_shipment_yields_the_whole_set_and_it_agrees() {
        let mut facts = sample_trade_facts(0);
        facts.seller_fields.drawback_imports = vec![tradewind_domain::documents::ImportLink {
            goods_item: 1,
            import_declaration: "26DE000000000001A1".into(),
            import_goods_item: Some(1),
        }];
        let day = time::macros::date!(2026 - 11 - 26);
        let mut summaries = Vec::new();
        for kind in DocumentKind::ALL {
            if matches!(kind, DocumentKind::CommercialInvoice | DocumentKind::CreditNote | DocumentKind::AirWaybill) {
                continue;
            }
            let generated = generate(kind, &facts, 1, day).unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert!(!generated.is_empty(), "{kind}");
            for g in &generated {
                assert!(!g.content.is_empty() && g.number.ends_with("-1"), "{kind}: {}", g.number);
            }
            summaries.push(generated[0].summary.clone());
        }
        let invoice = tradewind_domain::documents::CommercialInvoice {
            number: facts.number("INV", 1),
            issue_date: day,
            due_date: None,
            currency: facts.currency,
            order_reference: facts.order_id.clone(),
            seller: facts.seller.clone(),
            buyer: facts.buyer.clone(),
            lines: facts.lines.clone(),
            delivery_terms: "FOB VNSGN".into(),
            delivery_country: None,
            payment_note: String::new(),
            vat: Default::default(),
            allowances_charges: Vec::new(),
            delivery_date: None,
        };
        summaries.push(invoice_summary(&invoice));
        assert_eq!(consistency::check(&summaries), vec![]);

        // The carrier weighed the container heavier than the packing list says.
        facts.carrier_fields.verified_gross_kg = Some("14700".parse().expect("kg"));
        let bl = generate(DocumentKind::BillOfLading, &facts, 1, day).expect("bl");
        summaries.push(bl[0].summary.clone());
        let found = consistency::check(&summaries);
        assert!(found.iter().any(|i| i.fact == "gross weight (kg)"), "{found:#?}");
    }

    #[test]
    fn missing_data_is_named_field_by_field() {
        let mut facts = sample_trade_facts(0);
        facts.seller_fields.lines[1].gross_kg = None;
        facts.carrier_fields.vessel_name = None;
        let Err(GenerateError::Missing(e)) =
            generate(DocumentKind::PackingList, &facts, 1, time::macros::date!(2026 - 11 - 26))
        else {
            panic!("a packing list without a weight is refused");
        };
        assert!(e.0.iter().any(|f| f.field == "seller_fields.lines[1].gross_kg"), "{e:?}");
        let Err(GenerateError::Missing(e)) =
            generate(DocumentKind::BillOfLading, &facts, 1, time::macros::date!(2026 - 11 - 26))
        else {
            panic!("a bill of lading without a vessel is refused");
        };
        assert!(e.0.iter().any(|f| f.field == "carrier_fields.vessel_name"), "{e:?}");
    }
}
