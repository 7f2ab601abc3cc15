//! The ocean transport document the carrier issues: a negotiable bill of lading or a
//! non-negotiable sea waybill, one struct with its [`TransportDocumentType`].
//!
//! # Whose weight the carrier states
//! The carrier states the consignment's gross weight as it knows it: the verified gross mass
//! when it weighed the goods (`carrier_fields.verified_gross_kg`), else the booked weight
//! (`shipment.booked_gross_kg()`). It does not copy the seller's packing weights, so the
//! cross-document check can catch a packing list that disagrees with the carrier. The
//! per-line weights split that total in proportion to the seller's line gross weights
//! (rounded down to the gram, the last line taking the remainder), so the lines always add
//! up to the carrier's figure.
//!
//! # Places
//! The facts hold two places, the booked origin and destination, so the document is
//! port-to-port: the place of receipt is the port of loading and the place of delivery the
//! port of discharge.
//!
//! # Not yet in the facts
//! Seal numbers and a planned arrival date are not recorded by the platform yet; the
//! document carries them as empty so a later field can fill them (the DCSA eBL requires both).

use super::view::{DocumentSummary, DocumentView, SummaryLine, ViewTable};
use super::{DocumentKind, DocumentParty, Signatory, TradeFacts};
use crate::codes::{HsCode, Locode};
use crate::incoterm::Incoterm;
use crate::logistics::{ContainerNumber, Scac, TransportMode};
use crate::validation::ValidationErrors;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// Which transport document the carrier issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportDocumentType {
    /// Negotiable: a document of title; the goods are released against an original.
    BillOfLading,
    /// Non-negotiable: the goods are released to the named consignee.
    SeaWaybill,
}

impl TransportDocumentType {
    pub fn kind(self) -> DocumentKind {
        match self {
            TransportDocumentType::BillOfLading => DocumentKind::BillOfLading,
            TransportDocumentType::SeaWaybill => DocumentKind::SeaWaybill,
        }
    }

    /// Number prefix: `BL` or `SWB`.
    pub fn prefix(self) -> &'static str {
        match self {
            TransportDocumentType::BillOfLading => "BL",
            TransportDocumentType::SeaWaybill => "SWB",
        }
    }
}

/// Who pays the main carriage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FreightPayable {
    /// By the shipper at origin.
    Prepaid,
    /// By the consignee at destination.
    Collect,
}

impl FreightPayable {
    /// Under C- and D-terms the seller buys the main carriage (prepaid); under E- and
    /// F-terms the buyer does (collect).
    pub fn for_incoterm(incoterm: Incoterm) -> FreightPayable {
        match incoterm.code().chars().next() {
            Some('C') | Some('D') => FreightPayable::Prepaid,
            _ => FreightPayable::Collect,
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            FreightPayable::Prepaid => "Freight prepaid",
            FreightPayable::Collect => "Freight collect",
        }
    }
}

/// One container and the seals on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Equipment {
    pub container: ContainerNumber,
    /// Empty until the platform records seals.
    pub seal_numbers: Vec<String>,
}

/// One goods line as the carrier states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarriedGoods {
    pub description: String,
    pub hs_code: HsCode,
    pub packages: u32,
    /// UN/ECE Rec 21 code, e.g. `BG`.
    pub package_type: String,
    /// This line's share of the carrier's consignment gross weight.
    pub gross_kg: Decimal,
}

/// A bill of lading or sea waybill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransportDocument {
    pub document_type: TransportDocumentType,
    pub number: String,
    pub issue_date: time::Date,
    /// The carrier's booking reference (the platform's shipment id).
    pub booking_reference: String,
    /// The buyer's order the goods were sold under.
    pub order_reference: String,
    pub shipper: DocumentParty,
    /// The named consignee; with `to_order` the goods are consigned "to order of shipper"
    /// and this party is only notified.
    pub consignee: DocumentParty,
    /// A negotiable "to order" bill of lading (never for a waybill).
    pub to_order: bool,
    pub notify_party: DocumentParty,
    pub carrier: DocumentParty,
    pub scac: Scac,
    pub vessel_name: String,
    pub voyage_number: String,
    pub place_of_receipt: Locode,
    pub port_of_loading: Locode,
    pub port_of_discharge: Locode,
    pub place_of_delivery: Locode,
    pub shipped_on_board: time::Date,
    /// Not recorded by the platform yet.
    pub planned_arrival: Option<time::Date>,
    pub equipment: Vec<Equipment>,
    pub goods: Vec<CarriedGoods>,
    /// The carrier's consignment gross weight (verified, else booked).
    pub gross_kg: Decimal,
    pub marks_and_numbers: Option<String>,
    pub incoterm: Incoterm,
    pub freight: FreightPayable,
    /// Originals issued: 3 for a bill of lading, 0 for a waybill.
    pub originals: u32,
    pub place_of_issue: String,
    pub signatory: Signatory,
}

/// The carrier's consignment gross weight: verified when given, else booked.
pub(super) fn carrier_gross_kg(facts: &TradeFacts) -> Option<Decimal> {
    let booked = facts.shipment.as_ref().map(|s| s.booked_gross_kg());
    facts.carrier_fields.verified_gross_kg.or(booked)
}

/// Splits `total` over lines in proportion to `weights` (all above zero): each share rounded
/// down to the gram, the last line taking the remainder, so the shares add up to `total`
/// exactly and none is negative. `None` when a weight is not positive or on overflow.
pub fn split_in_proportion(total: Decimal, weights: &[Decimal]) -> Option<Vec<Decimal>> {
    if weights.iter().any(|w| *w <= Decimal::ZERO) || total < Decimal::ZERO {
        return None;
    }
    let sum = weights.iter().try_fold(Decimal::ZERO, |a, w| a.checked_add(*w))?;
    let mut shares = Vec::with_capacity(weights.len());
    let mut given = Decimal::ZERO;
    for (i, w) in weights.iter().enumerate() {
        let share = if i + 1 == weights.len() {
            total.checked_sub(given)?
        } else {
            total.checked_mul(*w)?.checked_div(sum)?.round_dp_with_strategy(3, RoundingStrategy::ToZero)
        };
        given = given.checked_add(share)?;
        shares.push(share.normalize());
    }
    Some(shares)
}

/// The goods lines as the carrier states them, naming every missing seller field.
pub(super) fn carried_goods(facts: &TradeFacts, total_kg: Decimal, e: &mut ValidationErrors) -> Vec<CarriedGoods> {
    if facts.lines.is_empty() {
        e.push("lines", "required", "the order has no lines to carry");
    }
    let mut weights = Vec::new();
    let mut partial = Vec::new();
    for (i, line) in facts.lines.iter().enumerate() {
        let f = facts.line_fields(i);
        let field = |n: &str| format!("seller_fields.lines[{i}].{n}");
        if f.packages.is_none_or(|p| p == 0) {
            e.push(field("packages"), "required", format!("give the number of packages of line {}", i + 1));
        }
        if f.package_type.is_none() {
            e.push(
                field("package_type"),
                "required",
                format!("give the package type of line {} (UN/ECE Rec 21, e.g. CT, BG, PX)", i + 1),
            );
        }
        match f.gross_kg {
            Some(g) if g > Decimal::ZERO => weights.push(g),
            _ => e.push(
                field("gross_kg"),
                "required",
                format!("give the gross weight of line {}; the carrier's total is split by it", i + 1),
            ),
        }
        partial.push((line, f));
    }
    if !e.is_empty() {
        return Vec::new();
    }
    let Some(shares) = split_in_proportion(total_kg, &weights) else {
        e.push("seller_fields.lines", "invalid", "the line gross weights cannot be added up; check them");
        return Vec::new();
    };
    partial
        .into_iter()
        .zip(shares)
        .map(|((line, f), gross_kg)| CarriedGoods {
            description: line.description.clone(),
            hs_code: line.hs_code.clone(),
            packages: f.packages.unwrap_or_default(),
            package_type: f.package_type.unwrap_or_default(),
            gross_kg,
        })
        .collect()
}

/// A required carrier text field, named when missing.
pub(super) fn carrier_text(e: &mut ValidationErrors, field: &str, value: &Option<String>, what: &str) -> String {
    match value.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => v.to_string(),
        _ => {
            e.push(format!("carrier_fields.{field}"), "required", format!("the carrier gives {what}"));
            String::new()
        }
    }
}

impl TransportDocument {
    /// A straight (named consignee) bill of lading.
    pub fn build(facts: &TradeFacts, version: u32, issue_date: time::Date) -> Result<Self, ValidationErrors> {
        Self::build_as(TransportDocumentType::BillOfLading, facts, version, issue_date)
    }

    /// A bill of lading or a sea waybill from the facts, naming every missing field.
    pub fn build_as(
        document_type: TransportDocumentType,
        facts: &TradeFacts,
        version: u32,
        issue_date: time::Date,
    ) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let shipment = facts.require_shipment(&mut e);
        if let Some(s) = shipment {
            if s.mode != TransportMode::Sea {
                e.push(
                    "shipment.mode",
                    "wrong_mode",
                    format!(
                        "a {} covers sea carriage; this shipment goes by {}{}",
                        document_type.kind().title().to_lowercase(),
                        s.mode,
                        if s.mode == TransportMode::Air { ", so the carrier issues an air waybill" } else { "" }
                    ),
                );
            }
            if s.containers.is_empty() {
                e.push("shipment.containers", "required", "book the container numbers (ISO 6346) with the carrier");
            }
        }
        let c = &facts.carrier_fields;
        let vessel_name = carrier_text(&mut e, "vessel_name", &c.vessel_name, "the vessel's name");
        let voyage_number = carrier_text(&mut e, "voyage_number", &c.voyage_number, "the voyage number");
        let place_of_issue = carrier_text(&mut e, "place_of_issue", &c.place_of_issue, "the place of issue");
        if c.shipped_on_board.is_none() {
            e.push("carrier_fields.shipped_on_board", "required", "the carrier gives the date shipped on board");
        }
        if c.signatory.is_none() {
            e.push("carrier_fields.signatory", "required", "the carrier names who signs the document");
        }
        if c.planned_arrival.is_none() {
            e.push(
                "carrier_fields.planned_arrival",
                "required",
                "the carrier gives the planned date of arrival at the port of discharge",
            );
        }
        if let Some(s) = shipment
            && c.seal_numbers.len() < s.containers.len()
        {
            e.push(
                "carrier_fields.seal_numbers",
                "required",
                format!(
                    "the carrier gives one seal number per container, in the order the containers were booked ({} containers, {} seals)",
                    s.containers.len(),
                    c.seal_numbers.len()
                ),
            );
        }
        let total = carrier_gross_kg(facts).unwrap_or_default();
        let goods = carried_goods(facts, total, &mut e);
        let (Some(s), Some(shipped_on_board), Some(signatory)) = (shipment, c.shipped_on_board, c.signatory.clone())
        else {
            return Err(e);
        };
        if !e.is_empty() {
            return Err(e);
        }
        Ok(TransportDocument {
            document_type,
            number: facts.number(document_type.prefix(), version),
            issue_date,
            booking_reference: s.shipment_id.clone(),
            order_reference: facts.order_id.clone(),
            shipper: facts.seller.clone(),
            consignee: facts.buyer.clone(),
            to_order: false,
            notify_party: facts.buyer.clone(),
            carrier: s.carrier.clone(),
            scac: s.scac.clone(),
            vessel_name,
            voyage_number,
            place_of_receipt: s.origin.clone(),
            port_of_loading: s.origin.clone(),
            port_of_discharge: s.destination.clone(),
            place_of_delivery: s.destination.clone(),
            shipped_on_board,
            planned_arrival: c.planned_arrival,
            equipment: s
                .containers
                .iter()
                .zip(&c.seal_numbers)
                .map(|(container, seal)| Equipment { container: container.clone(), seal_numbers: vec![seal.clone()] })
                .collect(),
            goods,
            gross_kg: total.normalize(),
            marks_and_numbers: facts.seller_fields.marks_and_numbers.clone(),
            incoterm: facts.incoterm,
            freight: FreightPayable::for_incoterm(facts.incoterm),
            originals: match document_type {
                TransportDocumentType::BillOfLading => 3,
                TransportDocumentType::SeaWaybill => 0,
            },
            place_of_issue,
            signatory,
        })
    }

    /// The bill of lading made out "to order of shipper" (negotiable by endorsement); the
    /// buyer stays the notify party. A waybill is never to order, so it is returned as is.
    pub fn to_order_of_shipper(mut self) -> Self {
        if self.document_type == TransportDocumentType::BillOfLading {
            self.to_order = true;
        }
        self
    }

    /// Packages of all lines.
    pub fn packages(&self) -> u32 {
        self.goods.iter().map(|g| g.packages).sum()
    }

    pub fn summary(&self) -> DocumentSummary {
        let mut s = DocumentSummary::new(self.document_type.kind(), &self.number);
        s.seller = Some(self.shipper.legal_name.clone());
        s.buyer = (!self.to_order).then(|| self.consignee.legal_name.clone());
        s.lines = self
            .goods
            .iter()
            .map(|g| SummaryLine {
                description: g.description.clone(),
                hs_code: Some(g.hs_code.clone()),
                quantity: None,
                unit: None,
            })
            .collect();
        s.gross_kg = Some(self.gross_kg);
        s.packages = Some(self.packages());
        s.port_of_loading = Some(self.port_of_loading.clone());
        s.port_of_discharge = Some(self.port_of_discharge.clone());
        s.shipment_date = Some(self.shipped_on_board);
        s
    }

    pub fn view(&self) -> DocumentView {
        let consignee_role = if self.to_order { "Consignee: to order of shipper; notify" } else { "Consignee" };
        let mut parties =
            vec![("Shipper".to_string(), self.shipper.clone()), (consignee_role.to_string(), self.consignee.clone())];
        if !self.to_order {
            parties.push(("Notify party".into(), self.notify_party.clone()));
        }
        parties.push(("Carrier".into(), self.carrier.clone()));
        let containers: Vec<&str> = self.equipment.iter().map(|q| q.container.as_str()).collect();
        let fields = vec![
            ("Booking reference".into(), self.booking_reference.clone()),
            ("Carrier (SCAC)".into(), self.scac.to_string()),
            ("Vessel / voyage".into(), format!("{} / {}", self.vessel_name, self.voyage_number)),
            ("Place of receipt".into(), self.place_of_receipt.to_string()),
            ("Port of loading".into(), self.port_of_loading.to_string()),
            ("Port of discharge".into(), self.port_of_discharge.to_string()),
            ("Place of delivery".into(), self.place_of_delivery.to_string()),
            ("Shipped on board".into(), self.shipped_on_board.to_string()),
            ("Containers".into(), containers.join(", ")),
            ("Freight".into(), format!("{} ({})", self.freight.words(), self.incoterm.code())),
            ("Number of originals".into(), self.originals.to_string()),
        ];
        let marks = self.marks_and_numbers.clone().unwrap_or_default();
        let rows = self
            .goods
            .iter()
            .enumerate()
            .map(|(i, g)| {
                vec![
                    if i == 0 { marks.clone() } else { String::new() },
                    g.packages.to_string(),
                    g.package_type.clone(),
                    g.description.clone(),
                    g.hs_code.to_string(),
                    g.gross_kg.to_string(),
                ]
            })
            .collect();
        let mut notes = vec!["Shipper's load, stow and count; said to contain.".to_string()];
        if self.document_type == TransportDocumentType::SeaWaybill {
            notes.push("Non-negotiable: the goods are delivered to the named consignee without an original.".into());
        } else {
            notes.push(format!(
                "One of the {} originals, duly endorsed, must be surrendered in exchange for the goods.",
                self.originals
            ));
        }
        DocumentView {
            title: self.document_type.kind().title().into(),
            number: self.number.clone(),
            issue_date: self.issue_date,
            parties,
            fields,
            table: ViewTable {
                columns: ["Marks and numbers", "Packages", "Kind", "Description of goods", "HS code", "Gross kg"]
                    .map(String::from)
                    .to_vec(),
                numeric: vec![false, true, false, false, false, true],
                rows,
            },
            totals: vec![
                ("Packages".into(), self.packages().to_string()),
                ("Gross weight (kg)".into(), self.gross_kg.to_string()),
            ],
            notes,
            signatory: Some(self.signatory.clone()),
            place_of_issue: Some(self.place_of_issue.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::sample_trade_facts;
    use proptest::prelude::*;
    use time::macros::date;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    #[test]
    fn built_from_the_sample() {
        let f = sample_trade_facts(0);
        let bl = TransportDocument::build(&f, 1, date!(2026 - 11 - 20)).expect("bill of lading");
        assert_eq!(bl.number, "BL-01JD8W4M6Q0S-1");
        assert_eq!(bl.originals, 3);
        assert_eq!(bl.freight, FreightPayable::Collect, "FOB is collect");
        assert_eq!(bl.gross_kg, d("14652"));
        assert_eq!(bl.packages(), 584);
        assert_eq!(bl.goods.iter().map(|g| g.gross_kg).sum::<Decimal>(), bl.gross_kg);
        assert_eq!(bl.port_of_discharge.as_str(), "DEHAM");
        assert!(!bl.to_order);
        assert!(bl.clone().to_order_of_shipper().to_order);
        let swb = TransportDocument::build_as(TransportDocumentType::SeaWaybill, &f, 2, date!(2026 - 11 - 20))
            .expect("waybill");
        assert_eq!((swb.number.as_str(), swb.originals), ("SWB-01JD8W4M6Q0S-2", 0));
        assert!(!swb.to_order_of_shipper().to_order, "a waybill is never to order");
        let s = bl.summary();
        assert_eq!(s.kind, DocumentKind::BillOfLading);
        assert_eq!(s.gross_kg, Some(d("14652")));
        assert_eq!(s.buyer.as_deref(), Some("Hanseatic Fine Foods GmbH"));
        let v = bl.view();
        assert_eq!(v.table.rows.len(), 2);
        assert!(v.fields.iter().any(|(k, v)| k == "Containers" && v == "MSKU1234565"));
    }

    #[test]
    fn the_carrier_states_its_own_weight_not_the_packing_list() {
        let mut f = sample_trade_facts(0);
        f.carrier_fields.verified_gross_kg = Some(d("14700.5"));
        let bl = TransportDocument::build(&f, 1, date!(2026 - 11 - 20)).expect("bl");
        assert_eq!(bl.gross_kg, d("14700.5"));
        assert_eq!(bl.goods.iter().map(|g| g.gross_kg).sum::<Decimal>(), d("14700.5"));
        // The seller's lines say 9792 + 4860 = 14652; the carrier's total wins.
        assert_ne!(bl.goods[0].gross_kg, d("9792"));
    }

    #[test]
    fn incoterms_decide_who_pays_freight() {
        for (term, want) in [
            ("EXW", FreightPayable::Collect),
            ("FCA", FreightPayable::Collect),
            ("FAS", FreightPayable::Collect),
            ("FOB", FreightPayable::Collect),
            ("CFR", FreightPayable::Prepaid),
            ("CIF", FreightPayable::Prepaid),
            ("CPT", FreightPayable::Prepaid),
            ("CIP", FreightPayable::Prepaid),
            ("DAP", FreightPayable::Prepaid),
            ("DPU", FreightPayable::Prepaid),
            ("DDP", FreightPayable::Prepaid),
        ] {
            assert_eq!(FreightPayable::for_incoterm(term.parse().expect("term")), want, "{term}");
        }
    }

    #[test]
    fn every_missing_field_is_named() {
        let mut f = sample_trade_facts(2);
        f.carrier_fields.vessel_name = None;
        f.carrier_fields.voyage_number = Some("  ".into());
        f.carrier_fields.shipped_on_board = None;
        f.carrier_fields.signatory = None;
        f.carrier_fields.place_of_issue = None;
        f.seller_fields.lines[1].gross_kg = None;
        f.seller_fields.lines[0].packages = None;
        f.seller_fields.lines[0].package_type = None;
        if let Some(s) = f.shipment.as_mut() {
            s.containers.clear();
        }
        let e = TransportDocument::build(&f, 1, date!(2026 - 11 - 20)).expect_err("missing");
        let fields: Vec<&str> = e.0.iter().map(|x| x.field.as_str()).collect();
        for want in [
            "shipment.containers",
            "carrier_fields.vessel_name",
            "carrier_fields.voyage_number",
            "carrier_fields.place_of_issue",
            "carrier_fields.shipped_on_board",
            "carrier_fields.signatory",
            "seller_fields.lines[0].packages",
            "seller_fields.lines[0].package_type",
            "seller_fields.lines[1].gross_kg",
        ] {
            assert!(fields.contains(&want), "{want} in {fields:?}");
        }
        f.shipment = None;
        let e = TransportDocument::build(&f, 1, date!(2026 - 11 - 20)).expect_err("no shipment");
        assert!(e.0.iter().any(|x| x.field == "shipment"));
    }

    #[test]
    fn an_air_shipment_gets_no_bill_of_lading() {
        let mut f = sample_trade_facts(0);
        if let Some(s) = f.shipment.as_mut() {
            s.mode = TransportMode::Air;
        }
        let e = TransportDocument::build(&f, 1, date!(2026 - 11 - 20)).expect_err("air");
        let m = e.0.iter().find(|x| x.field == "shipment.mode").expect("mode named");
        assert!(m.message.contains("air waybill"), "{}", m.message);
    }

    proptest! {
        #[test]
        fn shares_add_up_to_the_carriers_total(
            total in 0u64..100_000_000u64,
            weights in proptest::collection::vec(1u64..10_000_000u64, 1..30),
        ) {
            let total = Decimal::new(total as i64, 3);
            let weights: Vec<Decimal> = weights.into_iter().map(|w| Decimal::new(w as i64, 2)).collect();
            let shares = split_in_proportion(total, &weights).expect("split");
            prop_assert_eq!(shares.len(), weights.len());
            prop_assert_eq!(shares.iter().copied().sum::<Decimal>(), total);
            let sum: Decimal = weights.iter().copied().sum();
            for (s, w) in shares.iter().zip(&weights) {
                prop_assert!(*s >= Decimal::ZERO);
                // Each share is its proportion, give or take a gram per line.
                let exact = total * *w / sum;
                prop_assert!((*s - exact).abs() <= Decimal::new(weights.len() as i64, 3));
            }
        }
    }
}
