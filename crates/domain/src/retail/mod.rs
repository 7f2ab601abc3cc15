//! Cross-border B2C retail: a verified seller's consumer-facing store, its offers and
//! shipping options ([`StoreForm`], [`OfferForm`], [`ShippingOptionForm`]), a consumer's
//! sign-up ([`ConsumerForm`]), cart pricing with the full price shown before checkout
//! ([`pricing`]), and the consumer order's life cycle with its returns window ([`order`]).
//!
//! Rules this module owns:
//! - **Returns window floor.** A store's returns window is at least
//!   [`RETURNS_WINDOW_FLOOR_DAYS`] (14) days, counted from delivery: the consumer-protection
//!   floor for distance selling (the EU's 14-day withdrawal period is the common reference).
//!   At most [`RETURNS_WINDOW_MAX_DAYS`] so a typing mistake does not promise a year.
//! - **One currency per store.** Offers and shipping options are priced in the store's
//!   currency, so goods and shipping add up to one full price without conversion.
//! - **Carts with several sellers are split.** A cart may hold offers of several stores;
//!   checkout makes one consumer order per seller, each with its own shipping option, its
//!   own full price and the seller's own identity and returns window. The consumer chooses
//!   one shipping option per seller; a missing choice refuses the whole checkout.
//! - **Quantities** are whole, positive units (at most [`MAX_QUANTITY`] per line); prices
//!   are above zero and carry no more decimals than the currency's minor unit.
//! - **Duties and taxes** are not in the full price yet: [`pricing::DutiesAndTaxes`] is the
//!   seam the customs work implements; until then [`pricing::NotYetAssessed`] states
//!   "not included" with the reason, and the price shown says so.

use crate::codes::{CountryCode, CurrencyCode};
use crate::money::Money;
use crate::validation::{ValidationErrors, required_positive, required_text};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub mod order;
pub mod pricing;

// Dates in retail answers are ISO 8601 calendar dates (`YYYY-MM-DD`).
time::serde::format_description!(pub iso_day, Date, "[year]-[month]-[day]");

/// The consumer-protection floor: no store may offer fewer days to return goods.
pub const RETURNS_WINDOW_FLOOR_DAYS: u32 = 14;
/// The longest returns window a store may state.
pub const RETURNS_WINDOW_MAX_DAYS: u32 = 365;
/// Most units of one offer in one cart line.
pub const MAX_QUANTITY: i64 = 10_000;
/// Most units of stock one offer may hold.
pub const MAX_STOCK: i64 = 100_000_000;
/// Longest delivery time a shipping option may promise, in days.
pub const MAX_DELIVERY_DAYS: u32 = 120;

/// Who the consumer is buying from, as the law asks a distance seller to say: the legal
/// name, registration number, country and address come from the seller's verified company
/// record; the contact is the store's customer-service contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SellerIdentity {
    pub legal_name: String,
    pub registration_number: String,
    pub country: CountryCode,
    pub address: String,
    pub contact_email: String,
    pub contact_phone: String,
}

/// A store's consumer-facing terms, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreTerms {
    pub display_name: String,
    pub currency: CurrencyCode,
    pub returns_window_days: u32,
    /// Where returned goods go.
    pub returns_address: String,
    pub contact_email: String,
    pub contact_phone: String,
}

/// A store as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StoreForm {
    pub display_name: String,
    pub currency: String,
    pub returns_window_days: Option<i64>,
    pub returns_address: String,
    pub contact_email: String,
    pub contact_phone: String,
}

impl StoreForm {
    pub fn validate(&self) -> Result<StoreTerms, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let display_name = required_text(&mut e, "display_name", &self.display_name, 100);
        let currency = payable_currency(&mut e, "currency", &self.currency);
        let returns_window_days = match self.returns_window_days {
            None => {
                e.push("returns_window_days", "required", "state how many days after delivery goods may be returned");
                None
            }
            Some(d) if d < i64::from(RETURNS_WINDOW_FLOOR_DAYS) => {
                e.push(
                    "returns_window_days",
                    "below_consumer_protection_floor",
                    format!(
                        "consumers must have at least {RETURNS_WINDOW_FLOOR_DAYS} days from delivery to return goods; {d} is too few"
                    ),
                );
                None
            }
            Some(d) if d > i64::from(RETURNS_WINDOW_MAX_DAYS) => {
                e.push(
                    "returns_window_days",
                    "out_of_range",
                    format!("a returns window is at most {RETURNS_WINDOW_MAX_DAYS} days"),
                );
                None
            }
            Some(d) => u32::try_from(d).ok(),
        };
        let returns_address = required_text(&mut e, "returns_address", &self.returns_address, 500);
        let contact_email = required_text(&mut e, "contact_email", &self.contact_email, 254);
        if let Some(m) = &contact_email
            && !looks_like_email(m)
        {
            e.push("contact_email", "invalid_email", format!("'{m}' is not an e-mail address"));
        }
        let contact_phone = required_text(&mut e, "contact_phone", &self.contact_phone, 40);
        match (display_name, currency, returns_window_days, returns_address, contact_email, contact_phone) {
            (
                Some(display_name),
                Some(currency),
                Some(returns_window_days),
                Some(returns_address),
                Some(ce),
                Some(cp),
            ) if e.is_empty() => Ok(StoreTerms {
                display_name,
                currency,
                returns_window_days,
                returns_address,
                contact_email: ce,
                contact_phone: cp,
            }),
            _ => Err(e),
        }
    }
}

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => !local.is_empty() && domain.contains('.') && !s.contains(char::is_whitespace),
        None => false,
    }
}

fn payable_currency(e: &mut ValidationErrors, field: &str, value: &str) -> Option<CurrencyCode> {
    let c = e.check(field, value.trim().parse::<CurrencyCode>())?;
    if c.minor_units().is_none() {
        e.push(field, "not_payable", format!("{c} has no minor unit and cannot be paid"));
        return None;
    }
    Some(c)
}

/// A positive price in `currency` with no more decimals than its minor unit; an offered
/// currency other than the store's is refused.
fn store_price(
    e: &mut ValidationErrors,
    field: &str,
    amount: Option<Decimal>,
    currency: Option<&str>,
    store_currency: CurrencyCode,
) -> Option<Money> {
    if let Some(c) = currency.map(str::trim).filter(|c| !c.is_empty()) {
        let given = e.check("currency", c.parse::<CurrencyCode>())?;
        if given != store_currency {
            e.push(
                "currency",
                "currency_mismatch",
                format!("this store sells in {store_currency}; price it in {store_currency}, not {given}"),
            );
            return None;
        }
    }
    let amount = required_positive(e, field, amount)?;
    match Money::new(amount, store_currency) {
        Ok(m) => Some(m),
        Err(err) => {
            e.push(field, "too_precise", err.to_string());
            None
        }
    }
}

/// A retail offer as typed: a marketplace product sold to consumers at a unit price.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OfferForm {
    pub product_id: String,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub unit_price: Option<Decimal>,
    /// May be left out; when given it must be the store's currency.
    pub currency: Option<String>,
    pub stock: Option<i64>,
}

/// A validated offer's price and stock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferTerms {
    pub product_id: String,
    pub unit_price: Money,
    pub stock: i64,
}

impl OfferForm {
    pub fn validate(&self, store_currency: CurrencyCode) -> Result<OfferTerms, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let product_id = required_text(&mut e, "product_id", &self.product_id, 64);
        let unit_price = store_price(&mut e, "unit_price", self.unit_price, self.currency.as_deref(), store_currency);
        let stock = stock(&mut e, self.stock);
        match (product_id, unit_price, stock) {
            (Some(product_id), Some(unit_price), Some(stock)) if e.is_empty() => {
                Ok(OfferTerms { product_id, unit_price, stock })
            }
            _ => Err(e),
        }
    }
}

/// Stock is a whole number of units, zero (sold out) or more.
pub fn stock(e: &mut ValidationErrors, value: Option<i64>) -> Option<i64> {
    match value {
        None => {
            e.push("stock", "required", "stock is required (0 for sold out)");
            None
        }
        Some(s) if s < 0 => {
            e.push("stock", "negative", "stock cannot be negative");
            None
        }
        Some(s) if s > MAX_STOCK => {
            e.push("stock", "out_of_range", format!("stock is at most {MAX_STOCK} units"));
            None
        }
        Some(s) => Some(s),
    }
}

/// A shipping option as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ShippingOptionForm {
    pub name: String,
    /// ISO 3166-1 alpha-2 codes of the countries this option delivers to.
    pub destinations: Vec<String>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub price: Option<Decimal>,
    pub currency: Option<String>,
    /// Days from order to delivery, at most.
    pub delivery_days: Option<i64>,
}

/// A validated shipping option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingTerms {
    pub name: String,
    pub destinations: Vec<CountryCode>,
    pub price: Money,
    pub delivery_days: u32,
}

impl ShippingOptionForm {
    pub fn validate(&self, store_currency: CurrencyCode) -> Result<ShippingTerms, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let name = required_text(&mut e, "name", &self.name, 100);
        let mut destinations = Vec::new();
        if self.destinations.is_empty() {
            e.push("destinations", "required", "name at least one destination country");
        }
        for (i, d) in self.destinations.iter().enumerate() {
            if let Some(c) = e.check(&format!("destinations[{i}]"), d.trim().parse::<CountryCode>())
                && !destinations.contains(&c)
            {
                destinations.push(c);
            }
        }
        // Free shipping is a real offer, so zero is allowed here (unlike goods prices).
        let price = match self.price {
            Some(p) if p.is_zero() => Some(Money::from_minor_units(0, store_currency)),
            other => store_price(&mut e, "price", other, self.currency.as_deref(), store_currency),
        };
        let delivery_days = match self.delivery_days {
            None => {
                e.push("delivery_days", "required", "state the most days delivery takes");
                None
            }
            Some(d) if d < 1 || d > i64::from(MAX_DELIVERY_DAYS) => {
                e.push("delivery_days", "out_of_range", format!("delivery takes 1 to {MAX_DELIVERY_DAYS} days"));
                None
            }
            Some(d) => u32::try_from(d).ok(),
        };
        match (name, price, delivery_days) {
            (Some(name), Some(price), Some(delivery_days)) if e.is_empty() => {
                Ok(ShippingTerms { name, destinations, price, delivery_days })
            }
            _ => Err(e),
        }
    }
}

/// A consumer's sign-up as typed (the password is checked by the accounts rules).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ConsumerForm {
    pub name: String,
    pub email: String,
    pub password: String,
    /// Country of residence, ISO 3166-1 alpha-2: shipping and (later) duties follow it.
    pub country: String,
}

/// Where a consumer's parcel goes; the country is the consumer's country of residence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipTo {
    pub name: String,
    pub street: String,
    pub city: String,
    pub postal_code: String,
    pub country: CountryCode,
}

/// A delivery address as typed (the country is not typed: it is the consumer's).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ShipToForm {
    pub name: String,
    pub street: String,
    pub city: String,
    pub postal_code: String,
}

impl ShipToForm {
    pub fn validate(&self, country: CountryCode) -> Result<ShipTo, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let name = required_text(&mut e, "ship_to.name", &self.name, 100);
        let street = required_text(&mut e, "ship_to.street", &self.street, 200);
        let city = required_text(&mut e, "ship_to.city", &self.city, 100);
        let postal_code = self.postal_code.trim().to_string();
        if postal_code.chars().count() > 20 {
            e.push("ship_to.postal_code", "too_long", "ship_to.postal_code must be at most 20 characters");
        }
        match (name, street, city) {
            (Some(name), Some(street), Some(city)) if e.is_empty() => {
                Ok(ShipTo { name, street, city, postal_code, country })
            }
            _ => Err(e),
        }
    }
}

/// A validated quantity for a cart line: a whole number of units above zero.
pub fn cart_quantity(e: &mut ValidationErrors, field: &str, value: Option<i64>) -> Option<u32> {
    match value {
        None => {
            e.push(field, "required", format!("{field} is required"));
            None
        }
        Some(q) if q <= 0 => {
            e.push(field, "not_positive", format!("{field} must be a whole number of units above zero"));
            None
        }
        Some(q) if q > MAX_QUANTITY => {
            e.push(field, "out_of_range", format!("{field} is at most {MAX_QUANTITY} units"));
            None
        }
        Some(q) => u32::try_from(q).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn store_form() -> StoreForm {
        StoreForm {
            display_name: "Spice Route".into(),
            currency: "SGD".into(),
            returns_window_days: Some(14),
            returns_address: "1 Harbour Road, Singapore 018989".into(),
            contact_email: "care@spice.example".into(),
            contact_phone: "+65 6000 0000".into(),
        }
    }

    fn sgd() -> CurrencyCode {
        "SGD".parse().expect("sgd")
    }

    fn fields(e: &ValidationErrors) -> Vec<(&str, &str)> {
        e.0.iter().map(|f| (f.field.as_str(), f.code)).collect()
    }

    #[test]
    fn returns_window_has_a_consumer_protection_floor() {
        assert_eq!(store_form().validate().expect("ok").returns_window_days, 14);
        let short = StoreForm { returns_window_days: Some(13), ..store_form() };
        let e = short.validate().expect_err("13 days is below the floor");
        assert_eq!(fields(&e), vec![("returns_window_days", "below_consumer_protection_floor")]);
        assert!(e.0[0].message.contains("14"));
        let none = StoreForm { returns_window_days: None, ..store_form() };
        assert_eq!(fields(&none.validate().expect_err("missing")), vec![("returns_window_days", "required")]);
    }

    #[test]
    fn store_needs_a_payable_currency_and_contact() {
        let f = StoreForm { currency: "XAU".into(), contact_email: "nobody".into(), ..store_form() };
        let e = f.validate().expect_err("bad");
        assert_eq!(fields(&e), vec![("currency", "not_payable"), ("contact_email", "invalid_email")]);
    }

    #[test]
    fn offer_prices_are_positive_and_not_too_precise() {
        let ok = OfferForm {
            product_id: "p1".into(),
            unit_price: Some(Decimal::from_str("12.50").expect("d")),
            currency: None,
            stock: Some(5),
        };
        assert_eq!(ok.validate(sgd()).expect("ok").unit_price.to_string(), "SGD 12.50");
        for bad in ["0", "-1", "12.505"] {
            let f = OfferForm { unit_price: Some(Decimal::from_str(bad).expect("d")), ..ok.clone() };
            let e = f.validate(sgd()).expect_err(bad);
            assert_eq!(e.0[0].field, "unit_price", "{bad}");
        }
        let f = OfferForm { currency: Some("USD".into()), ..ok.clone() };
        assert_eq!(fields(&f.validate(sgd()).expect_err("usd")), vec![("currency", "currency_mismatch")]);
        let f = OfferForm { stock: Some(-1), ..ok };
        assert_eq!(fields(&f.validate(sgd()).expect_err("stock")), vec![("stock", "negative")]);
    }

    #[test]
    fn shipping_options_allow_free_shipping_but_not_negative() {
        let f = ShippingOptionForm {
            name: "Tracked air".into(),
            destinations: vec!["DE".into(), "de".into(), "FR".into()],
            price: Some(Decimal::ZERO),
            currency: None,
            delivery_days: Some(7),
        };
        let t = f.validate(sgd()).expect("ok");
        assert_eq!(t.destinations.len(), 2);
        assert!(t.price.amount().is_zero());
        let neg = ShippingOptionForm { price: Some(Decimal::from(-3)), ..f.clone() };
        assert_eq!(fields(&neg.validate(sgd()).expect_err("neg")), vec![("price", "not_positive")]);
        let nowhere = ShippingOptionForm { destinations: vec!["XX".into()], delivery_days: Some(0), ..f };
        assert_eq!(
            fields(&nowhere.validate(sgd()).expect_err("bad")),
            vec![("destinations[0]", "unknown_country"), ("delivery_days", "out_of_range")]
        );
    }

    #[test]
    fn cart_quantities_are_whole_positive_units() {
        let mut e = ValidationErrors::new();
        assert_eq!(cart_quantity(&mut e, "quantity", Some(3)), Some(3));
        assert_eq!(cart_quantity(&mut e, "quantity", Some(0)), None);
        assert_eq!(cart_quantity(&mut e, "quantity", Some(-2)), None);
        assert_eq!(cart_quantity(&mut e, "quantity", Some(MAX_QUANTITY + 1)), None);
        assert_eq!(
            fields(&e),
            vec![("quantity", "not_positive"), ("quantity", "not_positive"), ("quantity", "out_of_range")]
        );
    }
}
