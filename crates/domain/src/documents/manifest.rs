//! The cargo manifest the carrier files with customs: the conveyance (vessel and voyage, or
//! flight), where it loads and unloads, and the consignment with its transport document,
//! parties, equipment and goods.
//!
//! The platform issues one manifest per shipment, holding that order's one consignment; a
//! vessel- or flight-level manifest aggregating every consignment on board is the carrier's
//! and out of scope. Sea and air shipments only: road and rail manifests differ per border.

use super::air_waybill::AirWaybill;
use super::transport::{CarriedGoods, Equipment, TransportDocument, carried_goods, carrier_gross_kg};
use super::view::{DocumentSummary, DocumentView, SummaryLine, ViewTable};
use super::{DocumentKind, DocumentParty, Signatory, TradeFacts};
use crate::codes::Locode;
use crate::logistics::{Scac, TransportMode};
use crate::validation::ValidationErrors;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One consignment on the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestConsignment {
    /// The bill of lading or air waybill number.
    pub transport_document: String,
    pub consignor: DocumentParty,
    pub consignee: DocumentParty,
    pub notify_party: DocumentParty,
    pub gross_kg: Decimal,
    pub packages: u32,
    pub equipment: Vec<Equipment>,
    pub goods: Vec<CarriedGoods>,
    pub marks_and_numbers: Option<String>,
}

/// A cargo manifest for one shipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CargoManifest {
    pub number: String,
    pub issue_date: time::Date,
    pub carrier: DocumentParty,
    pub scac: Scac,
    pub mode: TransportMode,
    /// The vessel's name, or the flight number for air.
    pub conveyance: String,
    /// The voyage or flight number.
    pub journey: String,
    pub departure_date: Option<time::Date>,
    pub loading: Locode,
    pub unloading: Locode,
    pub consignment: ManifestConsignment,
    pub place_of_issue: String,
    pub signatory: Signatory,
}

impl CargoManifest {
    pub fn build(facts: &TradeFacts, version: u32, issue_date: time::Date) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let Some(s) = facts.require_shipment(&mut e) else {
            return Err(e);
        };
        let number = facts.number("CM", version);
        match s.mode {
            TransportMode::Sea => {
                let td = TransportDocument::build(facts, version, issue_date)?;
                let packages = td.packages();
                Ok(CargoManifest {
                    number,
                    issue_date,
                    carrier: td.carrier.clone(),
                    scac: td.scac.clone(),
                    mode: s.mode,
                    conveyance: td.vessel_name.clone(),
                    journey: td.voyage_number.clone(),
                    departure_date: Some(td.shipped_on_board),
                    loading: td.port_of_loading.clone(),
                    unloading: td.port_of_discharge.clone(),
                    place_of_issue: td.place_of_issue.clone(),
                    signatory: td.signatory.clone(),
                    consignment: ManifestConsignment {
                        transport_document: td.number,
                        consignor: td.shipper,
                        consignee: td.consignee,
                        notify_party: td.notify_party,
                        gross_kg: td.gross_kg,
                        packages,
                        equipment: td.equipment,
                        goods: td.goods,
                        marks_and_numbers: td.marks_and_numbers,
                    },
                })
            }
            TransportMode::Air => {
                let awb = AirWaybill::build(facts, version, issue_date);
                let goods = carried_goods(facts, carrier_gross_kg(facts).unwrap_or_default(), &mut e);
                let awb = match awb {
                    Ok(a) if e.is_empty() => a,
                    Ok(_) => return Err(e),
                    Err(mut a) => {
                        a.0.extend(e.0);
                        return Err(a);
                    }
                };
                Ok(CargoManifest {
                    number,
                    issue_date,
                    carrier: awb.issuing_carrier_agent.clone(),
                    scac: s.scac.clone(),
                    mode: s.mode,
                    conveyance: awb.flight_number.clone(),
                    journey: awb.flight_number.clone(),
                    departure_date: awb.flight_date,
                    loading: awb.airport_of_departure.clone(),
                    unloading: awb.airport_of_destination.clone(),
                    place_of_issue: awb.place_of_issue.clone(),
                    signatory: awb.signatory.clone(),
                    consignment: ManifestConsignment {
                        transport_document: awb.awb_number,
                        consignor: awb.shipper,
                        consignee: awb.consignee.clone(),
                        notify_party: awb.consignee,
                        gross_kg: awb.gross_kg,
                        packages: goods.iter().map(|g| g.packages).sum(),
                        equipment: Vec::new(),
                        goods,
                        marks_and_numbers: awb.handling_information,
                    },
                })
            }
            other => {
                e.push(
                    "shipment.mode",
                    "unsupported_mode",
                    format!("the platform files cargo manifests for sea and air shipments; this one goes by {other}"),
                );
                Err(e)
            }
        }
    }

    pub fn summary(&self) -> DocumentSummary {
        let c = &self.consignment;
        let mut s = DocumentSummary::new(DocumentKind::CargoManifest, &self.number);
        s.seller = Some(c.consignor.legal_name.clone());
        s.buyer = Some(c.consignee.legal_name.clone());
        s.lines = c
            .goods
            .iter()
            .map(|g| SummaryLine {
                description: g.description.clone(),
                hs_code: Some(g.hs_code.clone()),
                quantity: None,
                unit: None,
            })
            .collect();
        s.gross_kg = Some(c.gross_kg);
        s.packages = Some(c.packages);
        s.port_of_loading = Some(self.loading.clone());
        s.port_of_discharge = Some(self.unloading.clone());
        s.shipment_date = self.departure_date;
        s
    }

    pub fn view(&self) -> DocumentView {
        let c = &self.consignment;
        let containers: Vec<&str> = c.equipment.iter().map(|q| q.container.as_str()).collect();
        let mut fields = vec![
            ("Mode".to_string(), self.mode.to_string()),
            ("Conveyance".into(), self.conveyance.clone()),
            ("Voyage / flight".into(), self.journey.clone()),
            ("Place of loading".into(), self.loading.to_string()),
            ("Place of unloading".into(), self.unloading.to_string()),
            ("Transport document".into(), c.transport_document.clone()),
        ];
        if !containers.is_empty() {
            fields.push(("Containers".into(), containers.join(", ")));
        }
        if let Some(d) = self.departure_date {
            fields.push(("Departure".into(), d.to_string()));
        }
        DocumentView {
            title: DocumentKind::CargoManifest.title().into(),
            number: self.number.clone(),
            issue_date: self.issue_date,
            parties: vec![
                ("Carrier".into(), self.carrier.clone()),
                ("Consignor".into(), c.consignor.clone()),
                ("Consignee".into(), c.consignee.clone()),
            ],
            fields,
            table: ViewTable {
                columns: ["Item", "Packages", "Kind", "Description of goods", "HS code", "Gross kg"]
                    .map(String::from)
                    .to_vec(),
                numeric: vec![true, true, false, false, false, true],
                rows: c
                    .goods
                    .iter()
                    .enumerate()
                    .map(|(i, g)| {
                        vec![
                            (i + 1).to_string(),
                            g.packages.to_string(),
                            g.package_type.clone(),
                            g.description.clone(),
                            g.hs_code.to_string(),
                            g.gross_kg.to_string(),
                        ]
                    })
                    .collect(),
            },
            totals: vec![
                ("Packages".into(), c.packages.to_string()),
                ("Gross weight (kg)".into(), c.gross_kg.to_string()),
            ],
            notes: vec!["One consignment: the manifest of this shipment only.".into()],
            signatory: Some(self.signatory.clone()),
            place_of_issue: Some(self.place_of_issue.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::air_waybill::air_sample;
    use crate::documents::sample_trade_facts;
    use time::macros::date;

    #[test]
    fn built_for_sea_and_air() {
        let m = CargoManifest::build(&sample_trade_facts(3), 1, date!(2026 - 11 - 20)).expect("manifest");
        assert_eq!(m.number, "CM-01JD8W4M6Q0S-1");
        assert_eq!((m.conveyance.as_str(), m.journey.as_str()), ("MEKONG STAR", "118W"));
        assert_eq!(m.consignment.transport_document, "BL-01JD8W4M6Q0S-1");
        assert_eq!(m.consignment.goods.iter().map(|g| g.gross_kg).sum::<Decimal>(), m.consignment.gross_kg);
        assert_eq!(m.consignment.packages, m.consignment.goods.iter().map(|g| g.packages).sum::<u32>());
        assert_eq!(m.view().table.rows.len(), 3);
        let air = CargoManifest::build(&air_sample(), 1, date!(2026 - 11 - 20)).expect("air manifest");
        assert_eq!(air.mode, TransportMode::Air);
        assert!(air.consignment.transport_document.starts_with("000-"));
        assert!(air.consignment.equipment.is_empty());
    }

    #[test]
    fn missing_fields_and_other_modes_are_named() {
        let mut f = air_sample();
        f.carrier_fields.flight_number = None;
        f.seller_fields.lines[1].packages = None;
        let e = CargoManifest::build(&f, 1, date!(2026 - 11 - 20)).expect_err("missing");
        let fields: Vec<&str> = e.0.iter().map(|x| x.field.as_str()).collect();
        assert_eq!(fields, ["carrier_fields.flight_number", "seller_fields.lines[1].packages"]);
        if let Some(s) = f.shipment.as_mut() {
            s.mode = TransportMode::Road;
        }
        let e = CargoManifest::build(&f, 1, date!(2026 - 11 - 20)).expect_err("road");
        assert_eq!(e.0[0].field, "shipment.mode");
    }
}
