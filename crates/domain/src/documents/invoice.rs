//! The commercial invoice and the credit note as data: what they say, built from an order
//! and its two parties, and their totals.
//!
//! # VAT in cross-border invoices
//! The platform does not hold VAT registrations yet, so an invoice states its lines as
//! outside the scope of VAT (EN 16931 category `O`, with the exemption reason), which the
//! rules allow only when neither party shows a VAT identifier. When VAT identifiers are
//! recorded, zero-rated exports become category `G`.

use super::DocumentParty;
use crate::codes::{CountryCode, CurrencyCode};
use crate::deal::order::{OrderLine, OrderTerms, round_to_minor_unit};
use crate::money::{Money, MoneyError};
use serde::{Deserialize, Serialize};

/// Why an invoice's lines carry no VAT (EN 16931 BT-120), while no VAT registrations are
/// recorded.
pub const VAT_EXEMPTION_REASON: &str = "Not subject to VAT: cross-border sale invoiced without VAT registration";

/// The seller's commercial invoice for an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommercialInvoice {
    /// Unique per seller; the platform numbers it from the order and the version.
    pub number: String,
    pub issue_date: time::Date,
    pub due_date: Option<time::Date>,
    pub currency: CurrencyCode,
    /// The buyer's order this invoice bills.
    pub order_reference: String,
    pub seller: DocumentParty,
    pub buyer: DocumentParty,
    pub lines: Vec<OrderLine>,
    /// Incoterm 2020 and named place, e.g. "FOB VNSGN".
    pub delivery_terms: String,
    pub delivery_country: Option<CountryCode>,
    pub payment_note: String,
}

/// Why an invoice cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceError {
    #[error("an invoice needs at least one line")]
    NoLines,
    #[error("{0}")]
    Amount(#[from] MoneyError),
    #[error(
        "{0} has more than two decimals; EN 16931 invoices carry amounts with at most two, so this order cannot be invoiced in it yet"
    )]
    TooManyDecimals(CurrencyCode),
}

impl CommercialInvoice {
    /// The invoice for `terms` from the seller to the buyer, dated `issue_date`.
    pub fn for_order(
        order_id: &str,
        version: u32,
        terms: &OrderTerms,
        seller: DocumentParty,
        buyer: DocumentParty,
        issue_date: time::Date,
        payment_note: String,
    ) -> Result<CommercialInvoice, InvoiceError> {
        if terms.lines.is_empty() {
            return Err(InvoiceError::NoLines);
        }
        if terms.currency.minor_units().unwrap_or(0) > 2 {
            return Err(InvoiceError::TooManyDecimals(terms.currency));
        }
        let short: String = order_id.chars().filter(char::is_ascii_alphanumeric).take(12).collect();
        Ok(CommercialInvoice {
            number: format!("INV-{}-{version}", short.to_ascii_uppercase()),
            issue_date,
            due_date: None,
            currency: terms.currency,
            order_reference: order_id.to_string(),
            seller,
            buyer,
            lines: terms.lines.clone(),
            delivery_terms: format!("{} {}", terms.incoterm.code(), terms.named_place),
            delivery_country: terms.named_place.as_str().get(..2).and_then(|c| c.parse().ok()),
            payment_note,
        })
    }

    /// Each line's net amount, rounded to the currency's minor unit.
    pub fn line_amounts(&self) -> Result<Vec<Money>, InvoiceError> {
        self.lines
            .iter()
            .map(|l| {
                let raw = l.quantity * l.unit_price.amount();
                Ok(Money::new(round_to_minor_unit(raw, self.currency), self.currency)?)
            })
            .collect()
    }

    /// The sum of the line amounts (no charges, allowances or VAT).
    pub fn total(&self) -> Result<Money, InvoiceError> {
        let mut sum = Money::from_minor_units(0, self.currency);
        for a in self.line_amounts()? {
            sum = sum.checked_add(&a)?;
        }
        Ok(sum)
    }
}

/// A credit note: the seller credits the buyer part of an invoice (a refund), as an
/// invoice-shaped document whose lines say what is credited, referring to the invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditNote {
    /// Number, dates, parties and the credited lines.
    pub document: CommercialInvoice,
    /// The number of the invoice credited (BT-25).
    pub credits_invoice: String,
}

impl CreditNote {
    /// The credit note for `refunded` against the invoice `invoice_number`, from the
    /// order's invoice data `document` (for this version and date): one line, classified
    /// like the order's first line, for the refunded amount.
    pub fn for_refund(
        mut document: CommercialInvoice,
        invoice_number: &str,
        refunded: Money,
    ) -> Result<CreditNote, InvoiceError> {
        let order_id = document.order_reference.clone();
        document.payment_note = format!("Refunded from escrow on tradewind against invoice {invoice_number}");
        let first = document.lines.first().cloned().ok_or(InvoiceError::NoLines)?;
        document.number = document.number.replacen("INV-", "CN-", 1);
        document.lines = vec![OrderLine {
            description: format!("Refund on order {order_id}: {}", first.description),
            quantity: rust_decimal::Decimal::ONE,
            unit_price: refunded,
            ..first
        }];
        Ok(CreditNote { document, credits_invoice: invoice_number.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deal::PartyId;
    use crate::deal::order::DeliveryWindow;
    use rust_decimal::Decimal;

    fn party(name: &str, country: &str) -> DocumentParty {
        DocumentParty {
            legal_name: name.into(),
            registration_number: "R1".into(),
            street: "1 Quay".into(),
            city: "Port".into(),
            postal_code: "100".into(),
            country: country.parse().expect("country"),
            lei: None,
            email: "a@b.example".into(),
            vat_id: None,
        }
    }

    fn terms(currency: &str) -> OrderTerms {
        let c: CurrencyCode = currency.parse().expect("currency");
        let line = |q: i64, p: &str| OrderLine {
            description: "Black pepper".into(),
            hs_code: "090411".parse().expect("hs"),
            quantity: Decimal::from(q),
            unit: "KGM".parse().expect("unit"),
            unit_price: Money::new(p.parse().expect("price"), c).expect("money"),
        };
        OrderTerms {
            seller: "s".parse::<PartyId>().expect("seller"),
            buyer: "b".parse::<PartyId>().expect("buyer"),
            currency: c,
            lines: vec![line(100, "4.25"), line(3, "0.33")],
            incoterm: "FOB".parse().expect("incoterm"),
            named_place: "VNSGN".parse().expect("locode"),
            payment_terms: serde_json::from_str("\"escrow\"").expect("terms"),
            delivery: DeliveryWindow {
                earliest: time::macros::date!(2026 - 12 - 01),
                latest: time::macros::date!(2026 - 12 - 31),
            },
        }
    }

    #[test]
    fn an_invoice_follows_its_order() {
        let day = time::macros::date!(2026 - 11 - 26);
        let inv = CommercialInvoice::for_order(
            "0190-abcd",
            2,
            &terms("USD"),
            party("S", "VN"),
            party("B", "DE"),
            day,
            "escrow".into(),
        )
        .expect("invoice");
        assert_eq!(inv.number, "INV-0190ABCD-2");
        assert_eq!(inv.delivery_terms, "FOB VNSGN");
        assert_eq!(inv.delivery_country.map(|c| c.to_string()), Some("VN".into()));
        assert_eq!(inv.total().expect("total"), Money::new("425.99".parse().expect("d"), inv.currency).expect("m"));
        let kwd =
            CommercialInvoice::for_order("o", 1, &terms("KWD"), party("S", "VN"), party("B", "DE"), day, "x".into());
        assert!(matches!(kwd, Err(InvoiceError::TooManyDecimals(_))));
    }
}
