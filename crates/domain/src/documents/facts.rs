//! The data entered once: what the platform knows about an order and its shipment, and the
//! few fields each party adds itself. Builders of every document read only this.

use super::DocumentParty;
use crate::codes::{CountryCode, CurrencyCode, Locode};
use crate::deal::order::OrderLine;
use crate::incoterm::Incoterm;
use crate::logistics::{ContainerNumber, Package, Scac, TransportMode};
use crate::validation::ValidationErrors;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Who signs a document for its issuer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signatory {
    pub name: String,
    pub title: String,
}

/// What the seller adds about one order line (same index as the order's lines).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LineFields {
    /// Number of packages holding this line's goods.
    pub packages: Option<u32>,
    /// UN/ECE Recommendation 21 package type code, e.g. `CT` (carton), `BG` (bag), `PX` (pallet).
    pub package_type: Option<String>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub net_kg: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub gross_kg: Option<Decimal>,
    /// Where the goods originate; the seller's country when not given.
    pub origin_country: Option<CountryCode>,
    /// How origin is conferred, for a preferential certificate: `WO` (wholly obtained),
    /// `CTH`, `CTSH`, `RVC40`…; absent for a non-preferential certificate.
    pub origin_criterion: Option<String>,
}

/// The fields a party adds to an order's documents itself. One set per party and order, so
/// a correction reaches every document that shows it; each document reads what it needs and
/// names what is missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PartyFields {
    /// The company's VAT (or GST) registration with its country prefix, e.g. `DE123456789`;
    /// invoices choose their VAT category from the two parties' registrations.
    pub vat_id: Option<String>,
    pub marks_and_numbers: Option<String>,
    pub signatory: Option<Signatory>,
    /// Place where the party signs, e.g. "Ho Chi Minh City".
    pub place_of_issue: Option<String>,
    pub remarks: Option<String>,
    /// Seller: packing and origin per order line.
    pub lines: Vec<LineFields>,
    /// Carrier: the vessel and voyage, or the flight.
    pub vessel_name: Option<String>,
    pub voyage_number: Option<String>,
    pub flight_number: Option<String>,
    /// Carrier: the date the goods were shipped on board.
    #[serde(with = "super::iso_date::option")]
    pub shipped_on_board: Option<time::Date>,
    /// Carrier: the verified gross mass of the consignment when the carrier weighed it;
    /// otherwise transport documents state the booked weight.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub verified_gross_kg: Option<Decimal>,
    /// Carrier: one seal number per container, in the order the containers were booked.
    pub seal_numbers: Vec<String>,
    /// Carrier: the planned date of arrival at the port of discharge.
    #[serde(with = "super::iso_date::option")]
    pub planned_arrival: Option<time::Date>,
    /// Seller (drawback claim): the import declarations whose duty the export draws back.
    pub drawback_imports: Vec<super::ImportLink>,
    /// Insurer: policy and cover, e.g. "Institute Cargo Clauses (A)".
    pub policy_number: Option<String>,
    pub cover: Option<String>,
    /// Insurer: insured value as a percentage of the invoice (110 when not given).
    #[serde(with = "rust_decimal::serde::str_option")]
    pub insured_percent: Option<Decimal>,
    /// Bank (letter of indemnity): the guarantee's reference.
    pub guarantee_reference: Option<String>,
    /// Trader (declarations): the customs procedure code, e.g. "1000" (export) or "4000".
    pub customs_procedure: Option<String>,
}

impl PartyFields {
    /// Refuses text that is too long and weights or counts that cannot be right, naming
    /// every field at once.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        let texts: [(&str, &Option<String>, usize); 10] = [
            ("marks_and_numbers", &self.marks_and_numbers, 512),
            ("place_of_issue", &self.place_of_issue, 128),
            ("remarks", &self.remarks, 1000),
            ("vessel_name", &self.vessel_name, 70),
            ("voyage_number", &self.voyage_number, 50),
            ("flight_number", &self.flight_number, 20),
            ("policy_number", &self.policy_number, 50),
            ("cover", &self.cover, 200),
            ("guarantee_reference", &self.guarantee_reference, 50),
            ("customs_procedure", &self.customs_procedure, 4),
        ];
        for (field, value, max) in texts {
            if let Some(v) = value {
                if v.trim().is_empty() {
                    e.push(field, "blank", format!("{field} is blank; leave it out instead"));
                } else if v.chars().count() > max {
                    e.push(field, "too_long", format!("{field} must be at most {max} characters"));
                }
            }
        }
        if let Some(v) = &self.vat_id {
            let compact: String = v.chars().filter(|c| !c.is_whitespace()).collect();
            let prefix_ok = compact.len() >= 4 && compact.chars().take(2).all(|c| c.is_ascii_uppercase());
            if !prefix_ok || compact.len() > 16 || !compact.chars().all(|c| c.is_ascii_alphanumeric()) {
                e.push(
                    "vat_id",
                    "invalid",
                    "vat_id starts with the 2-letter country prefix followed by the registration number, e.g. DE123456789",
                );
            }
        }
        if let Some(s) = &self.signatory {
            for (field, v) in [("signatory.name", &s.name), ("signatory.title", &s.title)] {
                if v.trim().is_empty() || v.chars().count() > 100 {
                    e.push(field, "invalid", format!("{field} must be 1 to 100 characters"));
                }
            }
        }
        if let Some(p) = &self.customs_procedure
            && (p.len() != 4 || !p.chars().all(|c| c.is_ascii_digit()))
        {
            e.push("customs_procedure", "invalid", "customs_procedure is a 4-digit code such as 1000 or 4000");
        }
        if let Some(p) = self.insured_percent
            && (p < Decimal::from(100) || p > Decimal::from(200))
        {
            e.push("insured_percent", "out_of_range", "insured_percent must be between 100 and 200");
        }
        if let Some(w) = self.verified_gross_kg
            && w <= Decimal::ZERO
        {
            e.push("verified_gross_kg", "not_positive", "verified_gross_kg must be more than zero");
        }
        if self.seal_numbers.len() > 100 {
            e.push("seal_numbers", "too_many", "at most 100 seal numbers");
        }
        for (i, seal) in self.seal_numbers.iter().enumerate() {
            if seal.trim().is_empty() || seal.chars().count() > 15 {
                e.push(
                    format!("seal_numbers[{i}]"),
                    "invalid",
                    format!("seal_numbers[{i}] must be 1 to 15 characters"),
                );
            }
        }
        if self.drawback_imports.len() > 500 {
            e.push("drawback_imports", "too_many", "at most 500 import links");
        }
        for (i, link) in self.drawback_imports.iter().enumerate() {
            if link.import_declaration.trim().is_empty() || link.import_declaration.chars().count() > 35 {
                e.push(
                    format!("drawback_imports[{i}].import_declaration"),
                    "invalid",
                    format!("drawback_imports[{i}].import_declaration is the import declaration's reference (1 to 35 characters)"),
                );
            }
        }
        if self.lines.len() > 500 {
            e.push("lines", "too_many", "at most 500 lines");
        }
        for (i, l) in self.lines.iter().enumerate() {
            for (name, w) in [("net_kg", l.net_kg), ("gross_kg", l.gross_kg)] {
                if w.is_some_and(|w| w <= Decimal::ZERO) {
                    e.push(
                        format!("lines[{i}].{name}"),
                        "not_positive",
                        format!("lines[{i}].{name} must be more than zero"),
                    );
                }
            }
            if let (Some(n), Some(g)) = (l.net_kg, l.gross_kg)
                && n > g
            {
                e.push(
                    format!("lines[{i}].net_kg"),
                    "net_above_gross",
                    format!("lines[{i}].net_kg ({n}) cannot be more than its gross weight ({g})"),
                );
            }
            if l.packages == Some(0) {
                e.push(
                    format!("lines[{i}].packages"),
                    "not_positive",
                    format!("lines[{i}].packages must be at least 1"),
                );
            }
            if let Some(t) = &l.package_type
                && (t.len() != 2 || !t.chars().all(|c| c.is_ascii_alphanumeric()))
            {
                e.push(
                    format!("lines[{i}].package_type"),
                    "invalid",
                    format!("lines[{i}].package_type is a 2-character UN/ECE Rec 21 code such as CT, BG or PX"),
                );
            }
            if let Some(c) = &l.origin_criterion
                && (c.trim().is_empty() || c.len() > 20)
            {
                e.push(
                    format!("lines[{i}].origin_criterion"),
                    "invalid",
                    format!("lines[{i}].origin_criterion must be 1 to 20 characters, e.g. WO, CTH or RVC40"),
                );
            }
        }
        e.into_result(())
    }
}

/// The booked transport of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentFacts {
    pub shipment_id: String,
    pub carrier: DocumentParty,
    pub scac: Scac,
    pub mode: TransportMode,
    /// Place of loading and place of discharge, as on the booked rate card.
    pub origin: Locode,
    pub destination: Locode,
    /// The packages as booked with the carrier.
    pub packages: Vec<Package>,
    pub containers: Vec<ContainerNumber>,
    #[serde(with = "super::iso_date")]
    pub booked_on: time::Date,
}

impl ShipmentFacts {
    /// The booked gross weight: each package line's weight times its pieces.
    pub fn booked_gross_kg(&self) -> Decimal {
        self.packages.iter().map(|p| p.gross_kg * Decimal::from(p.pieces)).sum()
    }

    /// The booked number of pieces.
    pub fn booked_pieces(&self) -> u32 {
        self.packages.iter().map(|p| p.pieces).sum()
    }
}

/// Everything the documents of one order are built from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeFacts {
    pub order_id: String,
    /// The day both parties agreed the order.
    #[serde(with = "super::iso_date")]
    pub order_date: time::Date,
    pub seller: DocumentParty,
    pub buyer: DocumentParty,
    pub currency: CurrencyCode,
    pub lines: Vec<OrderLine>,
    pub incoterm: Incoterm,
    /// The Incoterms named place, as a UN/LOCODE.
    pub named_place: Locode,
    /// How the order is paid, in words.
    pub payment_note: String,
    pub shipment: Option<ShipmentFacts>,
    pub seller_fields: PartyFields,
    pub buyer_fields: PartyFields,
    pub carrier_fields: PartyFields,
    /// The named third party's fields (chamber, insurer or bank) and who it is, for the
    /// document it issues.
    pub named_issuer: Option<DocumentParty>,
    pub named_fields: PartyFields,
}

impl TradeFacts {
    /// The seller's fields for order line `index` (empty when not given).
    pub fn line_fields(&self, index: usize) -> LineFields {
        self.seller_fields.lines.get(index).cloned().unwrap_or_default()
    }

    /// Where line `index`'s goods originate: as the seller says, else the seller's country.
    pub fn origin_of(&self, index: usize) -> CountryCode {
        self.line_fields(index).origin_country.unwrap_or(self.seller.country)
    }

    /// The shipment, or a missing-field error naming it.
    pub fn require_shipment(&self, errors: &mut ValidationErrors) -> Option<&ShipmentFacts> {
        if self.shipment.is_none() {
            errors.push("shipment", "missing", "the order has no booked shipment; book transport with a carrier first");
        }
        self.shipment.as_ref()
    }

    /// A unique document number for `kind` of this order and version, e.g. `PL-0190ABCD-1`.
    pub fn number(&self, prefix: &str, version: u32) -> String {
        let short: String = self.order_id.chars().filter(char::is_ascii_alphanumeric).take(12).collect();
        format!("{prefix}-{}-{version}", short.to_ascii_uppercase())
    }
}
