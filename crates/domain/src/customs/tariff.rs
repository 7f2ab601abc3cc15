//! Tariff schedules: one importing economy's duty rates by HS heading and subheading, its
//! preferential agreements, import tax, de minimis thresholds and per-entry fees, read from a
//! `tradewind-tariff/1` TOML file and validated before use. It owns finding the line in force
//! on a date and choosing the rate (MFN, or preferential against a valid proof of origin).

use super::duty::{DutyMeasure, SpecificRate};
use crate::codes::{CountryCode, CurrencyCode, HsCode, HsLevel};
use crate::money::Money;
use crate::validation::{CodedError, ValidationErrors};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use time::Date;

// Dates in tariff files and answers are ISO 8601 calendar dates (`YYYY-MM-DD`).
time::serde::format_description!(pub iso_date, Date, "[year]-[month]-[day]");

/// The format tag every tariff file starts with.
pub const FORMAT: &str = "tradewind-tariff/1";

/// What the customs value is measured at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValuationBasis {
    /// Cost, insurance and freight to the importing economy's border (EU, UK, Japan, Singapore).
    Cif,
    /// Free on board: the goods only, without international transport (US, Australia).
    Fob,
}

/// What the import tax is levied on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxBase {
    CustomsValue,
    CustomsValuePlusDuty,
    /// Customs value, duty, and international transport and insurance (Australia's value of
    /// taxable importation); on a CIF basis the transport is already in the customs value.
    CustomsValuePlusDutyAndTransport,
}

/// Import VAT, GST or consumption tax.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportTax {
    pub name: String,
    pub percent: Decimal,
    pub base: TaxBase,
    pub source: String,
}

/// Consignment values (in the schedule currency, on its valuation basis) at or below which
/// duty, respectively tax, is not levied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeMinimis {
    #[serde(with = "rust_decimal::serde::str_option", default)]
    pub duty: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option", default)]
    pub tax: Option<Decimal>,
    #[serde(default)]
    pub source: String,
}

/// A preferential trade agreement the economy applies, and whose goods may claim it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeAgreement {
    pub code: String,
    pub name: String,
    pub partners: Vec<CountryCode>,
    pub source: String,
}

/// A lower rate under an agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreferentialRate {
    pub agreement: String,
    pub measure: DutyMeasure,
    pub source: String,
}

/// An excise or similar levy collected at import on top of duty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Excise {
    pub name: String,
    pub measure: DutyMeasure,
    pub source: String,
}

/// One heading (4 digits, covering its subheadings that have no line of their own) or
/// subheading (6 digits), for a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TariffLine {
    pub hs: HsCode,
    pub description: String,
    /// UN/ECE Rec 20 unit quantities are counted in; needed by specific measures.
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(with = "iso_date::option", default)]
    pub valid_from: Option<Date>,
    #[serde(with = "iso_date::option", default)]
    pub valid_to: Option<Date>,
    pub mfn: DutyMeasure,
    pub source: String,
    #[serde(default)]
    pub preferences: Vec<PreferentialRate>,
    #[serde(default)]
    pub excise: Option<Excise>,
}

impl TariffLine {
    /// True when the line is in force on `on` (both ends inclusive).
    pub fn is_valid_on(&self, on: Date) -> bool {
        self.valid_from.is_none_or(|f| f <= on) && self.valid_to.is_none_or(|t| on <= t)
    }

    fn overlaps(&self, other: &TariffLine) -> bool {
        let starts_before_other_ends = match (self.valid_from, other.valid_to) {
            (Some(f), Some(t)) => f <= t,
            _ => true,
        };
        let other_starts_before_this_ends = match (other.valid_from, self.valid_to) {
            (Some(f), Some(t)) => f <= t,
            _ => true,
        };
        starts_before_other_ends && other_starts_before_this_ends
    }
}

/// A fee charged per customs entry, as a measure on the consignment's customs value; its
/// specific minimum and maximum are per entry (quantity 1 of `H87`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryFee {
    pub name: String,
    pub measure: DutyMeasure,
    /// Charged only on consignments whose customs value is above this (formal entries).
    #[serde(with = "rust_decimal::serde::str_option", default)]
    pub applies_above: Option<Decimal>,
    pub source: String,
}

/// The unit an entry fee's per-entry minimum and maximum are counted in.
pub const PER_ENTRY_UNIT: &str = "H87";

/// One importing economy's tariff, validated: every rate is non-negative, in the schedule
/// currency and sourced; lines are sorted by HS code and start date and never overlap.
/// Built by [`TariffSchedule::parse_toml`] or deserialized (which validates the same way).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ScheduleParts")]
pub struct TariffSchedule {
    economy: CountryCode,
    name: String,
    currency: CurrencyCode,
    valuation: ValuationBasis,
    edition: String,
    source: String,
    tax: Option<ImportTax>,
    de_minimis: DeMinimis,
    agreements: Vec<TradeAgreement>,
    lines: Vec<TariffLine>,
    fees: Vec<EntryFee>,
}

/// The fields of a schedule before validation.
#[derive(Debug, Clone, Deserialize)]
struct ScheduleParts {
    economy: CountryCode,
    name: String,
    currency: CurrencyCode,
    valuation: ValuationBasis,
    edition: String,
    source: String,
    #[serde(default)]
    tax: Option<ImportTax>,
    #[serde(default)]
    de_minimis: DeMinimis,
    #[serde(default)]
    agreements: Vec<TradeAgreement>,
    #[serde(default)]
    lines: Vec<TariffLine>,
    #[serde(default)]
    fees: Vec<EntryFee>,
}

/// Why a tariff file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TariffFileError {
    #[error("the tariff file is not valid TOML in the {FORMAT} shape: {0}")]
    Syntax(String),
    #[error("the tariff file has {} problem(s); fix them and import it again: {}", .0.0.len(), list(.0))]
    Invalid(ValidationErrors),
}

fn list(errors: &ValidationErrors) -> String {
    errors.0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
}

impl CodedError for TariffFileError {
    fn code(&self) -> &'static str {
        match self {
            TariffFileError::Syntax(_) => "tariff_file_syntax",
            TariffFileError::Invalid(_) => "tariff_file_invalid",
        }
    }
}

impl TryFrom<ScheduleParts> for TariffSchedule {
    type Error = TariffFileError;
    fn try_from(p: ScheduleParts) -> Result<Self, TariffFileError> {
        let mut errors = ValidationErrors::new();
        p.check(&mut errors);
        if !errors.is_empty() {
            return Err(TariffFileError::Invalid(errors));
        }
        let mut lines = p.lines;
        // Sorted so a lookup is a binary search (no index to keep in step).
        lines.sort_by(|a, b| a.hs.cmp(&b.hs).then(a.valid_from.cmp(&b.valid_from)));
        Ok(TariffSchedule {
            economy: p.economy,
            name: p.name,
            currency: p.currency,
            valuation: p.valuation,
            edition: p.edition,
            source: p.source,
            tax: p.tax,
            de_minimis: p.de_minimis,
            agreements: p.agreements,
            lines,
            fees: p.fees,
        })
    }
}

fn required(errors: &mut ValidationErrors, field: &str, value: &str) {
    if value.trim().is_empty() {
        errors.push(field, "required", format!("{field} is required"));
    }
}

fn required_source(errors: &mut ValidationErrors, field: &str, value: &str) {
    if value.trim().is_empty() {
        errors.push(
            field,
            "source_required",
            "every rate needs a source: cite the act, regulation or tariff edition and the line",
        );
    }
}

fn non_negative(errors: &mut ValidationErrors, field: &str, value: Decimal) {
    if value < Decimal::ZERO {
        errors.push(field, "negative", format!("{value} is negative; rates and thresholds cannot be negative"));
    }
}

fn is_unit_code(u: &str) -> bool {
    (2..=3).contains(&u.len()) && u.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn check_specific(
    errors: &mut ValidationErrors,
    field: &str,
    rate: &SpecificRate,
    currency: CurrencyCode,
    unit: Option<&str>,
) {
    let amount = rate.amount.amount();
    non_negative(errors, &format!("{field}.amount"), amount);
    if rate.amount.currency() != currency {
        errors.push(
            format!("{field}.amount.currency"),
            "wrong_currency",
            format!(
                "the rate is in {} but the schedule is in {currency}; state it in {currency}",
                rate.amount.currency()
            ),
        );
    } else if Money::new(amount, currency).is_err() {
        errors.push(
            format!("{field}.amount"),
            "too_precise",
            format!(
                "{amount} has more decimals than {currency} allows; state the rate per a larger unit (per TNE instead of per KGM, per HLT instead of per LTR)"
            ),
        );
    }
    match unit {
        None => errors.push(
            format!("{field}.per_unit"),
            "unit_required",
            format!("a specific rate is per {}; give the line a unit = \"{}\"", rate.per_unit, rate.per_unit),
        ),
        Some(u) if u != rate.per_unit => errors.push(
            format!("{field}.per_unit"),
            "wrong_unit",
            format!("the rate is per {} but the line counts quantities in {u}; use one unit", rate.per_unit),
        ),
        Some(_) => {}
    }
}

fn check_measure(
    errors: &mut ValidationErrors,
    field: &str,
    m: &DutyMeasure,
    currency: CurrencyCode,
    unit: Option<&str>,
) {
    let rate_field = format!("{field}.rate");
    match m {
        DutyMeasure::AdValorem { percent } => non_negative(errors, &format!("{field}.percent"), *percent),
        DutyMeasure::Specific { rate } => check_specific(errors, &rate_field, rate, currency, unit),
        DutyMeasure::Compound { percent, rate } => {
            non_negative(errors, &format!("{field}.percent"), *percent);
            check_specific(errors, &rate_field, rate, currency, unit);
        }
        DutyMeasure::Mixed { percent, minimum, maximum } => {
            non_negative(errors, &format!("{field}.percent"), *percent);
            if let Some(r) = minimum {
                check_specific(errors, &format!("{field}.minimum"), r, currency, unit);
            }
            if let Some(r) = maximum {
                check_specific(errors, &format!("{field}.maximum"), r, currency, unit);
            }
            if let (Some(lo), Some(hi)) = (minimum, maximum)
                && lo.per_unit == hi.per_unit
                && lo.amount.amount() > hi.amount.amount()
            {
                errors.push(
                    format!("{field}.minimum"),
                    "minimum_above_maximum",
                    format!("the minimum ({}) is above the maximum ({})", lo.amount, hi.amount),
                );
            }
        }
    }
}

impl ScheduleParts {
    fn check(&self, errors: &mut ValidationErrors) {
        let cur = self.currency;
        required(errors, "name", &self.name);
        required(errors, "edition", &self.edition);
        required_source(errors, "source", &self.source);
        if let Some(t) = &self.tax {
            required(errors, "tax.name", &t.name);
            non_negative(errors, "tax.percent", t.percent);
            required_source(errors, "tax.source", &t.source);
        }
        let dm = &self.de_minimis;
        for (f, v) in [("de_minimis.duty", dm.duty), ("de_minimis.tax", dm.tax)] {
            if let Some(v) = v {
                non_negative(errors, f, v);
            }
        }
        if (dm.duty.is_some() || dm.tax.is_some()) && dm.source.trim().is_empty() {
            required_source(errors, "de_minimis.source", &dm.source);
        }
        for (i, a) in self.agreements.iter().enumerate() {
            let f = format!("agreement[{}]", if a.code.is_empty() { i.to_string() } else { a.code.clone() });
            required(errors, &format!("{f}.code"), &a.code);
            required(errors, &format!("{f}.name"), &a.name);
            required_source(errors, &format!("{f}.source"), &a.source);
            if a.partners.is_empty() {
                errors.push(format!("{f}.partners"), "required", "name the partner economies whose goods may claim it");
            }
            if self.agreements[..i].iter().any(|b| b.code == a.code) {
                errors.push(format!("{f}.code"), "duplicate", format!("agreement {} is declared twice", a.code));
            }
        }
        for (i, l) in self.lines.iter().enumerate() {
            let f = format!("line[{}]", l.hs);
            if l.hs.level() == HsLevel::Chapter {
                errors.push(
                    format!("{f}.hs"),
                    "not_a_heading",
                    "a tariff line is a 4-digit heading or 6-digit subheading",
                );
            }
            required(errors, &format!("{f}.description"), &l.description);
            required_source(errors, &format!("{f}.source"), &l.source);
            if let Some(u) = &l.unit
                && !is_unit_code(u)
            {
                errors.push(
                    format!("{f}.unit"),
                    "invalid_unit",
                    format!("'{u}' is not a UN/ECE Rec 20 unit code (for example KGM, LTR, H87)"),
                );
            }
            if let (Some(from), Some(to)) = (l.valid_from, l.valid_to)
                && from > to
            {
                errors.push(
                    format!("{f}.valid_to"),
                    "ends_before_start",
                    format!("the line ends ({to}) before it starts ({from})"),
                );
            }
            let unit = l.unit.as_deref();
            check_measure(errors, &format!("{f}.mfn"), &l.mfn, cur, unit);
            for (j, p) in l.preferences.iter().enumerate() {
                let pf = format!("{f}.preferences[{}]", p.agreement);
                if !self.agreements.iter().any(|a| a.code == p.agreement) {
                    errors.push(
                        format!("{pf}.agreement"),
                        "unknown_agreement",
                        format!("agreement '{}' is not declared; add an [[agreement]] with that code", p.agreement),
                    );
                }
                if l.preferences[..j].iter().any(|q| q.agreement == p.agreement) {
                    errors.push(
                        format!("{pf}.agreement"),
                        "duplicate",
                        format!("the line has two rates under {}", p.agreement),
                    );
                }
                check_measure(errors, &format!("{pf}.measure"), &p.measure, cur, unit);
                required_source(errors, &format!("{pf}.source"), &p.source);
            }
            if let Some(x) = &l.excise {
                required(errors, &format!("{f}.excise.name"), &x.name);
                check_measure(errors, &format!("{f}.excise.measure"), &x.measure, cur, unit);
                required_source(errors, &format!("{f}.excise.source"), &x.source);
            }
            if let Some(other) = self.lines[..i].iter().find(|o| o.hs == l.hs && o.overlaps(l)) {
                errors.push(
                    format!("{f}.valid_from"),
                    "overlapping_line",
                    format!(
                        "{} appears twice for overlapping periods ({} and {}); end one before the other starts",
                        l.hs,
                        period(other.valid_from, other.valid_to),
                        period(l.valid_from, l.valid_to)
                    ),
                );
            }
        }
        for (i, fee) in self.fees.iter().enumerate() {
            let f = format!("fee[{i}]");
            required(errors, &format!("{f}.name"), &fee.name);
            check_measure(errors, &format!("{f}.measure"), &fee.measure, cur, Some(PER_ENTRY_UNIT));
            if let Some(a) = fee.applies_above {
                non_negative(errors, &format!("{f}.applies_above"), a);
            }
            required_source(errors, &format!("{f}.source"), &fee.source);
        }
    }
}

/// A period in words, for messages.
pub(crate) fn period(from: Option<Date>, to: Option<Date>) -> String {
    match (from, to) {
        (None, None) => "always".into(),
        (Some(f), None) => format!("from {f}"),
        (None, Some(t)) => format!("until {t}"),
        (Some(f), Some(t)) => format!("from {f} to {t}"),
    }
}

/// Why no line or rate applies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TariffError {
    #[error("{hs} is a chapter or heading; declare the goods at the 6-digit subheading")]
    NotASubheading { hs: HsCode },
    #[error("{hs} is not in the tariff of {economy}; check the code or classify the goods")]
    UnknownHsCode { hs: HsCode, economy: CountryCode },
    #[error("{hs} is in the tariff only {}, not on {date}; use the rate in force on the declaration date", period(*.valid_from, *.valid_to))]
    NotValidOn { hs: HsCode, date: Date, valid_from: Option<Date>, valid_to: Option<Date> },
    #[error("{economy} applies no agreement called '{agreement}'; claim one it applies or pay the MFN rate")]
    UnknownAgreement { agreement: String, economy: CountryCode },
    #[error("{origin} is not a partner of {agreement}; goods originating there pay the MFN rate")]
    NotAPartner { agreement: String, origin: CountryCode },
    #[error("{hs} has no preferential rate under {agreement}; the MFN rate applies")]
    NoPreferentialRate { hs: HsCode, agreement: String },
    #[error(
        "the proof of origin certifies {proof} origin but the goods are declared as originating in {goods}; correct the origin or the proof"
    )]
    ProofOriginMismatch { proof: CountryCode, goods: CountryCode },
    #[error(
        "proof of origin {certificate_number} is valid from {issued_on} to {valid_until}, not on {date}; obtain a proof valid on the import date"
    )]
    ProofNotValidOn { certificate_number: String, issued_on: Date, valid_until: Date, date: Date },
    #[error("the proof of origin has no certificate or statement number; give the number printed on it")]
    MissingCertificateNumber,
}

impl CodedError for TariffError {
    fn code(&self) -> &'static str {
        match self {
            TariffError::NotASubheading { .. } => "hs_not_a_subheading",
            TariffError::UnknownHsCode { .. } => "hs_not_in_tariff",
            TariffError::NotValidOn { .. } => "tariff_line_not_in_force",
            TariffError::UnknownAgreement { .. } => "unknown_agreement",
            TariffError::NotAPartner { .. } => "origin_not_a_partner",
            TariffError::NoPreferentialRate { .. } => "no_preferential_rate",
            TariffError::ProofOriginMismatch { .. } => "proof_origin_mismatch",
            TariffError::ProofNotValidOn { .. } => "proof_not_valid_on_date",
            TariffError::MissingCertificateNumber => "proof_number_missing",
        }
    }
}

/// A certificate of origin or origin statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofOfOrigin {
    pub certificate_number: String,
    #[serde(with = "iso_date")]
    pub issued_on: Date,
    #[serde(with = "iso_date")]
    pub valid_until: Date,
    pub origin: CountryCode,
}

/// A claim to an agreement's preferential rate; it cannot be made without a proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreferenceClaim {
    pub agreement: String,
    pub proof: ProofOfOrigin,
}

/// Why a rate applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "basis", rename_all = "snake_case")]
pub enum RateBasis {
    Mfn,
    Preferential { agreement: String, certificate_number: String },
}

/// The rate chosen for a line, with where it is published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedRate {
    pub measure: DutyMeasure,
    pub basis: RateBasis,
    pub source: String,
}

impl TariffSchedule {
    /// Parses and validates a `tradewind-tariff/1` TOML file; every problem is reported at
    /// once, naming the line (HS code) and field.
    pub fn parse_toml(text: &str) -> Result<TariffSchedule, TariffFileError> {
        let raw: raw::Schedule = toml::from_str(text).map_err(|e| TariffFileError::Syntax(e.to_string()))?;
        let parts = raw.into_parts()?;
        TariffSchedule::try_from(parts)
    }

    pub fn economy(&self) -> CountryCode {
        self.economy
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn currency(&self) -> CurrencyCode {
        self.currency
    }
    pub fn valuation(&self) -> ValuationBasis {
        self.valuation
    }
    pub fn edition(&self) -> &str {
        &self.edition
    }
    pub fn source(&self) -> &str {
        &self.source
    }
    pub fn tax(&self) -> Option<&ImportTax> {
        self.tax.as_ref()
    }
    pub fn de_minimis(&self) -> &DeMinimis {
        &self.de_minimis
    }
    pub fn agreements(&self) -> &[TradeAgreement] {
        &self.agreements
    }
    /// Every line, sorted by HS code then start date.
    pub fn lines(&self) -> &[TariffLine] {
        &self.lines
    }
    pub fn fees(&self) -> &[EntryFee] {
        &self.fees
    }

    /// The lines for exactly `hs` (all periods): a binary search over the sorted lines.
    fn lines_for(&self, hs: &str) -> &[TariffLine] {
        let start = self.lines.partition_point(|l| l.hs.as_str() < hs);
        let rest = &self.lines[start..];
        // A code has a handful of periods at most: walking them beats a second search.
        &rest[..rest.iter().take_while(|l| l.hs.as_str() == hs).count()]
    }

    /// The line for a declared 6-digit subheading on a date: its own line in force, else its
    /// heading's line in force.
    pub fn line(&self, hs: &HsCode, on: Date) -> Result<&TariffLine, TariffError> {
        if hs.level() != HsLevel::Subheading {
            return Err(TariffError::NotASubheading { hs: hs.clone() });
        }
        let own = self.lines_for(hs.as_str());
        if let Some(l) = own.iter().find(|l| l.is_valid_on(on)) {
            return Ok(l);
        }
        // The heading is searched only when the subheading has no line in force.
        let heading = self.lines_for(&hs.as_str()[..4]);
        if let Some(l) = heading.iter().find(|l| l.is_valid_on(on)) {
            return Ok(l);
        }
        let known = if own.is_empty() { heading } else { own };
        // The nearest period: the last that started on or before the date, else the first.
        let nearest = known.iter().rev().find(|l| l.valid_from.is_none_or(|f| f <= on)).or(known.first());
        match nearest {
            None => Err(TariffError::UnknownHsCode { hs: hs.clone(), economy: self.economy }),
            Some(l) => Err(TariffError::NotValidOn {
                hs: l.hs.clone(),
                date: on,
                valid_from: l.valid_from,
                valid_to: l.valid_to,
            }),
        }
    }

    /// The rate for goods of `origin` under `line`: MFN without a claim; with a claim, the
    /// agreement's rate only when every condition holds (otherwise the refusal says why).
    pub fn rate_for(
        &self,
        line: &TariffLine,
        origin: CountryCode,
        claim: Option<&PreferenceClaim>,
        on: Date,
    ) -> Result<AppliedRate, TariffError> {
        let Some(claim) = claim else {
            return Ok(AppliedRate { measure: line.mfn.clone(), basis: RateBasis::Mfn, source: line.source.clone() });
        };
        let agreement = self.agreements.iter().find(|a| a.code == claim.agreement).ok_or_else(|| {
            TariffError::UnknownAgreement { agreement: claim.agreement.clone(), economy: self.economy }
        })?;
        if !agreement.partners.contains(&origin) {
            return Err(TariffError::NotAPartner { agreement: agreement.code.clone(), origin });
        }
        let rate = line.preferences.iter().find(|p| p.agreement == agreement.code).ok_or_else(|| {
            TariffError::NoPreferentialRate { hs: line.hs.clone(), agreement: agreement.code.clone() }
        })?;
        let proof = &claim.proof;
        if proof.certificate_number.trim().is_empty() {
            return Err(TariffError::MissingCertificateNumber);
        }
        if proof.origin != origin {
            return Err(TariffError::ProofOriginMismatch { proof: proof.origin, goods: origin });
        }
        if !(proof.issued_on <= on && on <= proof.valid_until) {
            return Err(TariffError::ProofNotValidOn {
                certificate_number: proof.certificate_number.clone(),
                issued_on: proof.issued_on,
                valid_until: proof.valid_until,
                date: on,
            });
        }
        Ok(AppliedRate {
            measure: rate.measure.clone(),
            basis: RateBasis::Preferential {
                agreement: agreement.code.clone(),
                certificate_number: proof.certificate_number.clone(),
            },
            source: rate.source.clone(),
        })
    }

    /// The agreement with this code, if the schedule applies it.
    pub fn agreement(&self, code: &str) -> Option<&TradeAgreement> {
        self.agreements.iter().find(|a| a.code == code)
    }
}

/// The built-in tariff files, by economy.
pub const BUILTIN_FILES: [(&str, &str); 6] = [
    ("AU", include_str!("../../data/tariffs/au.toml")),
    ("DE", include_str!("../../data/tariffs/de.toml")),
    ("GB", include_str!("../../data/tariffs/gb.toml")),
    ("JP", include_str!("../../data/tariffs/jp.toml")),
    ("SG", include_str!("../../data/tariffs/sg.toml")),
    ("US", include_str!("../../data/tariffs/us.toml")),
];

/// The schedules shipped with tradewind. A file that fails validation is left out (the test
/// suite parses every one, so a release never ships one that fails).
pub fn builtin_schedules() -> Vec<TariffSchedule> {
    BUILTIN_FILES.iter().filter_map(|(_, text)| TariffSchedule::parse_toml(text).ok()).collect()
}

/// The file's own shape: every number, code and date a string, checked field by field so an
/// error names where it is.
mod raw {
    use super::*;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct Schedule {
        #[serde(default)]
        format: String,
        #[serde(default)]
        economy: String,
        #[serde(default)]
        name: String,
        #[serde(default)]
        currency: String,
        #[serde(default)]
        valuation: String,
        #[serde(default)]
        edition: String,
        #[serde(default)]
        source: String,
        tax: Option<Tax>,
        de_minimis: Option<DeMinimisRaw>,
        #[serde(default)]
        agreement: Vec<Agreement>,
        #[serde(default)]
        line: Vec<Line>,
        #[serde(default)]
        fee: Vec<Fee>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Tax {
        #[serde(default)]
        name: String,
        #[serde(default)]
        percent: String,
        #[serde(default)]
        base: String,
        #[serde(default)]
        source: String,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct DeMinimisRaw {
        duty: Option<String>,
        tax: Option<String>,
        #[serde(default)]
        source: String,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Agreement {
        #[serde(default)]
        code: String,
        #[serde(default)]
        name: String,
        #[serde(default)]
        partners: Vec<String>,
        #[serde(default)]
        source: String,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Line {
        #[serde(default)]
        hs: String,
        #[serde(default)]
        description: String,
        unit: Option<String>,
        valid_from: Option<String>,
        valid_to: Option<String>,
        mfn: Option<Measure>,
        #[serde(default)]
        source: String,
        #[serde(default)]
        preferences: Vec<Preference>,
        excise: Option<ExciseRaw>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Preference {
        #[serde(default)]
        agreement: String,
        measure: Option<Measure>,
        #[serde(default)]
        source: String,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct ExciseRaw {
        #[serde(default)]
        name: String,
        measure: Option<Measure>,
        #[serde(default)]
        source: String,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Fee {
        #[serde(default)]
        name: String,
        measure: Option<Measure>,
        applies_above: Option<String>,
        #[serde(default)]
        source: String,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Measure {
        #[serde(rename = "type", default)]
        kind: String,
        percent: Option<String>,
        rate: Option<Specific>,
        minimum: Option<Specific>,
        maximum: Option<Specific>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Specific {
        amount: MoneyRaw,
        #[serde(default)]
        per_unit: String,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct MoneyRaw {
        #[serde(default)]
        amount: String,
        #[serde(default)]
        currency: String,
    }

    fn code<T: FromStr>(errors: &mut ValidationErrors, field: &str, value: &str) -> Option<T>
    where
        T::Err: CodedError,
    {
        errors.check(field, value.parse::<T>())
    }

    fn decimal(errors: &mut ValidationErrors, field: &str, value: &str) -> Option<Decimal> {
        // Only plain decimals: no exponents, so "1e3" is not silently a thousand.
        let ok = !value.trim().is_empty() && value.trim().chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-');
        match Decimal::from_str(value.trim()) {
            Ok(d) if ok => Some(d),
            _ => {
                errors.push(
                    field,
                    "invalid_decimal",
                    format!("'{value}' is not a decimal number; write it as a string such as \"12\" or \"0.35\""),
                );
                None
            }
        }
    }

    fn date(errors: &mut ValidationErrors, field: &str, value: Option<&str>) -> Option<Option<Date>> {
        match value {
            None => Some(None),
            Some(v) => crate::validation::iso_date(errors, field, v).map(Some),
        }
    }

    fn specific(errors: &mut ValidationErrors, field: &str, s: &Specific) -> Option<SpecificRate> {
        let amount = decimal(errors, &format!("{field}.amount.amount"), &s.amount.amount);
        let currency: Option<CurrencyCode> = code(errors, &format!("{field}.amount.currency"), &s.amount.currency);
        let unit = s.per_unit.trim();
        if !is_unit_code(unit) {
            errors.push(
                format!("{field}.per_unit"),
                "invalid_unit",
                format!("'{unit}' is not a UN/ECE Rec 20 unit code (for example KGM, LTR, H87)"),
            );
        }
        let (amount, currency) = (amount?, currency?);
        let money = match Money::new(amount, currency) {
            Ok(m) => m,
            Err(e) => {
                errors.push(
                    format!("{field}.amount.amount"),
                    "too_precise",
                    format!(
                        "{e}; state the rate per a larger unit (per TNE instead of per KGM, per HLT instead of per LTR)"
                    ),
                );
                return None;
            }
        };
        is_unit_code(unit).then(|| SpecificRate { amount: money, per_unit: unit.to_string() })
    }

    fn measure(errors: &mut ValidationErrors, field: &str, m: Option<&Measure>) -> Option<DutyMeasure> {
        let Some(m) = m else {
            errors.push(
                field,
                "required",
                format!("{field} is required, for example {{ type = \"ad_valorem\", percent = \"5\" }}"),
            );
            return None;
        };
        let kind = m.kind.as_str();
        let wants = match kind {
            "ad_valorem" => [true, false, false],
            "specific" => [false, true, false],
            "compound" => [true, true, false],
            "mixed" => [true, false, true],
            _ => {
                errors.push(
                    format!("{field}.type"),
                    "unknown_measure",
                    format!("'{kind}' is not a measure type; use ad_valorem, specific, compound or mixed"),
                );
                return None;
            }
        };
        let has = [m.percent.is_some(), m.rate.is_some(), m.minimum.is_some() || m.maximum.is_some()];
        let names = ["percent", "rate", "minimum/maximum"];
        let mut shape_ok = true;
        for i in 0..3 {
            if wants[i] != has[i] {
                shape_ok = false;
                let verb = if wants[i] { "needs" } else { "takes no" };
                errors.push(
                    format!("{field}.{}", names[i]),
                    "measure_shape",
                    format!("a {kind} measure {verb} {}", names[i]),
                );
            }
        }
        if !shape_ok {
            return None;
        }
        let percent = match &m.percent {
            Some(p) => Some(decimal(errors, &format!("{field}.percent"), p)?),
            None => None,
        };
        let rate = m.rate.as_ref().map(|r| specific(errors, &format!("{field}.rate"), r));
        let minimum = m.minimum.as_ref().map(|r| specific(errors, &format!("{field}.minimum"), r));
        let maximum = m.maximum.as_ref().map(|r| specific(errors, &format!("{field}.maximum"), r));
        // A sub-rate that failed has recorded its error; the measure is then left out.
        let rate = match rate {
            Some(r) => Some(r?),
            None => None,
        };
        let minimum = match minimum {
            Some(r) => Some(r?),
            None => None,
        };
        let maximum = match maximum {
            Some(r) => Some(r?),
            None => None,
        };
        Some(match (kind, percent, rate) {
            ("ad_valorem", Some(percent), _) => DutyMeasure::AdValorem { percent },
            ("specific", _, Some(rate)) => DutyMeasure::Specific { rate },
            ("compound", Some(percent), Some(rate)) => DutyMeasure::Compound { percent, rate },
            (_, Some(percent), _) => DutyMeasure::Mixed { percent, minimum, maximum },
            _ => return None,
        })
    }

    impl Schedule {
        pub(super) fn into_parts(self) -> Result<ScheduleParts, TariffFileError> {
            let mut e = ValidationErrors::new();
            if self.format != FORMAT {
                e.push("format", "unknown_format", format!("format must be \"{FORMAT}\" (found \"{}\")", self.format));
            }
            let economy: Option<CountryCode> = code(&mut e, "economy", &self.economy);
            let currency: Option<CurrencyCode> = code(&mut e, "currency", &self.currency);
            let valuation = match self.valuation.as_str() {
                "cif" => Some(ValuationBasis::Cif),
                "fob" => Some(ValuationBasis::Fob),
                v => {
                    e.push(
                        "valuation",
                        "unknown_valuation",
                        format!("valuation must be \"cif\" or \"fob\" (found \"{v}\")"),
                    );
                    None
                }
            };
            let tax = self.tax.map(|t| {
                let percent = decimal(&mut e, "tax.percent", &t.percent);
                let base = match t.base.as_str() {
                    "customs_value" => Some(TaxBase::CustomsValue),
                    "customs_value_plus_duty" => Some(TaxBase::CustomsValuePlusDuty),
                    "customs_value_plus_duty_and_transport" => Some(TaxBase::CustomsValuePlusDutyAndTransport),
                    b => {
                        e.push(
                            "tax.base",
                            "unknown_tax_base",
                            format!(
                                "'{b}' is not a tax base; use customs_value, customs_value_plus_duty or customs_value_plus_duty_and_transport"
                            ),
                        );
                        None
                    }
                };
                Some(ImportTax { name: t.name, percent: percent?, base: base?, source: t.source })
            });
            let de_minimis = match self.de_minimis {
                None => DeMinimis::default(),
                Some(d) => DeMinimis {
                    duty: d.duty.as_deref().and_then(|v| decimal(&mut e, "de_minimis.duty", v)),
                    tax: d.tax.as_deref().and_then(|v| decimal(&mut e, "de_minimis.tax", v)),
                    source: d.source,
                },
            };
            let agreements: Vec<TradeAgreement> = self
                .agreement
                .into_iter()
                .map(|a| {
                    let partners = a
                        .partners
                        .iter()
                        .filter_map(|p| code(&mut e, &format!("agreement[{}].partners", a.code), p))
                        .collect();
                    TradeAgreement { code: a.code, name: a.name, partners, source: a.source }
                })
                .collect();
            let mut lines = Vec::with_capacity(self.line.len());
            for (i, l) in self.line.into_iter().enumerate() {
                let f = if l.hs.is_empty() { format!("line[#{}]", i + 1) } else { format!("line[{}]", l.hs) };
                let hs: Option<HsCode> = code(&mut e, &format!("{f}.hs"), &l.hs);
                let from = date(&mut e, &format!("{f}.valid_from"), l.valid_from.as_deref());
                let to = date(&mut e, &format!("{f}.valid_to"), l.valid_to.as_deref());
                let mfn = measure(&mut e, &format!("{f}.mfn"), l.mfn.as_ref());
                let mut preferences = Vec::with_capacity(l.preferences.len());
                for p in &l.preferences {
                    let pf = format!("{f}.preferences[{}]", p.agreement);
                    if let Some(m) = measure(&mut e, &format!("{pf}.measure"), p.measure.as_ref()) {
                        preferences.push(PreferentialRate {
                            agreement: p.agreement.clone(),
                            measure: m,
                            source: p.source.clone(),
                        });
                    }
                }
                let excise = match &l.excise {
                    None => Some(None),
                    Some(x) => measure(&mut e, &format!("{f}.excise.measure"), x.measure.as_ref())
                        .map(|m| Some(Excise { name: x.name.clone(), measure: m, source: x.source.clone() })),
                };
                if let (Some(hs), Some(valid_from), Some(valid_to), Some(mfn), Some(excise)) =
                    (hs, from, to, mfn, excise)
                {
                    lines.push(TariffLine {
                        hs,
                        description: l.description,
                        unit: l.unit.map(|u| u.trim().to_string()),
                        valid_from,
                        valid_to,
                        mfn,
                        source: l.source,
                        preferences,
                        excise,
                    });
                }
            }
            let mut fees = Vec::with_capacity(self.fee.len());
            for (i, fee) in self.fee.into_iter().enumerate() {
                let f = format!("fee[{i}]");
                let m = measure(&mut e, &format!("{f}.measure"), fee.measure.as_ref());
                let above = match fee.applies_above.as_deref() {
                    None => Some(None),
                    Some(v) => decimal(&mut e, &format!("{f}.applies_above"), v).map(Some),
                };
                if let (Some(measure), Some(applies_above)) = (m, above) {
                    fees.push(EntryFee { name: fee.name, measure, applies_above, source: fee.source });
                }
            }
            // A tax table that failed has recorded its error, so `flatten` loses nothing.
            let tax = tax.flatten();
            match (economy, currency, valuation) {
                _ if !e.is_empty() => Err(TariffFileError::Invalid(e)),
                (Some(economy), Some(currency), Some(valuation)) => Ok(ScheduleParts {
                    economy,
                    name: self.name,
                    currency,
                    valuation,
                    edition: self.edition,
                    source: self.source,
                    tax,
                    de_minimis,
                    agreements,
                    lines,
                    fees,
                }),
                _ => Err(TariffFileError::Invalid(e)),
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A small schedule in the file format, with a line for each measure type.
    pub(crate) const SAMPLE: &str = r#"
format = "tradewind-tariff/1"
economy = "AU"
name = "Australia"
currency = "AUD"
valuation = "fob"
edition = "Test edition"
source = "https://example.test/tariff"

[tax]
name = "GST"
percent = "10"
base = "customs_value_plus_duty_and_transport"
source = "GST Act s 13-20"

[de_minimis]
duty = "1000"
tax = "1000"
source = "Customs Act 1901 s 68"

[[agreement]]
code = "RCEP"
name = "Regional Comprehensive Economic Partnership"
partners = ["CN", "JP", "VN"]
source = "RCEP Art 2.4"

[[line]]
hs = "610910"
description = "T-shirts of cotton"
unit = "H87"
valid_from = "2022-01-01"
valid_to = "2026-12-31"
mfn = { type = "ad_valorem", percent = "5" }
source = "Sch 3, 6109.10.00"
preferences = [
  { agreement = "RCEP", measure = { type = "ad_valorem", percent = "0" }, source = "Sch 10, 6109.10.00" },
]

[[line]]
hs = "6109"
description = "T-shirts of other materials"
mfn = { type = "ad_valorem", percent = "10" }
source = "Sch 3, 6109"

[[line]]
hs = "220421"
description = "Wine in containers of 2 l or less"
unit = "LTR"
mfn = { type = "compound", percent = "5", rate = { amount = { amount = "0.50", currency = "AUD" }, per_unit = "LTR" } }
source = "Sch 3, 2204.21"
excise = { name = "Wine equalisation tax", measure = { type = "ad_valorem", percent = "29" }, source = "WET Act s 5-5" }

[[line]]
hs = "090111"
description = "Coffee, not roasted"
unit = "KGM"
mfn = { type = "specific", rate = { amount = { amount = "0.35", currency = "AUD" }, per_unit = "KGM" } }
source = "Sch 3, 0901.11"

[[line]]
hs = "640399"
description = "Other footwear with leather uppers"
unit = "H87"
mfn = { type = "mixed", percent = "8", minimum = { amount = { amount = "2.00", currency = "AUD" }, per_unit = "H87" }, maximum = { amount = { amount = "5.00", currency = "AUD" }, per_unit = "H87" } }
source = "Sch 3, 6403.99"

[[fee]]
name = "Import processing charge"
measure = { type = "mixed", percent = "0.3464", minimum = { amount = { amount = "31.67", currency = "AUD" }, per_unit = "H87" }, maximum = { amount = { amount = "614.35", currency = "AUD" }, per_unit = "H87" } }
applies_above = "2500"
source = "Customs Regulation 2015"
"#;

    pub(crate) fn sample() -> TariffSchedule {
        TariffSchedule::parse_toml(SAMPLE).expect("sample parses")
    }

    pub(crate) fn day(s: &str) -> Date {
        Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).expect("date")
    }

    fn hs(s: &str) -> HsCode {
        s.parse().expect("hs")
    }

    fn cc(s: &str) -> CountryCode {
        s.parse().expect("country")
    }

    /// The sample with `from` replaced by `to`, and the problems it has.
    fn problems(from: &str, to: &str) -> Vec<(String, &'static str)> {
        assert!(SAMPLE.contains(from), "sample lacks {from}");
        match TariffSchedule::parse_toml(&SAMPLE.replacen(from, to, 1)) {
            Err(TariffFileError::Invalid(v)) => v.0.into_iter().map(|e| (e.field, e.code)).collect(),
            other => panic!("expected field problems, got {other:?}"),
        }
    }

    fn proof(origin: &str, from: &str, until: &str) -> PreferenceClaim {
        PreferenceClaim {
            agreement: "RCEP".into(),
            proof: ProofOfOrigin {
                certificate_number: "RCEP-2026-0001".into(),
                issued_on: day(from),
                valid_until: day(until),
                origin: cc(origin),
            },
        }
    }

    #[test]
    fn the_sample_parses_into_typed_values_sorted_by_code() {
        let s = sample();
        assert_eq!(s.economy(), cc("AU"));
        assert_eq!(s.currency().as_str(), "AUD");
        assert_eq!(s.valuation(), ValuationBasis::Fob);
        assert_eq!(s.tax().map(|t| t.base), Some(TaxBase::CustomsValuePlusDutyAndTransport));
        assert_eq!(s.de_minimis().duty, Some(Decimal::ONE_THOUSAND));
        assert_eq!(s.agreements()[0].partners.len(), 3);
        let codes: Vec<&str> = s.lines().iter().map(|l| l.hs.as_str()).collect();
        assert_eq!(codes, vec!["090111", "220421", "6109", "610910", "640399"]);
        assert_eq!(s.fees()[0].applies_above, Some(Decimal::from(2500)));
        assert!(matches!(s.lines()[1].mfn, DutyMeasure::Compound { .. }));
    }

    #[test]
    fn lookup_prefers_the_subheading_then_the_heading_on_the_date() {
        let s = sample();
        let on = day("2026-03-01");
        assert_eq!(s.line(&hs("610910"), on).map(|l| l.source.as_str()), Ok("Sch 3, 6109.10.00"));
        // 6109.90 has no line of its own: the heading covers it.
        assert_eq!(s.line(&hs("610990"), on).map(|l| l.hs.as_str()), Ok("6109"));
        // After 6109.10's line ends, the open-ended heading line is the one in force.
        assert_eq!(s.line(&hs("610910"), day("2027-01-01")).map(|l| l.hs.as_str()), Ok("6109"));
        assert_eq!(s.line(&hs("850440"), on), Err(TariffError::UnknownHsCode { hs: hs("850440"), economy: cc("AU") }));
        assert_eq!(s.line(&hs("6109"), on), Err(TariffError::NotASubheading { hs: hs("6109") }));
    }

    #[test]
    fn a_line_outside_its_period_says_when_it_is_valid() {
        let text = SAMPLE.replace("hs = \"6109\"\n", "hs = \"6109\"\nvalid_from = \"2025-01-01\"\n");
        let s = TariffSchedule::parse_toml(&text).expect("parses");
        let err = s.line(&hs("610910"), day("2021-06-30")).expect_err("not in force");
        assert_eq!(
            err,
            TariffError::NotValidOn {
                hs: hs("610910"),
                date: day("2021-06-30"),
                valid_from: Some(day("2022-01-01")),
                valid_to: Some(day("2026-12-31"))
            }
        );
        assert!(err.to_string().contains("from 2022-01-01 to 2026-12-31, not on 2021-06-30"), "{err}");
    }

    #[test]
    fn every_field_problem_is_named() {
        let cases: &[(&str, &str, &str, &str)] = &[
            ("format = \"tradewind-tariff/1\"", "format = \"other/2\"", "format", "unknown_format"),
            ("economy = \"AU\"", "economy = \"XX\"", "economy", "unknown_country"),
            ("currency = \"AUD\"", "currency = \"ABC\"", "currency", "unknown_currency"),
            ("valuation = \"fob\"", "valuation = \"cip\"", "valuation", "unknown_valuation"),
            ("base = \"customs_value_plus_duty_and_transport\"", "base = \"gross\"", "tax.base", "unknown_tax_base"),
            ("percent = \"10\"", "percent = \"ten\"", "tax.percent", "invalid_decimal"),
            ("percent = \"10\"", "percent = \"1e1\"", "tax.percent", "invalid_decimal"),
            ("percent = \"10\"", "percent = \"-10\"", "tax.percent", "negative"),
            ("duty = \"1000\"", "duty = \"-1\"", "de_minimis.duty", "negative"),
            ("partners = [\"CN\"", "partners = [\"QQ\"", "agreement[RCEP].partners", "unknown_country"),
            ("hs = \"090111\"", "hs = \"0901111\"", "line[0901111].hs", "invalid_hs_code"),
            ("hs = \"090111\"", "hs = \"09\"", "line[09].hs", "not_a_heading"),
            ("valid_to = \"2026-12-31\"", "valid_to = \"2021-12-31\"", "line[610910].valid_to", "ends_before_start"),
            ("valid_to = \"2026-12-31\"", "valid_to = \"31/12/2026\"", "line[610910].valid_to", "invalid_date"),
            (
                "percent = \"5\" }\nsource = \"Sch 3, 6109.10.00\"",
                "percent = \"-5\" }\nsource = \"Sch 3, 6109.10.00\"",
                "line[610910].mfn.percent",
                "negative",
            ),
            ("source = \"Sch 3, 6109\"", "source = \" \"", "line[6109].source", "source_required"),
            (
                "source = \"Sch 10, 6109.10.00\"",
                "source = \"\"",
                "line[610910].preferences[RCEP].source",
                "source_required",
            ),
            (
                "agreement = \"RCEP\", measure",
                "agreement = \"AANZFTA\", measure",
                "line[610910].preferences[AANZFTA].agreement",
                "unknown_agreement",
            ),
            ("unit = \"KGM\"\n", "", "line[090111].mfn.rate.per_unit", "unit_required"),
            ("unit = \"KGM\"\n", "unit = \"LTR\"\n", "line[090111].mfn.rate.per_unit", "wrong_unit"),
            ("unit = \"KGM\"\n", "unit = \"kilo\"\n", "line[090111].unit", "invalid_unit"),
            (
                "amount = \"0.35\", currency = \"AUD\"",
                "amount = \"0.35\", currency = \"USD\"",
                "line[090111].mfn.rate.amount.currency",
                "wrong_currency",
            ),
            ("amount = \"0.35\"", "amount = \"0.355\"", "line[090111].mfn.rate.amount.amount", "too_precise"),
            ("amount = \"2.00\"", "amount = \"6.00\"", "line[640399].mfn.minimum", "minimum_above_maximum"),
            ("type = \"specific\"", "type = \"per_kilo\"", "line[090111].mfn.type", "unknown_measure"),
            ("type = \"specific\"", "type = \"ad_valorem\"", "line[090111].mfn.percent", "measure_shape"),
            ("applies_above = \"2500\"", "applies_above = \"lots\"", "fee[0].applies_above", "invalid_decimal"),
            ("source = \"Customs Regulation 2015\"", "source = \"\"", "fee[0].source", "source_required"),
            ("edition = \"Test edition\"", "edition = \"\"", "edition", "required"),
        ];
        for (from, to, field, code) in cases {
            let found = problems(from, to);
            assert!(
                found.iter().any(|(f, c)| f == field && c == code),
                "{from} → {to}: expected {field} {code}, got {found:?}"
            );
        }
    }

    #[test]
    fn overlapping_duplicate_lines_are_refused_but_consecutive_ones_are_not() {
        let extra = |from: &str, to: &str| {
            format!(
                "{SAMPLE}\n[[line]]\nhs = \"610910\"\ndescription = \"T-shirts\"\nvalid_from = \"{from}\"\nvalid_to = \"{to}\"\nmfn = {{ type = \"ad_valorem\", percent = \"4\" }}\nsource = \"Sch 3 (2027)\"\n"
            )
        };
        let Err(TariffFileError::Invalid(v)) = TariffSchedule::parse_toml(&extra("2026-12-31", "2027-12-31")) else {
            panic!("overlap accepted")
        };
        assert_eq!(v.0[0].field, "line[610910].valid_from");
        assert_eq!(v.0[0].code, "overlapping_line");
        assert!(v.0[0].message.contains("from 2022-01-01 to 2026-12-31"), "{}", v.0[0].message);
        let s = TariffSchedule::parse_toml(&extra("2027-01-01", "2027-12-31")).expect("consecutive periods");
        let l = s.line(&hs("610910"), day("2027-06-01")).expect("line");
        assert_eq!(l.source, "Sch 3 (2027)");
    }

    #[test]
    fn floats_and_unknown_fields_are_syntax_errors_with_the_place() {
        let e = TariffSchedule::parse_toml(&SAMPLE.replace("percent = \"10\"", "percent = 10.0")).expect_err("float");
        assert!(matches!(&e, TariffFileError::Syntax(m) if m.contains("line 12")), "{e}");
        let e = TariffSchedule::parse_toml(&SAMPLE.replace("name = \"Australia\"", "nmae = \"Australia\""));
        assert!(matches!(e, Err(TariffFileError::Syntax(m)) if m.contains("nmae")));
        let e = TariffSchedule::parse_toml("not toml [").expect_err("syntax");
        assert_eq!(e.code(), "tariff_file_syntax");
    }

    #[test]
    fn json_round_trips_and_deserializing_validates() {
        let s = sample();
        let json = serde_json::to_value(&s).expect("json");
        assert_eq!(json["lines"][3]["valid_from"], "2022-01-01");
        assert_eq!(json["tax"]["percent"], "10");
        let back: TariffSchedule = serde_json::from_value(json.clone()).expect("back");
        assert_eq!(back, s);
        let mut bad = json;
        bad["lines"][0]["mfn"]["rate"]["amount"]["currency"] = "USD".into();
        let err = serde_json::from_value::<TariffSchedule>(bad).expect_err("validated");
        assert!(err.to_string().contains("line[090111].mfn.rate.amount.currency"), "{err}");
    }

    #[test]
    fn mfn_without_a_claim_and_the_preference_with_a_valid_proof() {
        let s = sample();
        let on = day("2026-03-01");
        let line = s.line(&hs("610910"), on).expect("line");
        let mfn = s.rate_for(line, cc("VN"), None, on).expect("mfn");
        assert_eq!(mfn.basis, RateBasis::Mfn);
        assert_eq!(mfn.measure, DutyMeasure::AdValorem { percent: Decimal::from(5) });
        let claim = proof("VN", "2026-01-15", "2027-01-14");
        let pref = s.rate_for(line, cc("VN"), Some(&claim), on).expect("preference");
        assert_eq!(pref.measure, DutyMeasure::AdValorem { percent: Decimal::ZERO });
        assert_eq!(
            pref.basis,
            RateBasis::Preferential { agreement: "RCEP".into(), certificate_number: "RCEP-2026-0001".into() }
        );
        assert_eq!(pref.source, "Sch 10, 6109.10.00");
    }

    #[test]
    fn every_refused_claim_says_why() {
        let s = sample();
        let on = day("2026-03-01");
        let line = s.line(&hs("610910"), on).expect("line");
        let heading = s.line(&hs("610990"), on).expect("heading");
        let good = proof("VN", "2026-01-15", "2027-01-14");
        let mut unknown = good.clone();
        unknown.agreement = "CPTPP".into();
        assert!(matches!(s.rate_for(line, cc("VN"), Some(&unknown), on), Err(TariffError::UnknownAgreement { .. })));
        assert!(matches!(
            s.rate_for(line, cc("US"), Some(&proof("US", "2026-01-15", "2027-01-14")), on),
            Err(TariffError::NotAPartner { .. })
        ));
        assert!(matches!(s.rate_for(heading, cc("VN"), Some(&good), on), Err(TariffError::NoPreferentialRate { .. })));
        assert_eq!(
            s.rate_for(line, cc("VN"), Some(&proof("CN", "2026-01-15", "2027-01-14")), on),
            Err(TariffError::ProofOriginMismatch { proof: cc("CN"), goods: cc("VN") })
        );
        let expired = s.rate_for(line, cc("VN"), Some(&proof("VN", "2024-01-01", "2025-01-01")), on);
        assert!(matches!(&expired, Err(TariffError::ProofNotValidOn { .. })));
        assert!(expired.expect_err("e").to_string().contains("valid from 2024-01-01 to 2025-01-01, not on 2026-03-01"));
        let early = s.rate_for(line, cc("VN"), Some(&proof("VN", "2026-03-02", "2027-01-01")), on);
        assert!(matches!(early, Err(TariffError::ProofNotValidOn { .. })));
        let mut blank = good;
        blank.proof.certificate_number = " ".into();
        assert_eq!(s.rate_for(line, cc("VN"), Some(&blank), on), Err(TariffError::MissingCertificateNumber));
    }

    #[test]
    fn every_builtin_file_parses_with_sources_on_every_rate() {
        // Every file's problems at once, so one run shows them all.
        let mut problems = Vec::new();
        for (economy, text) in BUILTIN_FILES {
            let s = match TariffSchedule::parse_toml(text) {
                Ok(s) => s,
                Err(e) => {
                    problems.push(format!("{economy}: {e}"));
                    continue;
                }
            };
            if s.economy().as_str() != economy {
                problems.push(format!("{economy}: the file says economy {}", s.economy()));
            }
            if s.lines().len() < 58 {
                problems.push(format!("{economy}: {} lines, at least 58 expected", s.lines().len()));
            }
            if s.tax().is_none() && economy != "US" {
                problems.push(format!("{economy}: no import tax"));
            }
            // Parsing already refuses an empty source; this guards the built-ins independently.
            for l in s.lines() {
                if l.source.trim().is_empty() || l.preferences.iter().any(|p| p.source.trim().is_empty()) {
                    problems.push(format!("{economy}: line {} lacks a source", l.hs));
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
        assert_eq!(builtin_schedules().len(), 6);
    }

    proptest! {
        #[test]
        fn a_preference_is_never_applied_without_a_proof_valid_on_the_date(
            origin in prop::sample::select(vec!["VN", "CN", "JP", "US", "DE"]),
            proof_origin in prop::sample::select(vec!["VN", "CN", "JP", "US"]),
            agreement in prop::sample::select(vec!["RCEP", "CPTPP"]),
            issued in 0i64..1500, length in -30i64..800, on in 0i64..1500, number in "[A-Z0-9 ]{0,6}",
            claimed in any::<bool>(),
        ) {
            let s = sample();
            let base = day("2023-01-01");
            let on = base + time::Duration::days(on);
            let claim = PreferenceClaim {
                agreement: agreement.into(),
                proof: ProofOfOrigin {
                    certificate_number: number,
                    issued_on: base + time::Duration::days(issued),
                    valid_until: base + time::Duration::days(issued + length),
                    origin: cc(proof_origin),
                },
            };
            let line = &s.lines()[3];
            let r = s.rate_for(line, cc(origin), claimed.then_some(&claim), on);
            if let Ok(AppliedRate { basis: RateBasis::Preferential { .. }, .. }) = &r {
                let p = &claim.proof;
                prop_assert!(claimed);
                prop_assert!(p.issued_on <= on && on <= p.valid_until);
                prop_assert!(p.origin == cc(origin) && !p.certificate_number.trim().is_empty());
                prop_assert!(s.agreement(&claim.agreement).is_some_and(|a| a.partners.contains(&cc(origin))));
            }
            if !claimed {
                prop_assert_eq!(r.map(|a| a.basis), Ok(RateBasis::Mfn));
            }
        }

        #[test]
        fn the_parser_never_panics_on_edited_files(cut in 0usize..2000, junk in "\\PC{0,8}") {
            let mut text: String = SAMPLE.chars().take(cut).collect();
            text.push_str(&junk);
            let _ = TariffSchedule::parse_toml(&text);
        }
    }
}
