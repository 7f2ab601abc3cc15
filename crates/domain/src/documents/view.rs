//! What every document exposes besides its own content: a [`DocumentSummary`] of the facts
//! that must agree across the set, and a [`DocumentView`] laid out for people (the PDF).

use super::{DocumentKind, DocumentParty, Signatory};
use crate::codes::{HsCode, Locode};
use crate::money::Money;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One goods line as the consistency check compares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryLine {
    pub description: String,
    pub hs_code: Option<HsCode>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub quantity: Option<Decimal>,
    /// UN/ECE Rec 20 unit code of the quantity.
    pub unit: Option<String>,
}

impl SummaryLine {
    /// A goods line stating description, HS code, quantity and its Rec 20 unit code.
    pub fn goods(description: &str, hs_code: &HsCode, quantity: Decimal, unit: &str) -> SummaryLine {
        SummaryLine {
            description: description.to_string(),
            hs_code: Some(hs_code.clone()),
            quantity: Some(quantity),
            unit: Some(unit.to_string()),
        }
    }
}

/// The facts of a document that must agree with the rest of the set. `None` means the
/// document does not state it, which never counts as a disagreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentSummary {
    pub kind: DocumentKind,
    pub number: String,
    /// Seller, exporter or shipper (legal name).
    pub seller: Option<String>,
    /// Buyer, importer or consignee (legal name).
    pub buyer: Option<String>,
    /// Goods lines; empty when the document lists none.
    pub lines: Vec<SummaryLine>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub gross_kg: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub net_kg: Option<Decimal>,
    pub packages: Option<u32>,
    pub port_of_loading: Option<Locode>,
    pub port_of_discharge: Option<Locode>,
    /// The invoiced or declared value.
    pub total: Option<Money>,
    /// The date of shipment the document states.
    #[serde(with = "super::iso_date::option")]
    pub shipment_date: Option<time::Date>,
}

impl DocumentSummary {
    /// A summary stating nothing but its kind and number, to fill in.
    pub fn new(kind: DocumentKind, number: impl Into<String>) -> DocumentSummary {
        DocumentSummary {
            kind,
            number: number.into(),
            seller: None,
            buyer: None,
            lines: Vec::new(),
            gross_kg: None,
            net_kg: None,
            packages: None,
            port_of_loading: None,
            port_of_discharge: None,
            total: None,
            shipment_date: None,
        }
    }
}

/// A table on a document: column headings, rows of text, and which columns hold numbers
/// (drawn right-aligned).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewTable {
    pub columns: Vec<String>,
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
}

impl ViewTable {
    /// The plain goods table: description, HS code, quantity and unit per line.
    pub fn goods<'a>(lines: impl Iterator<Item = (&'a str, &'a HsCode, Decimal, &'a str)>) -> ViewTable {
        ViewTable {
            columns: ["Description", "HS code", "Quantity", "Unit"].map(String::from).to_vec(),
            numeric: vec![false, false, true, false],
            rows: lines
                .map(|(d, hs, q, u)| {
                    vec![d.to_string(), hs.as_str().to_string(), q.normalize().to_string(), u.to_string()]
                })
                .collect(),
        }
    }
}

/// A document laid out for people, independent of how it is drawn: title and number, the
/// parties with their roles, labelled fields, one table of lines, totals and a signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentView {
    pub title: String,
    pub number: String,
    #[serde(with = "super::iso_date")]
    pub issue_date: time::Date,
    /// (role, party), e.g. ("Shipper", …), ("Consignee", …).
    pub parties: Vec<(String, DocumentParty)>,
    /// (label, value) pairs shown above the table.
    pub fields: Vec<(String, String)>,
    pub table: ViewTable,
    /// (label, value) pairs shown under the table.
    pub totals: Vec<(String, String)>,
    pub notes: Vec<String>,
    pub signatory: Option<Signatory>,
    pub place_of_issue: Option<String>,
}
