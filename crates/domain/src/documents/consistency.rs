//! The cross-document check: the invoice, packing list, transport documents, certificate of
//! origin and the rest must agree on parties, goods, quantities, weights, ports and dates.
//! Each document states some of these facts in its [`DocumentSummary`]; a fact that two
//! documents state differently is an [`Inconsistency`] naming every document and its value,
//! so the trader can see which one to correct before issuing.

use super::{DocumentKind, DocumentSummary};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What one document says about a fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatedValue {
    pub kind: DocumentKind,
    pub number: String,
    pub value: String,
}

/// A fact the documents state differently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inconsistency {
    /// The fact, e.g. `gross weight (kg)` or `quantity of HS 090411`.
    pub fact: String,
    pub stated: Vec<StatedValue>,
    /// One sentence a person can act on.
    pub message: String,
}

fn normal_text(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

fn normal_number(d: Decimal) -> String {
    d.normalize().to_string()
}

/// The facts a summary states, as (fact, value) pairs in a form where equal means agreeing.
fn stated_facts(s: &DocumentSummary) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(v) = &s.seller {
        out.push(("seller / shipper".to_string(), normal_text(v)));
    }
    if let Some(v) = &s.buyer {
        out.push(("buyer / consignee".to_string(), normal_text(v)));
    }
    if let Some(v) = s.gross_kg {
        out.push(("gross weight (kg)".to_string(), normal_number(v)));
    }
    if let Some(v) = s.net_kg {
        out.push(("net weight (kg)".to_string(), normal_number(v)));
    }
    if let Some(v) = s.packages {
        out.push(("number of packages".to_string(), v.to_string()));
    }
    if let Some(v) = &s.port_of_loading {
        out.push(("port of loading".to_string(), v.to_string()));
    }
    if let Some(v) = &s.port_of_discharge {
        out.push(("port of discharge".to_string(), v.to_string()));
    }
    if let Some(v) = s.shipment_date {
        out.push(("date of shipment".to_string(), v.to_string()));
    }
    // A credit note states a refund and a drawback claim the re-exported part of the goods,
    // not the whole shipment or its value: they are compared on their parties and transport.
    if matches!(s.kind, DocumentKind::CreditNote | DocumentKind::DrawbackClaim) {
        return out;
    }
    if let Some(v) = &s.total {
        out.push((format!("total value ({})", v.currency()), normal_number(v.amount())));
    }
    if !s.lines.is_empty() {
        let mut hs: Vec<String> = s.lines.iter().filter_map(|l| l.hs_code.as_ref().map(|h| h.to_string())).collect();
        if hs.len() == s.lines.len() {
            hs.sort();
            out.push(("HS codes of the goods".to_string(), hs.join(", ")));
        }
        // Quantities per HS code and unit, where the document gives both.
        let mut quantities: BTreeMap<(String, String), Decimal> = BTreeMap::new();
        for l in &s.lines {
            if let (Some(h), Some(q), Some(u)) = (&l.hs_code, l.quantity, &l.unit) {
                *quantities.entry((h.to_string(), u.clone())).or_default() += q;
            }
        }
        for ((h, u), q) in quantities {
            out.push((format!("quantity of HS {h} ({u})"), normal_number(q)));
        }
        let mut descriptions: Vec<String> = s.lines.iter().map(|l| normal_text(&l.description)).collect();
        descriptions.sort();
        out.push(("goods descriptions".to_string(), descriptions.join(" | ")));
    }
    out
}

/// Every fact that two or more of `documents` state differently, in a stable order.
pub fn check(documents: &[DocumentSummary]) -> Vec<Inconsistency> {
    let mut by_fact: BTreeMap<String, Vec<StatedValue>> = BTreeMap::new();
    for d in documents {
        for (fact, value) in stated_facts(d) {
            by_fact.entry(fact).or_default().push(StatedValue { kind: d.kind, number: d.number.clone(), value });
        }
    }
    let mut found = Vec::new();
    for (fact, stated) in by_fact {
        let first = match stated.first() {
            Some(f) => f.value.clone(),
            None => continue,
        };
        if stated.iter().all(|s| s.value == first) {
            continue;
        }
        let said: Vec<String> =
            stated.iter().map(|s| format!("{} {} says {}", s.kind.title().to_lowercase(), s.number, s.value)).collect();
        found.push(Inconsistency {
            message: format!(
                "The {fact} differs between documents: {}. Correct the source and issue again.",
                said.join("; ")
            ),
            fact,
            stated,
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::SummaryLine;

    fn summary(kind: DocumentKind, gross: &str) -> DocumentSummary {
        let mut s = DocumentSummary::new(kind, format!("{}-1", kind.as_str()));
        s.seller = Some("Saigon Spice Export JSC".into());
        s.buyer = Some("Hanseatic  Fine Foods GmbH".into());
        s.gross_kg = Some(gross.parse().expect("gross"));
        s.port_of_loading = Some("VNSGN".parse().expect("locode"));
        s.lines = vec![SummaryLine {
            description: "Black pepper".into(),
            hs_code: Some("090411".parse().expect("hs")),
            quantity: Some("9600".parse().expect("qty")),
            unit: Some("KGM".into()),
        }];
        s
    }

    #[test]
    fn agreeing_documents_have_no_inconsistency() {
        let mut bl = summary(DocumentKind::BillOfLading, "14652.0");
        bl.buyer = Some("hanseatic fine foods gmbh".into());
        bl.lines[0].quantity = None;
        assert_eq!(check(&[summary(DocumentKind::PackingList, "14652"), bl]), vec![]);
    }

    #[test]
    fn a_wrong_weight_is_named_with_each_document_and_value() {
        let found = check(&[
            summary(DocumentKind::PackingList, "14652"),
            summary(DocumentKind::BillOfLading, "14700"),
            summary(DocumentKind::CertificateOfOrigin, "14652"),
        ]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].fact, "gross weight (kg)");
        assert_eq!(found[0].stated.len(), 3);
        assert!(found[0].message.contains("bill of lading bill_of_lading-1 says 14700"), "{}", found[0].message);
    }

    #[test]
    fn quantities_hs_codes_and_ports_are_compared() {
        let mut other = summary(DocumentKind::CommercialInvoice, "14652");
        other.lines[0].quantity = Some("9500".parse().expect("qty"));
        other.port_of_loading = Some("VNHPH".parse().expect("locode"));
        let facts: Vec<String> =
            check(&[summary(DocumentKind::PackingList, "14652"), other]).into_iter().map(|i| i.fact).collect();
        assert_eq!(facts, vec!["port of loading".to_string(), "quantity of HS 090411 (KGM)".to_string()]);
        let mut reclassified = summary(DocumentKind::CertificateOfOrigin, "14652");
        reclassified.lines[0].hs_code = Some("090412".parse().expect("hs"));
        let facts: Vec<String> =
            check(&[summary(DocumentKind::PackingList, "14652"), reclassified]).into_iter().map(|i| i.fact).collect();
        assert_eq!(facts, vec!["HS codes of the goods".to_string()]);
    }

    #[test]
    fn a_credit_note_is_not_compared_on_goods_or_value() {
        let mut cn = summary(DocumentKind::CreditNote, "14652");
        cn.lines[0].description = "Refund".into();
        cn.total = Some(crate::Money::new("10".parse().expect("d"), "USD".parse().expect("c")).expect("m"));
        let mut inv = summary(DocumentKind::CommercialInvoice, "14652");
        inv.total = Some(crate::Money::new("40800".parse().expect("d"), "USD".parse().expect("c")).expect("m"));
        assert_eq!(check(&[inv, cn]), vec![]);
    }
}
