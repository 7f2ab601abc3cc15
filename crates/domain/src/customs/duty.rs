//! Duty by measure type. Amounts are computed exactly in decimal and rounded once, half to
//! even, to the minor unit of the customs value's currency; a specific rate must be in that
//! currency (conversion is the caller's job, at the rate of the declaration date).

use crate::deal::order::round_to_minor_unit;
use crate::money::{Money, MoneyError};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// An amount per unit of quantity, e.g. EUR 0.35 per KGM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecificRate {
    pub amount: Money,
    /// UN/ECE Rec 20 code of the unit the amount is per, e.g. `KGM`, `LTR`, `H87`.
    pub per_unit: String,
}

/// How a tariff line levies duty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum DutyMeasure {
    /// A percentage of the customs value.
    AdValorem { percent: Decimal },
    /// An amount per unit of quantity.
    Specific { rate: SpecificRate },
    /// Ad valorem plus specific.
    Compound { percent: Decimal, rate: SpecificRate },
    /// Ad valorem, but at least `minimum` and at most `maximum` per unit where given.
    Mixed { percent: Decimal, minimum: Option<SpecificRate>, maximum: Option<SpecificRate> },
}

/// The goods a measure applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DutiableGoods {
    pub customs_value: Money,
    /// The quantity in the unit the tariff line counts in.
    pub quantity: Decimal,
    /// UN/ECE Rec 20 code of `quantity`.
    pub unit: String,
}

/// Why duty cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DutyError {
    #[error("a duty rate cannot be negative ({0} %)")]
    NegativeRate(Decimal),
    #[error("the customs value and the quantity cannot be negative")]
    NegativeBase,
    #[error(
        "the tariff counts this line in {expected}, but the goods are declared in {declared}; declare the quantity in {expected}"
    )]
    WrongUnit { expected: String, declared: String },
    #[error(
        "the specific rate is in {rate} but the customs value in {value}; convert it at the declaration date first"
    )]
    CurrencyMismatch { rate: String, value: String },
    #[error("the minimum duty ({minimum}) is above the maximum ({maximum})")]
    MinimumAboveMaximum { minimum: Money, maximum: Money },
    #[error("{0}")]
    Amount(#[from] MoneyError),
}

fn money(raw: Decimal, like: &Money) -> Result<Money, DutyError> {
    Ok(Money::new(round_to_minor_unit(raw, like.currency()), like.currency())?)
}

fn ad_valorem(percent: Decimal, goods: &DutiableGoods) -> Result<Decimal, DutyError> {
    if percent < Decimal::ZERO {
        return Err(DutyError::NegativeRate(percent));
    }
    goods
        .customs_value
        .amount()
        .checked_mul(percent)
        .map(|d| d / Decimal::ONE_HUNDRED)
        .ok_or(DutyError::Amount(MoneyError::Overflow))
}

fn specific(rate: &SpecificRate, goods: &DutiableGoods) -> Result<Decimal, DutyError> {
    if rate.amount.amount() < Decimal::ZERO {
        return Err(DutyError::NegativeRate(rate.amount.amount()));
    }
    if rate.amount.currency() != goods.customs_value.currency() {
        return Err(DutyError::CurrencyMismatch {
            rate: rate.amount.currency().to_string(),
            value: goods.customs_value.currency().to_string(),
        });
    }
    if !rate.per_unit.eq_ignore_ascii_case(&goods.unit) {
        return Err(DutyError::WrongUnit { expected: rate.per_unit.clone(), declared: goods.unit.clone() });
    }
    rate.amount.amount().checked_mul(goods.quantity).ok_or(DutyError::Amount(MoneyError::Overflow))
}

impl DutyMeasure {
    /// The duty on `goods`, rounded to the currency's minor unit.
    pub fn duty(&self, goods: &DutiableGoods) -> Result<Money, DutyError> {
        if goods.customs_value.amount() < Decimal::ZERO || goods.quantity < Decimal::ZERO {
            return Err(DutyError::NegativeBase);
        }
        let raw = match self {
            DutyMeasure::AdValorem { percent } => ad_valorem(*percent, goods)?,
            DutyMeasure::Specific { rate } => specific(rate, goods)?,
            DutyMeasure::Compound { percent, rate } => ad_valorem(*percent, goods)? + specific(rate, goods)?,
            DutyMeasure::Mixed { percent, minimum, maximum } => {
                let base = ad_valorem(*percent, goods)?;
                let low = minimum.as_ref().map(|r| specific(r, goods)).transpose()?;
                let high = maximum.as_ref().map(|r| specific(r, goods)).transpose()?;
                if let (Some(l), Some(h)) = (low, high)
                    && l > h
                {
                    return Err(DutyError::MinimumAboveMaximum {
                        minimum: money(l, &goods.customs_value)?,
                        maximum: money(h, &goods.customs_value)?,
                    });
                }
                let floored = low.map_or(base, |l| base.max(l));
                high.map_or(floored, |h| floored.min(h))
            }
        };
        money(raw, &goods.customs_value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn eur(a: &str) -> Money {
        Money::new(a.parse().expect("amount"), "EUR".parse().expect("currency")).expect("money")
    }

    fn per(a: &str, unit: &str) -> SpecificRate {
        SpecificRate { amount: eur(a), per_unit: unit.into() }
    }

    fn goods(value: &str, qty: &str, unit: &str) -> DutiableGoods {
        DutiableGoods { customs_value: eur(value), quantity: qty.parse().expect("qty"), unit: unit.into() }
    }

    #[test]
    fn hand_worked_examples_for_each_measure_type() {
        let g = goods("10000.00", "2500", "KGM");
        // 12 % of EUR 10,000.
        let av = DutyMeasure::AdValorem { percent: "12".parse().expect("d") };
        assert_eq!(av.duty(&g), Ok(eur("1200.00")));
        // EUR 0.35/kg × 2,500 kg.
        let sp = DutyMeasure::Specific { rate: per("0.35", "KGM") };
        assert_eq!(sp.duty(&g), Ok(eur("875.00")));
        // 8 % + EUR 0.35/kg = 800 + 875.
        let co = DutyMeasure::Compound { percent: "8".parse().expect("d"), rate: per("0.35", "KGM") };
        assert_eq!(co.duty(&g), Ok(eur("1675.00")));
        // 5 % (500) but at least EUR 0.30/kg (750): the minimum applies.
        let mi =
            DutyMeasure::Mixed { percent: "5".parse().expect("d"), minimum: Some(per("0.30", "KGM")), maximum: None };
        assert_eq!(mi.duty(&g), Ok(eur("750.00")));
        // 20 % (2,000) but at most EUR 0.60/kg (1,500): the maximum applies.
        let ma =
            DutyMeasure::Mixed { percent: "20".parse().expect("d"), minimum: None, maximum: Some(per("0.60", "KGM")) };
        assert_eq!(ma.duty(&g), Ok(eur("1500.00")));
        // Half a cent rounds to even: 2.5 % of 0.90 = 0.0225 → 0.02.
        assert_eq!(
            DutyMeasure::AdValorem { percent: "2.5".parse().expect("d") }.duty(&goods("0.90", "1", "KGM")),
            Ok(eur("0.02"))
        );
    }

    #[test]
    fn bad_input_is_refused_with_the_reason() {
        let g = goods("100.00", "10", "LTR");
        let sp = DutyMeasure::Specific { rate: per("1", "KGM") };
        assert!(matches!(sp.duty(&g), Err(DutyError::WrongUnit { .. })));
        let usd = SpecificRate {
            amount: Money::new(Decimal::ONE, "USD".parse().expect("c")).expect("m"),
            per_unit: "LTR".into(),
        };
        assert!(matches!(DutyMeasure::Specific { rate: usd }.duty(&g), Err(DutyError::CurrencyMismatch { .. })));
        let neg = DutyMeasure::AdValorem { percent: "-1".parse().expect("d") };
        assert!(matches!(neg.duty(&g), Err(DutyError::NegativeRate(_))));
        let inverted = DutyMeasure::Mixed {
            percent: "5".parse().expect("d"),
            minimum: Some(per("2", "LTR")),
            maximum: Some(per("1", "LTR")),
        };
        assert!(matches!(inverted.duty(&g), Err(DutyError::MinimumAboveMaximum { .. })));
    }

    proptest! {
        #[test]
        fn duty_is_never_negative_and_compound_is_its_parts(
            value in 0i64..100_000_000, qty in 0i64..1_000_000, percent in 0u32..5_000, cents in 0i64..10_000,
        ) {
            let g = DutiableGoods { customs_value: Money::from_minor_units(value, "EUR".parse().expect("c")), quantity: Decimal::new(qty, 2), unit: "KGM".into() };
            let percent = Decimal::new(i64::from(percent), 2);
            let rate = SpecificRate { amount: Money::from_minor_units(cents, "EUR".parse().expect("c")), per_unit: "KGM".into() };
            let av = DutyMeasure::AdValorem { percent }.duty(&g).expect("ad valorem");
            let sp = DutyMeasure::Specific { rate: rate.clone() }.duty(&g).expect("specific");
            let co = DutyMeasure::Compound { percent, rate: rate.clone() }.duty(&g).expect("compound");
            prop_assert!(av.amount() >= Decimal::ZERO && sp.amount() >= Decimal::ZERO);
            // Rounded once: the compound duty is within one cent of its rounded parts.
            prop_assert!((co.amount() - (av.amount() + sp.amount())).abs() <= Decimal::new(1, 2));
            let mixed = DutyMeasure::Mixed { percent, minimum: Some(rate.clone()), maximum: None }.duty(&g).expect("mixed");
            prop_assert!(mixed.amount() >= av.amount().min(sp.amount()) && mixed.amount() >= sp.amount() - Decimal::new(1, 2));
        }
    }
}
