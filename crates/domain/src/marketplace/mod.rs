//! Before the deal: product listings with price tiers, trade leads (sell offers and buy
//! requests), quotes, and currency conversion for comparing quotes.

use crate::codes::{CountryCode, CurrencyCode, HsCode, Locode};
use crate::incoterm::Incoterm;
use crate::money::Money;
use crate::validation::{ValidationErrors, iso_date, required_positive, required_text};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

pub mod hs_suggestion;
pub mod matching;

/// Common UN/ECE Recommendation 20 units of measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UnitOfMeasure {
    #[serde(rename = "H87")]
    Piece,
    #[serde(rename = "C62")]
    One,
    #[serde(rename = "SET")]
    Set,
    #[serde(rename = "PR")]
    Pair,
    #[serde(rename = "DZN")]
    Dozen,
    #[serde(rename = "GRM")]
    Gram,
    #[serde(rename = "KGM")]
    Kilogram,
    #[serde(rename = "TNE")]
    Tonne,
    #[serde(rename = "LTR")]
    Litre,
    #[serde(rename = "MTR")]
    Metre,
    #[serde(rename = "MTK")]
    SquareMetre,
    #[serde(rename = "MTQ")]
    CubicMetre,
}

impl UnitOfMeasure {
    pub const ALL: [UnitOfMeasure; 12] = [
        UnitOfMeasure::Piece,
        UnitOfMeasure::One,
        UnitOfMeasure::Set,
        UnitOfMeasure::Pair,
        UnitOfMeasure::Dozen,
        UnitOfMeasure::Gram,
        UnitOfMeasure::Kilogram,
        UnitOfMeasure::Tonne,
        UnitOfMeasure::Litre,
        UnitOfMeasure::Metre,
        UnitOfMeasure::SquareMetre,
        UnitOfMeasure::CubicMetre,
    ];
    pub fn code(self) -> &'static str {
        match self {
            UnitOfMeasure::Piece => "H87",
            UnitOfMeasure::One => "C62",
            UnitOfMeasure::Set => "SET",
            UnitOfMeasure::Pair => "PR",
            UnitOfMeasure::Dozen => "DZN",
            UnitOfMeasure::Gram => "GRM",
            UnitOfMeasure::Kilogram => "KGM",
            UnitOfMeasure::Tonne => "TNE",
            UnitOfMeasure::Litre => "LTR",
            UnitOfMeasure::Metre => "MTR",
            UnitOfMeasure::SquareMetre => "MTK",
            UnitOfMeasure::CubicMetre => "MTQ",
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            UnitOfMeasure::Piece => "piece",
            UnitOfMeasure::One => "unit",
            UnitOfMeasure::Set => "set",
            UnitOfMeasure::Pair => "pair",
            UnitOfMeasure::Dozen => "dozen",
            UnitOfMeasure::Gram => "gram",
            UnitOfMeasure::Kilogram => "kilogram",
            UnitOfMeasure::Tonne => "tonne (metric ton)",
            UnitOfMeasure::Litre => "litre",
            UnitOfMeasure::Metre => "metre",
            UnitOfMeasure::SquareMetre => "square metre",
            UnitOfMeasure::CubicMetre => "cubic metre",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a supported UN/ECE Rec 20 unit; use one of H87, C62, SET, PR, DZN, GRM, KGM, TNE, LTR, MTR, MTK, MTQ"
)]
pub struct UnknownUnit(pub String);

impl crate::validation::CodedError for UnknownUnit {
    fn code(&self) -> &'static str {
        "unknown_unit"
    }
}

impl FromStr for UnitOfMeasure {
    type Err = UnknownUnit;
    fn from_str(s: &str) -> Result<Self, UnknownUnit> {
        let up = s.trim().to_ascii_uppercase();
        UnitOfMeasure::ALL.into_iter().find(|u| u.code() == up).ok_or_else(|| UnknownUnit(s.to_string()))
    }
}

/// Well-known certifications, matched case-insensitively so that facets group them; any
/// other text is kept as the seller wrote it.
pub const KNOWN_CERTIFICATIONS: [&str; 9] =
    ["ISO 9001", "ISO 14001", "CE", "FDA", "Halal", "Kosher", "Organic", "FSC", "RoHS"];

/// The canonical spelling of a certification.
pub fn normalise_certification(s: &str) -> String {
    let t = s.split_whitespace().collect::<Vec<_>>().join(" ");
    KNOWN_CERTIFICATIONS
        .iter()
        .find(|k| k.eq_ignore_ascii_case(&t) || k.replace(' ', "").eq_ignore_ascii_case(&t.replace(' ', "")))
        .map(|k| k.to_string())
        .unwrap_or(t)
}

/// One price band: buying at least `min_quantity` (and at most `max_quantity`, when given)
/// costs `unit_price` per unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceTier {
    #[serde(with = "rust_decimal::serde::str")]
    pub min_quantity: Decimal,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub max_quantity: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str")]
    pub unit_price: Decimal,
}

/// Checks price tiers: ascending, non-overlapping bands with positive prices payable in
/// `currency`, the first starting at or above the MOQ.
pub fn check_price_tiers(
    e: &mut ValidationErrors,
    tiers: &[PriceTier],
    moq: Option<Decimal>,
    currency: Option<CurrencyCode>,
) {
    if tiers.is_empty() {
        e.push("price_tiers", "required", "give at least one price tier");
        return;
    }
    if tiers.len() > 10 {
        e.push("price_tiers", "too_many", "give at most 10 price tiers");
    }
    for (i, t) in tiers.iter().enumerate() {
        let f = format!("price_tiers[{i}]");
        if t.min_quantity <= Decimal::ZERO {
            e.push(format!("{f}.min_quantity"), "not_positive", "the minimum quantity must be above zero");
        }
        if t.unit_price <= Decimal::ZERO {
            e.push(format!("{f}.unit_price"), "not_positive", "the unit price must be above zero");
        } else if let Some(c) = currency
            && Money::new(t.unit_price, c).is_err()
        {
            e.push(
                format!("{f}.unit_price"),
                "too_precise",
                format!("{c} has {} decimal places", c.minor_units().unwrap_or(0)),
            );
        }
        if let Some(max) = t.max_quantity
            && max < t.min_quantity
        {
            e.push(format!("{f}.max_quantity"), "below_min", "the maximum quantity is below the minimum");
        }
        if i == 0
            && let Some(m) = moq
            && t.min_quantity < m
        {
            e.push(format!("{f}.min_quantity"), "below_moq", format!("the first tier starts below the MOQ of {m}"));
        }
        if i > 0 {
            let prev = &tiers[i - 1];
            if t.min_quantity <= prev.min_quantity {
                e.push(
                    format!("{f}.min_quantity"),
                    "not_increasing",
                    "tiers must be listed by increasing minimum quantity",
                );
            } else if prev.max_quantity.is_none_or(|pmax| pmax >= t.min_quantity) {
                e.push(
                    format!("{f}.min_quantity"),
                    "overlapping",
                    format!("this tier overlaps tier {}: give that tier a maximum below {}", i - 1, t.min_quantity),
                );
            }
        }
    }
}

/// The unit price for buying `quantity`: the tier whose band holds it.
pub fn unit_price_for(tiers: &[PriceTier], quantity: Decimal) -> Option<Decimal> {
    tiers
        .iter()
        .filter(|t| quantity >= t.min_quantity && t.max_quantity.is_none_or(|m| quantity <= m))
        .map(|t| t.unit_price)
        .next()
}

/// A product as a seller lists it, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductListing {
    pub title: String,
    pub description: String,
    pub hs_code: HsCode,
    pub origin_country: CountryCode,
    pub unit: UnitOfMeasure,
    #[serde(with = "rust_decimal::serde::str")]
    pub moq: Decimal,
    /// Units the seller can supply per month.
    #[serde(with = "rust_decimal::serde::str")]
    pub supply_capacity: Decimal,
    pub currency: CurrencyCode,
    pub price_tiers: Vec<PriceTier>,
    pub lead_time_days: u32,
    pub certifications: Vec<String>,
}

/// A product listing as typed: codes as text.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ProductForm {
    pub title: String,
    pub description: String,
    pub hs_code: String,
    pub origin_country: String,
    pub unit: String,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub moq: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub supply_capacity: Option<Decimal>,
    pub currency: String,
    pub price_tiers: Vec<PriceTier>,
    pub lead_time_days: Option<u32>,
    pub certifications: Vec<String>,
}

impl ProductForm {
    pub fn validate(&self) -> Result<ProductListing, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let title = required_text(&mut e, "title", &self.title, 200);
        if self.description.chars().count() > 5000 {
            e.push("description", "too_long", "description must be at most 5000 characters");
        }
        let hs_code = e.check("hs_code", self.hs_code.parse::<HsCode>());
        let origin = e.check("origin_country", self.origin_country.parse::<CountryCode>());
        let unit = e.check("unit", self.unit.parse::<UnitOfMeasure>());
        let moq = required_positive(&mut e, "moq", self.moq);
        let capacity = required_positive(&mut e, "supply_capacity", self.supply_capacity);
        if let (Some(m), Some(c)) = (moq, capacity)
            && m > c
        {
            e.push("moq", "above_capacity", format!("the MOQ ({m}) is above the monthly supply capacity ({c})"));
        }
        let currency = e.check("currency", self.currency.parse::<CurrencyCode>());
        check_price_tiers(&mut e, &self.price_tiers, moq, currency);
        let lead = match self.lead_time_days {
            Some(d) if d <= 365 => Some(d),
            Some(_) => {
                e.push("lead_time_days", "out_of_range", "lead time must be at most 365 days");
                None
            }
            None => {
                e.push("lead_time_days", "required", "lead_time_days is required");
                None
            }
        };
        let mut certifications: Vec<String> = Vec::new();
        for (i, c) in self.certifications.iter().enumerate() {
            let n = normalise_certification(c);
            if n.is_empty() || n.chars().count() > 80 {
                e.push(format!("certifications[{i}]"), "invalid", "a certification is 1 to 80 characters");
            } else if !certifications.contains(&n) {
                certifications.push(n);
            }
        }
        match (title, hs_code, origin, unit, moq, capacity, currency, lead) {
            (
                Some(title),
                Some(hs_code),
                Some(origin_country),
                Some(unit),
                Some(moq),
                Some(sc),
                Some(currency),
                Some(l),
            ) if e.is_empty() => Ok(ProductListing {
                title,
                description: self.description.trim().to_string(),
                hs_code,
                origin_country,
                unit,
                moq,
                supply_capacity: sc,
                currency,
                price_tiers: self.price_tiers.clone(),
                lead_time_days: l,
                certifications,
            }),
            _ => Err(e),
        }
    }
}

/// Which way a lead goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadSide {
    /// A sell offer.
    Sell,
    /// A buy request (RFQ).
    Buy,
}

impl LeadSide {
    pub fn as_str(self) -> &'static str {
        match self {
            LeadSide::Sell => "sell",
            LeadSide::Buy => "buy",
        }
    }
}

impl FromStr for LeadSide {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "sell" => Ok(LeadSide::Sell),
            "buy" => Ok(LeadSide::Buy),
            other => Err(format!("'{other}' is not a lead side; use sell or buy")),
        }
    }
}

/// A trade lead, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeLead {
    pub side: LeadSide,
    pub title: String,
    pub description: String,
    pub hs_code: Option<HsCode>,
    #[serde(with = "rust_decimal::serde::str")]
    pub quantity: Decimal,
    pub unit: UnitOfMeasure,
    pub target_price: Option<Money>,
    /// Where the goods go (buy requests) or come from (sell offers).
    pub country: CountryCode,
    pub port: Option<Locode>,
    pub incoterm: Option<Incoterm>,
    pub needed_by: Option<time::Date>,
    pub expires_on: time::Date,
}

/// A lead as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LeadForm {
    pub side: String,
    pub title: String,
    pub description: String,
    pub hs_code: Option<String>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub quantity: Option<Decimal>,
    pub unit: String,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub target_price: Option<Decimal>,
    pub currency: Option<String>,
    pub country: String,
    pub port: Option<String>,
    pub incoterm: Option<String>,
    pub needed_by: Option<String>,
    pub expires_on: String,
}

impl LeadForm {
    /// Validates against `today` (the lead must not already be expired).
    pub fn validate(&self, today: time::Date) -> Result<TradeLead, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let side = match self.side.parse::<LeadSide>() {
            Ok(s) => Some(s),
            Err(m) => {
                e.push("side", "unknown_side", m);
                None
            }
        };
        let title = required_text(&mut e, "title", &self.title, 200);
        if self.description.chars().count() > 5000 {
            e.push("description", "too_long", "description must be at most 5000 characters");
        }
        let hs_code = match self.hs_code.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Some(None),
            Some(h) => e.check("hs_code", h.parse::<HsCode>()).map(Some),
        };
        let quantity = required_positive(&mut e, "quantity", self.quantity);
        let unit = e.check("unit", self.unit.parse::<UnitOfMeasure>());
        let target_price = match (self.target_price, self.currency.as_deref().filter(|c| !c.trim().is_empty())) {
            (None, _) => Some(None),
            (Some(_), None) => {
                e.push("currency", "required", "give the currency of the target price");
                None
            }
            (Some(p), Some(c)) => match (p > Decimal::ZERO, e.check("currency", c.parse::<CurrencyCode>())) {
                (false, _) => {
                    e.push("target_price", "not_positive", "target_price must be above zero");
                    None
                }
                (true, Some(cur)) => match Money::new(p, cur) {
                    Ok(m) => Some(Some(m)),
                    Err(err) => {
                        e.push("target_price", "too_precise", err.to_string());
                        None
                    }
                },
                (true, None) => None,
            },
        };
        let country = e.check("country", self.country.parse::<CountryCode>());
        let port = match self.port.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Some(None),
            Some(p) => e.check("port", p.parse::<Locode>()).map(Some),
        };
        if let (Some(Some(p)), Some(c)) = (&port, country)
            && p.country() != c
        {
            e.push("port", "port_not_in_country", format!("{p} is not in {c}"));
        }
        let incoterm = match self.incoterm.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Some(None),
            Some(i) => e.check("incoterm", i.parse::<Incoterm>()).map(Some),
        };
        let needed_by = match self.needed_by.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Some(None),
            Some(d) => iso_date(&mut e, "needed_by", d).map(Some),
        };
        let expires_on = if self.expires_on.trim().is_empty() {
            e.push("expires_on", "required", "give the date the lead expires (YYYY-MM-DD)");
            None
        } else {
            iso_date(&mut e, "expires_on", &self.expires_on)
        };
        if let Some(x) = expires_on {
            if x < today {
                e.push("expires_on", "in_the_past", format!("{x} is in the past"));
            } else if x > today + time::Duration::days(366) {
                e.push("expires_on", "too_far", "a lead may run for at most a year");
            }
        }
        match (side, title, hs_code, quantity, unit, target_price, country, port, incoterm, needed_by, expires_on) {
            (
                Some(side),
                Some(title),
                Some(hs_code),
                Some(quantity),
                Some(unit),
                Some(target_price),
                Some(country),
                Some(port),
                Some(incoterm),
                Some(needed_by),
                Some(expires_on),
            ) if e.is_empty() => Ok(TradeLead {
                side,
                title,
                description: self.description.trim().to_string(),
                hs_code,
                quantity,
                unit,
                target_price,
                country,
                port,
                incoterm,
                needed_by,
                expires_on,
            }),
            _ => Err(e),
        }
    }
}

/// How the buyer pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentTerms {
    Escrow,
    AdvanceTransfer,
    OpenAccount,
    LetterOfCredit,
}

impl FromStr for PaymentTerms {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "escrow" => Ok(PaymentTerms::Escrow),
            "advance_transfer" => Ok(PaymentTerms::AdvanceTransfer),
            "open_account" => Ok(PaymentTerms::OpenAccount),
            "letter_of_credit" => Ok(PaymentTerms::LetterOfCredit),
            other => Err(format!(
                "'{other}' is not a payment term; use escrow, advance_transfer, open_account or letter_of_credit"
            )),
        }
    }
}

/// A seller's answer to a buy request, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub unit_price: Money,
    pub incoterm: Incoterm,
    /// The Incoterms named place, as a UN/LOCODE.
    pub named_place: Locode,
    pub valid_until: time::Date,
    pub lead_time_days: u32,
    pub payment_terms: PaymentTerms,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct QuoteForm {
    #[serde(with = "rust_decimal::serde::str_option")]
    pub unit_price: Option<Decimal>,
    pub currency: String,
    pub incoterm: String,
    pub named_place: String,
    pub valid_until: String,
    pub lead_time_days: Option<u32>,
    pub payment_terms: String,
}

impl QuoteForm {
    pub fn validate(&self, today: time::Date) -> Result<Quote, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let currency = e.check("currency", self.currency.parse::<CurrencyCode>());
        let price = required_positive(&mut e, "unit_price", self.unit_price);
        let unit_price = match (price, currency) {
            (Some(p), Some(c)) => match Money::new(p, c) {
                Ok(m) => Some(m),
                Err(err) => {
                    e.push("unit_price", "too_precise", err.to_string());
                    None
                }
            },
            _ => None,
        };
        let incoterm = e.check("incoterm", self.incoterm.parse::<Incoterm>());
        let named_place = e.check("named_place", self.named_place.parse::<Locode>());
        let valid_until = iso_date(&mut e, "valid_until", &self.valid_until);
        if let Some(v) = valid_until
            && v < today
        {
            e.push("valid_until", "in_the_past", format!("{v} is in the past"));
        }
        let lead = match self.lead_time_days {
            Some(d) if d <= 365 => Some(d),
            _ => {
                e.push("lead_time_days", "out_of_range", "lead_time_days is required, at most 365");
                None
            }
        };
        let payment_terms = match self.payment_terms.parse::<PaymentTerms>() {
            Ok(p) => Some(p),
            Err(m) => {
                e.push("payment_terms", "unknown_payment_terms", m);
                None
            }
        };
        match (unit_price, incoterm, named_place, valid_until, lead, payment_terms) {
            (Some(unit_price), Some(incoterm), Some(named_place), Some(valid_until), Some(lead_time_days), Some(p))
                if e.is_empty() =>
            {
                Ok(Quote { unit_price, incoterm, named_place, valid_until, lead_time_days, payment_terms: p })
            }
            _ => Err(e),
        }
    }
}

/// Exchange rates against one base currency, as published by a named source on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FxRates {
    pub base: CurrencyCode,
    /// Units of each currency per one unit of `base`.
    pub rates: Vec<(CurrencyCode, Decimal)>,
    pub as_of: String,
    pub source: String,
}

/// A converted amount and the rate used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conversion {
    pub amount: Money,
    /// Units of the target currency per one unit of the source currency.
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
    pub as_of: String,
    pub source: String,
}

impl FxRates {
    fn per_base(&self, c: CurrencyCode) -> Option<Decimal> {
        if c == self.base { Some(Decimal::ONE) } else { self.rates.iter().find(|(k, _)| *k == c).map(|(_, r)| *r) }
    }

    /// Converts through the base currency, rounding half-to-even to the target's minor unit.
    pub fn convert(&self, m: &Money, to: CurrencyCode) -> Option<Conversion> {
        let from = self.per_base(m.currency())?;
        let target = self.per_base(to)?;
        if from.is_zero() {
            return None;
        }
        let rate = (target / from).round_dp(8);
        let scale = u32::from(to.minor_units().unwrap_or(0));
        let raw = m.amount().checked_mul(target)?.checked_div(from)?;
        let amount =
            Money::new(raw.round_dp_with_strategy(scale, rust_decimal::RoundingStrategy::MidpointNearestEven), to)
                .ok()?;
        Some(Conversion { amount, rate, as_of: self.as_of.clone(), source: self.source.clone() })
    }

    /// Parses the European Central Bank's reference rate CSV (`Date, USD, JPY, …` then one
    /// row of rates per euro), the format of eurofxref.csv.
    pub fn parse_ecb_csv(text: &str, source: &str) -> Result<FxRates, String> {
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let header: Vec<&str> = lines.next().ok_or("the file is empty")?.split(',').map(str::trim).collect();
        let values: Vec<&str> = lines.next().ok_or("the file has no row of rates")?.split(',').map(str::trim).collect();
        if header.first().map(|h| h.eq_ignore_ascii_case("date")) != Some(true) {
            return Err("the first column must be Date".into());
        }
        let base: CurrencyCode = "EUR".parse().map_err(|e: crate::codes::CodeError| e.to_string())?;
        let mut rates = Vec::new();
        for (h, v) in header.iter().zip(values.iter()).skip(1) {
            if h.is_empty() || v.is_empty() || v.eq_ignore_ascii_case("N/A") {
                continue;
            }
            let c: CurrencyCode = h.parse().map_err(|e: crate::codes::CodeError| format!("column {h}: {e}"))?;
            let r = Decimal::from_str(v).map_err(|_| format!("column {h}: '{v}' is not a number"))?;
            if r <= Decimal::ZERO {
                return Err(format!("column {h}: rates must be above zero"));
            }
            rates.push((c, r));
        }
        if rates.is_empty() {
            return Err("no rates found".into());
        }
        Ok(FxRates {
            base,
            rates,
            as_of: values.first().copied().unwrap_or("").to_string(),
            source: source.to_string(),
        })
    }
}

/// A demonstration rate table (approximate rates, labelled as such) so that quote
/// comparison works out of the box; import real reference rates with `tradewind import fx`.
pub const DEMO_FX_CSV: &str = include_str!("../../data/fx-demo.csv");

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    fn tier(min: &str, max: Option<&str>, price: &str) -> PriceTier {
        PriceTier { min_quantity: d(min), max_quantity: max.map(d), unit_price: d(price) }
    }

    fn product() -> ProductForm {
        ProductForm {
            title: "Black pepper".into(),
            description: "Whole, ASTA".into(),
            hs_code: "090411".into(),
            origin_country: "VN".into(),
            unit: "KGM".into(),
            moq: Some(d("500")),
            supply_capacity: Some(d("20000")),
            currency: "USD".into(),
            price_tiers: vec![tier("500", Some("999"), "4.20"), tier("1000", None, "3.90")],
            lead_time_days: Some(21),
            certifications: vec!["iso9001".into(), "Halal".into()],
        }
    }

    #[test]
    fn a_good_listing_validates() {
        let p = product().validate().expect("valid");
        assert_eq!(p.certifications, vec!["ISO 9001", "Halal"]);
        assert_eq!(unit_price_for(&p.price_tiers, d("750")), Some(d("4.20")));
        assert_eq!(unit_price_for(&p.price_tiers, d("5000")), Some(d("3.90")));
        assert_eq!(unit_price_for(&p.price_tiers, d("100")), None);
    }

    fn codes(e: ValidationErrors) -> Vec<(String, &'static str)> {
        e.0.into_iter().map(|f| (f.field, f.code)).collect()
    }

    #[test]
    fn bad_listings_name_the_field() {
        let mut p = product();
        p.moq = Some(d("50000"));
        let c = codes(p.validate().expect_err("moq"));
        assert!(c.contains(&("moq".into(), "above_capacity")), "{c:?}");
        let mut p = product();
        p.price_tiers = vec![tier("500", None, "4.2"), tier("1000", None, "3.9")];
        let c = codes(p.validate().expect_err("overlap"));
        assert!(c.contains(&("price_tiers[1].min_quantity".into(), "overlapping")), "{c:?}");
        let mut p = product();
        p.price_tiers = vec![tier("1000", None, "4.2"), tier("500", None, "3.9")];
        let c = codes(p.validate().expect_err("order"));
        assert!(c.contains(&("price_tiers[1].min_quantity".into(), "not_increasing")), "{c:?}");
        let mut p = product();
        p.moq = Some(d("0"));
        p.currency = "XYZ".into();
        p.hs_code = "99".into();
        let c = codes(p.validate().expect_err("many"));
        assert!(c.contains(&("moq".into(), "not_positive")));
        assert!(c.contains(&("currency".into(), "unknown_currency")));
        assert!(c.contains(&("hs_code".into(), "invalid_hs_code")));
    }

    fn today() -> time::Date {
        time::macros::date!(2026 - 11 - 26)
    }

    fn rfq() -> LeadForm {
        LeadForm {
            side: "buy".into(),
            title: "Robusta green coffee".into(),
            description: "Grade 1, 60 kg bags".into(),
            hs_code: Some("090111".into()),
            quantity: Some(d("19200")),
            unit: "KGM".into(),
            target_price: Some(d("2.10")),
            currency: Some("USD".into()),
            country: "DE".into(),
            port: Some("DEHAM".into()),
            incoterm: Some("CIF".into()),
            needed_by: Some("2027-02-01".into()),
            expires_on: "2026-12-31".into(),
        }
    }

    #[test]
    fn leads_validate_and_refuse_bad_input() {
        let l = rfq().validate(today()).expect("valid");
        assert_eq!(l.side, LeadSide::Buy);
        assert_eq!(l.port.map(|p| p.to_string()), Some("DEHAM".into()));
        let mut bad = rfq();
        bad.quantity = Some(d("-1"));
        bad.expires_on = "2026-11-01".into();
        bad.port = Some("SGSIN".into());
        bad.currency = Some("ABC".into());
        let c = codes(bad.validate(today()).expect_err("bad"));
        for want in [
            ("quantity", "not_positive"),
            ("expires_on", "in_the_past"),
            ("port", "port_not_in_country"),
            ("currency", "unknown_currency"),
        ] {
            assert!(c.contains(&(want.0.into(), want.1)), "{want:?} in {c:?}");
        }
    }

    #[test]
    fn quotes_validate() {
        let q = QuoteForm {
            unit_price: Some(d("2.05")),
            currency: "EUR".into(),
            incoterm: "FOB".into(),
            named_place: "VNSGN".into(),
            valid_until: "2026-12-15".into(),
            lead_time_days: Some(30),
            payment_terms: "escrow".into(),
        };
        assert!(q.validate(today()).is_ok());
        let mut bad = q.clone();
        bad.currency = "EUX".into();
        bad.payment_terms = "barter".into();
        let c = codes(bad.validate(today()).expect_err("bad"));
        assert!(c.contains(&("currency".into(), "unknown_currency")));
        assert!(c.contains(&("payment_terms".into(), "unknown_payment_terms")));
    }

    fn rates() -> FxRates {
        FxRates::parse_ecb_csv("Date, USD, JPY, GBP,\n2026-11-20, 1.0800, 162.50, 0.8400,\n", "test").expect("rates")
    }

    #[test]
    fn conversion_goes_through_the_base_and_rounds_to_the_minor_unit() {
        let r = rates();
        let usd: CurrencyCode = "USD".parse().expect("usd");
        let jpy: CurrencyCode = "JPY".parse().expect("jpy");
        let eur: CurrencyCode = "EUR".parse().expect("eur");
        let m = Money::new(d("10.00"), usd).expect("m");
        let c = r.convert(&m, jpy).expect("convert");
        assert_eq!(c.amount.to_string(), "JPY 1505");
        assert_eq!(r.convert(&m, eur).map(|c| c.amount.to_string()), Some("EUR 9.26".into()));
        assert!(r.convert(&m, "CHF".parse().expect("chf")).is_none());
        assert!(FxRates::parse_ecb_csv("Date, USD\n2026-01-01, -1\n", "x").is_err());
        assert!(FxRates::parse_ecb_csv(DEMO_FX_CSV, "demo").is_ok());
    }

    proptest! {
        #[test]
        fn converting_there_and_back_stays_close(cents in 1i64..1_000_000_000) {
            let r = rates();
            let usd: CurrencyCode = "USD".parse().expect("usd");
            let gbp: CurrencyCode = "GBP".parse().expect("gbp");
            let m = Money::from_minor_units(cents, usd);
            let there = r.convert(&m, gbp).expect("there");
            let back = r.convert(&there.amount, usd).expect("back");
            let diff = (back.amount.amount() - m.amount()).abs();
            // One minor unit of rounding each way, scaled by the rate.
            prop_assert!(diff <= d("0.02"), "{} -> {} -> {}", m, there.amount, back.amount);
        }

        #[test]
        fn valid_tiers_price_every_quantity_in_their_bands(n in 1usize..6, q in 1u32..100_000) {
            let mut tiers = Vec::new();
            for i in 0..n {
                let min = Decimal::from(1 + i as u32 * 1000);
                let max = if i + 1 == n { None } else { Some(Decimal::from((i as u32 + 1) * 1000)) };
                tiers.push(PriceTier { min_quantity: min, max_quantity: max, unit_price: Decimal::from(10 - i as u32) });
            }
            let mut e = ValidationErrors::new();
            check_price_tiers(&mut e, &tiers, Some(Decimal::ONE), None);
            prop_assert!(e.is_empty(), "{e:?}");
            prop_assert!(unit_price_for(&tiers, Decimal::from(q)).is_some());
        }
    }
}
