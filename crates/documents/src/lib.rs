//! Trade documents in their standard machine-readable formats, written from the domain's
//! document data: today the commercial invoice as a UBL 2.1 Invoice conformant to
//! EN 16931 and Peppol BIS Billing 3.0 ([`ubl`]) and as a UN/CEFACT Cross Industry
//! Invoice D16B ([`cii`]); and, the other way, invoices from other systems read and
//! their totals checked against the EN 16931 calculation rules ([`import`]).
//!
//! Pure functions from data to bytes; the store keeps issued versions and the server
//! decides who may issue them.

pub mod air_waybill;
pub mod cii;
pub mod dcsa_ebl;
pub mod declaration;
pub mod delivery_order;
pub mod import;
pub mod manifest;
pub mod set;
pub mod ubl;
pub mod ubl_transport;
mod xml;

// Seller-side and third-party documents of the trade set.
pub mod certificate_of_origin;
pub mod indemnity;
pub mod insurance;
pub mod packing_list;
pub mod proforma;

use tradewind_domain::documents::{DocumentSummary, DocumentView};
use tradewind_domain::validation::ValidationErrors;

/// One machine-readable rendition of a document, with what the set's consistency check
/// compares and what its PDF shows. A document kind may have several renditions (a bill of
/// lading as DCSA eBL JSON and as UBL); all share the number, summary and view.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The document's own number, e.g. `PL-01JD8W4M6Q0S-1`.
    pub number: String,
    /// What the content is, e.g. `ubl-2.1-packing-list` or `dcsa-ebl-3.0-transport-document`.
    pub format: String,
    /// `application/xml` or `application/json`.
    pub media_type: String,
    pub content: Vec<u8>,
    pub summary: DocumentSummary,
    pub view: DocumentView,
}

/// Why a document could not be generated from the facts.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The facts lack data the document needs; every missing field is named.
    #[error("the document needs more data: {0:?}")]
    Missing(ValidationErrors),
    #[error("{0}")]
    Write(#[from] DocumentError),
    /// The kind is not generated from the set's facts alone.
    #[error("a {} is not generated here", .0.title().to_lowercase())]
    Unsupported(tradewind_domain::documents::DocumentKind),
}

impl From<ValidationErrors> for GenerateError {
    fn from(e: ValidationErrors) -> Self {
        GenerateError::Missing(e)
    }
}

/// Why a document could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("{0}")]
    Content(#[from] tradewind_domain::documents::InvoiceError),
    #[error("the document could not be written: {0}")]
    Write(#[from] std::io::Error),
    #[error("the document is not UTF-8: {0}")]
    Encoding(#[from] std::string::FromUtf8Error),
}
