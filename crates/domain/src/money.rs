//! An amount of money in one ISO 4217 currency, held as a decimal (never a float).

use crate::codes::CurrencyCode;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("{currency} has {allowed} decimal places; {amount} has more")]
    TooPrecise { amount: Decimal, currency: CurrencyCode, allowed: u16 },
    #[error("cannot combine {0} with {1}: convert one of them first")]
    CurrencyMismatch(CurrencyCode, CurrencyCode),
    #[error("amount is too large")]
    Overflow,
}

/// An amount and its currency. The amount never carries more decimal places than the
/// currency's minor unit allows, so a stored amount is always payable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    #[serde(with = "rust_decimal::serde::str")]
    amount: Decimal,
    currency: CurrencyCode,
}

impl Money {
    pub fn new(amount: Decimal, currency: CurrencyCode) -> Result<Self, MoneyError> {
        let allowed = currency.minor_units().unwrap_or(0);
        let normal = amount.normalize();
        if normal.scale() > u32::from(allowed) {
            return Err(MoneyError::TooPrecise { amount, currency, allowed });
        }
        Ok(Money { amount: normal, currency })
    }
    pub fn amount(&self) -> Decimal {
        self.amount
    }
    pub fn currency(&self) -> CurrencyCode {
        self.currency
    }
    /// Whole minor units (cents for USD), the form stores keep.
    pub fn minor_units(&self) -> Option<i64> {
        let scale = self.currency.minor_units().unwrap_or(0);
        let m = self.amount * Decimal::from(10_i64.pow(u32::from(scale)));
        i64::try_from(m).ok()
    }
    pub fn from_minor_units(units: i64, currency: CurrencyCode) -> Self {
        let scale = u32::from(currency.minor_units().unwrap_or(0));
        Money { amount: Decimal::new(units, scale).normalize(), currency }
    }
    pub fn checked_add(&self, other: &Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(self.currency, other.currency));
        }
        let amount = self.amount.checked_add(other.amount).ok_or(MoneyError::Overflow)?;
        Ok(Money { amount, currency: self.currency })
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scale = self.currency.minor_units().unwrap_or(0);
        write!(f, "{} {:.*}", self.currency, usize::from(scale), self.amount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn cur(c: &str) -> CurrencyCode {
        c.parse().expect("currency")
    }

    #[test]
    fn precision_follows_the_currency() {
        assert!(Money::new(Decimal::from_str("10.5").expect("d"), cur("JPY")).is_err());
        assert!(Money::new(Decimal::from_str("10.50").expect("d"), cur("USD")).is_ok());
        assert!(Money::new(Decimal::from_str("10.505").expect("d"), cur("KWD")).is_ok());
        assert!(Money::new(Decimal::from_str("10.505").expect("d"), cur("USD")).is_err());
    }

    #[test]
    fn display_and_mismatch() {
        let m = Money::new(Decimal::from(12), cur("USD")).expect("m");
        assert_eq!(m.to_string(), "USD 12.00");
        let e = Money::new(Decimal::from(1), cur("EUR")).expect("m");
        assert!(matches!(m.checked_add(&e), Err(MoneyError::CurrencyMismatch(..))));
    }

    proptest! {
        #[test]
        fn minor_units_round_trip(units in -1_000_000_000_000i64..1_000_000_000_000i64, c in prop::sample::select(vec!["USD", "JPY", "KWD", "EUR"])) {
            let m = Money::from_minor_units(units, cur(c));
            prop_assert_eq!(m.minor_units(), Some(units));
            prop_assert_eq!(Money::new(m.amount(), m.currency()), Ok(m));
        }
    }
}
