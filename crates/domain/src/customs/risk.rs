//! Risk selectivity: which lane a declaration goes to. Targeting rules fire on the goods or on
//! the trader; a random sample adds a share of declarations that no rule would pick, so that
//! compliant traders are also checked now and then. The sample is drawn from a hash of the
//! profile's seed and the declaration number, so the same profile and number always give the
//! same lane, whatever order declarations arrive in, and a selection can be re-derived later.

use crate::codes::{CountryCode, HsCode};
use crate::customs::clearance::Lane;
use crate::money::Money;
use crate::validation::ValidationErrors;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The random share of declarations sent to the red and yellow lanes, per 10 000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sampling {
    pub red_per_10000: u32,
    pub yellow_per_10000: u32,
}

/// What a rule looks at.
///
/// Conditions on the goods (`HsPrefix`, `Origin`, `UnitValueBelowReference`) are tested item
/// by item, and a rule containing any of them fires per matching item; `ValueAbove` then means
/// the item's value. A rule with only trader conditions, or `ValueAbove` alone, is tested once
/// on the declaration, where `ValueAbove` means the total of the items in that currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskCondition {
    /// The item's HS code starts with these digits.
    HsPrefix(String),
    /// The item originates in this country.
    Origin(CountryCode),
    /// The trader's compliance score (0 to 100) is below this.
    TraderComplianceBelow(u8),
    /// The trader has lodged at most this many declarations before.
    NewTrader { max_prior_declarations: u32 },
    /// The declared value per unit is more than `tolerance_percent` below the reference price.
    /// Only items in the reference's currency and unit are compared; others never fire, since
    /// a conversion at an assumed rate would make the rule fire or not by accident.
    UnitValueBelowReference { hs_prefix: String, reference_per_unit: Money, unit: String, tolerance_percent: Decimal },
    /// The value is above this amount (same currency only).
    ValueAbove(Money),
    /// Every condition holds.
    All(Vec<RiskCondition>),
}

impl RiskCondition {
    fn on_goods(&self) -> bool {
        match self {
            RiskCondition::HsPrefix(_) | RiskCondition::Origin(_) | RiskCondition::UnitValueBelowReference { .. } => {
                true
            }
            RiskCondition::All(cs) => cs.iter().any(RiskCondition::on_goods),
            _ => false,
        }
    }

    /// Tests the condition; `item` is `None` for a declaration-level test.
    fn holds(&self, input: &RiskInput, item: Option<&RiskItem>) -> bool {
        match self {
            RiskCondition::HsPrefix(p) => item.is_some_and(|i| i.hs.as_str().starts_with(p.as_str())),
            RiskCondition::Origin(c) => item.is_some_and(|i| i.origin == *c),
            RiskCondition::TraderComplianceBelow(s) => input.trader_compliance < *s,
            RiskCondition::NewTrader { max_prior_declarations } => {
                input.trader_prior_declarations <= *max_prior_declarations
            }
            RiskCondition::UnitValueBelowReference { hs_prefix, reference_per_unit, unit, tolerance_percent } => {
                item.is_some_and(|i| undervalued(i, hs_prefix, reference_per_unit, unit, *tolerance_percent))
            }
            RiskCondition::ValueAbove(limit) => match item {
                Some(i) => i.value.currency() == limit.currency() && i.value.amount() > limit.amount(),
                None => {
                    let total: Decimal = input
                        .items
                        .iter()
                        .filter(|i| i.value.currency() == limit.currency())
                        .map(|i| i.value.amount())
                        .fold(Decimal::ZERO, |a, b| a.saturating_add(b));
                    total > limit.amount()
                }
            },
            RiskCondition::All(cs) => cs.iter().all(|c| c.holds(input, item)),
        }
    }

    fn check(&self, field: &str, errors: &mut ValidationErrors) {
        match self {
            RiskCondition::HsPrefix(p) => check_prefix(p, &format!("{field}.hs_prefix"), errors),
            RiskCondition::TraderComplianceBelow(s) if *s > 100 => errors.push(
                format!("{field}.trader_compliance_below"),
                "score_out_of_range",
                "a compliance score runs from 0 to 100",
            ),
            RiskCondition::UnitValueBelowReference { hs_prefix, reference_per_unit, unit, tolerance_percent } => {
                check_prefix(hs_prefix, &format!("{field}.hs_prefix"), errors);
                if reference_per_unit.amount() <= Decimal::ZERO {
                    errors.push(
                        format!("{field}.reference_per_unit"),
                        "not_positive",
                        "the reference price per unit must be above zero",
                    );
                }
                if unit.trim().is_empty() {
                    errors.push(format!("{field}.unit"), "required", "name the unit the reference price is per");
                }
                if *tolerance_percent < Decimal::ZERO || *tolerance_percent >= Decimal::ONE_HUNDRED {
                    errors.push(
                        format!("{field}.tolerance_percent"),
                        "out_of_range",
                        "the tolerance is a percentage from 0 up to (not including) 100",
                    );
                }
            }
            RiskCondition::All(cs) => {
                if cs.is_empty() {
                    errors.push(format!("{field}.all"), "empty", "`all` needs at least one condition");
                }
                for (n, c) in cs.iter().enumerate() {
                    c.check(&format!("{field}.all[{n}]"), errors);
                }
            }
            _ => {}
        }
    }
}

fn check_prefix(p: &str, field: &str, errors: &mut ValidationErrors) {
    if p.is_empty() || p.len() > 6 || !p.chars().all(|c| c.is_ascii_digit()) {
        errors.push(field, "invalid_hs_prefix", format!("`{p}` is not an HS prefix: give 1 to 6 digits, no dots"));
    }
}

fn undervalued(item: &RiskItem, hs_prefix: &str, reference: &Money, unit: &str, tolerance_percent: Decimal) -> bool {
    if !item.hs.as_str().starts_with(hs_prefix)
        || item.unit != unit
        || item.value.currency() != reference.currency()
        || item.quantity <= Decimal::ZERO
    {
        return false;
    }
    // value / quantity < reference × (1 − tolerance/100), multiplied out to avoid a division.
    let floor = reference.amount() * (Decimal::ONE_HUNDRED - tolerance_percent) / Decimal::ONE_HUNDRED;
    match floor.checked_mul(item.quantity) {
        Some(threshold) => item.value.amount() < threshold,
        None => false,
    }
}

/// One targeting rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskRule {
    pub id: String,
    pub description: String,
    pub lane: Lane,
    pub condition: RiskCondition,
}

/// The rules and sampling rates in force, with the seed of the random sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskProfile {
    pub seed: u64,
    pub rules: Vec<RiskRule>,
    pub sampling: Sampling,
}

/// Why a risk profile cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RiskProfileError {
    #[error("the risk rules file is not valid TOML for a profile: {0}")]
    Toml(String),
    #[error("the risk profile has problems: {}", .0.0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
    Invalid(ValidationErrors),
}

impl RiskProfile {
    /// Reads a profile from TOML, e.g.
    ///
    /// ```toml
    /// seed = 7
    /// sampling = { red_per_10000 = 200, yellow_per_10000 = 500 }
    /// [[rules]]
    /// id = "tobacco"
    /// description = "Tobacco: excise goods"
    /// lane = "yellow"
    /// condition = { hs_prefix = "24" }
    /// ```
    pub fn parse_toml(text: &str) -> Result<RiskProfile, RiskProfileError> {
        let profile: RiskProfile = toml::from_str(text).map_err(|e| RiskProfileError::Toml(e.to_string()))?;
        profile.validate().map_err(RiskProfileError::Invalid)?;
        Ok(profile)
    }

    /// Every problem with the profile at once: ids present and unique, conditions well
    /// formed, sampling rates within 10 000 together.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        for (n, rule) in self.rules.iter().enumerate() {
            let field = format!("rules[{n}]");
            if rule.id.trim().is_empty() {
                errors.push(format!("{field}.id"), "required", "every rule needs an id");
            } else if self.rules[..n].iter().any(|r| r.id == rule.id) {
                errors.push(format!("{field}.id"), "duplicate", format!("the id `{}` is used twice", rule.id));
            }
            rule.condition.check(&format!("{field}.condition"), &mut errors);
        }
        let s = self.sampling;
        if s.red_per_10000 > 10_000 {
            errors.push("sampling.red_per_10000", "out_of_range", "a rate per 10 000 cannot exceed 10 000");
        }
        if s.yellow_per_10000 > 10_000 {
            errors.push("sampling.yellow_per_10000", "out_of_range", "a rate per 10 000 cannot exceed 10 000");
        }
        if s.red_per_10000.saturating_add(s.yellow_per_10000) > 10_000 {
            errors.push("sampling", "out_of_range", "the red and yellow rates together cannot exceed 10 000");
        }
        errors.into_result(())
    }

    /// A starting profile: excise goods and new or poorly compliant traders to the yellow lane,
    /// a known illegal-timber pattern and heavy undervaluation to the red lane, and a random
    /// 2 % red and 5 % yellow sample.
    pub fn default_profile() -> RiskProfile {
        let rule = |id: &str, description: &str, lane: Lane, condition: RiskCondition| RiskRule {
            id: id.to_string(),
            description: description.to_string(),
            lane,
            condition,
        };
        let prefix = |p: &str| RiskCondition::HsPrefix(p.to_string());
        RiskProfile {
            seed: 0x7472_6164_6577_696e,
            rules: vec![
                rule(
                    "tobacco",
                    "Tobacco and manufactured substitutes (chapter 24): excise goods",
                    Lane::Yellow,
                    prefix("24"),
                ),
                rule("beer", "Beer made from malt (2203): excise goods", Lane::Yellow, prefix("2203")),
                rule("wine", "Wine of fresh grapes (2204): excise goods", Lane::Yellow, prefix("2204")),
                rule("spirits", "Spirits and liqueurs (2208): excise goods", Lane::Yellow, prefix("2208")),
                rule(
                    "timber-myanmar",
                    "Rough timber (4403) from Myanmar: legality of harvest has to be shown",
                    Lane::Red,
                    RiskCondition::All(vec![prefix("4403"), RiskCondition::Origin(myanmar())]),
                ),
                rule(
                    "low-compliance",
                    "Trader compliance score below 50",
                    Lane::Yellow,
                    RiskCondition::TraderComplianceBelow(50),
                ),
                rule(
                    "new-trader",
                    "Trader with three or fewer earlier declarations",
                    Lane::Yellow,
                    RiskCondition::NewTrader { max_prior_declarations: 3 },
                ),
                rule(
                    "smartphone-undervaluation",
                    "Smartphones (8517.13) declared more than 30 % below the reference price of USD 150 a piece",
                    Lane::Red,
                    RiskCondition::UnitValueBelowReference {
                        hs_prefix: "851713".to_string(),
                        reference_per_unit: Money::from_minor_units(15_000, usd_code()),
                        unit: "H87".to_string(),
                        tolerance_percent: Decimal::from(30),
                    },
                ),
            ],
            sampling: Sampling { red_per_10000: 200, yellow_per_10000: 500 },
        }
    }
}

fn myanmar() -> CountryCode {
    // "MM" is an assigned ISO 3166-1 code; the fallback is unreachable.
    "MM".parse().unwrap_or_else(|_| CountryCode::all()[0])
}

fn usd_code() -> crate::codes::CurrencyCode {
    "USD".parse().unwrap_or_else(|_| crate::codes::CurrencyCode::all()[0])
}

/// One line of goods as risk selection sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskItem {
    pub hs: HsCode,
    pub origin: CountryCode,
    pub value: Money,
    pub quantity: Decimal,
    /// UN/ECE Rec 20 code of `quantity`.
    pub unit: String,
}

/// A declaration as risk selection sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskInput {
    pub declaration_number: String,
    /// 0 (worst) to 100 (best).
    pub trader_compliance: u8,
    pub trader_prior_declarations: u32,
    pub items: Vec<RiskItem>,
}

/// A rule that fired, and on which item (1-based) when it is about the goods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiredRule {
    pub id: String,
    pub description: String,
    pub lane: Lane,
    pub item: Option<u32>,
}

/// The lane chosen, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    pub lane: Lane,
    pub fired: Vec<FiredRule>,
    /// The lane the random sample drew, when it drew one.
    pub sampled: Option<Lane>,
}

/// The random sample for a declaration number: the first 8 bytes of
/// `sha256(seed as 8 little-endian bytes || number as UTF-8)`, read big-endian, modulo 10 000;
/// below the red rate is red, below red + yellow is yellow.
pub fn sample(profile: &RiskProfile, declaration_number: &str) -> Option<Lane> {
    let draw = sample_draw(profile.seed, declaration_number);
    let red = profile.sampling.red_per_10000;
    let yellow = red.saturating_add(profile.sampling.yellow_per_10000);
    if draw < red {
        Some(Lane::Red)
    } else if draw < yellow {
        Some(Lane::Yellow)
    } else {
        None
    }
}

/// The number from 0 to 9 999 the sample draws for a declaration.
pub fn sample_draw(seed: u64, declaration_number: &str) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(seed.to_le_bytes());
    hasher.update(declaration_number.as_bytes());
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    // The remainder is below 10 000, so it always fits.
    u32::try_from(u64::from_be_bytes(first) % 10_000).unwrap_or(0)
}

/// Selects the lane: the strictest of every fired rule's lane and the sample, green if none.
pub fn select(profile: &RiskProfile, input: &RiskInput) -> Selection {
    let mut fired = Vec::new();
    for rule in &profile.rules {
        let fire = |item: Option<u32>| FiredRule {
            id: rule.id.clone(),
            description: rule.description.clone(),
            lane: rule.lane,
            item,
        };
        if rule.condition.on_goods() {
            for (n, item) in input.items.iter().enumerate() {
                if rule.condition.holds(input, Some(item)) {
                    fired.push(fire(u32::try_from(n + 1).ok()));
                }
            }
        } else if rule.condition.holds(input, None) {
            fired.push(fire(None));
        }
    }
    let sampled = sample(profile, &input.declaration_number);
    let lane = fired.iter().map(|f| f.lane).chain(sampled).max().unwrap_or(Lane::Green);
    Selection { lane, fired, sampled }
}
