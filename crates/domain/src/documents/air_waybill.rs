//! The air waybill: the air carrier's non-negotiable contract of carriage, with the IATA
//! field set (AWB number, airports, flight, pieces, gross and chargeable weight, nature and
//! quantity of goods, declared values).
//!
//! # What the platform does not hold yet
//! - Airlines hand out AWB numbers from their own stock under their 3-digit IATA prefix.
//!   The platform has no airline registry or AWB stock, so the prefix is
//!   [`AIRLINE_PREFIX`] and the 7-digit serial is derived from the document number; the
//!   8th digit is the real mod-7 check digit.
//! - Airports are given as UN/LOCODEs; IATA airport codes are not in the platform.

use super::transport::{carrier_gross_kg, carrier_text};
use super::view::{DocumentSummary, DocumentView, SummaryLine, ViewTable};
use super::{DocumentKind, DocumentParty, Signatory, TradeFacts};
use crate::codes::Locode;
use crate::logistics::{TransportMode, chargeable_weight};
use crate::validation::ValidationErrors;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The airline prefix used until the platform knows the airline's IATA prefix.
pub const AIRLINE_PREFIX: &str = "000";

/// The AWB check digit: the first seven digits of the serial, as a number, modulo 7.
pub fn awb_check_digit(serial7: u32) -> u32 {
    serial7 % 7
}

/// Whether `number` (`PPP-SSSSSSSC`, or the 11 digits alone) has the right check digit.
pub fn awb_number_is_valid(number: &str) -> bool {
    let digits: String = number.chars().filter(|c| *c != '-' && *c != ' ').collect();
    if digits.len() != 11 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    match (digits[3..10].parse::<u32>(), digits[10..].parse::<u32>()) {
        (Ok(serial), Ok(check)) => awb_check_digit(serial) == check,
        _ => false,
    }
}

/// The AWB number for a document: prefix, a 7-digit serial derived from `seed`, check digit.
pub fn awb_number(prefix: &str, seed: &str) -> String {
    let hash = Sha256::digest(seed.as_bytes());
    let n = u32::from_be_bytes([hash[0], hash[1], hash[2], hash[3]]) % 10_000_000;
    format!("{prefix}-{n:07}{}", awb_check_digit(n))
}

/// An air waybill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AirWaybill {
    /// The document number the platform files it under.
    pub number: String,
    /// The air waybill number, `PPP-SSSSSSSC`.
    pub awb_number: String,
    pub issue_date: time::Date,
    pub shipper: DocumentParty,
    pub consignee: DocumentParty,
    /// The issuing carrier (or its agent): the booked carrier.
    pub issuing_carrier_agent: DocumentParty,
    pub airport_of_departure: Locode,
    pub airport_of_destination: Locode,
    pub flight_number: String,
    pub flight_date: Option<time::Date>,
    pub handling_information: Option<String>,
    pub pieces: u32,
    pub gross_kg: Decimal,
    pub chargeable_kg: Decimal,
    /// Each order line: description and quantity with its unit.
    pub nature_and_quantity: Vec<SummaryLine>,
    /// "NVD": no value declared for carriage.
    pub declared_value_for_carriage: String,
    /// "NCV": no customs value declared on the AWB (the declarations carry it).
    pub declared_value_for_customs: String,
    pub place_of_issue: String,
    pub signatory: Signatory,
}

impl AirWaybill {
    pub fn build(facts: &TradeFacts, version: u32, issue_date: time::Date) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let shipment = facts.require_shipment(&mut e);
        if let Some(s) = shipment
            && s.mode != TransportMode::Air
        {
            e.push(
                "shipment.mode",
                "wrong_mode",
                format!(
                    "an air waybill covers air carriage; this shipment goes by {}{}",
                    s.mode,
                    if s.mode == TransportMode::Sea {
                        ", so the carrier issues a bill of lading or sea waybill"
                    } else {
                        ""
                    }
                ),
            );
        }
        let c = &facts.carrier_fields;
        let flight_number = carrier_text(&mut e, "flight_number", &c.flight_number, "the flight number");
        let place_of_issue = carrier_text(&mut e, "place_of_issue", &c.place_of_issue, "the place of issue");
        if c.signatory.is_none() {
            e.push("carrier_fields.signatory", "required", "the carrier names who signs the air waybill");
        }
        if facts.lines.is_empty() {
            e.push("lines", "required", "the order has no lines to carry");
        }
        let (Some(s), Some(signatory)) = (shipment, c.signatory.clone()) else {
            return Err(e);
        };
        if s.packages.is_empty() {
            e.push("shipment.packages", "required", "book the pieces with their weight and size");
        }
        if !e.is_empty() {
            return Err(e);
        }
        let number = facts.number("AWB", version);
        Ok(AirWaybill {
            awb_number: awb_number(AIRLINE_PREFIX, &number),
            number,
            issue_date,
            shipper: facts.seller.clone(),
            consignee: facts.buyer.clone(),
            issuing_carrier_agent: s.carrier.clone(),
            airport_of_departure: s.origin.clone(),
            airport_of_destination: s.destination.clone(),
            flight_number,
            flight_date: c.shipped_on_board,
            handling_information: facts.seller_fields.marks_and_numbers.clone(),
            pieces: s.booked_pieces(),
            gross_kg: carrier_gross_kg(facts).unwrap_or_default().normalize(),
            chargeable_kg: chargeable_weight(TransportMode::Air, &s.packages).chargeable_kg,
            nature_and_quantity: facts
                .lines
                .iter()
                .map(|l| SummaryLine::goods(&l.description, &l.hs_code, l.quantity, l.unit.code()))
                .collect(),
            declared_value_for_carriage: "NVD".into(),
            declared_value_for_customs: "NCV".into(),
            place_of_issue,
            signatory,
        })
    }

    pub fn summary(&self) -> DocumentSummary {
        let mut s = DocumentSummary::new(DocumentKind::AirWaybill, &self.number);
        s.seller = Some(self.shipper.legal_name.clone());
        s.buyer = Some(self.consignee.legal_name.clone());
        s.lines = self.nature_and_quantity.clone();
        s.gross_kg = Some(self.gross_kg);
        s.packages = Some(self.pieces);
        s.port_of_loading = Some(self.airport_of_departure.clone());
        s.port_of_discharge = Some(self.airport_of_destination.clone());
        s.shipment_date = self.flight_date;
        s
    }

    pub fn view(&self) -> DocumentView {
        let mut fields = vec![
            ("Air waybill number".to_string(), self.awb_number.clone()),
            ("Airport of departure (UN/LOCODE)".into(), self.airport_of_departure.to_string()),
            ("Airport of destination (UN/LOCODE)".into(), self.airport_of_destination.to_string()),
            ("Flight".into(), self.flight_number.clone()),
            ("Declared value for carriage".into(), self.declared_value_for_carriage.clone()),
            ("Declared value for customs".into(), self.declared_value_for_customs.clone()),
        ];
        if let Some(d) = self.flight_date {
            fields.push(("Flight date".into(), d.to_string()));
        }
        if let Some(h) = &self.handling_information {
            fields.push(("Handling information".into(), h.clone()));
        }
        DocumentView {
            title: DocumentKind::AirWaybill.title().into(),
            number: self.number.clone(),
            issue_date: self.issue_date,
            parties: vec![
                ("Shipper".into(), self.shipper.clone()),
                ("Consignee".into(), self.consignee.clone()),
                ("Issuing carrier's agent".into(), self.issuing_carrier_agent.clone()),
            ],
            fields,
            table: ViewTable {
                columns: ["Nature and quantity of goods", "HS code", "Quantity", "Unit"].map(String::from).to_vec(),
                numeric: vec![false, false, true, false],
                rows: self
                    .nature_and_quantity
                    .iter()
                    .map(|l| {
                        vec![
                            l.description.clone(),
                            l.hs_code.as_ref().map(ToString::to_string).unwrap_or_default(),
                            l.quantity.map(|q| q.normalize().to_string()).unwrap_or_default(),
                            l.unit.clone().unwrap_or_default(),
                        ]
                    })
                    .collect(),
            },
            totals: vec![
                ("Pieces".into(), self.pieces.to_string()),
                ("Gross weight (kg)".into(), self.gross_kg.to_string()),
                ("Chargeable weight (kg)".into(), self.chargeable_kg.to_string()),
            ],
            notes: vec!["Not negotiable. Airports are given as UN/LOCODEs.".into()],
            signatory: Some(self.signatory.clone()),
            place_of_issue: Some(self.place_of_issue.clone()),
        }
    }
}

/// The sample facts sent by air instead: one flight, three pieces.
#[cfg(test)]
pub(crate) fn air_sample() -> TradeFacts {
    let mut f = super::sample_trade_facts(0);
    if let Some(s) = f.shipment.as_mut() {
        s.mode = TransportMode::Air;
        s.origin = "VNSGN".parse().expect("locode");
        s.destination = "DEFRA".parse().expect("locode");
        s.containers.clear();
    }
    f.carrier_fields.flight_number = Some("VN31".into());
    f.carrier_fields.vessel_name = None;
    f.carrier_fields.voyage_number = None;
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn check_digits_follow_mod_7() {
        // 0123456 mod 7 = 4 (123456 = 7 × 17636 + 4).
        assert_eq!(awb_check_digit(123_456), 4);
        assert!(awb_number_is_valid("020-01234564"));
        assert!(!awb_number_is_valid("020-01234565"));
        assert!(!awb_number_is_valid("020-0123456"));
        assert!(awb_number_is_valid("176-12345675"), "1234567 mod 7 = 5");
        assert!(!awb_number_is_valid("176-1234567X"));
    }

    proptest! {
        #[test]
        fn every_generated_number_checks(seed in ".{0,40}") {
            let n = awb_number(AIRLINE_PREFIX, &seed);
            prop_assert!(awb_number_is_valid(&n), "{}", n);
            prop_assert_eq!(n.len(), 12);
        }
    }

    #[test]
    fn built_from_the_air_sample() {
        let f = air_sample();
        let awb = AirWaybill::build(&f, 1, date!(2026 - 11 - 20)).expect("awb");
        assert!(awb_number_is_valid(&awb.awb_number), "{}", awb.awb_number);
        assert!(awb.awb_number.starts_with("000-"));
        assert_eq!(awb.flight_number, "VN31");
        assert_eq!(awb.pieces, 1);
        assert_eq!(awb.gross_kg, "14652".parse::<Decimal>().expect("d"));
        // The one piece is 590 × 235 × 239 cm: 33 137 983 cm³ ÷ 6000 = 5523 kg volumetric,
        // below its gross weight, so the gross weight is charged.
        assert_eq!(awb.chargeable_kg, "14652".parse::<Decimal>().expect("d"));
        assert_eq!(awb.declared_value_for_carriage, "NVD");
        assert_eq!(awb.summary().packages, Some(1));
        assert_eq!(awb.view().table.rows.len(), 2);
    }

    #[test]
    fn a_missing_flight_and_a_sea_shipment_are_named() {
        let mut f = air_sample();
        f.carrier_fields.flight_number = None;
        f.carrier_fields.signatory = None;
        f.carrier_fields.place_of_issue = None;
        let e = AirWaybill::build(&f, 1, date!(2026 - 11 - 20)).expect_err("missing");
        let fields: Vec<&str> = e.0.iter().map(|x| x.field.as_str()).collect();
        assert_eq!(
            fields,
            ["carrier_fields.flight_number", "carrier_fields.place_of_issue", "carrier_fields.signatory"]
        );
        let sea = super::super::sample_trade_facts(0);
        let e = AirWaybill::build(&sea, 1, date!(2026 - 11 - 20)).expect_err("sea");
        let m = e.0.iter().find(|x| x.field == "shipment.mode").expect("mode");
        assert!(m.message.contains("goes by sea"), "{}", m.message);
    }
}
