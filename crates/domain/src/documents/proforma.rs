//! The seller's proforma invoice: the commercial invoice's content issued ahead of shipment,
//! so the buyer can open a letter of credit, apply for an import licence or pay in advance.
//! It is not a demand for payment; its number (`PI-…`) and its type (UNTDID 1001 code 325)
//! keep it apart from the commercial invoice.

use super::{CommercialInvoice, DocumentKind, DocumentSummary, DocumentView, SummaryLine, TradeFacts, ViewTable};
use crate::money::Money;
use crate::validation::ValidationErrors;
use serde::{Deserialize, Serialize};

/// What a proforma invoice says that no commercial invoice would.
pub const PROFORMA_NOTE: &str = "Proforma invoice: issued in advance of shipment; not a demand for payment";

/// A proforma invoice: the invoice data under its own number, with its amounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProformaInvoice {
    /// The invoice content (number `PI-…`), written like a commercial invoice.
    pub invoice: CommercialInvoice,
    /// Each line's amount and the total, checked when built.
    pub line_amounts: Vec<Money>,
    pub total: Money,
    pub signatory: Option<super::Signatory>,
    pub place_of_issue: Option<String>,
}

impl ProformaInvoice {
    /// The proforma invoice for `facts`' order, or every reason it cannot be made named.
    pub fn build(facts: &TradeFacts, version: u32, issue_date: time::Date) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if facts.lines.is_empty() {
            errors.push("lines", "missing", "the order has no lines to invoice");
        }
        // As for the commercial invoice: EN 16931 carries at most two decimals.
        if facts.currency.minor_units().unwrap_or(0) > 2 {
            errors.push(
                "currency",
                "too_many_decimals",
                format!("{} has more than two decimals; EN 16931 invoices cannot carry it yet", facts.currency),
            );
        }
        for (i, line) in facts.lines.iter().enumerate() {
            if line.unit_price.currency() != facts.currency {
                errors.push(
                    format!("lines[{i}].unit_price"),
                    "currency_mismatch",
                    format!(
                        "line {} is priced in {}, the order in {}",
                        i + 1,
                        line.unit_price.currency(),
                        facts.currency
                    ),
                );
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let invoice = CommercialInvoice {
            number: facts.number("PI", version),
            issue_date,
            due_date: None,
            currency: facts.currency,
            order_reference: facts.order_id.clone(),
            seller: facts.seller.clone(),
            buyer: facts.buyer.clone(),
            lines: facts.lines.clone(),
            delivery_terms: format!("{} {}", facts.incoterm.code(), facts.named_place.as_str()),
            delivery_country: Some(facts.named_place.country()),
            payment_note: facts.payment_note.clone(),
            vat: Default::default(),
            allowances_charges: Vec::new(),
            delivery_date: None,
        };
        let amounts = invoice.line_amounts().and_then(|a| Ok((invoice.total()?, a)));
        let (total, line_amounts) = match amounts {
            Ok(t) => t,
            Err(e) => return Err(ValidationErrors::single("lines", "amount", e.to_string())),
        };
        Ok(ProformaInvoice {
            invoice,
            line_amounts,
            total,
            signatory: facts.seller_fields.signatory.clone(),
            place_of_issue: facts.seller_fields.place_of_issue.clone(),
        })
    }

    pub fn summary(&self) -> DocumentSummary {
        let inv = &self.invoice;
        DocumentSummary {
            seller: Some(inv.seller.legal_name.clone()),
            buyer: Some(inv.buyer.legal_name.clone()),
            lines: inv
                .lines
                .iter()
                .map(|l| SummaryLine::goods(&l.description, &l.hs_code, l.quantity, l.unit.code()))
                .collect(),
            total: Some(self.total),
            ..DocumentSummary::new(DocumentKind::ProformaInvoice, &inv.number)
        }
    }

    pub fn view(&self) -> DocumentView {
        let inv = &self.invoice;
        DocumentView {
            title: DocumentKind::ProformaInvoice.title().to_string(),
            number: inv.number.clone(),
            issue_date: inv.issue_date,
            parties: vec![("Seller".to_string(), inv.seller.clone()), ("Buyer".to_string(), inv.buyer.clone())],
            fields: vec![
                ("Order".to_string(), inv.order_reference.clone()),
                ("Delivery terms (Incoterms 2020)".to_string(), inv.delivery_terms.clone()),
                ("Currency".to_string(), inv.currency.as_str().to_string()),
                ("Payment".to_string(), inv.payment_note.clone()),
            ],
            table: ViewTable {
                columns: ["No.", "Description", "HS code", "Quantity", "Unit", "Unit price", "Amount"]
                    .map(String::from)
                    .to_vec(),
                numeric: vec![true, false, false, true, false, true, true],
                rows: inv
                    .lines
                    .iter()
                    .zip(&self.line_amounts)
                    .enumerate()
                    .map(|(i, (l, amount))| {
                        vec![
                            (i + 1).to_string(),
                            l.description.clone(),
                            l.hs_code.as_str().to_string(),
                            l.quantity.normalize().to_string(),
                            l.unit.code().to_string(),
                            l.unit_price.amount().normalize().to_string(),
                            amount.to_string(),
                        ]
                    })
                    .collect(),
            },
            totals: vec![("Total".to_string(), self.total.to_string())],
            notes: vec![PROFORMA_NOTE.to_string()],
            signatory: self.signatory.clone(),
            place_of_issue: self.place_of_issue.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::sample_trade_facts;
    use proptest::prelude::*;
    use rust_decimal::Decimal;
    use time::macros::date;

    const DAY: time::Date = date!(2026 - 11 - 03);

    #[test]
    fn built_from_the_sample() {
        let p = ProformaInvoice::build(&sample_trade_facts(0), 1, DAY).expect("proforma");
        assert_eq!(p.invoice.number, "PI-01JD8W4M6Q0S-1");
        assert_eq!(p.invoice.delivery_terms, "FOB VNSGN");
        // 9600 × 4.25 + 4536 × 7.10
        assert_eq!(p.total.to_string(), "USD 73005.60");
        assert_eq!(p.summary().total, Some(p.total));
        assert_eq!(p.view().table.rows[1][6], "USD 32205.60");
        assert_eq!(p.view().notes, [PROFORMA_NOTE]);
    }

    #[test]
    fn names_every_reason_it_cannot_be_made() {
        let mut f = sample_trade_facts(2);
        f.currency = "KWD".parse().expect("currency");
        let e = ProformaInvoice::build(&f, 1, DAY).expect_err("KWD");
        let fields: Vec<&str> = e.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["currency", "lines[0].unit_price", "lines[1].unit_price"]);
        f.lines.clear();
        let e = ProformaInvoice::build(&f, 1, DAY).expect_err("no lines");
        assert_eq!(e.0[0].field, "lines");
    }

    proptest! {
        #[test]
        fn the_total_is_the_sum_of_the_lines(prices in proptest::collection::vec((1_i64..100_000, 1_i64..1_000_000), 1..6)) {
            let mut f = sample_trade_facts(prices.len());
            for (l, (qty, cents)) in f.lines.iter_mut().zip(&prices) {
                l.quantity = Decimal::new(*qty, 1);
                l.unit_price = Money::new(Decimal::new(*cents, 2), f.currency).expect("price");
            }
            let p = ProformaInvoice::build(&f, 1, DAY).expect("proforma");
            let sum: Decimal = p.line_amounts.iter().map(Money::amount).sum();
            prop_assert_eq!(p.total.amount(), sum);
            prop_assert_eq!(p.line_amounts.len(), prices.len());
        }
    }
}
