//! Trade documents as data. The data is entered once: [`TradeFacts`] gathers what the
//! platform knows about an order and its shipment (the order's lines and terms, the parties'
//! registered details, the booked transport) plus the few fields each party adds itself
//! ([`PartyFields`]: marks, a signatory, packing per line, a vessel…), and every document of
//! the set is built from it. Writing the standard formats (UBL 2.1, CII, DCSA eBL, platform
//! JSON) is the documents adapter's job and drawing a PDF the report crate's; this module
//! owns each document's content, its totals, the [`DocumentSummary`] that the
//! cross-document consistency check compares and the [`DocumentView`] a PDF shows.

// Dates in documents' JSON are ISO 8601 calendar dates (`YYYY-MM-DD`).
time::serde::format_description!(pub iso_date, Date, "[year]-[month]-[day]");

pub mod consistency;
mod facts;
mod invoice;
mod sample;
mod view;

// Seller-side and third-party documents of the trade set.
mod indemnity;
mod insurance;
mod origin;
mod packing;
mod proforma;

pub use consistency::Inconsistency;
pub use facts::{LineFields, PartyFields, ShipmentFacts, Signatory, TradeFacts};
pub use invoice::{
    AllowanceCharge, AllowanceOrCharge, CommercialInvoice, CreditNote, InvoiceError, InvoiceOptions, InvoiceTotals,
    STANDARD_VAT_RATES, SupplyKind, VAT_EXEMPTION_REASON, VatCategory, VatSubtotal, VatTreatment, is_eu_member,
    standard_vat_rate,
};
pub use sample::sample_trade_facts;
pub use view::{DocumentSummary, DocumentView, SummaryLine, ViewTable};
pub mod air_waybill;
pub mod declaration;
pub mod delivery_order;
pub mod manifest;
pub mod transport;
pub use air_waybill::AirWaybill;
pub use declaration::{CustomsDeclaration, DrawbackClaim, ImportLink};
pub use delivery_order::DeliveryOrder;
pub use manifest::CargoManifest;
pub use transport::{FreightPayable, TransportDocument, TransportDocumentType};

pub use indemnity::{INDEMNITY_LIMIT_PERCENT, IndemnityGoods, LetterOfIndemnity};
pub use insurance::{
    AssuredRole, DEFAULT_INSURED_PERCENT, InsuranceCertificate, InsuredGoods, assured_role, insured_value,
};
pub use origin::{CERTIFICATION, CertificateOfOrigin, EXPORTER_DECLARATION, OriginFlavour, OriginLine};
pub use packing::{PackingLine, PackingList, packing_totals};
pub use proforma::{PROFORMA_NOTE, ProformaInvoice};

use crate::codes::{CountryCode, Lei};
use serde::{Deserialize, Serialize};

/// A party as a trade document names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentParty {
    pub legal_name: String,
    pub registration_number: String,
    pub street: String,
    pub city: String,
    pub postal_code: String,
    pub country: CountryCode,
    /// Where electronic documents reach the party: its LEI when it has one, else its
    /// contact e-mail.
    pub lei: Option<Lei>,
    pub email: String,
    /// The party's VAT (or GST) registration with its country prefix, e.g. `DE123456789`,
    /// when it has one.
    #[serde(default)]
    pub vat_id: Option<String>,
}

/// Every kind of trade document the platform generates, with who issues it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    CommercialInvoice,
    CreditNote,
    ProformaInvoice,
    PackingList,
    CertificateOfOrigin,
    BillOfLading,
    SeaWaybill,
    AirWaybill,
    DeliveryOrder,
    LetterOfIndemnity,
    InsuranceCertificate,
    CargoManifest,
    ExportDeclaration,
    ImportDeclaration,
    DrawbackClaim,
}

/// Who issues a kind of document, relative to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Issuer {
    Seller,
    Buyer,
    /// The carrier of the order's shipment (or its agent).
    Carrier,
    /// A third party the applicant names: a chamber or authority for a certificate of
    /// origin, an insurer for an insurance certificate, a bank for a letter of indemnity.
    Named,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 15] = [
        DocumentKind::CommercialInvoice,
        DocumentKind::CreditNote,
        DocumentKind::ProformaInvoice,
        DocumentKind::PackingList,
        DocumentKind::CertificateOfOrigin,
        DocumentKind::BillOfLading,
        DocumentKind::SeaWaybill,
        DocumentKind::AirWaybill,
        DocumentKind::DeliveryOrder,
        DocumentKind::LetterOfIndemnity,
        DocumentKind::InsuranceCertificate,
        DocumentKind::CargoManifest,
        DocumentKind::ExportDeclaration,
        DocumentKind::ImportDeclaration,
        DocumentKind::DrawbackClaim,
    ];

    /// The snake_case name used in URLs, the store and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::CommercialInvoice => "commercial_invoice",
            DocumentKind::CreditNote => "credit_note",
            DocumentKind::ProformaInvoice => "proforma_invoice",
            DocumentKind::PackingList => "packing_list",
            DocumentKind::CertificateOfOrigin => "certificate_of_origin",
            DocumentKind::BillOfLading => "bill_of_lading",
            DocumentKind::SeaWaybill => "sea_waybill",
            DocumentKind::AirWaybill => "air_waybill",
            DocumentKind::DeliveryOrder => "delivery_order",
            DocumentKind::LetterOfIndemnity => "letter_of_indemnity",
            DocumentKind::InsuranceCertificate => "insurance_certificate",
            DocumentKind::CargoManifest => "cargo_manifest",
            DocumentKind::ExportDeclaration => "export_declaration",
            DocumentKind::ImportDeclaration => "import_declaration",
            DocumentKind::DrawbackClaim => "drawback_claim",
        }
    }

    /// The title printed on the document.
    pub fn title(self) -> &'static str {
        match self {
            DocumentKind::CommercialInvoice => "Commercial invoice",
            DocumentKind::CreditNote => "Credit note",
            DocumentKind::ProformaInvoice => "Proforma invoice",
            DocumentKind::PackingList => "Packing list",
            DocumentKind::CertificateOfOrigin => "Certificate of origin",
            DocumentKind::BillOfLading => "Bill of lading",
            DocumentKind::SeaWaybill => "Sea waybill",
            DocumentKind::AirWaybill => "Air waybill",
            DocumentKind::DeliveryOrder => "Delivery order",
            DocumentKind::LetterOfIndemnity => "Letter of indemnity",
            DocumentKind::InsuranceCertificate => "Insurance certificate",
            DocumentKind::CargoManifest => "Cargo manifest",
            DocumentKind::ExportDeclaration => "Export declaration",
            DocumentKind::ImportDeclaration => "Import declaration",
            DocumentKind::DrawbackClaim => "Duty drawback claim",
        }
    }

    pub fn issuer(self) -> Issuer {
        match self {
            DocumentKind::CommercialInvoice
            | DocumentKind::CreditNote
            | DocumentKind::ProformaInvoice
            | DocumentKind::PackingList
            | DocumentKind::ExportDeclaration
            | DocumentKind::DrawbackClaim => Issuer::Seller,
            DocumentKind::ImportDeclaration => Issuer::Buyer,
            DocumentKind::BillOfLading
            | DocumentKind::SeaWaybill
            | DocumentKind::AirWaybill
            | DocumentKind::DeliveryOrder
            | DocumentKind::CargoManifest => Issuer::Carrier,
            DocumentKind::CertificateOfOrigin
            | DocumentKind::InsuranceCertificate
            | DocumentKind::LetterOfIndemnity => Issuer::Named,
        }
    }
}

impl std::fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A document kind name that the platform does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown document kind `{0}`; expected one of commercial_invoice, credit_note, proforma_invoice, packing_list, certificate_of_origin, bill_of_lading, sea_waybill, air_waybill, delivery_order, letter_of_indemnity, insurance_certificate, cargo_manifest, export_declaration, import_declaration, drawback_claim"
)]
pub struct UnknownDocumentKind(pub String);

impl std::str::FromStr for DocumentKind {
    type Err = UnknownDocumentKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normal = s.trim().replace('-', "_");
        DocumentKind::ALL.into_iter().find(|k| k.as_str() == normal).ok_or_else(|| UnknownDocumentKind(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_by_name() {
        for k in DocumentKind::ALL {
            assert_eq!(k.as_str().parse::<DocumentKind>(), Ok(k));
            assert_eq!(k.as_str().replace('_', "-").parse::<DocumentKind>(), Ok(k));
        }
        assert!("invoice".parse::<DocumentKind>().is_err());
    }
}
