//! Rate cards and freight quotes.
//!
//! **Chargeable weight rule.** A carrier charges for the space goods take as well as their
//! weight, so the chargeable weight is the larger of the gross weight and a weight worked out
//! from the volume (all pieces of all packages together):
//! - air: volumetric kg = L × W × H in cm ÷ 6000 (IATA), rounded up to the next 0.5 kg;
//! - parcel: volumetric kg = L × W × H in cm ÷ 5000 (the couriers' divisor), rounded up to
//!   the next 0.5 kg;
//! - sea: the revenue-ton rule of less-than-container loads, 1 m³ counts as 1000 kg;
//! - road and rail: the gross weight alone.
//!
//! **Price rule.** The rate per kg is the card's base rate, or the rate of the highest weight
//! break the chargeable weight reaches; freight = chargeable kg × rate, rounded half-to-even to
//! the currency's minor unit, and never below the card's minimum charge.

use super::TransportMode;
use crate::codes::{CurrencyCode, Locode};
use crate::deal::order::round_to_minor_unit;
use crate::money::{Money, MoneyError};
use crate::validation::{ValidationErrors, required_positive};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// Most packages one quote or booking may hold.
pub const MAX_PACKAGES: usize = 200;
/// Most weight breaks on one card.
pub const MAX_WEIGHT_BREAKS: usize = 20;
/// Most pieces of one package line.
pub const MAX_PIECES: u32 = 10_000;
/// Heaviest piece taken (kg), longest side (cm): beyond these a number is a typing mistake.
pub const MAX_PIECE_KG: i64 = 100_000;
pub const MAX_SIDE_CM: i64 = 2_000;
/// Longest transit a card may promise, in days.
pub const MAX_TRANSIT_DAYS: u32 = 365;

/// Divisors from cm³ to volumetric kg.
pub const AIR_DIVISOR: i64 = 6000;
pub const PARCEL_DIVISOR: i64 = 5000;
/// Sea freight's revenue ton: one cubic metre counts as this many kg.
pub const SEA_KG_PER_M3: i64 = 1000;

/// One package line: `pieces` identical pieces, each of this gross weight and size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub gross_kg: Decimal,
    pub length_cm: Decimal,
    pub width_cm: Decimal,
    pub height_cm: Decimal,
    pub pieces: u32,
}

/// A package as typed; `pieces` defaults to 1.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PackageForm {
    pub gross_kg: Option<Decimal>,
    pub length_cm: Option<Decimal>,
    pub width_cm: Option<Decimal>,
    pub height_cm: Option<Decimal>,
    pub pieces: Option<u32>,
}

fn at_most(e: &mut ValidationErrors, field: &str, v: Option<Decimal>, max: i64, unit: &str) -> Option<Decimal> {
    match v {
        Some(d) if d > Decimal::from(max) => {
            e.push(field, "too_large", format!("{field} must be at most {max} {unit}"));
            None
        }
        other => other,
    }
}

/// Validates package lines: every weight and dimension above zero and plausible, at least
/// one package. Fields are named `{prefix}[i].gross_kg` and so on.
pub fn validate_packages(e: &mut ValidationErrors, prefix: &str, forms: &[PackageForm]) -> Option<Vec<Package>> {
    if forms.is_empty() {
        e.push(prefix, "required", "give at least one package with its gross weight and dimensions");
        return None;
    }
    if forms.len() > MAX_PACKAGES {
        e.push(prefix, "too_many", format!("at most {MAX_PACKAGES} package lines"));
        return None;
    }
    let mut out = Vec::new();
    for (i, p) in forms.iter().enumerate() {
        let f = |n: &str| format!("{prefix}[{i}].{n}");
        let gross = required_positive(e, &f("gross_kg"), p.gross_kg);
        let gross = at_most(e, &f("gross_kg"), gross, MAX_PIECE_KG, "kg");
        let mut side = |name: &str, v| {
            let v = required_positive(e, &f(name), v);
            at_most(e, &f(name), v, MAX_SIDE_CM, "cm")
        };
        let (l, w, h) = (side("length_cm", p.length_cm), side("width_cm", p.width_cm), side("height_cm", p.height_cm));
        let pieces = p.pieces.unwrap_or(1);
        if !(1..=MAX_PIECES).contains(&pieces) {
            e.push(f("pieces"), "out_of_range", format!("pieces must be between 1 and {MAX_PIECES}"));
        }
        if let (Some(gross_kg), Some(length_cm), Some(width_cm), Some(height_cm)) = (gross, l, w, h) {
            out.push(Package { gross_kg, length_cm, width_cm, height_cm, pieces });
        }
    }
    (e.is_empty() && out.len() == forms.len()).then_some(out)
}

/// The weights a quote is priced on, shown so the shipper sees why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargeableWeight {
    pub gross_kg: Decimal,
    pub volume_m3: Decimal,
    /// The weight the volume counts for under the mode's rule; absent for road and rail.
    pub volumetric_kg: Option<Decimal>,
    pub chargeable_kg: Decimal,
    /// The rule applied, in words.
    pub rule: String,
}

fn up_to_half_kg(kg: Decimal) -> Decimal {
    (kg * Decimal::TWO).round_dp_with_strategy(0, RoundingStrategy::AwayFromZero) / Decimal::TWO
}

/// The chargeable weight of packages sent by `mode` (see the module documentation).
/// Packages are validated, so the sums cannot overflow.
pub fn chargeable_weight(mode: TransportMode, packages: &[Package]) -> ChargeableWeight {
    let gross_kg: Decimal = packages.iter().map(|p| p.gross_kg * Decimal::from(p.pieces)).sum();
    let cm3: Decimal = packages.iter().map(|p| p.length_cm * p.width_cm * p.height_cm * Decimal::from(p.pieces)).sum();
    let volume_m3 = (cm3 / Decimal::from(1_000_000)).normalize();
    let (volumetric_kg, chargeable_kg, rule) = match mode {
        TransportMode::Air | TransportMode::Parcel => {
            let divisor = if mode == TransportMode::Air { AIR_DIVISOR } else { PARCEL_DIVISOR };
            let vol = up_to_half_kg(cm3 / Decimal::from(divisor));
            let charge = up_to_half_kg(gross_kg.max(vol));
            (Some(vol), charge, format!("the larger of gross weight and L×W×H cm ÷ {divisor}, rounded up to 0.5 kg"))
        }
        TransportMode::Sea => {
            let vol = cm3 / Decimal::from(1000);
            (Some(vol.normalize()), gross_kg.max(vol), "the larger of gross weight and 1000 kg per m³".into())
        }
        TransportMode::Road | TransportMode::Rail => (None, gross_kg, "gross weight".into()),
    };
    ChargeableWeight {
        gross_kg: gross_kg.normalize(),
        volume_m3,
        volumetric_kg,
        chargeable_kg: chargeable_kg.normalize(),
        rule,
    }
}

/// From this chargeable weight on, this rate per kg applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightBreak {
    pub min_kg: Decimal,
    pub price_per_kg: Decimal,
}

/// A carrier's price for one lane (UN/LOCODE to UN/LOCODE) and mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateCard {
    pub origin: Locode,
    pub destination: Locode,
    pub mode: TransportMode,
    pub currency: CurrencyCode,
    /// The rate below the first weight break.
    pub price_per_kg: Decimal,
    /// Ascending by `min_kg`; may be empty.
    pub weight_breaks: Vec<WeightBreak>,
    pub minimum_charge: Money,
    pub transit_days: u32,
}

/// A freight price for one set of packages on one card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreightQuote {
    pub weight: ChargeableWeight,
    pub rate_per_kg: Decimal,
    pub freight: Money,
    /// True when the minimum charge, not weight × rate, sets the price.
    pub minimum_applied: bool,
    pub transit_days: u32,
}

impl RateCard {
    /// The rate per kg that applies to `chargeable_kg`.
    pub fn rate_for(&self, chargeable_kg: Decimal) -> Decimal {
        self.weight_breaks
            .iter()
            .rev()
            .find(|b| chargeable_kg >= b.min_kg)
            .map_or(self.price_per_kg, |b| b.price_per_kg)
    }

    /// Prices packages on this card (see the module documentation for the rules).
    pub fn quote(&self, packages: &[Package]) -> Result<FreightQuote, MoneyError> {
        let weight = chargeable_weight(self.mode, packages);
        let rate_per_kg = self.rate_for(weight.chargeable_kg);
        let exact = weight.chargeable_kg.checked_mul(rate_per_kg).ok_or(MoneyError::Overflow)?;
        let by_weight = Money::new(round_to_minor_unit(exact, self.currency), self.currency)?;
        let minimum_applied = by_weight.amount() < self.minimum_charge.amount();
        let freight = if minimum_applied { self.minimum_charge } else { by_weight };
        Ok(FreightQuote { weight, rate_per_kg, freight, minimum_applied, transit_days: self.transit_days })
    }
}

/// A weight break as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WeightBreakForm {
    pub min_kg: Option<Decimal>,
    pub price_per_kg: Option<Decimal>,
}

/// A rate card as typed: codes as text.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RateCardForm {
    pub origin: String,
    pub destination: String,
    pub mode: String,
    pub currency: String,
    pub price_per_kg: Option<Decimal>,
    pub weight_breaks: Vec<WeightBreakForm>,
    pub minimum_charge: Option<Decimal>,
    pub transit_days: Option<u32>,
}

/// Most decimal places of a rate per kg.
pub const MAX_RATE_DECIMALS: u32 = 4;

fn rate(e: &mut ValidationErrors, field: &str, v: Option<Decimal>) -> Option<Decimal> {
    let r = required_positive(e, field, v)?;
    if r.normalize().scale() > MAX_RATE_DECIMALS {
        e.push(field, "too_precise", format!("a rate per kg has at most {MAX_RATE_DECIMALS} decimal places"));
        return None;
    }
    at_most(e, field, Some(r.normalize()), 1_000_000, "per kg")
}

impl RateCardForm {
    pub fn validate(&self) -> Result<RateCard, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let origin = e.check("origin", self.origin.parse::<Locode>());
        let destination = e.check("destination", self.destination.parse::<Locode>());
        if let (Some(o), Some(d)) = (&origin, &destination)
            && o == d
        {
            e.push(
                "destination",
                "same_as_origin",
                "a lane goes from one place to another: origin and destination differ",
            );
        }
        let mode = e.check("mode", self.mode.parse::<TransportMode>());
        let currency = e.check("currency", self.currency.parse::<CurrencyCode>());
        if currency.is_some_and(|c| c.minor_units().is_none()) {
            e.push("currency", "not_payable", format!("{} has no minor unit and cannot be paid", self.currency.trim()));
        }
        let price_per_kg = rate(&mut e, "price_per_kg", self.price_per_kg);
        if self.weight_breaks.len() > MAX_WEIGHT_BREAKS {
            e.push("weight_breaks", "too_many", format!("at most {MAX_WEIGHT_BREAKS} weight breaks"));
        }
        let mut breaks = Vec::new();
        for (i, b) in self.weight_breaks.iter().take(MAX_WEIGHT_BREAKS).enumerate() {
            let min = required_positive(&mut e, &format!("weight_breaks[{i}].min_kg"), b.min_kg);
            let price = rate(&mut e, &format!("weight_breaks[{i}].price_per_kg"), b.price_per_kg);
            if let (Some(m), Some(prev)) = (min, breaks.last().map(|p: &WeightBreak| p.min_kg))
                && m <= prev
            {
                e.push(format!("weight_breaks[{i}].min_kg"), "not_ascending", "weight breaks go from light to heavy");
            }
            if let (Some(min_kg), Some(price_per_kg)) = (min, price) {
                breaks.push(WeightBreak { min_kg: min_kg.normalize(), price_per_kg });
            }
        }
        let minimum = match (self.minimum_charge, currency) {
            (Some(m), _) if m < Decimal::ZERO => {
                e.push("minimum_charge", "negative", "minimum_charge may be zero but not below");
                None
            }
            (Some(m), Some(c)) => match Money::new(m, c) {
                Ok(m) => Some(m),
                Err(err) => {
                    e.push("minimum_charge", "too_precise", err.to_string());
                    None
                }
            },
            (None, Some(c)) => Some(Money::from_minor_units(0, c)),
            (_, None) => None,
        };
        let transit_days = match self.transit_days {
            Some(d) if (1..=MAX_TRANSIT_DAYS).contains(&d) => Some(d),
            Some(_) => {
                e.push(
                    "transit_days",
                    "out_of_range",
                    format!("transit_days must be between 1 and {MAX_TRANSIT_DAYS}"),
                );
                None
            }
            None => {
                e.push("transit_days", "required", "transit_days is required");
                None
            }
        };
        match (origin, destination, mode, currency, price_per_kg, minimum, transit_days) {
            (
                Some(origin),
                Some(destination),
                Some(mode),
                Some(currency),
                Some(price_per_kg),
                Some(minimum_charge),
                Some(transit_days),
            ) if e.is_empty() => Ok(RateCard {
                origin,
                destination,
                mode,
                currency,
                price_per_kg,
                weight_breaks: breaks,
                minimum_charge,
                transit_days,
            }),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    fn pkg(kg: &str, l: &str, w: &str, h: &str, pieces: u32) -> Package {
        Package { gross_kg: d(kg), length_cm: d(l), width_cm: d(w), height_cm: d(h), pieces }
    }

    fn card(mode: &str) -> RateCard {
        RateCardForm {
            origin: "KEMBA".into(),
            destination: "DEHAM".into(),
            mode: mode.into(),
            currency: "USD".into(),
            price_per_kg: Some(d("4.50")),
            weight_breaks: vec![
                WeightBreakForm { min_kg: Some(d("100")), price_per_kg: Some(d("3.80")) },
                WeightBreakForm { min_kg: Some(d("500")), price_per_kg: Some(d("3.10")) },
            ],
            minimum_charge: Some(d("75")),
            transit_days: Some(3),
        }
        .validate()
        .expect("valid card")
    }

    #[test]
    fn air_charges_the_volume_of_a_light_bulky_box() {
        // 120 × 80 × 100 cm = 960 000 cm³ ÷ 6000 = 160 kg, far above its 60 kg.
        let w = chargeable_weight(TransportMode::Air, &[pkg("60", "120", "80", "100", 1)]);
        assert_eq!((w.volumetric_kg, w.chargeable_kg), (Some(d("160")), d("160")));
        assert_eq!(w.volume_m3, d("0.96"));
        // The same box by courier divides by 5000.
        let w = chargeable_weight(TransportMode::Parcel, &[pkg("60", "120", "80", "100", 1)]);
        assert_eq!(w.chargeable_kg, d("192"));
        // Dense goods go by weight; 40 × 30 × 20 = 24 000 cm³ → 4 kg < 25.2 → 25.5 (next half kg).
        let w = chargeable_weight(TransportMode::Air, &[pkg("12.6", "40", "30", "20", 2)]);
        assert_eq!((w.gross_kg, w.volumetric_kg, w.chargeable_kg), (d("25.2"), Some(d("8")), d("25.5")));
    }

    #[test]
    fn sea_uses_the_revenue_ton_and_road_the_gross_weight() {
        // 2 m³ counts as 2000 kg against 800 kg gross.
        let p = [pkg("400", "100", "100", "100", 2)];
        assert_eq!(chargeable_weight(TransportMode::Sea, &p).chargeable_kg, d("2000"));
        assert_eq!(chargeable_weight(TransportMode::Road, &p).chargeable_kg, d("800"));
        assert_eq!(chargeable_weight(TransportMode::Rail, &p).volumetric_kg, None);
    }

    #[test]
    fn quotes_use_breaks_and_the_minimum() {
        let c = card("air");
        // 160 kg reaches the 100 kg break: 160 × 3.80 = 608.00.
        let q = c.quote(&[pkg("60", "120", "80", "100", 1)]).expect("quote");
        assert_eq!((q.rate_per_kg, q.freight.to_string(), q.minimum_applied), (d("3.80"), "USD 608.00".into(), false));
        // 5 kg × 4.50 = 22.50 is below the 75.00 minimum.
        let q = c.quote(&[pkg("5", "10", "10", "10", 1)]).expect("quote");
        assert_eq!((q.freight.to_string(), q.minimum_applied), ("USD 75.00".into(), true));
        // 600 kg by the top break: 600 × 3.10.
        assert_eq!(c.rate_for(d("600")), d("3.10"));
        assert_eq!(c.rate_for(d("99.5")), d("4.50"));
    }

    #[test]
    fn freight_rounds_to_the_minor_unit() {
        let mut c = card("road");
        c.price_per_kg = d("1.2345");
        c.weight_breaks.clear();
        c.minimum_charge = Money::from_minor_units(0, c.currency);
        // 10.5 × 1.2345 = 12.96225 → 12.96.
        let q = c.quote(&[pkg("10.5", "10", "10", "10", 1)]).expect("quote");
        assert_eq!(q.freight.to_string(), "USD 12.96");
        c.currency = "JPY".parse().expect("jpy");
        let q = c.quote(&[pkg("10.5", "10", "10", "10", 1)]).expect("quote");
        assert_eq!(q.freight.to_string(), "JPY 13");
    }

    #[test]
    fn bad_packages_name_the_field() {
        let forms = vec![
            PackageForm {
                gross_kg: Some(d("0")),
                length_cm: Some(d("-1")),
                width_cm: None,
                height_cm: Some(d("10")),
                pieces: Some(0),
            },
            PackageForm {
                gross_kg: Some(d("200000")),
                length_cm: Some(d("10")),
                width_cm: Some(d("10")),
                height_cm: Some(d("5000")),
                pieces: None,
            },
        ];
        let mut e = ValidationErrors::new();
        assert!(validate_packages(&mut e, "packages", &forms).is_none());
        let got: Vec<(String, &str)> = e.0.into_iter().map(|f| (f.field, f.code)).collect();
        for want in [
            ("packages[0].gross_kg", "not_positive"),
            ("packages[0].length_cm", "not_positive"),
            ("packages[0].width_cm", "required"),
            ("packages[0].pieces", "out_of_range"),
            ("packages[1].gross_kg", "too_large"),
            ("packages[1].height_cm", "too_large"),
        ] {
            assert!(got.contains(&(want.0.into(), want.1)), "{want:?} in {got:?}");
        }
        let mut e = ValidationErrors::new();
        assert!(validate_packages(&mut e, "packages", &[]).is_none());
        assert_eq!(e.0[0].code, "required");
    }

    #[test]
    fn bad_cards_name_the_field() {
        let f = RateCardForm {
            origin: "KEMBA".into(),
            destination: "kemba".into(),
            mode: "ship".into(),
            currency: "XAU".into(),
            price_per_kg: Some(d("-1")),
            weight_breaks: vec![
                WeightBreakForm { min_kg: Some(d("500")), price_per_kg: Some(d("3")) },
                WeightBreakForm { min_kg: Some(d("100")), price_per_kg: Some(d("0.123456")) },
            ],
            minimum_charge: Some(d("-5")),
            transit_days: Some(0),
        };
        let got: Vec<(String, &str)> =
            f.validate().expect_err("bad").0.into_iter().map(|f| (f.field, f.code)).collect();
        for want in [
            ("destination", "same_as_origin"),
            ("mode", "unknown_transport_mode"),
            ("currency", "not_payable"),
            ("price_per_kg", "not_positive"),
            ("weight_breaks[1].min_kg", "not_ascending"),
            ("weight_breaks[1].price_per_kg", "too_precise"),
            ("minimum_charge", "negative"),
            ("transit_days", "out_of_range"),
        ] {
            assert!(got.contains(&(want.0.into(), want.1)), "{want:?} in {got:?}");
        }
    }

    fn any_package() -> impl Strategy<Value = Package> {
        (1i64..100_000, 1i64..300, 1i64..300, 1i64..300, 1u32..20).prop_map(|(g, l, w, h, n)| Package {
            gross_kg: Decimal::new(g, 1),
            length_cm: Decimal::from(l),
            width_cm: Decimal::from(w),
            height_cm: Decimal::from(h),
            pieces: n,
        })
    }

    proptest! {
        #[test]
        fn chargeable_weight_is_never_below_gross_or_volumetric(
            packages in prop::collection::vec(any_package(), 1..6),
            mode in prop::sample::select(TransportMode::ALL.to_vec()),
        ) {
            let w = chargeable_weight(mode, &packages);
            prop_assert!(w.chargeable_kg >= w.gross_kg);
            if let Some(v) = w.volumetric_kg {
                prop_assert!(w.chargeable_kg >= v);
            }
            if matches!(mode, TransportMode::Air | TransportMode::Parcel) {
                // Whole half kilograms, and less than half a kilogram above the larger weight.
                prop_assert_eq!((w.chargeable_kg * Decimal::TWO).fract(), Decimal::ZERO);
                let larger = w.gross_kg.max(w.volumetric_kg.unwrap_or_default());
                prop_assert!(w.chargeable_kg - larger < Decimal::new(5, 1));
            }
        }

        #[test]
        fn freight_is_payable_and_never_below_the_minimum(
            packages in prop::collection::vec(any_package(), 1..6),
            mode in prop::sample::select(vec!["sea", "air", "road", "rail", "parcel"]),
            cur in prop::sample::select(vec!["USD", "JPY", "KWD"]),
        ) {
            let mut c = card(mode);
            c.currency = cur.parse().expect("currency");
            c.minimum_charge = Money::from_minor_units(7500, c.currency);
            let q = c.quote(&packages).expect("quote");
            prop_assert!(q.freight.amount() >= c.minimum_charge.amount());
            let scale = u32::from(c.currency.minor_units().unwrap_or(0));
            prop_assert!(q.freight.amount().scale() <= scale);
            // The rate shown is the one the card gives for that weight.
            let rate = c.rate_for(q.weight.chargeable_kg);
            prop_assert_eq!(rate, q.rate_per_kg);
        }
    }
}
