//! Trade documents in their standard machine-readable formats, written from the domain's
//! document data: today the commercial invoice as a UBL 2.1 Invoice conformant to
//! EN 16931 and Peppol BIS Billing 3.0 ([`ubl`]) and as a UN/CEFACT Cross Industry
//! Invoice D16B ([`cii`]).
//!
//! Pure functions from data to bytes; the store keeps issued versions and the server
//! decides who may issue them.

pub mod cii;
pub mod ubl;
mod xml;

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
