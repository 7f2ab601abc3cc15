//! Duty drawback: the refund of import duty on goods (or their inputs) later exported. Each
//! claim draws quantity from an import item's balance, and is refunded in proportion to the
//! duty paid on that item.
//!
//! A claim's refund is the difference between the rounded refund of everything claimed on the
//! item after it and before it, so rounding never accumulates: the refunds on an item always
//! sum to `duty_paid × claimed / imported` rounded once, and the claim that exhausts the item
//! gets exactly the remainder of the duty paid. Each refund is within one minor unit of
//! `duty_paid × quantity / imported`.

use crate::codes::HsCode;
use crate::deal::order::round_to_minor_unit;
use crate::money::{Money, MoneyError};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What is left to claim on one item of an import declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportBalance {
    pub import_declaration: String,
    pub item: u32,
    pub hs: HsCode,
    /// UN/ECE Rec 20 code the quantities are in.
    pub unit: String,
    pub imported_quantity: Decimal,
    pub already_claimed: Decimal,
    pub duty_paid: Money,
}

/// One export item claiming against one import item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawbackLine {
    pub export_declaration: String,
    pub export_item: u32,
    pub import_declaration: String,
    pub import_item: u32,
    /// In the import item's unit.
    pub quantity: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawbackRequest {
    pub lines: Vec<DrawbackLine>,
}

/// A request line with its refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessedDrawbackLine {
    pub export_declaration: String,
    pub export_item: u32,
    pub import_declaration: String,
    pub import_item: u32,
    pub quantity: Decimal,
    pub refund: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawbackAssessment {
    pub lines: Vec<AssessedDrawbackLine>,
    pub total: Money,
}

/// Why a drawback claim cannot be assessed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrawbackError {
    #[error(
        "only {} {unit} remain to claim on item {item} of import declaration {import_declaration} ({imported} imported, {already_claimed} already claimed); {requested} {unit} were requested",
        imported - already_claimed
    )]
    ExceedsImported {
        import_declaration: String,
        item: u32,
        imported: Decimal,
        already_claimed: Decimal,
        requested: Decimal,
        unit: String,
    },
    #[error(
        "item {item} of import declaration {import_declaration} is not among the import balances; check the numbers"
    )]
    UnknownImportLine { import_declaration: String, item: u32 },
    #[error(
        "export item {export_item} of {export_declaration} claims {quantity}; a claimed quantity must be above zero"
    )]
    NonPositiveQuantity { export_declaration: String, export_item: u32, quantity: Decimal },
    #[error("the claim draws on duty paid in {first} and in {other}; lodge a separate claim per currency")]
    MixedCurrencies { first: String, other: String },
    #[error("the claim has no lines; add at least one export item")]
    EmptyRequest,
    #[error("the balance of item {item} of import declaration {import_declaration} is inconsistent: {problem}")]
    InvalidBalance { import_declaration: String, item: u32, problem: &'static str },
    #[error("{0}")]
    Amount(#[from] MoneyError),
}

/// Assesses a drawback claim against the import balances; several lines on the same import
/// item add up. Nothing is assessed unless every line can be.
pub fn assess_drawback(
    balances: &[ImportBalance],
    request: &DrawbackRequest,
) -> Result<DrawbackAssessment, DrawbackError> {
    let Some(first_line) = request.lines.first() else {
        return Err(DrawbackError::EmptyRequest);
    };
    let find = |decl: &str, item: u32| -> Result<&ImportBalance, DrawbackError> {
        balances
            .iter()
            .find(|b| b.import_declaration == decl && b.item == item)
            .ok_or_else(|| DrawbackError::UnknownImportLine { import_declaration: decl.to_string(), item })
    };
    let currency = find(&first_line.import_declaration, first_line.import_item)?.duty_paid.currency();
    // Quantity claimed so far on each import item, this request included.
    let mut claimed: Vec<((String, u32), Decimal)> = Vec::new();
    let mut lines = Vec::with_capacity(request.lines.len());
    let mut total = Money::from_minor_units(0, currency);
    for line in &request.lines {
        if line.quantity <= Decimal::ZERO {
            return Err(DrawbackError::NonPositiveQuantity {
                export_declaration: line.export_declaration.clone(),
                export_item: line.export_item,
                quantity: line.quantity,
            });
        }
        let b = find(&line.import_declaration, line.import_item)?;
        check_balance(b)?;
        if b.duty_paid.currency() != currency {
            return Err(DrawbackError::MixedCurrencies {
                first: currency.to_string(),
                other: b.duty_paid.currency().to_string(),
            });
        }
        let k = (b.import_declaration.clone(), b.item);
        let slot = match claimed.iter().position(|(key, _)| *key == k) {
            Some(i) => i,
            None => {
                claimed.push((k, b.already_claimed));
                claimed.len() - 1
            }
        };
        let before = claimed[slot].1;
        let after = before.checked_add(line.quantity).ok_or(MoneyError::Overflow)?;
        if after > b.imported_quantity {
            return Err(DrawbackError::ExceedsImported {
                import_declaration: b.import_declaration.clone(),
                item: b.item,
                imported: b.imported_quantity,
                already_claimed: before,
                requested: line.quantity,
                unit: b.unit.clone(),
            });
        }
        claimed[slot].1 = after;
        let refund_amount = share(b, after)? - share(b, before)?;
        let refund = Money::new(refund_amount, currency)?;
        total = total.checked_add(&refund)?;
        lines.push(AssessedDrawbackLine {
            export_declaration: line.export_declaration.clone(),
            export_item: line.export_item,
            import_declaration: line.import_declaration.clone(),
            import_item: line.import_item,
            quantity: line.quantity,
            refund,
        });
    }
    Ok(DrawbackAssessment { lines, total })
}

/// The refund due on `claimed` of the item in all, rounded once: exact duty paid when all of
/// it is claimed.
fn share(b: &ImportBalance, claimed: Decimal) -> Result<Decimal, DrawbackError> {
    if claimed == b.imported_quantity {
        return Ok(b.duty_paid.amount());
    }
    let raw = b.duty_paid.amount().checked_mul(claimed).ok_or(MoneyError::Overflow)? / b.imported_quantity;
    Ok(round_to_minor_unit(raw, b.duty_paid.currency()))
}

fn check_balance(b: &ImportBalance) -> Result<(), DrawbackError> {
    let problem = if b.imported_quantity <= Decimal::ZERO {
        Some("the imported quantity must be above zero")
    } else if b.already_claimed < Decimal::ZERO {
        Some("the quantity already claimed cannot be negative")
    } else if b.already_claimed > b.imported_quantity {
        Some("more is recorded as claimed than was imported")
    } else if b.duty_paid.amount() < Decimal::ZERO {
        Some("the duty paid cannot be negative")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(DrawbackError::InvalidBalance {
            import_declaration: b.import_declaration.clone(),
            item: b.item,
            problem,
        }),
        None => Ok(()),
    }
}

impl DrawbackAssessment {
    /// The balances once this assessment is accepted: the claimed quantities added.
    pub fn balances_after(&self, balances: &[ImportBalance]) -> Vec<ImportBalance> {
        balances
            .iter()
            .map(|b| {
                let more: Decimal = self
                    .lines
                    .iter()
                    .filter(|l| l.import_declaration == b.import_declaration && l.import_item == b.item)
                    .fold(Decimal::ZERO, |a, l| a.saturating_add(l.quantity));
                ImportBalance { already_claimed: b.already_claimed.saturating_add(more), ..b.clone() }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    fn usd(s: &str) -> Money {
        Money::new(d(s), "USD".parse().expect("usd")).expect("money")
    }

    fn balance(decl: &str, item: u32, imported: &str, claimed: &str, duty: Money) -> ImportBalance {
        ImportBalance {
            import_declaration: decl.into(),
            item,
            hs: "520100".parse().expect("hs"),
            unit: "KGM".into(),
            imported_quantity: d(imported),
            already_claimed: d(claimed),
            duty_paid: duty,
        }
    }

    fn claim(export_item: u32, decl: &str, item: u32, quantity: &str) -> DrawbackLine {
        DrawbackLine {
            export_declaration: "EX-1".into(),
            export_item,
            import_declaration: decl.into(),
            import_item: item,
            quantity: d(quantity),
        }
    }

    fn request(lines: Vec<DrawbackLine>) -> DrawbackRequest {
        DrawbackRequest { lines }
    }

    #[test]
    fn refunds_in_proportion_and_the_last_claim_takes_the_remainder() {
        // USD 100.00 paid on 3 KGM. One third each: 100 / 3 = 33.333… → 33.33.
        let b = vec![balance("IM-1", 1, "3", "0", usd("100.00"))];
        let first = assess_drawback(&b, &request(vec![claim(1, "IM-1", 1, "1")])).expect("first");
        assert_eq!(first.total, usd("33.33"));
        let b = first.balances_after(&b);
        assert_eq!(b[0].already_claimed, d("1"));
        // Second third: round(66.666…) − 33.33 = 66.67 − 33.33 = 33.34.
        let second = assess_drawback(&b, &request(vec![claim(2, "IM-1", 1, "1")])).expect("second");
        assert_eq!(second.total, usd("33.34"));
        let b = second.balances_after(&b);
        // Last third exhausts the item: 100.00 − 66.67 = 33.33, and 33.33 + 33.34 + 33.33 = 100.00.
        let last = assess_drawback(&b, &request(vec![claim(3, "IM-1", 1, "1")])).expect("last");
        assert_eq!(last.total, usd("33.33"));
    }

    #[test]
    fn lines_on_the_same_import_item_add_up() {
        // USD 250.00 on 1000 KGM, 400 already claimed. 300 now: 250 × 700 / 1000 − 250 × 400 / 1000
        // = 175 − 100 = 75.00; then 200 more: 250 × 900 / 1000 − 175 = 225 − 175 = 50.00.
        // Together 125.00 = 250 × 500 / 1000; with IM-2's whole 9.99, 134.99.
        let b = vec![balance("IM-1", 1, "1000", "400", usd("250.00")), balance("IM-2", 3, "10", "0", usd("9.99"))];
        let a = assess_drawback(
            &b,
            &request(vec![claim(1, "IM-1", 1, "300"), claim(2, "IM-2", 3, "10"), claim(3, "IM-1", 1, "200")]),
        )
        .expect("assessed");
        let refunds: Vec<Money> = a.lines.iter().map(|l| l.refund).collect();
        assert_eq!(refunds, vec![usd("75.00"), usd("9.99"), usd("50.00")]);
        assert_eq!(a.total, usd("134.99"));
        let after = a.balances_after(&b);
        assert_eq!((after[0].already_claimed, after[1].already_claimed), (d("900"), d("10")));
        // Only 100 KGM remain now; together with the 300 above, 500 more would exceed.
        let err = assess_drawback(&b, &request(vec![claim(1, "IM-1", 1, "300"), claim(2, "IM-1", 1, "301")]))
            .expect_err("exceeds");
        assert_eq!(
            err,
            DrawbackError::ExceedsImported {
                import_declaration: "IM-1".into(),
                item: 1,
                imported: d("1000"),
                already_claimed: d("700"),
                requested: d("301"),
                unit: "KGM".into(),
            }
        );
        assert_eq!(
            err.to_string(),
            "only 300 KGM remain to claim on item 1 of import declaration IM-1 (1000 imported, 700 already claimed); 301 KGM were requested"
        );
    }

    #[test]
    fn refusals() {
        let b = vec![balance("IM-1", 1, "10", "0", usd("10")), {
            let mut e = balance("IM-2", 1, "10", "0", usd("10"));
            e.duty_paid = Money::new(d("10"), "EUR".parse().expect("eur")).expect("money");
            e
        }];
        assert_eq!(assess_drawback(&b, &request(vec![])), Err(DrawbackError::EmptyRequest));
        assert_eq!(
            assess_drawback(&b, &request(vec![claim(1, "IM-9", 1, "1")])),
            Err(DrawbackError::UnknownImportLine { import_declaration: "IM-9".into(), item: 1 })
        );
        assert_eq!(
            assess_drawback(&b, &request(vec![claim(1, "IM-1", 2, "1")])),
            Err(DrawbackError::UnknownImportLine { import_declaration: "IM-1".into(), item: 2 })
        );
        assert!(matches!(
            assess_drawback(&b, &request(vec![claim(1, "IM-1", 1, "0")])),
            Err(DrawbackError::NonPositiveQuantity { .. })
        ));
        assert!(matches!(
            assess_drawback(&b, &request(vec![claim(1, "IM-1", 1, "-2")])),
            Err(DrawbackError::NonPositiveQuantity { .. })
        ));
        assert_eq!(
            assess_drawback(&b, &request(vec![claim(1, "IM-1", 1, "1"), claim(2, "IM-2", 1, "1")])),
            Err(DrawbackError::MixedCurrencies { first: "USD".into(), other: "EUR".into() })
        );
        let over = vec![balance("IM-3", 1, "10", "11", usd("10"))];
        assert!(matches!(
            assess_drawback(&over, &request(vec![claim(1, "IM-3", 1, "1")])),
            Err(DrawbackError::InvalidBalance { problem: "more is recorded as claimed than was imported", .. })
        ));
        let none = vec![balance("IM-4", 1, "0", "0", usd("10"))];
        assert!(matches!(
            assess_drawback(&none, &request(vec![claim(1, "IM-4", 1, "1")])),
            Err(DrawbackError::InvalidBalance { .. })
        ));
    }

    #[test]
    fn currencies_without_minor_units_round_to_whole_amounts() {
        // JPY 1000 on 7 units, 3 claimed: 1000 × 3 / 7 = 428.57… → 429.
        let jpy = Money::new(d("1000"), "JPY".parse().expect("jpy")).expect("money");
        let b = vec![balance("IM-1", 1, "7", "0", jpy)];
        let a = assess_drawback(&b, &request(vec![claim(1, "IM-1", 1, "3")])).expect("assessed");
        assert_eq!(a.total.amount(), d("429"));
    }

    proptest! {
        #[test]
        fn refunds_never_exceed_duty_and_claims_never_exceed_imports(
            duty_cents in 0i64..10_000_000,
            imported in 1u32..1000,
            claims in proptest::collection::vec(1u32..400, 1..25),
        ) {
            let duty = Money::from_minor_units(duty_cents, "USD".parse().expect("usd"));
            let mut balances = vec![balance("IM", 1, &imported.to_string(), "0", duty)];
            let mut refunded = Money::from_minor_units(0, duty.currency());
            for q in claims {
                match assess_drawback(&balances, &request(vec![claim(1, "IM", 1, &q.to_string())])) {
                    Ok(a) => {
                        prop_assert!(a.total.amount() >= Decimal::ZERO);
                        refunded = refunded.checked_add(&a.total).expect("same currency");
                        balances = a.balances_after(&balances);
                    }
                    Err(DrawbackError::ExceedsImported { .. }) => {
                        prop_assert!(balances[0].already_claimed + Decimal::from(q) > Decimal::from(imported));
                    }
                    Err(e) => prop_assert!(false, "unexpected refusal {e}"),
                }
                prop_assert!(refunded.amount() <= duty.amount());
                prop_assert!(balances[0].already_claimed <= Decimal::from(imported));
                if balances[0].already_claimed == Decimal::from(imported) {
                    prop_assert_eq!(refunded, duty);
                }
            }
        }
    }
}
