//! What a consumer pays: line totals, the goods total per seller, and the full price with
//! a shipping option, plus the seam for duties and import taxes.
//!
//! Money rule: a line total is unit price × a whole quantity, exact in the currency's minor
//! unit (no rounding is ever needed); the goods total is the sum of the line totals; the
//! full price is goods + shipping + duties and taxes when they are assessed. Until the
//! customs work implements [`DutiesAndTaxes`], [`NotYetAssessed`] answers
//! [`DutiesAndTaxesQuote::NotIncluded`] with its reason, and the full price excludes them.

use super::ShippingTerms;
use crate::codes::{CountryCode, HsCode};
use crate::money::{Money, MoneyError};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One cart or order line, priced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricedLine {
    pub offer_id: String,
    pub product_id: String,
    pub title: String,
    /// What customs will need: the product's HS code and origin.
    pub hs_code: HsCode,
    pub origin_country: CountryCode,
    pub unit_price: Money,
    pub quantity: u32,
    pub line_total: Money,
}

/// Unit price × quantity.
pub fn line_total(unit_price: Money, quantity: u32) -> Result<Money, MoneyError> {
    let amount = unit_price.amount().checked_mul(Decimal::from(quantity)).ok_or(MoneyError::Overflow)?;
    Money::new(amount, unit_price.currency())
}

/// The sum of line totals; `None` for no lines (an empty basket has no currency).
pub fn goods_total(lines: &[PricedLine]) -> Result<Option<Money>, MoneyError> {
    let mut total: Option<Money> = None;
    for l in lines {
        total = Some(match total {
            None => l.line_total,
            Some(t) => t.checked_add(&l.line_total)?,
        });
    }
    Ok(total)
}

/// What the customs work needs to assess duties and import taxes on one seller's parcel.
#[derive(Debug, Clone, Copy)]
pub struct LandedCostRequest<'a> {
    /// Where the goods are imported: the consumer's country of residence.
    pub destination: CountryCode,
    /// Where the seller ships from.
    pub seller_country: CountryCode,
    pub lines: &'a [PricedLine],
    pub goods: Money,
    pub shipping: Money,
}

/// Duties and import taxes on a parcel, or why they are not in the price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DutiesAndTaxesQuote {
    /// Not assessed: the consumer may be asked to pay them on import.
    NotIncluded { reason: String },
    /// Assessed and part of the full price (delivered duty paid).
    Included { amount: Money, basis: String },
}

/// The seam the customs work implements: assesses duties and taxes for a parcel. Send and
/// Sync because the server holds one across requests.
pub trait DutiesAndTaxes: Send + Sync {
    fn assess(&self, request: &LandedCostRequest<'_>) -> DutiesAndTaxesQuote;
}

/// The assessor until customs lands: same-country sales owe no import duty; for
/// cross-border parcels duties and taxes are stated as not included, with the reason.
#[derive(Debug, Clone, Copy, Default)]
pub struct NotYetAssessed;

impl DutiesAndTaxes for NotYetAssessed {
    fn assess(&self, request: &LandedCostRequest<'_>) -> DutiesAndTaxesQuote {
        let reason = if request.destination == request.seller_country {
            format!(
                "domestic sale within {}: no import duty; sales tax is not calculated by tradewind yet",
                request.destination
            )
        } else {
            format!(
                "import duties and taxes for {} are not calculated yet; the carrier or customs of {} may collect them on delivery",
                request.destination,
                request.destination.name()
            )
        };
        DutiesAndTaxesQuote::NotIncluded { reason }
    }
}

/// Goods, shipping, duties and taxes, and what the consumer pays in total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FullPrice {
    pub goods: Money,
    pub shipping: Money,
    pub duties_and_taxes: DutiesAndTaxesQuote,
    /// Goods + shipping (+ duties and taxes when included).
    pub total: Money,
}

/// The full price of a parcel with one shipping option.
pub fn full_price(
    goods: Money,
    shipping: Money,
    duties_and_taxes: DutiesAndTaxesQuote,
) -> Result<FullPrice, MoneyError> {
    let mut total = goods.checked_add(&shipping)?;
    if let DutiesAndTaxesQuote::Included { amount, .. } = &duties_and_taxes {
        total = total.checked_add(amount)?;
    }
    Ok(FullPrice { goods, shipping, duties_and_taxes, total })
}

/// True when the option delivers to `country`.
pub fn ships_to(option: &ShippingTerms, country: CountryCode) -> bool {
    option.destinations.contains(&country)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::CurrencyCode;
    use proptest::prelude::*;

    fn cur(c: &str) -> CurrencyCode {
        c.parse().expect("currency")
    }

    fn line(units: i64, qty: u32, c: &str) -> PricedLine {
        let unit_price = Money::from_minor_units(units, cur(c));
        PricedLine {
            offer_id: "o".into(),
            product_id: "p".into(),
            title: "Pepper".into(),
            hs_code: "090411".parse().expect("hs"),
            origin_country: "VN".parse().expect("vn"),
            unit_price,
            quantity: qty,
            line_total: line_total(unit_price, qty).expect("total"),
        }
    }

    #[test]
    fn full_price_adds_shipping_and_states_duties_not_included() {
        let l = line(1250, 3, "SGD");
        assert_eq!(l.line_total.to_string(), "SGD 37.50");
        let goods = goods_total(std::slice::from_ref(&l)).expect("sum").expect("some");
        let ship = Money::from_minor_units(800, cur("SGD"));
        let req = LandedCostRequest {
            destination: "DE".parse().expect("de"),
            seller_country: "SG".parse().expect("sg"),
            lines: std::slice::from_ref(&l),
            goods,
            shipping: ship,
        };
        let duties = NotYetAssessed.assess(&req);
        let DutiesAndTaxesQuote::NotIncluded { reason } = &duties else { panic!("not included") };
        assert!(reason.contains("DE") && reason.contains("not calculated"), "{reason}");
        let p = full_price(goods, ship, duties).expect("price");
        assert_eq!(p.total.to_string(), "SGD 45.50");
        let json = serde_json::to_value(&p).expect("json");
        assert_eq!(json["duties_and_taxes"]["status"], "not_included");
    }

    #[test]
    fn included_duties_are_part_of_the_total_and_currencies_do_not_mix() {
        let goods = Money::from_minor_units(10_000, cur("EUR"));
        let ship = Money::from_minor_units(500, cur("EUR"));
        let duty = DutiesAndTaxesQuote::Included {
            amount: Money::from_minor_units(1_995, cur("EUR")),
            basis: "VAT 19%".into(),
        };
        assert_eq!(full_price(goods, ship, duty).expect("p").total.to_string(), "EUR 124.95");
        let usd = Money::from_minor_units(500, cur("USD"));
        let none = DutiesAndTaxesQuote::NotIncluded { reason: "x".into() };
        assert!(matches!(full_price(goods, usd, none), Err(MoneyError::CurrencyMismatch(..))));
        assert_eq!(goods_total(&[]), Ok(None));
    }

    proptest! {
        #[test]
        fn totals_are_exact_sums_in_minor_units(
            lines in prop::collection::vec((1i64..1_000_000, 1u32..1000), 1..20),
            ship in 0i64..100_000,
            c in prop::sample::select(vec!["USD", "JPY", "KWD", "SGD"]),
        ) {
            let priced: Vec<PricedLine> = lines.iter().map(|(u, q)| line(*u, *q, c)).collect();
            let goods = goods_total(&priced).expect("sum").expect("some");
            let expect: i64 = lines.iter().map(|(u, q)| u * i64::from(*q)).sum();
            prop_assert_eq!(goods.minor_units(), Some(expect));
            let p = full_price(goods, Money::from_minor_units(ship, cur(c)), DutiesAndTaxesQuote::NotIncluded { reason: String::new() }).expect("p");
            prop_assert_eq!(p.total.minor_units(), Some(expect + ship));
            // Order does not matter.
            let mut rev = priced.clone();
            rev.reverse();
            prop_assert_eq!(goods_total(&rev).expect("sum"), Some(goods));
        }
    }
}
