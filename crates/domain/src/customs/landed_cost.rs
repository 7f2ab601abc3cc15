//! Landed cost: what an importer pays at the border for a shipment under one economy's tariff.
//! It owns customs valuation (CIF or FOB, adjusting the invoice price by what its Incoterm
//! includes), apportioning transport to lines, duty and excise per line, per-entry fees, de
//! minimis, and the import tax on the base the schedule names; plus the delivered-duty-paid
//! assessment of retail parcels. [`landed_cost_amounts`] computes the numbers alone (the fast
//! path); [`landed_cost`] adds the explanation from those same numbers.

use super::duty::{DutiableGoods, DutyError, DutyMeasure, SpecificRate};
use super::tariff::{
    AppliedRate, PER_ENTRY_UNIT, PreferenceClaim, RateBasis, TariffError, TariffSchedule, TaxBase, ValuationBasis,
};
use crate::codes::{CountryCode, CurrencyCode, HsCode};
use crate::deal::order::round_to_minor_unit;
use crate::incoterm::Incoterm;
use crate::marketplace::FxRates;
use crate::money::{Money, MoneyError};
use crate::retail::pricing::{DutiesAndTaxes, DutiesAndTaxesQuote, LandedCostRequest};
use crate::validation::CodedError;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Date;

/// One line of goods in a shipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentLine {
    pub hs: HsCode,
    pub description: String,
    pub origin: CountryCode,
    /// The invoice value at the shipment's Incoterm.
    pub value: Money,
    pub quantity: Decimal,
    /// UN/ECE Rec 20 unit of `quantity`.
    pub unit: String,
    pub preference: Option<PreferenceClaim>,
}

/// Goods imported in one consignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    pub importing: CountryCode,
    #[serde(with = "super::tariff::iso_date")]
    pub date: Date,
    pub incoterm: Incoterm,
    /// Main-carriage freight to the importing economy, when known.
    pub freight: Option<Money>,
    pub insurance: Option<Money>,
    pub lines: Vec<ShipmentLine>,
}

/// Why a landed cost cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LandedCostError {
    #[error("the shipment is imported into {shipment} but the tariff is {schedule}'s; use {shipment}'s tariff")]
    WrongSchedule { shipment: CountryCode, schedule: CountryCode },
    #[error("the shipment has no lines; add the goods it carries")]
    NoLines,
    #[error("there is no exchange rate from {from} to {to}; import current reference rates")]
    NoExchangeRate { from: CurrencyCode, to: CurrencyCode },
    #[error("freight is needed because {reason}; give the freight cost of the main carriage")]
    MissingFreight { incoterm: Incoterm, reason: String },
    #[error(
        "freight and insurance ({transport}) are more than the {} price ({price}) they are deducted from; check the amounts",
        .incoterm.code()
    )]
    TransportExceedsPrice { incoterm: Incoterm, transport: Money, price: Money },
    #[error("{what} cannot be negative; check the amount")]
    Negative { what: &'static str },
    #[error("line {line} ({hs}): {source}")]
    Tariff { line: usize, hs: HsCode, source: TariffError },
    #[error("line {line} ({hs}): {source}")]
    Duty { line: usize, hs: HsCode, source: DutyError },
    #[error("{fee}: {source}")]
    Fee { fee: String, source: DutyError },
    #[error("the amounts are too large to add up")]
    Overflow,
}

impl From<MoneyError> for LandedCostError {
    fn from(_: MoneyError) -> Self {
        // Every amount here is already rounded to the schedule currency, so only overflow remains.
        LandedCostError::Overflow
    }
}

impl CodedError for LandedCostError {
    fn code(&self) -> &'static str {
        match self {
            LandedCostError::WrongSchedule { .. } => "wrong_tariff_schedule",
            LandedCostError::NoLines => "no_lines",
            LandedCostError::NoExchangeRate { .. } => "no_exchange_rate",
            LandedCostError::MissingFreight { .. } => "freight_required",
            LandedCostError::TransportExceedsPrice { .. } => "transport_exceeds_price",
            LandedCostError::Negative { .. } => "negative_amount",
            LandedCostError::Tariff { source, .. } => source.code(),
            LandedCostError::Duty { .. } | LandedCostError::Fee { .. } => "duty_not_computable",
            LandedCostError::Overflow => "amount_overflow",
        }
    }
}

/// How a transport cost enters the customs value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportTreatment {
    /// Not in the price but part of a CIF value: added.
    Added,
    /// In the price but not part of an FOB value: deducted.
    Deducted,
    /// In the price and part of the customs value: taken as given.
    InPrice,
    /// Neither in the price nor part of the customs value.
    Excluded,
}

impl TransportTreatment {
    fn sign(self) -> Decimal {
        match self {
            TransportTreatment::Added => Decimal::ONE,
            TransportTreatment::Deducted => Decimal::NEGATIVE_ONE,
            TransportTreatment::InPrice | TransportTreatment::Excluded => Decimal::ZERO,
        }
    }
}

/// How freight and insurance enter the customs value for a valuation basis and Incoterm.
pub fn transport_treatment(valuation: ValuationBasis, incoterm: Incoterm) -> (TransportTreatment, TransportTreatment) {
    use Incoterm::*;
    use TransportTreatment::*;
    match (valuation, incoterm) {
        (ValuationBasis::Cif, Exw | Fca | Fas | Fob) => (Added, Added),
        (ValuationBasis::Cif, Cfr | Cpt) => (InPrice, Added),
        (ValuationBasis::Cif, Cif | Cip | Dap | Dpu | Ddp) => (InPrice, InPrice),
        (ValuationBasis::Fob, Exw | Fca | Fas | Fob) => (Excluded, Excluded),
        (ValuationBasis::Fob, Cfr | Cpt) => (Deducted, Excluded),
        (ValuationBasis::Fob, Cif | Cip | Dap | Dpu | Ddp) => (Deducted, Deducted),
    }
}

/// The numbers for one shipment line, in the schedule currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineAmounts {
    /// The invoice value, converted.
    pub value: Money,
    /// This line's share of freight and insurance as applied to its customs value (negative
    /// when deducted, zero when not part of the value).
    pub freight: Money,
    pub insurance: Money,
    pub customs_value: Money,
    /// The quantity in the tariff line's unit.
    pub quantity: Decimal,
    pub rate: AppliedRate,
    pub duty: Money,
    pub excise: Money,
}

/// A fee charged on the entry: its index in the schedule's fees and the amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FeeAmount {
    pub fee: usize,
    pub amount: Money,
}

/// Every number of a landed cost, without the words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LandedCostAmounts {
    pub currency: CurrencyCode,
    /// Invoice values, converted and summed.
    pub goods: Money,
    /// Freight and insurance as given, converted.
    pub freight: Option<Money>,
    pub insurance: Option<Money>,
    pub freight_treatment: TransportTreatment,
    pub insurance_treatment: TransportTreatment,
    /// Currencies converted from, with the rate used (target units per source unit).
    pub conversions: Vec<(CurrencyCode, Decimal)>,
    pub customs_value: Money,
    pub lines: Vec<LineAmounts>,
    /// True when the consignment is at or below the duty de minimis: no duty, excise or fees.
    pub duty_waived: bool,
    /// True when it is at or below the tax de minimis: no import tax.
    pub tax_waived: bool,
    pub duty: Money,
    pub excise: Money,
    /// International transport added to the tax base (FOB valuation with a transport base).
    pub tax_transport: Money,
    pub tax_base: Money,
    pub tax: Money,
    pub fees: Vec<FeeAmount>,
    pub total: Money,
}

fn add(a: Decimal, b: Decimal) -> Result<Decimal, LandedCostError> {
    a.checked_add(b).ok_or(LandedCostError::Overflow)
}

fn money(amount: Decimal, currency: CurrencyCode) -> Result<Money, LandedCostError> {
    Ok(Money::new(round_to_minor_unit(amount, currency), currency)?)
}

/// `n / d` rounded half to even to `dp` places: exactly what
/// `n.checked_div(d)?.round_dp_with_strategy(dp, MidpointNearestEven)` gives, scale included.
/// Amounts and rates of everyday size take an exact 128-bit integer division; anything else
/// (and a quotient that ends within `dp` places, whose scale the decimal division decides)
/// goes through the decimal division itself.
fn div_round(n: Decimal, d: Decimal, dp: u32) -> Option<Decimal> {
    quick_div_round(n, d, dp).or_else(|| {
        Some(n.checked_div(d)?.round_dp_with_strategy(dp, rust_decimal::RoundingStrategy::MidpointNearestEven))
    })
}

/// The integer path of [`div_round`], or `None` to take the decimal one. The decimal
/// division keeps at least 27 significant digits (and 28 places), so rounding its quotient
/// again to `dp` places can only differ from rounding the exact quotient when that lies
/// within 10^-27 of it of a midpoint; a quotient `num / den` that is not a midpoint lies at
/// least `1 / (2 den)` units of the last place away, so the bounds below leave a wide margin.
fn quick_div_round(n: Decimal, d: Decimal, dp: u32) -> Option<Decimal> {
    const POW10: [u128; 27] = {
        let mut t = [1u128; 27];
        let mut i = 1;
        while i < t.len() {
            t[i] = t[i - 1] * 10;
            i += 1;
        }
        t
    };
    const LIMIT: u128 = POW10[25];
    if dp > 8 || n.is_sign_negative() || d.is_sign_negative() || d.is_zero() {
        return None;
    }
    let (a, b) = (u128::try_from(n.mantissa()).ok()?, u128::try_from(d.mantissa()).ok()?);
    // n / d × 10^dp = (a / b) × 10^(d.scale + dp − n.scale).
    let shift = i64::from(d.scale()) + i64::from(dp) - i64::from(n.scale());
    let pow = |e: i64| usize::try_from(e).ok().and_then(|e| POW10.get(e).copied());
    let (num, den) = if shift >= 0 { (a.checked_mul(pow(shift)?)?, b) } else { (a, b.checked_mul(pow(-shift)?)?) };
    if den >= POW10[26 - dp as usize] {
        return None;
    }
    // Everyday amounts fit 64 bits, where division is one machine instruction.
    let (q, r) = match (u64::try_from(num), u64::try_from(den)) {
        (Ok(n64), Ok(d64)) => (u128::from(n64 / d64), u128::from(n64 % d64)),
        _ => (num / den, num % den),
    };
    if r == 0 {
        return None;
    }
    let up = match (2 * r).cmp(&den) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Equal => q % 2 == 1,
        std::cmp::Ordering::Less => false,
    };
    let q = q + u128::from(up);
    if q.checked_add(1)?.checked_mul(den)? >= LIMIT {
        return None;
    }
    Decimal::try_from_i128_with_scale(i128::try_from(q).ok()?, dp).ok()
}

/// Converts amounts into the schedule currency as [`FxRates::convert`] does (through the base
/// currency, rounded half to even to the minor unit), looking each rate up once per shipment
/// and recording every currency converted from with the rate used.
struct Converter<'a> {
    fx: &'a FxRates,
    to: CurrencyCode,
    scale: u32,
    /// Units of `to` per base unit, once looked up.
    target: Option<Decimal>,
    /// The last currency converted from and its units per base unit.
    last: Option<(CurrencyCode, Decimal)>,
    conversions: Vec<(CurrencyCode, Decimal)>,
}

impl<'a> Converter<'a> {
    fn new(fx: &'a FxRates, to: CurrencyCode) -> Self {
        let scale = u32::from(to.minor_units().unwrap_or(0));
        Converter { fx, to, scale, target: None, last: None, conversions: Vec::new() }
    }

    fn per_base(&self, c: CurrencyCode) -> Option<Decimal> {
        if c == self.fx.base {
            Some(Decimal::ONE)
        } else {
            self.fx.rates.iter().find(|(k, _)| *k == c).map(|(_, r)| *r)
        }
    }

    fn convert(&mut self, m: &Money, what: &'static str) -> Result<Decimal, LandedCostError> {
        if m.amount() < Decimal::ZERO {
            return Err(LandedCostError::Negative { what });
        }
        let from_currency = m.currency();
        if from_currency == self.to {
            return Ok(m.amount());
        }
        let no_rate = LandedCostError::NoExchangeRate { from: from_currency, to: self.to };
        let from = match self.last {
            Some((c, r)) if c == from_currency => r,
            _ => {
                let r = self.per_base(from_currency).ok_or_else(|| no_rate.clone())?;
                self.last = Some((from_currency, r));
                r
            }
        };
        let target = match self.target {
            Some(t) => t,
            None => {
                let t = self.per_base(self.to).ok_or_else(|| no_rate.clone())?;
                self.target = Some(t);
                t
            }
        };
        if from.is_zero() {
            return Err(no_rate);
        }
        let Some(amount) = m.amount().checked_mul(target).and_then(|p| div_round(p, from, self.scale)) else {
            return Err(no_rate);
        };
        if !self.conversions.iter().any(|(k, _)| *k == from_currency) {
            // The rate as reported: target units per source unit, to 8 places.
            let rate = div_round(target, from, 8).ok_or(no_rate)?;
            self.conversions.push((from_currency, rate));
        }
        // Normalised, as a `Money` holds it.
        Ok(amount.normalize())
    }
}

/// Splits `amount` over `weights` in proportion, exactly: each share is the difference of
/// rounded running totals, so shares are never negative and add up to `amount` (the last
/// line takes the rounding remainder). With all weights zero the last line takes it all.
fn apportion(
    amount: Decimal,
    weights: &[Decimal],
    total: Decimal,
    currency: CurrencyCode,
    mut each: impl FnMut(usize, Decimal),
) -> Result<(), LandedCostError> {
    let mut running = Decimal::ZERO;
    let mut given = Decimal::ZERO;
    for (i, w) in weights.iter().enumerate() {
        running = add(running, *w)?;
        let upto = if i + 1 == weights.len() {
            amount
        } else if total.is_zero() {
            Decimal::ZERO
        } else {
            round_to_minor_unit(amount.checked_mul(running / total).ok_or(LandedCostError::Overflow)?, currency)
        };
        each(i, upto - given);
        given = upto;
    }
    Ok(())
}

/// Units that convert exactly into one another (factor to the first of each group).
fn unit_factor(unit: &str) -> Option<(u8, Decimal)> {
    Some(match unit {
        "KGM" => (0, Decimal::ONE),
        "GRM" => (0, Decimal::new(1, 3)),
        "DTN" => (0, Decimal::ONE_HUNDRED),
        "TNE" => (0, Decimal::ONE_THOUSAND),
        "LTR" => (1, Decimal::ONE),
        "MLT" => (1, Decimal::new(1, 3)),
        "HLT" => (1, Decimal::ONE_HUNDRED),
        "MTQ" => (1, Decimal::ONE_THOUSAND),
        // Piece, one, number of articles: all a count of items.
        "H87" | "C62" | "NAR" => (2, Decimal::ONE),
        _ => return None,
    })
}

/// The declared quantity in the tariff line's unit, when the two convert; otherwise as
/// declared (a specific measure then refuses it, naming both units).
fn quantity_in<'a>(quantity: Decimal, declared: &'a str, wanted: Option<&'a str>) -> (Decimal, &'a str) {
    let Some(wanted) = wanted else { return (quantity, declared) };
    if declared.eq_ignore_ascii_case(wanted) {
        return (quantity, wanted);
    }
    match (unit_factor(declared), unit_factor(wanted)) {
        (Some((g1, f1)), Some((g2, f2))) if g1 == g2 => match quantity.checked_mul(f1) {
            Some(q) => (q / f2, wanted),
            None => (quantity, declared),
        },
        _ => (quantity, declared),
    }
}

/// Lines a shipment usually has at most: their working numbers stay on the stack.
const FEW_LINES: usize = 8;

/// `n` zeros to work in: the stack buffer when it is long enough, else `many`.
fn per_line<'a>(few: &'a mut [Decimal; FEW_LINES], many: &'a mut Vec<Decimal>, n: usize) -> &'a mut [Decimal] {
    if n <= FEW_LINES {
        &mut few[..n]
    } else {
        many.resize(n, Decimal::ZERO);
        many
    }
}

/// The numbers of a landed cost (no explanation): the fast path, and what [`landed_cost`]
/// explains, so the two never disagree.
pub fn landed_cost_amounts(
    schedule: &TariffSchedule,
    shipment: &Shipment,
    fx: &FxRates,
) -> Result<LandedCostAmounts, LandedCostError> {
    if shipment.importing != schedule.economy() {
        return Err(LandedCostError::WrongSchedule { shipment: shipment.importing, schedule: schedule.economy() });
    }
    if shipment.lines.is_empty() {
        return Err(LandedCostError::NoLines);
    }
    let cur = schedule.currency();
    let zero = Money::from_minor_units(0, cur);
    let mut conv = Converter::new(fx, cur);

    // 1. Everything in the schedule currency.
    let n_lines = shipment.lines.len();
    let (mut few_values, mut many_values) = ([Decimal::ZERO; FEW_LINES], Vec::new());
    let values = per_line(&mut few_values, &mut many_values, n_lines);
    let mut goods = Decimal::ZERO;
    for (l, slot) in shipment.lines.iter().zip(values.iter_mut()) {
        let v = conv.convert(&l.value, "a line value")?;
        goods = add(goods, v)?;
        *slot = v;
    }
    let values = &*values;
    let freight = shipment.freight.as_ref().map(|f| conv.convert(f, "freight")).transpose()?;
    let insurance = shipment.insurance.as_ref().map(|i| conv.convert(i, "insurance")).transpose()?;

    // 2. Customs value on the economy's basis.
    let valuation = schedule.valuation();
    let (ft, it) = transport_treatment(valuation, shipment.incoterm);
    if matches!(ft, TransportTreatment::Added | TransportTreatment::Deducted) && freight.is_none() {
        let reason = match ft {
            TransportTreatment::Added => format!(
                "{} values goods CIF and a {} price does not include main carriage",
                schedule.economy(),
                shipment.incoterm.code()
            ),
            _ => format!(
                "{} values goods FOB and a {} price includes main carriage, which must be deducted",
                schedule.economy(),
                shipment.incoterm.code()
            ),
        };
        return Err(LandedCostError::MissingFreight { incoterm: shipment.incoterm, reason });
    }
    let f_adj = freight.unwrap_or(Decimal::ZERO) * ft.sign();
    let i_adj = insurance.unwrap_or(Decimal::ZERO) * it.sign();
    let customs_value = add(add(goods, f_adj)?, i_adj)?;
    if customs_value < Decimal::ZERO {
        return Err(LandedCostError::TransportExceedsPrice {
            incoterm: shipment.incoterm,
            transport: money(-(f_adj + i_adj), cur)?,
            price: money(goods, cur)?,
        });
    }

    // 3. Per line: transport shares, customs value, rate, duty and excise.
    let dm = schedule.de_minimis();
    let duty_waived = dm.duty.is_some_and(|t| customs_value <= t);
    let tax_waived = dm.tax.is_some_and(|t| customs_value <= t);
    let (mut few_f, mut many_f) = ([Decimal::ZERO; FEW_LINES], Vec::new());
    let (mut few_i, mut many_i) = ([Decimal::ZERO; FEW_LINES], Vec::new());
    let f_shares = per_line(&mut few_f, &mut many_f, n_lines);
    let i_shares = per_line(&mut few_i, &mut many_i, n_lines);
    apportion(f_adj, values, goods, cur, |i, s| f_shares[i] = s)?;
    apportion(i_adj, values, goods, cur, |i, s| i_shares[i] = s)?;
    let mut lines = Vec::with_capacity(values.len());
    let (mut duty, mut excise) = (Decimal::ZERO, Decimal::ZERO);
    for (n, (l, v)) in shipment.lines.iter().zip(values).enumerate() {
        let at = |source| LandedCostError::Tariff { line: n + 1, hs: l.hs.clone(), source };
        let tl = schedule.line(&l.hs, shipment.date).map_err(at)?;
        let rate = schedule.rate_for(tl, l.origin, l.preference.as_ref(), shipment.date).map_err(at)?;
        let cv = add(add(*v, f_shares[n])?, i_shares[n])?;
        if cv < Decimal::ZERO {
            return Err(LandedCostError::TransportExceedsPrice {
                incoterm: shipment.incoterm,
                transport: money(-(f_shares[n] + i_shares[n]), cur)?,
                price: money(*v, cur)?,
            });
        }
        if l.quantity < Decimal::ZERO {
            return Err(LandedCostError::Negative { what: "a quantity" });
        }
        let (quantity, unit) = quantity_in(l.quantity, &l.unit, tl.unit.as_deref());
        let goods_at_border = DutiableGoods { customs_value: money(cv, cur)?, quantity, unit: unit.to_string() };
        let by_measure = |m: &DutyMeasure| {
            if duty_waived {
                return Ok(zero);
            }
            m.duty(&goods_at_border).map_err(|source| LandedCostError::Duty { line: n + 1, hs: l.hs.clone(), source })
        };
        let line_duty = by_measure(&rate.measure)?;
        let line_excise = match &tl.excise {
            Some(x) => by_measure(&x.measure)?,
            None => zero,
        };
        duty = add(duty, line_duty.amount())?;
        excise = add(excise, line_excise.amount())?;
        lines.push(LineAmounts {
            value: money(*v, cur)?,
            freight: money(f_shares[n], cur)?,
            insurance: money(i_shares[n], cur)?,
            customs_value: goods_at_border.customs_value,
            quantity,
            rate,
            duty: line_duty,
            excise: line_excise,
        });
    }

    // 4. Fees per entry (none under the duty de minimis).
    let cv_money = money(customs_value, cur)?;
    let mut fees = Vec::new();
    let mut fee_total = Decimal::ZERO;
    if !duty_waived {
        for (i, fee) in schedule.fees().iter().enumerate() {
            if fee.applies_above.is_some_and(|a| customs_value <= a) {
                continue;
            }
            let entry = DutiableGoods { customs_value: cv_money, quantity: Decimal::ONE, unit: PER_ENTRY_UNIT.into() };
            let amount =
                fee.measure.duty(&entry).map_err(|source| LandedCostError::Fee { fee: fee.name.clone(), source })?;
            fee_total = add(fee_total, amount.amount())?;
            fees.push(FeeAmount { fee: i, amount });
        }
    }

    // 5. Import tax on the base the schedule names.
    let mut tax_transport = Decimal::ZERO;
    let mut tax_base = Decimal::ZERO;
    let mut tax = Decimal::ZERO;
    if let Some(t) = schedule.tax() {
        tax_base = customs_value;
        if t.base != TaxBase::CustomsValue {
            tax_base = add(add(tax_base, duty)?, excise)?;
        }
        if t.base == TaxBase::CustomsValuePlusDutyAndTransport && valuation == ValuationBasis::Fob {
            if freight.is_none() && !tax_waived {
                return Err(LandedCostError::MissingFreight {
                    incoterm: shipment.incoterm,
                    reason: format!(
                        "{} {} is levied on a value that includes international transport",
                        schedule.economy(),
                        t.name
                    ),
                });
            }
            tax_transport = add(freight.unwrap_or(Decimal::ZERO), insurance.unwrap_or(Decimal::ZERO))?;
            tax_base = add(tax_base, tax_transport)?;
        }
        if !tax_waived {
            let scale = u32::from(cur.minor_units().unwrap_or(0));
            let percent_of = tax_base.checked_mul(t.percent).ok_or(LandedCostError::Overflow)?;
            tax = div_round(percent_of, Decimal::ONE_HUNDRED, scale).ok_or(LandedCostError::Overflow)?;
        }
    }

    let total = add(add(add(duty, excise)?, tax)?, fee_total)?;
    Ok(LandedCostAmounts {
        currency: cur,
        goods: money(goods, cur)?,
        freight: freight.map(|f| money(f, cur)).transpose()?,
        insurance: insurance.map(|i| money(i, cur)).transpose()?,
        freight_treatment: ft,
        insurance_treatment: it,
        conversions: conv.conversions,
        customs_value: cv_money,
        lines,
        duty_waived,
        tax_waived,
        duty: money(duty, cur)?,
        excise: money(excise, cur)?,
        tax_transport: money(tax_transport, cur)?,
        tax_base: money(tax_base, cur)?,
        tax: money(tax, cur)?,
        fees,
        total: money(total, cur)?,
    })
}

/// One line's cost, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineCost {
    pub hs: HsCode,
    pub description: String,
    pub customs_value: Money,
    pub rate: AppliedRate,
    pub duty: Money,
    pub excise: Money,
    pub explanation: String,
}

/// One step of the calculation a person can follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CostStep {
    pub label: String,
    pub amount: Money,
    pub basis: String,
}

/// Duties, taxes and fees on a shipment, with every step explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LandedCost {
    pub currency: CurrencyCode,
    pub customs_value: Money,
    pub lines: Vec<LineCost>,
    pub duty: Money,
    pub excise: Money,
    /// The import tax's name (VAT, GST, …), when the economy levies one.
    pub tax_name: Option<String>,
    pub tax: Money,
    pub tax_base: Money,
    pub fees: Vec<(String, Money)>,
    pub total_duties_and_taxes: Money,
    pub explanation: Vec<CostStep>,
}

/// `1234567.5` in USD → `1,234,567.50`: the amount as people write it, without the currency.
pub fn grouped(m: &Money) -> String {
    let scale = usize::from(m.currency().minor_units().unwrap_or(0));
    let plain = format!("{:.*}", scale, m.amount().abs());
    let (int, frac) = plain.split_once('.').map_or((plain.as_str(), None), |(i, f)| (i, Some(f)));
    let mut out = String::with_capacity(plain.len() + int.len() / 3 + 1);
    if m.amount() < Decimal::ZERO {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

fn with_currency(m: &Money) -> String {
    format!("{} {}", m.currency(), grouped(m))
}

fn specific_text(r: &SpecificRate) -> String {
    format!("{}/{}", with_currency(&r.amount), r.per_unit)
}

/// A measure as a tariff prints it: `5%`, `AUD 0.35/KGM`, `5% + AUD 0.35/KGM`, `8%, at least …`.
pub fn measure_text(m: &DutyMeasure) -> String {
    match m {
        DutyMeasure::AdValorem { percent } => format!("{}%", percent.normalize()),
        DutyMeasure::Specific { rate } => specific_text(rate),
        DutyMeasure::Compound { percent, rate } => format!("{}% + {}", percent.normalize(), specific_text(rate)),
        DutyMeasure::Mixed { percent, minimum, maximum } => {
            let mut s = format!("{}%", percent.normalize());
            if let Some(r) = minimum {
                s.push_str(&format!(", at least {}", specific_text(r)));
            }
            if let Some(r) = maximum {
                s.push_str(&format!(", at most {}", specific_text(r)));
            }
            s
        }
    }
}

/// `610910` → `6109.10`, `6109` → `6109`.
pub fn dotted(hs: &HsCode) -> String {
    let s = hs.as_str();
    if s.len() == 6 { format!("{}.{}", &s[..4], &s[4..]) } else { s.to_string() }
}

fn basis_text(b: &RateBasis) -> String {
    match b {
        RateBasis::Mfn => "MFN".into(),
        RateBasis::Preferential { agreement, certificate_number } => {
            format!("{agreement} preference, proof of origin {certificate_number}")
        }
    }
}

fn treatment_text(what: &str, given: Option<Money>, t: TransportTreatment, incoterm: Incoterm) -> String {
    let code = incoterm.code();
    match (t, given) {
        (TransportTreatment::Added, Some(m)) => format!("{what} {} added: the {code} price excludes it", grouped(&m)),
        (TransportTreatment::Deducted, Some(m)) => {
            format!("{what} {} deducted: the {code} price includes it", grouped(&m))
        }
        (TransportTreatment::Added | TransportTreatment::Deducted, None) => {
            format!("no {what} given: none adjusted")
        }
        (TransportTreatment::InPrice, _) => format!("{what} is in the {code} price"),
        (TransportTreatment::Excluded, _) => format!("{what} is not part of the customs value"),
    }
}

/// The landed cost with its explanation, built from [`landed_cost_amounts`].
pub fn landed_cost(
    schedule: &TariffSchedule,
    shipment: &Shipment,
    fx: &FxRates,
) -> Result<LandedCost, LandedCostError> {
    let a = landed_cost_amounts(schedule, shipment, fx)?;
    let cur = a.currency;
    let zero = Money::from_minor_units(0, cur);
    let basis = match schedule.valuation() {
        ValuationBasis::Cif => "CIF",
        ValuationBasis::Fob => "FOB",
    };
    let mut steps = Vec::new();
    let mut goods_basis = format!("invoice value at {}", shipment.incoterm.code());
    for (c, r) in &a.conversions {
        goods_basis.push_str(&format!(
            "; {c} converted at {} {cur} per {c} ({}, {})",
            r.normalize(),
            fx.as_of,
            fx.source
        ));
    }
    steps.push(CostStep { label: "Goods".into(), amount: a.goods, basis: goods_basis });
    let freight_text = treatment_text("freight", a.freight, a.freight_treatment, shipment.incoterm);
    let insurance_text = treatment_text("insurance", a.insurance, a.insurance_treatment, shipment.incoterm);
    let mut cv_basis = format!("goods {}", grouped(&a.goods));
    for (what, m, t) in [("freight", a.freight, a.freight_treatment), ("insurance", a.insurance, a.insurance_treatment)]
    {
        if let Some(m) = m {
            match t {
                TransportTreatment::Added => cv_basis.push_str(&format!(" + {what} {}", grouped(&m))),
                TransportTreatment::Deducted => cv_basis.push_str(&format!(" − {what} {}", grouped(&m))),
                _ => {}
            }
        }
    }
    cv_basis.push_str(&format!(" ({freight_text}; {insurance_text})"));
    if matches!(shipment.incoterm, Incoterm::Dap | Incoterm::Dpu | Incoterm::Ddp) {
        cv_basis.push_str(&format!(
            "; a {} price also covers transport beyond the border, taken here as given",
            shipment.incoterm.code()
        ));
    }
    steps.push(CostStep { label: format!("Customs value ({basis})"), amount: a.customs_value, basis: cv_basis });

    let dm = schedule.de_minimis();
    let mut lines = Vec::with_capacity(a.lines.len());
    let mut duty_parts = Vec::with_capacity(a.lines.len());
    for (l, la) in shipment.lines.iter().zip(&a.lines) {
        let hs = dotted(&l.hs);
        let mut text = format!(
            "{hs} {}: customs value {} (goods {}",
            l.description,
            with_currency(&la.customs_value),
            grouped(&la.value)
        );
        for (what, m) in [("freight", la.freight), ("insurance", la.insurance)] {
            if !m.amount().is_zero() {
                let sign = if m.amount() < Decimal::ZERO { "−" } else { "+" };
                let abs = Money::new(m.amount().abs(), cur)?;
                text.push_str(&format!(" {sign} {what} {}", grouped(&abs)));
            }
        }
        text.push_str(&format!(
            "); duty {} ({}, {}) = {}",
            measure_text(&la.rate.measure),
            basis_text(&la.rate.basis),
            la.rate.source,
            with_currency(&la.duty)
        ));
        if let Ok(tl) = schedule.line(&l.hs, shipment.date)
            && let Some(x) = &tl.excise
        {
            text.push_str(&format!(
                "; {} {} ({}) = {}",
                x.name,
                measure_text(&x.measure),
                x.source,
                with_currency(&la.excise)
            ));
        }
        if a.duty_waived {
            text.push_str(" (waived under de minimis)");
        }
        duty_parts.push(format!(
            "{} on {} ({hs}, {}) = {}",
            measure_text(&la.rate.measure),
            with_currency(&la.customs_value),
            basis_text(&la.rate.basis),
            with_currency(&la.duty)
        ));
        lines.push(LineCost {
            hs: l.hs.clone(),
            description: l.description.clone(),
            customs_value: la.customs_value,
            rate: la.rate.clone(),
            duty: la.duty,
            excise: la.excise,
            explanation: text,
        });
    }
    let duty_basis = match (a.duty_waived, dm.duty) {
        (true, Some(t)) => format!(
            "customs value {} is at or below the de minimis of {cur} {} ({}): no duty, excise or fees",
            grouped(&a.customs_value),
            grouped(&money(t, cur)?),
            dm.source
        ),
        _ => duty_parts.join("; "),
    };
    steps.push(CostStep { label: "Duty".into(), amount: a.duty, basis: duty_basis });
    if !a.excise.amount().is_zero() {
        steps.push(CostStep {
            label: "Excise".into(),
            amount: a.excise,
            basis: "per line, as shown on each line".into(),
        });
    }
    let mut fees = Vec::with_capacity(a.fees.len());
    for f in &a.fees {
        if let Some(fee) = schedule.fees().get(f.fee) {
            steps.push(CostStep {
                label: fee.name.clone(),
                amount: f.amount,
                basis: format!(
                    "{} on the customs value {} ({})",
                    measure_text(&fee.measure),
                    grouped(&a.customs_value),
                    fee.source
                ),
            });
            fees.push((fee.name.clone(), f.amount));
        }
    }
    let tax_name = schedule.tax().map(|t| t.name.clone());
    if let Some(t) = schedule.tax() {
        let mut base = format!("customs value {}", grouped(&a.customs_value));
        if t.base != TaxBase::CustomsValue {
            base.push_str(&format!(" + duty {}", grouped(&a.duty)));
            if !a.excise.amount().is_zero() {
                base.push_str(&format!(" + excise {}", grouped(&a.excise)));
            }
        }
        if !a.tax_transport.amount().is_zero() {
            base.push_str(&format!(" + international transport and insurance {}", grouped(&a.tax_transport)));
        }
        steps.push(CostStep {
            label: format!("{} base", t.name),
            amount: a.tax_base,
            basis: format!("{base} ({})", t.source),
        });
        let tax_basis = match (a.tax_waived, dm.tax) {
            (true, Some(th)) => format!(
                "customs value {} is at or below the {} de minimis of {cur} {}: no {}",
                grouped(&a.customs_value),
                t.name,
                grouped(&money(th, cur)?),
                t.name
            ),
            _ => format!("{}% of {}", t.percent.normalize(), grouped(&a.tax_base)),
        };
        steps.push(CostStep { label: t.name.clone(), amount: a.tax, basis: tax_basis });
    } else {
        steps.push(CostStep {
            label: "Import tax".into(),
            amount: zero,
            basis: format!("{} levies no import VAT, GST or consumption tax in this tariff", schedule.economy()),
        });
    }
    let mut total_basis = format!(
        "duty {} + excise {} + {} {}",
        grouped(&a.duty),
        grouped(&a.excise),
        tax_name.as_deref().unwrap_or("tax"),
        grouped(&a.tax)
    );
    for (name, m) in &fees {
        total_basis.push_str(&format!(" + {name} {}", grouped(m)));
    }
    steps.push(CostStep { label: "Total duties and taxes".into(), amount: a.total, basis: total_basis });
    Ok(LandedCost {
        currency: cur,
        customs_value: a.customs_value,
        lines,
        duty: a.duty,
        excise: a.excise,
        tax_name,
        tax: a.tax,
        tax_base: a.tax_base,
        fees,
        total_duties_and_taxes: a.total,
        explanation: steps,
    })
}

/// Assesses duties and import taxes on retail parcels sold delivered duty paid: the parcel's
/// value is goods + shipping, and quantities are items (`H87`).
#[derive(Debug, Clone)]
pub struct TariffAssessor {
    pub schedules: Vec<TariffSchedule>,
    pub fx: FxRates,
    /// The assessment date, supplied by the caller (the core reads no clock).
    pub today: fn() -> Date,
}

impl TariffAssessor {
    fn quote(&self, request: &LandedCostRequest<'_>, schedule: &TariffSchedule) -> Result<(Money, String), String> {
        let shipping = request.shipping;
        let currency = request.goods.currency();
        if request.lines.is_empty() {
            return Err("the parcel has no lines".into());
        }
        // Shipping is part of a DDP price: spread over the lines by value.
        let weights: Vec<Decimal> = request.lines.iter().map(|l| l.line_total.amount()).collect();
        let total: Decimal =
            weights.iter().copied().try_fold(Decimal::ZERO, |a, b| a.checked_add(b)).ok_or("amounts too large")?;
        let mut shares = vec![Decimal::ZERO; weights.len()];
        apportion(shipping.amount(), &weights, total, currency, |i, s| shares[i] = s).map_err(|e| e.to_string())?;
        let mut lines = Vec::with_capacity(request.lines.len());
        for (l, share) in request.lines.iter().zip(shares) {
            let value = l.line_total.amount().checked_add(share).ok_or("amounts too large")?;
            lines.push(ShipmentLine {
                hs: l.hs_code.clone(),
                description: l.title.clone(),
                origin: l.origin_country,
                value: Money::new(value, l.line_total.currency()).map_err(|e| e.to_string())?,
                quantity: Decimal::from(l.quantity),
                unit: "H87".into(),
                preference: None,
            });
        }
        let shipment = Shipment {
            importing: request.destination,
            date: (self.today)(),
            incoterm: Incoterm::Ddp,
            freight: Some(shipping),
            insurance: None,
            lines,
        };
        let a = landed_cost_amounts(schedule, &shipment, &self.fx).map_err(|e| e.to_string())?;
        let mut parts = Vec::new();
        if a.duty_waived {
            parts.push(format!("no duty: customs value {} is within the de minimis", with_currency(&a.customs_value)));
        } else {
            for (l, la) in shipment.lines.iter().zip(&a.lines) {
                parts.push(format!(
                    "Duty {} on {} ({}, {}) = {}",
                    measure_text(&la.rate.measure),
                    with_currency(&la.customs_value),
                    dotted(&l.hs),
                    basis_text(&la.rate.basis),
                    with_currency(&la.duty)
                ));
                if !la.excise.amount().is_zero() {
                    parts.push(format!("Excise {}", with_currency(&la.excise)));
                }
            }
            for f in &a.fees {
                let name = schedule.fees().get(f.fee).map_or("Fee", |x| x.name.as_str());
                parts.push(format!("{name} {}", with_currency(&f.amount)));
            }
        }
        if let Some(t) = schedule.tax() {
            if a.tax_waived {
                parts.push(format!("no {}: within the de minimis", t.name));
            } else {
                parts.push(format!(
                    "{} {}% on {} = {}",
                    t.name,
                    t.percent.normalize(),
                    with_currency(&a.tax_base),
                    with_currency(&a.tax)
                ));
            }
        }
        let mut basis = parts.join("; ");
        let amount = if a.total.currency() == currency {
            a.total
        } else {
            let c = self.fx.convert(&a.total, currency).ok_or_else(|| {
                LandedCostError::NoExchangeRate { from: a.total.currency(), to: currency }.to_string()
            })?;
            basis.push_str(&format!(
                "; total {} = {} at {} ({})",
                with_currency(&a.total),
                with_currency(&c.amount),
                c.rate.normalize(),
                c.as_of
            ));
            c.amount
        };
        Ok((amount, basis))
    }
}

impl DutiesAndTaxes for TariffAssessor {
    fn assess(&self, request: &LandedCostRequest<'_>) -> DutiesAndTaxesQuote {
        if request.destination == request.seller_country {
            return DutiesAndTaxesQuote::NotIncluded {
                reason: format!(
                    "domestic sale within {}: no import duty; sales tax is not calculated by tradewind yet",
                    request.destination
                ),
            };
        }
        let Some(schedule) = self.schedules.iter().find(|s| s.economy() == request.destination) else {
            return DutiesAndTaxesQuote::NotIncluded {
                reason: format!(
                    "tradewind has no tariff for {} ({}); its customs or the carrier may collect duties and taxes on delivery",
                    request.destination.name(),
                    request.destination
                ),
            };
        };
        match self.quote(request, schedule) {
            Ok((amount, basis)) => DutiesAndTaxesQuote::Included { amount, basis },
            Err(why) => DutiesAndTaxesQuote::NotIncluded {
                reason: format!("duties and taxes for {} could not be assessed: {why}", request.destination),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customs::tariff::tests::{day, sample};
    use crate::customs::tariff::{PreferenceClaim, ProofOfOrigin};
    use crate::retail::pricing::{PricedLine, line_total};
    use proptest::prelude::*;

    fn cur(c: &str) -> CurrencyCode {
        c.parse().expect("currency")
    }

    fn m(amount: &str, c: &str) -> Money {
        Money::new(amount.parse().expect("amount"), cur(c)).expect("money")
    }

    fn fx() -> FxRates {
        FxRates::parse_ecb_csv(
            "Date, USD, AUD, JPY, GBP, SGD\n2026-03-02, 1.08, 1.65, 162.50, 0.84, 1.45\n",
            "ECB test",
        )
        .expect("rates")
    }

    fn line(hs: &str, value: Money, qty: &str, unit: &str, origin: &str) -> ShipmentLine {
        ShipmentLine {
            hs: hs.parse().expect("hs"),
            description: "goods".into(),
            origin: origin.parse().expect("origin"),
            value,
            quantity: qty.parse().expect("qty"),
            unit: unit.into(),
            preference: None,
        }
    }

    fn shipment(
        to: &str,
        incoterm: Incoterm,
        freight: Option<Money>,
        insurance: Option<Money>,
        lines: Vec<ShipmentLine>,
    ) -> Shipment {
        Shipment { importing: to.parse().expect("to"), date: day("2026-03-02"), incoterm, freight, insurance, lines }
    }

    /// An inline schedule for an economy's valuation and tax rules, with 6109.10 at 12 %.
    fn economy(
        code: &str,
        c: &str,
        valuation: &str,
        tax: Option<(&str, &str, &str)>,
        de_minimis: &str,
        fee: &str,
    ) -> TariffSchedule {
        let tax = tax.map_or(String::new(), |(name, percent, base)| {
            format!("[tax]\nname = \"{name}\"\npercent = \"{percent}\"\nbase = \"{base}\"\nsource = \"tax act\"\n")
        });
        let text = format!(
            "format = \"tradewind-tariff/1\"\neconomy = \"{code}\"\nname = \"{code}\"\ncurrency = \"{c}\"\nvaluation = \"{valuation}\"\nedition = \"test\"\nsource = \"test\"\n{tax}{de_minimis}\n[[line]]\nhs = \"610910\"\ndescription = \"T-shirts\"\nmfn = {{ type = \"ad_valorem\", percent = \"12\" }}\nsource = \"tariff 6109.10\"\n{fee}"
        );
        TariffSchedule::parse_toml(&text).expect("inline schedule")
    }

    fn shirts(value: Money) -> Vec<ShipmentLine> {
        vec![line("610910", value, "100", "H87", "VN")]
    }

    fn step<'a>(c: &'a LandedCost, label: &str) -> &'a CostStep {
        c.explanation
            .iter()
            .find(|s| s.label == label)
            .unwrap_or_else(|| panic!("no step {label}: {:?}", c.explanation))
    }

    #[test]
    fn germany_cif_adds_freight_and_insurance_to_an_fob_price_and_vat_on_duty() {
        let de = economy("DE", "EUR", "cif", Some(("VAT", "19", "customs_value_plus_duty")), "", "");
        let s = shipment("DE", Incoterm::Fob, Some(m("120", "EUR")), Some(m("5", "EUR")), shirts(m("1000", "EUR")));
        let c = landed_cost(&de, &s, &fx()).expect("cost");
        // CV = 1,000 + 120 + 5 = 1,125.00; duty 12 % = 135.00; VAT 19 % × (1,125 + 135 = 1,260) = 239.40.
        assert_eq!(c.customs_value, m("1125", "EUR"));
        assert_eq!(c.duty, m("135", "EUR"));
        assert_eq!(c.tax_base, m("1260", "EUR"));
        assert_eq!(c.tax, m("239.40", "EUR"));
        // 135.00 + 239.40 = 374.40.
        assert_eq!(c.total_duties_and_taxes, m("374.40", "EUR"));
        let cv = step(&c, "Customs value (CIF)");
        assert!(cv.basis.starts_with("goods 1,000.00 + freight 120.00 + insurance 5.00"), "{}", cv.basis);
        assert_eq!(step(&c, "VAT").basis, "19% of 1,260.00");
        assert!(
            c.lines[0].explanation.contains("duty 12% (MFN, tariff 6109.10) = EUR 135.00"),
            "{}",
            c.lines[0].explanation
        );
    }

    #[test]
    fn britain_cif_adds_only_insurance_to_a_cfr_price() {
        let gb = economy("GB", "GBP", "cif", Some(("VAT", "20", "customs_value_plus_duty")), "", "");
        let s = shipment("GB", Incoterm::Cfr, Some(m("300", "GBP")), Some(m("10", "GBP")), shirts(m("2000", "GBP")));
        let c = landed_cost(&gb, &s, &fx()).expect("cost");
        // CV = 2,000 + 10 = 2,010.00 (freight already in the CFR price); duty 12 % = 241.20;
        // VAT 20 % × 2,251.20 = 450.24; total 691.44.
        assert_eq!(c.customs_value, m("2010", "GBP"));
        assert_eq!(c.duty, m("241.20", "GBP"));
        assert_eq!(c.tax, m("450.24", "GBP"));
        assert_eq!(c.total_duties_and_taxes, m("691.44", "GBP"));
        assert!(step(&c, "Customs value (CIF)").basis.contains("freight is in the CFR price"));
    }

    #[test]
    fn japan_cif_price_is_the_customs_value_in_whole_yen() {
        let jp = economy("JP", "JPY", "cif", Some(("Consumption tax", "10", "customs_value_plus_duty")), "", "");
        let s = shipment("JP", Incoterm::Cif, Some(m("30000", "JPY")), None, shirts(m("500000", "JPY")));
        let c = landed_cost(&jp, &s, &fx()).expect("cost");
        // CV = 500,000 (CIF price); duty 12 % = 60,000; tax 10 % × 560,000 = 56,000; total 116,000.
        assert_eq!(c.customs_value, m("500000", "JPY"));
        assert_eq!(c.tax, m("56000", "JPY"));
        assert_eq!(c.total_duties_and_taxes, m("116000", "JPY"));
    }

    #[test]
    fn singapore_takes_a_delivered_price_as_given_and_says_so() {
        let sg = economy("SG", "SGD", "cif", Some(("GST", "9", "customs_value_plus_duty")), "", "");
        let s = shipment("SG", Incoterm::Dap, None, None, shirts(m("1000", "SGD")));
        let c = landed_cost(&sg, &s, &fx()).expect("cost");
        // CV = 1,000.00; duty 120.00; GST 9 % × 1,120 = 100.80; total 220.80.
        assert_eq!(c.tax, m("100.80", "SGD"));
        assert_eq!(c.total_duties_and_taxes, m("220.80", "SGD"));
        assert!(step(&c, "Customs value (CIF)").basis.contains("transport beyond the border, taken here as given"));
    }

    #[test]
    fn united_states_fob_deducts_transport_from_a_cif_price_and_charges_the_processing_fee() {
        let fee = "[[fee]]\nname = \"Merchandise processing fee\"\nmeasure = { type = \"mixed\", percent = \"0.3464\", minimum = { amount = { amount = \"31.67\", currency = \"USD\" }, per_unit = \"H87\" }, maximum = { amount = { amount = \"614.35\", currency = \"USD\" }, per_unit = \"H87\" } }\napplies_above = \"2500\"\nsource = \"19 CFR 24.23\"\n";
        let us = economy("US", "USD", "fob", None, "", fee);
        let s = shipment("US", Incoterm::Cif, Some(m("800", "USD")), Some(m("50", "USD")), shirts(m("10000", "USD")));
        let c = landed_cost(&us, &s, &fx()).expect("cost");
        // CV = 10,000 − 800 − 50 = 9,150.00; duty 12 % = 1,098.00;
        // MPF 0.3464 % × 9,150 = 31.6956 → 31.70 (above the 31.67 minimum); no import tax.
        assert_eq!(c.customs_value, m("9150", "USD"));
        assert_eq!(c.duty, m("1098", "USD"));
        assert_eq!(c.fees, vec![("Merchandise processing fee".to_string(), m("31.70", "USD"))]);
        assert_eq!(c.tax, m("0", "USD"));
        assert_eq!(c.total_duties_and_taxes, m("1129.70", "USD"));
        assert!(
            step(&c, "Customs value (FOB)").basis.starts_with("goods 10,000.00 − freight 800.00 − insurance 50.00")
        );
        assert!(step(&c, "Import tax").basis.contains("no import VAT"));
        // At or below USD 2,500 the fee is not charged.
        let small = shipment("US", Incoterm::Fob, None, None, shirts(m("2500", "USD")));
        assert!(landed_cost_amounts(&us, &small, &fx()).expect("small").fees.is_empty());
    }

    #[test]
    fn australia_fob_values_goods_alone_but_gst_includes_transport() {
        let au = sample();
        let s = shipment(
            "AU",
            Incoterm::Fob,
            Some(m("300", "AUD")),
            Some(m("20", "AUD")),
            vec![line("610910", m("2000", "AUD"), "500", "H87", "VN")],
        );
        let c = landed_cost(&au, &s, &fx()).expect("cost");
        // CV (FOB) = 2,000.00; duty 5 % = 100.00; GST base = 2,000 + 100 + 300 + 20 = 2,420;
        // GST 10 % = 242.00; total 342.00 (no charge: 2,000 ≤ 2,500).
        assert_eq!(c.customs_value, m("2000", "AUD"));
        assert_eq!(c.duty, m("100", "AUD"));
        assert_eq!(c.tax_base, m("2420", "AUD"));
        assert_eq!(c.tax, m("242", "AUD"));
        assert_eq!(c.total_duties_and_taxes, m("342", "AUD"));
        assert!(step(&c, "GST base").basis.contains("+ international transport and insurance 320.00"));
        // A CIF price with the same transport gives the same customs value.
        let cif = shipment(
            "AU",
            Incoterm::Cif,
            Some(m("300", "AUD")),
            Some(m("20", "AUD")),
            vec![line("610910", m("2320", "AUD"), "500", "H87", "VN")],
        );
        assert_eq!(landed_cost_amounts(&au, &cif, &fx()).expect("cif").total, m("342", "AUD"));
    }

    #[test]
    fn hand_worked_measures_through_the_landed_cost() {
        let au = sample();
        let cost = |l: ShipmentLine| {
            landed_cost_amounts(&au, &shipment("AU", Incoterm::Fob, Some(m("500", "AUD")), None, vec![l]), &fx())
        };
        // Specific: AUD 0.35/kg × 2,500 kg = 875.00; 2.5 t converts to the same 2,500 kg.
        let coffee = cost(line("090111", m("5000", "AUD"), "2500", "KGM", "BR")).expect("coffee");
        assert_eq!(coffee.duty, m("875", "AUD"));
        let tonnes = cost(line("090111", m("5000", "AUD"), "2.5", "TNE", "BR")).expect("tonnes");
        assert_eq!((tonnes.duty, tonnes.lines[0].quantity), (m("875", "AUD"), Decimal::from(2500)));
        // Compound: 5 % × 8,000 + 0.50 × 1,000 l = 400 + 500 = 900.00; WET 29 % × 8,000 = 2,320.00;
        // GST 10 % × (8,000 + 900 + 2,320 + 500) = 1,172.00; charge 0.3464 % × 8,000 = 27.71 → minimum 31.67;
        // total 900 + 2,320 + 1,172 + 31.67 = 4,423.67.
        let wine = cost(line("220421", m("8000", "AUD"), "1000", "LTR", "FR")).expect("wine");
        assert_eq!((wine.duty, wine.excise, wine.tax), (m("900", "AUD"), m("2320", "AUD"), m("1172", "AUD")));
        assert_eq!(wine.fees, vec![FeeAmount { fee: 0, amount: m("31.67", "AUD") }]);
        assert_eq!(wine.total, m("4423.67", "AUD"));
        // Mixed: 8 % × 1,500 = 120, but at least 2.00 × 100 pairs = 200.00.
        let shoes = cost(line("640399", m("1500", "AUD"), "100", "H87", "IT")).expect("shoes");
        assert_eq!(shoes.duty, m("200", "AUD"));
    }

    #[test]
    fn freight_is_apportioned_by_value_exactly() {
        let de = economy("DE", "EUR", "cif", Some(("VAT", "19", "customs_value_plus_duty")), "", "");
        let lines =
            vec![line("610910", m("600", "EUR"), "1", "H87", "VN"), line("610910", m("400", "EUR"), "1", "H87", "VN")];
        let a = landed_cost_amounts(&de, &shipment("DE", Incoterm::Exw, Some(m("100.01", "EUR")), None, lines), &fx())
            .expect("cost");
        // 100.01 × 600/1,000 = 60.006 → 60.01; the last line takes the rest, 40.00.
        assert_eq!((a.lines[0].freight, a.lines[1].freight), (m("60.01", "EUR"), m("40", "EUR")));
        assert_eq!(a.customs_value, m("1100.01", "EUR"));
    }

    #[test]
    fn amounts_in_other_currencies_are_converted_and_the_rate_is_stated() {
        let au = sample();
        let s = shipment(
            "AU",
            Incoterm::Fob,
            Some(m("100", "USD")),
            None,
            vec![line("610910", m("1000", "USD"), "10", "H87", "VN")],
        );
        let c = landed_cost(&au, &s, &fx()).expect("cost");
        // USD 1,000 × 1.65 / 1.08 = 1,527.777… → AUD 1,527.78.
        assert_eq!(c.customs_value, m("1527.78", "AUD"));
        assert!(step(&c, "Goods").basis.contains("USD converted at 1.52777778 AUD per USD (2026-03-02, ECB test)"));
        let no_rate =
            shipment("AU", Incoterm::Fob, None, None, vec![line("610910", m("1000", "CHF"), "1", "H87", "VN")]);
        assert_eq!(
            landed_cost_amounts(&au, &no_rate, &fx()),
            Err(LandedCostError::NoExchangeRate { from: cur("CHF"), to: cur("AUD") })
        );
    }

    #[test]
    fn a_shipment_of_many_lines_adds_up_like_one_line() {
        let au = sample();
        let one = shipment("AU", Incoterm::Cif, Some(m("300", "AUD")), None, shirts(m("2000", "AUD")));
        let ten: Vec<ShipmentLine> = (0..10).map(|_| line("610910", m("200", "AUD"), "50", "H87", "VN")).collect();
        let ten = shipment("AU", Incoterm::Cif, Some(m("300", "AUD")), None, ten);
        // CIF into an FOB economy: 300 deducted, 30 a line; CV 1,700 = 10 × 170; duty 5 % = 8.50 a
        // line, 85.00 in all, as on the one line of 2,000.
        let (a, b) =
            (landed_cost_amounts(&au, &one, &fx()).expect("one"), landed_cost_amounts(&au, &ten, &fx()).expect("ten"));
        assert_eq!(b.customs_value, m("1700", "AUD"));
        assert!(b.lines.iter().all(|l| l.freight == m("-30", "AUD") && l.duty == m("8.50", "AUD")), "{:?}", b.lines);
        assert_eq!((b.duty, b.tax, b.total), (a.duty, a.tax, a.total));
    }

    #[test]
    fn the_quick_division_rounds_half_to_even_and_leaves_short_quotients_to_the_decimal_one() {
        let d = |s: &str| -> Decimal { s.parse().expect("decimal") };
        // 1,000.00 / 1.08 = 925.925925… → 925.93.
        assert_eq!(quick_div_round(d("1000.00"), d("1.08"), 2).map(|q| q.to_string()), Some("925.93".into()));
        // 1 / 1.08 = 0.925925925… → 0.92592593 (8 places, as rates are reported).
        assert_eq!(quick_div_round(d("1"), d("1.08"), 8).map(|q| q.to_string()), Some("0.92592593".into()));
        // 0.125 / 1 to 2 places: 0.125 is a midpoint, 12 is even → 0.12; 0.135 → 0.14.
        assert_eq!(quick_div_round(d("0.125"), d("1"), 2).map(|q| q.to_string()), Some("0.12".into()));
        assert_eq!(quick_div_round(d("0.135"), d("1"), 2).map(|q| q.to_string()), Some("0.14".into()));
        // 1 / 0.5 = 2 exactly: the decimal division decides the scale.
        assert_eq!(quick_div_round(d("1"), d("0.5"), 8), None);
        assert_eq!(
            div_round(d("1"), d("0.5"), 8).map(|q| q.to_string()),
            Some((d("1") / d("0.5")).round_dp(8).to_string())
        );
        // Negative, zero divisor, huge: not taken.
        assert_eq!(quick_div_round(d("-1"), d("3"), 2), None);
        assert_eq!(div_round(d("1"), Decimal::ZERO, 2), None);
        assert_eq!(quick_div_round(Decimal::MAX, d("3"), 2), None);
        assert_eq!(div_round(Decimal::MAX, d("3"), 2), Decimal::MAX.checked_div(d("3")).map(|q| q.round_dp(2)));
    }

    #[test]
    fn under_de_minimis_nothing_is_levied_and_the_explanation_says_so() {
        let au = sample();
        let s = shipment("AU", Incoterm::Fob, Some(m("40", "AUD")), None, shirts(m("900", "AUD")));
        let c = landed_cost(&au, &s, &fx()).expect("cost");
        assert_eq!(c.total_duties_and_taxes, m("0", "AUD"));
        assert!(step(&c, "Duty").basis.contains("at or below the de minimis of AUD 1,000.00"), "{:?}", c.explanation);
        assert!(step(&c, "GST").basis.contains("no GST"));
    }

    #[test]
    fn a_preference_with_proof_lowers_the_duty() {
        let au = sample();
        let mut l = line("610910", m("2000", "AUD"), "500", "H87", "VN");
        l.preference = Some(PreferenceClaim {
            agreement: "RCEP".into(),
            proof: ProofOfOrigin {
                certificate_number: "VN-RCEP-77".into(),
                issued_on: day("2026-02-01"),
                valid_until: day("2027-01-31"),
                origin: "VN".parse().expect("vn"),
            },
        });
        let c =
            landed_cost(&au, &shipment("AU", Incoterm::Fob, Some(m("300", "AUD")), None, vec![l]), &fx()).expect("c");
        assert_eq!(c.duty, m("0", "AUD"));
        assert!(c.lines[0].explanation.contains("RCEP preference, proof of origin VN-RCEP-77"));
    }

    #[test]
    fn every_refusal_names_what_to_fix() {
        let au = sample();
        let de = economy("DE", "EUR", "cif", Some(("VAT", "19", "customs_value_plus_duty")), "", "");
        let ok = |incoterm, freight| shipment("AU", incoterm, freight, None, shirts(m("2000", "AUD")));
        let wrong = shipment("DE", Incoterm::Fob, None, None, shirts(m("1", "EUR")));
        assert!(matches!(landed_cost_amounts(&au, &wrong, &fx()), Err(LandedCostError::WrongSchedule { .. })));
        assert_eq!(
            landed_cost_amounts(&au, &shipment("AU", Incoterm::Fob, None, None, vec![]), &fx()),
            Err(LandedCostError::NoLines)
        );
        // FOB economy, CFR price: freight must be deducted.
        let e = landed_cost_amounts(&au, &ok(Incoterm::Cfr, None), &fx()).expect_err("freight");
        assert!(e.to_string().contains("AU values goods FOB and a CFR price includes main carriage"), "{e}");
        // FOB price into Australia: GST needs the transport.
        let e = landed_cost_amounts(&au, &ok(Incoterm::Fob, None), &fx()).expect_err("freight for GST");
        assert!(e.to_string().contains("GST is levied on a value that includes international transport"), "{e}");
        // CIF economy, EXW price: freight must be added.
        let exw = shipment("DE", Incoterm::Exw, None, None, shirts(m("1000", "EUR")));
        assert!(matches!(
            landed_cost_amounts(&de, &exw, &fx()),
            Err(LandedCostError::MissingFreight { incoterm: Incoterm::Exw, .. })
        ));
        let e = landed_cost_amounts(&au, &ok(Incoterm::Cif, Some(m("2500", "AUD"))), &fx()).expect_err("too much");
        assert!(matches!(e, LandedCostError::TransportExceedsPrice { .. }));
        let unknown = shipment(
            "AU",
            Incoterm::Fob,
            Some(m("1", "AUD")),
            None,
            vec![line("850440", m("2000", "AUD"), "1", "H87", "CN")],
        );
        let e = landed_cost_amounts(&au, &unknown, &fx()).expect_err("unknown");
        assert_eq!(e.code(), "hs_not_in_tariff");
        assert!(e.to_string().starts_with("line 1 (850440): 850440 is not in the tariff of AU"), "{e}");
        let litres = shipment(
            "AU",
            Incoterm::Fob,
            Some(m("1", "AUD")),
            None,
            vec![line("090111", m("2000", "AUD"), "10", "LTR", "BR")],
        );
        assert!(matches!(
            landed_cost_amounts(&au, &litres, &fx()),
            Err(LandedCostError::Duty { source: DutyError::WrongUnit { .. }, .. })
        ));
        let negative = shipment("AU", Incoterm::Fob, Some(m("-1", "AUD")), None, shirts(m("2000", "AUD")));
        assert_eq!(landed_cost_amounts(&au, &negative, &fx()), Err(LandedCostError::Negative { what: "freight" }));
    }

    #[test]
    fn the_result_serializes_for_the_api() {
        let au = sample();
        let s = shipment("AU", Incoterm::Fob, Some(m("300", "AUD")), None, shirts(m("2000", "AUD")));
        let json = serde_json::to_value(landed_cost(&au, &s, &fx()).expect("c")).expect("json");
        // Duty 5 % × 2,000 = 100; GST 10 % × (2,000 + 100 + 300) = 240; total 340.
        assert_eq!(json["total_duties_and_taxes"]["amount"], "340");
        assert_eq!(json["lines"][0]["rate"]["basis"]["basis"], "mfn");
    }

    fn priced(hs: &str, origin: &str, unit_price: Money, qty: u32) -> PricedLine {
        PricedLine {
            offer_id: "o".into(),
            product_id: "p".into(),
            title: "Cotton T-shirt".into(),
            hs_code: hs.parse().expect("hs"),
            origin_country: origin.parse().expect("origin"),
            unit_price,
            quantity: qty,
            line_total: line_total(unit_price, qty).expect("total"),
        }
    }

    fn assessor() -> TariffAssessor {
        TariffAssessor { schedules: vec![sample()], fx: fx(), today: || day("2026-03-02") }
    }

    #[test]
    fn a_ddp_parcel_is_assessed_with_each_line_explained() {
        let lines = [priced("610910", "CN", m("150", "AUD"), 10)];
        let req = LandedCostRequest {
            destination: "AU".parse().expect("au"),
            seller_country: "CN".parse().expect("cn"),
            lines: &lines,
            goods: m("1500", "AUD"),
            shipping: m("60", "AUD"),
        };
        // DDP into an FOB economy: shipping 60 is deducted, CV 1,500; duty 5 % = 75.00;
        // GST 10 % × (1,500 + 75 + 60) = 163.50; total 238.50.
        let DutiesAndTaxesQuote::Included { amount, basis } = assessor().assess(&req) else { panic!("included") };
        assert_eq!(amount, m("238.50", "AUD"));
        assert!(basis.contains("Duty 5% on AUD 1,500.00 (6109.10, MFN) = AUD 75.00"), "{basis}");
        assert!(basis.contains("GST 10% on AUD 1,635.00 = AUD 163.50"), "{basis}");
    }

    #[test]
    fn a_parcel_priced_in_another_currency_is_quoted_in_that_currency() {
        let lines = [priced("610910", "CN", m("100", "USD"), 10)];
        let req = LandedCostRequest {
            destination: "AU".parse().expect("au"),
            seller_country: "US".parse().expect("us"),
            lines: &lines,
            goods: m("1000", "USD"),
            shipping: m("0", "USD"),
        };
        let DutiesAndTaxesQuote::Included { amount, basis } = assessor().assess(&req) else { panic!("included") };
        // USD 1,000 → AUD 1,527.78 (above de minimis); duty 5 % = 76.39; GST 10 % × 1,604.17 = 160.42;
        // AUD 236.81 × 1.08 / 1.65 = 155.003… → USD 155.00.
        assert_eq!(amount, m("155.00", "USD"));
        assert!(basis.contains("total AUD 236.81 = USD 155.00"), "{basis}");
    }

    #[test]
    fn domestic_unknown_and_unassessable_parcels_are_not_included_with_the_reason() {
        let lines = [priced("610910", "CN", m("150", "AUD"), 1)];
        let req = |to: &str, from: &str, hs_lines: &[PricedLine]| {
            let r = LandedCostRequest {
                destination: to.parse().expect("to"),
                seller_country: from.parse().expect("from"),
                lines: hs_lines,
                goods: m("150", "AUD"),
                shipping: m("10", "AUD"),
            };
            match assessor().assess(&r) {
                DutiesAndTaxesQuote::NotIncluded { reason } => reason,
                other => panic!("expected not included, got {other:?}"),
            }
        };
        assert!(req("AU", "AU", &lines).contains("domestic sale within AU"));
        assert!(req("NZ", "AU", &lines).contains("no tariff for New Zealand"));
        let unknown = [priced("850440", "CN", m("150", "AUD"), 1)];
        assert!(req("AU", "CN", &unknown).contains("850440 is not in the tariff of AU"));
        // Under the AUD 1,000 de minimis the parcel is assessed at zero.
        let r = LandedCostRequest {
            destination: "AU".parse().expect("au"),
            seller_country: "CN".parse().expect("cn"),
            lines: &lines,
            goods: m("150", "AUD"),
            shipping: m("10", "AUD"),
        };
        assert!(
            matches!(assessor().assess(&r), DutiesAndTaxesQuote::Included { amount, .. } if amount.amount().is_zero())
        );
    }

    #[test]
    fn landed_cost_on_a_builtin_schedule() {
        let de = crate::customs::tariff::builtin_schedules().into_iter().find(|s| s.economy().as_str() == "DE");
        let de = de.expect("DE parses");
        let l = &de.lines()[0];
        let hs: HsCode =
            if l.hs.as_str().len() == 6 { l.hs.clone() } else { format!("{}00", l.hs).parse().expect("hs") };
        let mut sl = line(hs.as_str(), m("10000", "EUR"), "1000", l.unit.as_deref().unwrap_or("H87"), "US");
        sl.unit = l.unit.clone().unwrap_or_else(|| "H87".into());
        let s = Shipment {
            date: l.valid_from.unwrap_or(day("2026-03-02")),
            ..shipment("DE", Incoterm::Cif, None, None, vec![sl])
        };
        let c = landed_cost(&de, &s, &fx()).expect("cost");
        let fees: Decimal = c.fees.iter().map(|(_, f)| f.amount()).sum();
        assert_eq!(c.total_duties_and_taxes.amount(), c.duty.amount() + c.excise.amount() + c.tax.amount() + fees);
        assert_eq!(c.tax_name.as_deref(), de.tax().map(|t| t.name.as_str()));
    }

    proptest! {
        #[test]
        fn totals_add_up_duty_is_never_negative_and_de_minimis_levies_nothing(
            values in prop::collection::vec((1i64..50_000_000, 0usize..4, 1i64..5000), 1..5),
            freight in 0i64..1_000_000, insurance in prop::option::of(0i64..100_000),
            incoterm in prop::sample::select(Incoterm::ALL.to_vec()),
            claim in any::<bool>(), proof_days in -400i64..400,
        ) {
            let au = sample();
            let aud = cur("AUD");
            let kinds = [("610910", "H87"), ("220421", "LTR"), ("090111", "KGM"), ("640399", "H87")];
            let lines: Vec<ShipmentLine> = values.iter().map(|(v, k, q)| {
                let (hs, unit) = kinds[*k];
                let mut l = line(hs, Money::from_minor_units(*v, aud), "1", unit, "VN");
                l.quantity = Decimal::from(*q);
                if claim {
                    l.preference = Some(PreferenceClaim { agreement: "RCEP".into(), proof: ProofOfOrigin {
                        certificate_number: "C1".into(),
                        issued_on: day("2026-03-02") + time::Duration::days(proof_days.min(0)),
                        valid_until: day("2026-03-02") + time::Duration::days(proof_days),
                        origin: "VN".parse().expect("vn"),
                    }});
                }
                l
            }).collect();
            let goods: i64 = values.iter().map(|(v, _, _)| v).sum();
            let s = shipment("AU", incoterm, Some(Money::from_minor_units(freight, aud)), insurance.map(|i| Money::from_minor_units(i, aud)), lines);
            match landed_cost(&au, &s, &fx()) {
                Ok(c) => {
                    let fees: Decimal = c.fees.iter().map(|(_, f)| f.amount()).sum();
                    prop_assert_eq!(c.total_duties_and_taxes.amount(), c.duty.amount() + c.excise.amount() + c.tax.amount() + fees);
                    prop_assert!(c.duty.amount() >= Decimal::ZERO && c.tax.amount() >= Decimal::ZERO);
                    let line_cv: Decimal = c.lines.iter().map(|l| l.customs_value.amount()).sum();
                    prop_assert_eq!(line_cv, c.customs_value.amount());
                    for l in &c.lines {
                        prop_assert!(l.duty.amount() >= Decimal::ZERO);
                        if matches!(l.rate.basis, RateBasis::Preferential { .. }) {
                            prop_assert!(claim && proof_days >= 0, "preference applied without a proof valid on the date");
                        }
                    }
                    if c.customs_value.amount() <= Decimal::ONE_THOUSAND {
                        prop_assert!(c.total_duties_and_taxes.amount().is_zero());
                    }
                    let amounts = landed_cost_amounts(&au, &s, &fx()).expect("same numbers");
                    prop_assert_eq!(amounts.total, c.total_duties_and_taxes);
                }
                // Refused only when a CIF-type price is smaller than the transport deducted from it,
                // or when a claimed preference has no valid proof (refused, never silently applied).
                Err(LandedCostError::TransportExceedsPrice { .. }) => prop_assert!(freight + insurance.unwrap_or(0) > 0 && goods > 0),
                Err(LandedCostError::Tariff { source: TariffError::ProofNotValidOn { .. } | TariffError::NoPreferentialRate { .. }, .. }) => prop_assert!(claim),
                Err(e) => prop_assert!(false, "unexpected refusal: {}", e),
            }
        }

        #[test]
        fn the_quick_division_rounds_exactly_as_the_decimal_one(
            n in 0i64..1_000_000_000_000_000, n_scale in 0u32..12,
            d in 1i64..10_000_000_000, d_scale in 0u32..12, dp in 0u32..9,
        ) {
            let (n, d) = (Decimal::new(n, n_scale), Decimal::new(d, d_scale));
            let reference = n.checked_div(d).map(|q| q.round_dp_with_strategy(dp, rust_decimal::RoundingStrategy::MidpointNearestEven));
            let quick = div_round(n, d, dp);
            prop_assert_eq!(quick, reference);
            // Same scale too, so serialised amounts and rates read the same.
            prop_assert_eq!(quick.map(|q| q.to_string()), reference.map(|q| q.to_string()));
        }

        #[test]
        fn a_conversion_gives_what_the_reference_rates_give(
            units in 0i64..100_000_000_000, from in prop::sample::select(vec!["USD", "JPY", "GBP", "SGD", "AUD", "EUR"]),
            to in prop::sample::select(vec!["USD", "JPY", "GBP", "SGD", "AUD", "EUR"]),
        ) {
            let rates = fx();
            let m = Money::from_minor_units(units, cur(from));
            let mut conv = Converter::new(&rates, cur(to));
            let ours = conv.convert(&m, "a line value").expect("rate known");
            let again = conv.convert(&m, "a line value").expect("cached rate");
            if from == to {
                prop_assert_eq!(ours, m.amount());
                prop_assert!(conv.conversions.is_empty());
            } else {
                let reference = rates.convert(&m, cur(to)).expect("reference");
                prop_assert_eq!(ours.to_string(), reference.amount.amount().to_string());
                prop_assert_eq!(again, ours);
                prop_assert_eq!(conv.conversions.len(), 1);
                prop_assert_eq!(conv.conversions[0].1.to_string(), reference.rate.to_string());
            }
        }

        #[test]
        fn apportioned_shares_are_never_negative_and_add_up_exactly(
            amount in 0i64..10_000_000, weights in prop::collection::vec(0i64..1_000_000, 1..8),
        ) {
            let usd = cur("USD");
            let w: Vec<Decimal> = weights.iter().map(|x| Decimal::new(*x, 2)).collect();
            let total: Decimal = w.iter().sum();
            let mut shares = Vec::new();
            apportion(Decimal::new(amount, 2), &w, total, usd, |_, s| shares.push(s)).expect("apportion");
            prop_assert!(shares.iter().all(|s| *s >= Decimal::ZERO));
            prop_assert_eq!(shares.iter().sum::<Decimal>(), Decimal::new(amount, 2));
        }
    }

    /// A rough throughput figure for the fast path (run with `--ignored --nocapture`, optimised).
    #[test]
    #[ignore]
    fn throughput_of_one_line_landed_costs() {
        let au = sample();
        let s = shipment("AU", Incoterm::Fob, Some(m("300", "AUD")), None, shirts(m("2000", "AUD")));
        let rates = fx();
        let n = 200_000;
        let start = std::time::Instant::now();
        let mut total = Decimal::ZERO;
        for _ in 0..n {
            total += landed_cost_amounts(&au, &s, &rates).expect("cost").total.amount();
        }
        let secs = start.elapsed().as_secs_f64();
        println!("{:.0} landed costs per second (checksum {total})", f64::from(n) / secs);
    }

    /// The bench's shipment (DE tariff, demo reference rates, a USD one-line FOB invoice): a
    /// throughput figure to compare releases by (run with `--release -- --ignored --nocapture`).
    #[test]
    #[ignore]
    fn throughput_of_the_bench_shipment() {
        let de = crate::customs::tariff::builtin_schedules().into_iter().find(|s| s.economy().as_str() == "DE");
        let de = de.expect("DE parses");
        let rates = FxRates::parse_ecb_csv(crate::marketplace::DEMO_FX_CSV, "demo rates").expect("demo rates");
        let mut l = line("610910", m("1000.00", "USD"), "500", "H87", "VN");
        l.description = "Cotton T-shirts".into();
        let s = shipment("DE", Incoterm::Fob, Some(m("120.00", "USD")), Some(m("5.00", "USD")), vec![l]);
        let check = landed_cost_amounts(&de, &s, &rates).expect("cost");
        let n: u32 = std::env::var("LC_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000_000);
        let start = std::time::Instant::now();
        let mut total = Decimal::ZERO;
        for _ in 0..n {
            total += landed_cost_amounts(&de, std::hint::black_box(&s), &rates).expect("cost").total.amount();
        }
        let secs = start.elapsed().as_secs_f64();
        assert_eq!(total, check.total.amount() * Decimal::from(n));
        println!("{:.0} bench landed costs per second (total {})", f64::from(n) / secs, check.total);
    }
}
