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
    let threshold = reference
        .amount()
        .checked_mul(Decimal::ONE_HUNDRED - tolerance_percent)
        .and_then(|x| x.checked_mul(item.quantity))
        .map(|x| x / Decimal::ONE_HUNDRED);
    threshold.is_some_and(|t| item.value.amount() < t)
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn money(amount: &str, currency: &str) -> Money {
        Money::new(amount.parse().expect("decimal"), currency.parse().expect("currency")).expect("money")
    }

    fn item(hs: &str, origin: &str, value: Money, quantity: &str, unit: &str) -> RiskItem {
        RiskItem {
            hs: hs.parse().expect("hs"),
            origin: origin.parse().expect("country"),
            value,
            quantity: quantity.parse().expect("quantity"),
            unit: unit.to_string(),
        }
    }

    fn input(items: Vec<RiskItem>) -> RiskInput {
        RiskInput {
            declaration_number: "24DE000000000001".into(),
            trader_compliance: 90,
            trader_prior_declarations: 500,
            items,
        }
    }

    /// The default rules with sampling off, so only rules decide.
    fn rules_only() -> RiskProfile {
        RiskProfile { sampling: Sampling { red_per_10000: 0, yellow_per_10000: 0 }, ..RiskProfile::default_profile() }
    }

    fn ids(s: &Selection) -> Vec<(String, Option<u32>)> {
        s.fired.iter().map(|f| (f.id.clone(), f.item)).collect()
    }

    #[test]
    fn the_default_profile_is_valid() {
        assert_eq!(RiskProfile::default_profile().validate(), Ok(()));
    }

    #[test]
    fn plain_goods_from_a_compliant_trader_go_green() {
        let s = select(&rules_only(), &input(vec![item("090111", "BR", money("5000", "USD"), "1000", "KGM")]));
        assert_eq!(s, Selection { lane: Lane::Green, fired: vec![], sampled: None });
    }

    #[test]
    fn excise_goods_go_yellow_and_name_the_item() {
        let s = select(
            &rules_only(),
            &input(vec![
                item("090111", "BR", money("5000", "USD"), "1000", "KGM"),
                item("220830", "GB", money("900", "USD"), "60", "LTR"),
            ]),
        );
        assert_eq!(s.lane, Lane::Yellow);
        assert_eq!(ids(&s), vec![("spirits".to_string(), Some(2))]);
    }

    #[test]
    fn timber_is_red_only_from_the_named_origin() {
        let from_mm = select(&rules_only(), &input(vec![item("440349", "MM", money("9000", "USD"), "20", "MTQ")]));
        assert_eq!(from_mm.lane, Lane::Red);
        assert_eq!(ids(&from_mm), vec![("timber-myanmar".to_string(), Some(1))]);
        let from_fi = select(&rules_only(), &input(vec![item("440349", "FI", money("9000", "USD"), "20", "MTQ")]));
        assert_eq!(from_fi.lane, Lane::Green);
    }

    #[test]
    fn undervaluation_compares_per_unit_in_the_same_currency_and_unit() {
        // Reference USD 150 a piece, 30 % tolerance: below 150 × 0.70 = USD 105 a piece fires.
        // 100 pieces at USD 10 400 is USD 104 a piece: fires.
        let low = select(&rules_only(), &input(vec![item("851713", "VN", money("10400", "USD"), "100", "H87")]));
        assert_eq!(low.lane, Lane::Red);
        assert_eq!(ids(&low), vec![("smartphone-undervaluation".to_string(), Some(1))]);
        // USD 10 500 is exactly USD 105 a piece: not more than 30 % below, does not fire.
        let edge = select(&rules_only(), &input(vec![item("851713", "VN", money("10500", "USD"), "100", "H87")]));
        assert_eq!(edge.lane, Lane::Green);
        // Another currency or unit is not compared rather than guessed at.
        let eur = select(&rules_only(), &input(vec![item("851713", "VN", money("1", "EUR"), "100", "H87")]));
        assert_eq!(eur.lane, Lane::Green);
        let kgm = select(&rules_only(), &input(vec![item("851713", "VN", money("1", "USD"), "100", "KGM")]));
        assert_eq!(kgm.lane, Lane::Green);
        let none = select(&rules_only(), &input(vec![item("851713", "VN", money("1", "USD"), "0", "H87")]));
        assert_eq!(none.lane, Lane::Green);
    }

    #[test]
    fn trader_rules_fire_once_on_the_declaration() {
        let goods = vec![item("090111", "BR", money("5000", "USD"), "1000", "KGM")];
        let poor = RiskInput { trader_compliance: 49, ..input(goods.clone()) };
        assert_eq!(ids(&select(&rules_only(), &poor)), vec![("low-compliance".to_string(), None)]);
        let fair = RiskInput { trader_compliance: 50, ..input(goods.clone()) };
        assert!(select(&rules_only(), &fair).fired.is_empty());
        let new = RiskInput { trader_prior_declarations: 3, ..input(goods.clone()) };
        assert_eq!(ids(&select(&rules_only(), &new)), vec![("new-trader".to_string(), None)]);
        let known = RiskInput { trader_prior_declarations: 4, ..input(goods) };
        assert!(select(&rules_only(), &known).fired.is_empty());
    }

    #[test]
    fn value_above_alone_looks_at_the_declaration_total() {
        let profile = RiskProfile {
            seed: 1,
            rules: vec![RiskRule {
                id: "big".into(),
                description: "over USD 10 000 declared".into(),
                lane: Lane::Yellow,
                condition: RiskCondition::ValueAbove(money("10000", "USD")),
            }],
            sampling: Sampling { red_per_10000: 0, yellow_per_10000: 0 },
        };
        // 6 000 + 5 000 = 11 000 > 10 000; the EUR line is not added in.
        let two = input(vec![
            item("090111", "BR", money("6000", "USD"), "1", "KGM"),
            item("090111", "BR", money("5000", "USD"), "1", "KGM"),
            item("090111", "BR", money("99999", "EUR"), "1", "KGM"),
        ]);
        assert_eq!(ids(&select(&profile, &two)), vec![("big".to_string(), None)]);
        let one = input(vec![item("090111", "BR", money("10000", "USD"), "1", "KGM")]);
        assert!(select(&profile, &one).fired.is_empty());
    }

    #[test]
    fn sampling_can_raise_the_lane_but_never_lower_it() {
        let always_red =
            RiskProfile { sampling: Sampling { red_per_10000: 10_000, yellow_per_10000: 0 }, ..rules_only() };
        let s = select(&always_red, &input(vec![]));
        assert_eq!((s.lane, s.sampled), (Lane::Red, Some(Lane::Red)));
        let always_yellow =
            RiskProfile { sampling: Sampling { red_per_10000: 0, yellow_per_10000: 10_000 }, ..rules_only() };
        let timber = input(vec![item("440349", "MM", money("9000", "USD"), "20", "MTQ")]);
        let s = select(&always_yellow, &timber);
        assert_eq!((s.lane, s.sampled), (Lane::Red, Some(Lane::Yellow)));
    }

    #[test]
    fn profiles_read_from_toml() {
        let text = r#"
            seed = 7
            sampling = { red_per_10000 = 200, yellow_per_10000 = 500 }

            [[rules]]
            id = "tobacco"
            description = "Tobacco"
            lane = "yellow"
            condition = { hs_prefix = "24" }

            [[rules]]
            id = "cheap-phones"
            description = "Phones under reference"
            lane = "red"
            [rules.condition.unit_value_below_reference]
            hs_prefix = "851713"
            reference_per_unit = { amount = "150", currency = "USD" }
            unit = "H87"
            tolerance_percent = "30"

            [[rules]]
            id = "new-from-cn"
            description = "New trader, Chinese toys"
            lane = "yellow"
            condition = { all = [{ new_trader = { max_prior_declarations = 0 } }, { origin = "CN" }, { hs_prefix = "9503" }] }
        "#;
        let p = RiskProfile::parse_toml(text).expect("valid profile");
        assert_eq!(p.seed, 7);
        assert_eq!(p.rules.len(), 3);
        assert_eq!(p.rules[0].condition, RiskCondition::HsPrefix("24".into()));
        assert!(matches!(
            &p.rules[1].condition,
            RiskCondition::UnitValueBelowReference { tolerance_percent, .. } if *tolerance_percent == Decimal::from(30)
        ));
        let toys = RiskInput {
            trader_prior_declarations: 0,
            ..input(vec![item("950300", "CN", money("1", "USD"), "1", "H87")])
        };
        assert_eq!(ids(&select(&p, &toys))[0], ("new-from-cn".to_string(), Some(1)));
        assert!(matches!(RiskProfile::parse_toml("seed = "), Err(RiskProfileError::Toml(_))));
    }

    #[test]
    fn invalid_profiles_are_refused_with_every_problem() {
        let text = r#"
            seed = 1
            sampling = { red_per_10000 = 6000, yellow_per_10000 = 5000 }
            [[rules]]
            id = ""
            description = ""
            lane = "red"
            condition = { hs_prefix = "24.02" }
            [[rules]]
            id = "a"
            description = ""
            lane = "red"
            condition = { trader_compliance_below = 120 }
            [[rules]]
            id = "a"
            description = ""
            lane = "red"
            condition = { all = [] }
        "#;
        let Err(RiskProfileError::Invalid(errors)) = RiskProfile::parse_toml(text) else {
            panic!("the profile should be refused")
        };
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "rules[0].id",
                "rules[0].condition.hs_prefix",
                "rules[1].condition.trader_compliance_below",
                "rules[2].id",
                "rules[2].condition.all",
                "sampling",
            ]
        );
        let over = RiskProfile { sampling: Sampling { red_per_10000: 10_001, yellow_per_10000: 0 }, ..rules_only() };
        let errors = over.validate().expect_err("rate over 10 000");
        assert_eq!(errors.0[0].field, "sampling.red_per_10000");
        let mut bad_reference = rules_only();
        bad_reference.rules.push(RiskRule {
            id: "ref".into(),
            description: String::new(),
            lane: Lane::Red,
            condition: RiskCondition::UnitValueBelowReference {
                hs_prefix: "85".into(),
                reference_per_unit: money("0", "USD"),
                unit: " ".into(),
                tolerance_percent: Decimal::ONE_HUNDRED,
            },
        });
        let errors = bad_reference.validate().expect_err("bad reference rule");
        assert_eq!(errors.0.len(), 3);
        let shown = RiskProfileError::Invalid(errors).to_string();
        assert!(shown.contains("the reference price per unit must be above zero"), "{shown}");
    }

    #[test]
    fn sampling_rates_hold_over_a_hundred_thousand_numbers() {
        let p = RiskProfile::default_profile();
        let (mut red, mut yellow) = (0u32, 0u32);
        for n in 0..100_000u32 {
            match sample(&p, &format!("24DE{n:012}")) {
                Some(Lane::Red) => red += 1,
                Some(Lane::Yellow) => yellow += 1,
                _ => {}
            }
        }
        // 2 % and 5 % of 100 000, within half a point (500 declarations) either way.
        assert!((1_500..=2_500).contains(&red), "red sampled {red}");
        assert!((4_500..=5_500).contains(&yellow), "yellow sampled {yellow}");
    }

    #[test]
    fn the_seed_changes_the_draw() {
        let draws = |seed| (0..50).map(|n| sample_draw(seed, &format!("N{n}"))).collect::<Vec<_>>();
        assert_ne!(draws(1), draws(2));
        assert!(draws(1).iter().all(|d| *d < 10_000));
    }

    fn any_item() -> impl Strategy<Value = RiskItem> {
        (
            prop_oneof![Just("240220"), Just("220830"), Just("440349"), Just("851713"), Just("090111")],
            prop_oneof![Just("MM"), Just("CN"), Just("DE")],
            0i64..2_000_000,
            1u32..500,
        )
            .prop_map(|(hs, origin, cents, q)| RiskItem {
                hs: hs.parse().expect("hs"),
                origin: origin.parse().expect("country"),
                value: Money::from_minor_units(cents, "USD".parse().expect("usd")),
                quantity: Decimal::from(q),
                unit: "H87".into(),
            })
    }

    proptest! {
        #[test]
        fn selection_is_deterministic_and_never_below_a_fired_rule(
            number in "[A-Z0-9]{6,18}",
            compliance in 0u8..=100,
            prior in 0u32..10,
            items in proptest::collection::vec(any_item(), 0..5),
        ) {
            let p = RiskProfile::default_profile();
            let i = RiskInput { declaration_number: number, trader_compliance: compliance, trader_prior_declarations: prior, items };
            let first = select(&p, &i);
            prop_assert_eq!(&first, &select(&p, &i.clone()));
            // The sample depends on the number alone, not on the goods.
            prop_assert_eq!(first.sampled, select(&p, &RiskInput { items: vec![], ..i.clone() }).sampled);
            for f in &first.fired {
                prop_assert!(first.lane >= f.lane);
            }
            if let Some(s) = first.sampled {
                prop_assert!(first.lane >= s);
            }
            let top = first.fired.iter().map(|f| f.lane).chain(first.sampled).max().unwrap_or(Lane::Green);
            prop_assert_eq!(first.lane, top);
        }
    }
}
