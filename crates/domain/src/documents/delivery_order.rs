//! The delivery order: the carrier (or its agent at destination) tells the terminal to
//! release the goods of a transport document to the consignee, on stated conditions.
//!
//! It refers to the transport document of the same version (`BL-…-n` or `SWB-…-n`), which
//! it rebuilds from the facts, so whatever that document lacks is named here too.

use super::transport::{FreightPayable, TransportDocument, TransportDocumentType};
use super::view::{DocumentSummary, DocumentView, ViewTable};
use super::{DocumentKind, DocumentParty, Signatory, TradeFacts};
use crate::codes::Locode;
use crate::validation::ValidationErrors;
use serde::{Deserialize, Serialize};

/// A delivery order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryOrder {
    pub number: String,
    pub issue_date: time::Date,
    /// The transport document the goods travel under.
    pub transport_document: TransportDocument,
    /// Who the goods are released to.
    pub release_to: DocumentParty,
    pub issued_by: DocumentParty,
    pub place_of_delivery: Locode,
    /// What must happen before release, in words.
    pub release_conditions: Vec<String>,
    pub place_of_issue: String,
    pub signatory: Signatory,
}

impl DeliveryOrder {
    /// The delivery order against the bill of lading of the same version.
    pub fn build(facts: &TradeFacts, version: u32, issue_date: time::Date) -> Result<Self, ValidationErrors> {
        Self::build_against(TransportDocumentType::BillOfLading, facts, version, issue_date)
    }

    /// The delivery order against the bill of lading or the sea waybill of the same version.
    pub fn build_against(
        document_type: TransportDocumentType,
        facts: &TradeFacts,
        version: u32,
        issue_date: time::Date,
    ) -> Result<Self, ValidationErrors> {
        let td = TransportDocument::build_as(document_type, facts, version, issue_date)?;
        let mut release_conditions = Vec::new();
        match document_type {
            TransportDocumentType::BillOfLading => release_conditions.push(format!(
                "Surrender of one original bill of lading {} (of {}), duly endorsed",
                td.number, td.originals
            )),
            TransportDocumentType::SeaWaybill => release_conditions
                .push(format!("Proof of identity of the consignee named on sea waybill {}", td.number)),
        }
        if td.freight == FreightPayable::Collect {
            release_conditions.push("Payment of the collect freight and destination charges to the carrier".into());
        }
        release_conditions.push("Release by customs at the place of delivery (import clearance)".into());
        Ok(DeliveryOrder {
            number: facts.number("DO", version),
            issue_date,
            release_to: td.consignee.clone(),
            issued_by: td.carrier.clone(),
            place_of_delivery: td.place_of_delivery.clone(),
            release_conditions,
            place_of_issue: td.place_of_issue.clone(),
            signatory: td.signatory.clone(),
            transport_document: td,
        })
    }

    pub fn summary(&self) -> DocumentSummary {
        let td = self.transport_document.summary();
        let mut s = DocumentSummary::new(DocumentKind::DeliveryOrder, &self.number);
        s.seller = td.seller;
        s.buyer = Some(self.release_to.legal_name.clone());
        s.lines = td.lines;
        s.gross_kg = td.gross_kg;
        s.packages = td.packages;
        s.port_of_loading = td.port_of_loading;
        s.port_of_discharge = td.port_of_discharge;
        s.shipment_date = td.shipment_date;
        s
    }

    pub fn view(&self) -> DocumentView {
        let td = &self.transport_document;
        let containers: Vec<&str> = td.equipment.iter().map(|q| q.container.as_str()).collect();
        DocumentView {
            title: DocumentKind::DeliveryOrder.title().into(),
            number: self.number.clone(),
            issue_date: self.issue_date,
            parties: vec![
                ("Issued by (carrier)".into(), self.issued_by.clone()),
                ("Release to".into(), self.release_to.clone()),
            ],
            fields: vec![
                (td.document_type.kind().title().into(), td.number.clone()),
                ("Vessel / voyage".into(), format!("{} / {}", td.vessel_name, td.voyage_number)),
                ("Port of discharge".into(), td.port_of_discharge.to_string()),
                ("Place of delivery".into(), self.place_of_delivery.to_string()),
                ("Containers".into(), containers.join(", ")),
            ],
            table: ViewTable {
                columns: ["Packages", "Kind", "Description of goods", "Gross kg"].map(String::from).to_vec(),
                numeric: vec![true, false, false, true],
                rows: td
                    .goods
                    .iter()
                    .map(|g| {
                        vec![
                            g.packages.to_string(),
                            g.package_type.clone(),
                            g.description.clone(),
                            g.gross_kg.to_string(),
                        ]
                    })
                    .collect(),
            },
            totals: vec![
                ("Packages".into(), td.packages().to_string()),
                ("Gross weight (kg)".into(), td.gross_kg.to_string()),
            ],
            notes: self.release_conditions.iter().map(|c| format!("Release condition: {c}")).collect(),
            signatory: Some(self.signatory.clone()),
            place_of_issue: Some(self.place_of_issue.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::sample_trade_facts;
    use time::macros::date;

    #[test]
    fn built_from_the_sample() {
        let f = sample_trade_facts(0);
        let d = DeliveryOrder::build(&f, 1, date!(2026 - 12 - 22)).expect("delivery order");
        assert_eq!(d.number, "DO-01JD8W4M6Q0S-1");
        assert_eq!(d.transport_document.number, "BL-01JD8W4M6Q0S-1");
        assert_eq!(d.place_of_delivery.as_str(), "DEHAM");
        assert!(d.release_conditions[0].contains("original bill of lading"));
        assert!(d.release_conditions.iter().any(|c| c.contains("collect freight")), "FOB is collect");
        assert_eq!(d.summary().packages, Some(584));
        let swb =
            DeliveryOrder::build_against(TransportDocumentType::SeaWaybill, &f, 1, date!(2026 - 12 - 22)).expect("do");
        assert!(swb.release_conditions[0].contains("identity"));
    }

    #[test]
    fn what_the_transport_document_lacks_is_named() {
        let mut f = sample_trade_facts(0);
        f.carrier_fields.vessel_name = None;
        f.seller_fields.lines[0].gross_kg = None;
        let e = DeliveryOrder::build(&f, 1, date!(2026 - 12 - 22)).expect_err("missing");
        let fields: Vec<&str> = e.0.iter().map(|x| x.field.as_str()).collect();
        assert_eq!(fields, ["carrier_fields.vessel_name", "seller_fields.lines[0].gross_kg"]);
    }
}
