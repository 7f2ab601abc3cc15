//! Preferential rules of origin: whether a product made from a bill of materials qualifies as
//! originating under a trade agreement, and why. A rule is a set of alternatives (any one met
//! suffices), each a set of criteria that must all hold: wholly obtained, a change of tariff
//! classification (chapter, heading or subheading, with excluded inputs), or a regional value
//! content built down or up on the FOB or ex-works price. The agreements' rules are data
//! (`data/origin_rules.toml`), parsed by [`OriginRulebook::parse_toml`].
//!
//! Beside the product rule, two general grounds every agreement here recognises are applied:
//! a wholly obtained product, and a product made in a member entirely from originating
//! materials. Inputs from any member count as originating (cumulation among the members).

use crate::codes::{CountryCode, HsCode};
use crate::money::{Money, MoneyError};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The built-in agreements' rules, embedded in the binary.
pub const BUILTIN_ORIGIN_RULES: &str = include_str!("../../data/origin_rules.toml");

/// One material that goes into the product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterialInput {
    pub description: String,
    pub hs: HsCode,
    /// Country of origin of the material; `None` when unknown, which counts as non-originating.
    pub origin: Option<CountryCode>,
    pub value: Money,
}

/// What a product is made of and what it sells for, as the exporter knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillOfMaterials {
    pub product: String,
    /// The product's HS subheading (6 digits).
    pub product_hs: HsCode,
    pub produced_in: CountryCode,
    pub ex_works_price: Money,
    pub fob_price: Option<Money>,
    /// Grown, mined, fished or born and raised in the producing country.
    pub wholly_obtained: bool,
    pub inputs: Vec<MaterialInput>,
}

/// How a regional value content is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RvcMethod {
    /// (price − value of non-originating materials) / price × 100.
    BuildDown,
    /// Value of originating materials / price × 100.
    BuildUp,
}

/// The price a regional value content is a share of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RvcBase {
    FobPrice,
    ExWorks,
}

/// One test a product must pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum OriginCriterion {
    WhollyObtained,
    /// Every non-originating input is in another chapter (2 digits) than the product.
    ChangeOfChapter {
        except: Vec<String>,
    },
    /// Every non-originating input is in another heading (4 digits).
    ChangeOfHeading {
        except: Vec<String>,
    },
    /// Every non-originating input is in another subheading (6 digits).
    ChangeOfSubheading {
        except: Vec<String>,
    },
    RegionalValueContent {
        percent: Decimal,
        method: RvcMethod,
        base: RvcBase,
    },
}

/// The alternatives a product may meet; an alternative's criteria must all hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductRule {
    pub alternatives: Vec<Vec<OriginCriterion>>,
}

/// One agreement's rules of origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementRules {
    pub code: String,
    pub name: String,
    pub members: Vec<CountryCode>,
    /// Share of the price (FOB if known, else ex-works) that non-originating inputs failing a
    /// tariff shift may reach while the shift still counts as made.
    pub de_minimis_percent: Decimal,
    pub default_rule: ProductRule,
    /// Product-specific rules keyed by HS prefix (2, 4 or 6 digits); the longest match wins.
    pub product_rules: Vec<(String, ProductRule)>,
    /// Where the rules come from (chapter, annex).
    pub source: String,
}

/// The answer for one product under one agreement, with every step spelt out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OriginDecision {
    pub agreement: String,
    pub eligible: bool,
    /// The rule applied, e.g. "CTH or RVC 40 (build-down, FOB)".
    pub rule_text: String,
    /// The alternative or general ground that was met.
    pub met_by: Option<String>,
    /// The first regional value content computed, rounded to 2 places.
    pub rvc_percent: Option<Decimal>,
    pub reasoning: Vec<String>,
}

/// Why origin cannot be decided, or why a rule file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    #[error("the product is not wholly obtained, so list the materials it is made from")]
    NoInputs,
    #[error("classify the product to its 6-digit HS subheading (it is given as {0})")]
    ProductNotSubheading(HsCode),
    #[error("the ex-works price must be more than zero (it is {0})")]
    PriceNotPositive(Money),
    #[error("{what} is negative ({value}): give a value of zero or more")]
    Negative { what: String, value: Money },
    #[error("{what} is in {found}, but the ex-works price is in {expected}: give every value in {expected}")]
    CurrencyMismatch { what: String, found: String, expected: String },
    #[error(
        "the FOB price ({fob}) is below the ex-works price ({ex_works}): FOB adds carriage to the port, so check the values"
    )]
    FobBelowExWorks { fob: Money, ex_works: Money },
    #[error("the materials ({materials}) cost more than the ex-works price ({price}): check the values")]
    MaterialsExceedPrice { materials: Money, price: Money },
    #[error("{agreement} measures regional value content on the FOB price ({rule}): add the FOB price")]
    FobPriceNeeded { agreement: String, rule: String },
    #[error("the values are too large to add up")]
    Overflow,
    #[error("the origin rule file is not valid: {0}")]
    File(String),
    #[error("in the origin rules of {agreement}: {problem}")]
    Agreement { agreement: String, problem: String },
    #[error("in the origin rules of {agreement}, the rule for {prefix} cannot be read at '{token}': {problem}")]
    Rule { agreement: String, prefix: String, token: String, problem: String },
}

impl From<MoneyError> for OriginError {
    fn from(_: MoneyError) -> Self {
        OriginError::Overflow
    }
}

// ---------------------------------------------------------------------------------------------
// Display: the rule as the trade writes it.

impl fmt::Display for RvcMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RvcMethod::BuildDown => "build-down",
            RvcMethod::BuildUp => "build-up",
        })
    }
}

impl fmt::Display for RvcBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RvcBase::FobPrice => "FOB",
            RvcBase::ExWorks => "ex-works",
        })
    }
}

impl fmt::Display for OriginCriterion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, except) = match self {
            OriginCriterion::WhollyObtained => return f.write_str("WO"),
            OriginCriterion::RegionalValueContent { percent, method, base } => {
                return write!(f, "RVC {} ({method}, {base})", percent.normalize());
            }
            OriginCriterion::ChangeOfChapter { except } => ("CC", except),
            OriginCriterion::ChangeOfHeading { except } => ("CTH", except),
            OriginCriterion::ChangeOfSubheading { except } => ("CTSH", except),
        };
        f.write_str(name)?;
        if !except.is_empty() {
            write!(f, " except from {}", except.join(", "))?;
        }
        Ok(())
    }
}

impl fmt::Display for ProductRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let alternatives: Vec<String> = self.alternatives.iter().map(|a| alternative_text(a)).collect();
        f.write_str(&alternatives.join(" or "))
    }
}

fn alternative_text(criteria: &[OriginCriterion]) -> String {
    criteria.iter().map(ToString::to_string).collect::<Vec<_>>().join(" and ")
}

// ---------------------------------------------------------------------------------------------
// The bill of materials.

fn total(mut values: impl Iterator<Item = Decimal>) -> Result<Decimal, OriginError> {
    values.try_fold(Decimal::ZERO, |sum, v| sum.checked_add(v).ok_or(OriginError::Overflow))
}

impl BillOfMaterials {
    /// Refuses a bill of materials whose figures cannot describe a real product.
    pub fn validate(&self) -> Result<(), OriginError> {
        if self.product_hs.as_str().len() != 6 {
            return Err(OriginError::ProductNotSubheading(self.product_hs.clone()));
        }
        if self.ex_works_price.amount() <= Decimal::ZERO {
            return Err(OriginError::PriceNotPositive(self.ex_works_price));
        }
        let expected = self.ex_works_price.currency();
        let same_currency = |what: String, m: &Money| {
            if m.currency() != expected {
                return Err(OriginError::CurrencyMismatch {
                    what,
                    found: m.currency().to_string(),
                    expected: expected.to_string(),
                });
            }
            if m.amount() < Decimal::ZERO {
                return Err(OriginError::Negative { what, value: *m });
            }
            Ok(())
        };
        if let Some(fob) = &self.fob_price {
            same_currency("the FOB price".into(), fob)?;
            if fob.amount() < self.ex_works_price.amount() {
                return Err(OriginError::FobBelowExWorks { fob: *fob, ex_works: self.ex_works_price });
            }
        }
        if self.inputs.is_empty() && !self.wholly_obtained {
            return Err(OriginError::NoInputs);
        }
        for input in &self.inputs {
            same_currency(format!("the value of '{}'", input.description), &input.value)?;
        }
        let materials = total(self.inputs.iter().map(|i| i.value.amount()))?;
        if materials > self.ex_works_price.amount() {
            return Err(OriginError::MaterialsExceedPrice {
                materials: Money::new(materials, expected)?,
                price: self.ex_works_price,
            });
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// The decision.

/// What one criterion came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Met,
    NotMet,
    /// The criterion counts on the FOB price, which the bill of materials lacks.
    NeedsFob,
}

/// The parts of the decision shared by every criterion.
struct Context<'a> {
    rules: &'a AgreementRules,
    bom: &'a BillOfMaterials,
    non_originating: Vec<&'a MaterialInput>,
    reasoning: Vec<String>,
    rvc_percent: Option<Decimal>,
}

fn origin_text(origin: Option<CountryCode>) -> String {
    origin.map_or_else(|| "origin unknown".to_string(), |c| format!("from {c}"))
}

fn money_of(amount: Decimal, like: &Money) -> String {
    Money::new(crate::deal::order::round_to_minor_unit(amount, like.currency()), like.currency())
        .map_or_else(|_| format!("{} {amount}", like.currency()), |m| m.to_string())
}

fn percent_of(part: Decimal, whole: Decimal) -> Result<Decimal, OriginError> {
    part.checked_mul(Decimal::ONE_HUNDRED).and_then(|p| p.checked_div(whole)).ok_or(OriginError::Overflow)
}

fn two_places(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointNearestEven)
}

/// Whether an input's classification leaves the product's at `digits` digits: `Some(true)` when
/// it does, `Some(false)` when it stays, `None` when the input is classified too coarsely to say.
fn changes_classification(input: &HsCode, product: &HsCode, digits: usize) -> Option<bool> {
    let known = input.as_str().len().min(digits);
    if input.as_str()[..known] != product.as_str()[..known] {
        Some(true)
    } else if input.as_str().len() >= digits {
        Some(false)
    } else {
        None
    }
}

fn is_excepted<'a>(input: &HsCode, except: &'a [String]) -> Option<&'a String> {
    except.iter().find(|p| input.as_str().starts_with(p.as_str()) || p.starts_with(input.as_str()))
}

impl Context<'_> {
    fn tariff_shift(&mut self, digits: usize, level: &str, except: &[String]) -> Result<Outcome, OriginError> {
        let product = &self.bom.product_hs;
        let required = &product.as_str()[..digits];
        let mut failing = Decimal::ZERO;
        for input in self.non_originating.clone() {
            let label = format!("{} ({}, {})", input.description, input.hs, origin_text(input.origin));
            let why_not = if let Some(prefix) = is_excepted(&input.hs, except) {
                Some(format!("is classified under {prefix}, which the rule excludes even though it may change {level}"))
            } else {
                match changes_classification(&input.hs, product, digits) {
                    Some(true) => None,
                    Some(false) => Some(format!("stays in {level} {required} with the product")),
                    None => Some(format!(
                        "is classified only to {}, so a change of {level} from {required} cannot be shown; give its 6-digit subheading",
                        input.hs
                    )),
                }
            };
            match why_not {
                None => {
                    let from = &input.hs.as_str()[..input.hs.as_str().len().min(digits)];
                    self.reasoning
                        .push(format!("{label} changes {level} (from {from} to {required}): it may be used."));
                }
                Some(why) => {
                    failing = failing.checked_add(input.value.amount()).ok_or(OriginError::Overflow)?;
                    self.reasoning.push(format!("{label} {why}: it fails the change of {level}."));
                }
            }
        }
        if failing == Decimal::ZERO {
            self.reasoning.push(format!("Every non-originating input changes {level}: the criterion is met."));
            return Ok(Outcome::Met);
        }
        // De minimis: a small share of inputs that do not make the shift is tolerated.
        let (price, price_name) = match &self.bom.fob_price {
            Some(fob) => (fob, "FOB price"),
            None => (&self.bom.ex_works_price, "ex-works price"),
        };
        let share = percent_of(failing, price.amount())?;
        let limit = self.rules.de_minimis_percent;
        let figures = format!(
            "The inputs failing the change of {level} total {}, {:.2} % of the {price_name} {} ({} × 100 / {})",
            money_of(failing, price),
            two_places(share),
            price,
            money_of(failing, price),
            price,
        );
        if share <= limit {
            self.reasoning.push(format!(
                "{figures}; that is within the {} % de minimis tolerance of {}, so the criterion is met.",
                limit.normalize(),
                self.rules.code
            ));
            Ok(Outcome::Met)
        } else {
            self.reasoning.push(format!(
                "{figures}; that is above the {} % de minimis tolerance of {}, so the criterion is not met.",
                limit.normalize(),
                self.rules.code
            ));
            Ok(Outcome::NotMet)
        }
    }

    fn regional_value_content(
        &mut self,
        percent: Decimal,
        method: RvcMethod,
        base: RvcBase,
    ) -> Result<Outcome, OriginError> {
        let price = match base {
            RvcBase::ExWorks => self.bom.ex_works_price,
            RvcBase::FobPrice => match self.bom.fob_price {
                Some(fob) => fob,
                None => {
                    self.reasoning.push(format!(
                        "RVC {} ({method}, FOB) needs the FOB price, which is not given.",
                        percent.normalize()
                    ));
                    return Ok(Outcome::NeedsFob);
                }
            },
        };
        let vnm = total(self.non_originating.iter().map(|i| i.value.amount()))?;
        let all = total(self.bom.inputs.iter().map(|i| i.value.amount()))?;
        let vom = all - vnm;
        let (rvc, formula) = match method {
            RvcMethod::BuildDown => {
                let rvc = percent_of(price.amount() - vnm, price.amount())?;
                (rvc, format!("({price} − VNM {}) / {price} × 100", money_of(vnm, &price)))
            }
            RvcMethod::BuildUp => {
                let rvc = percent_of(vom, price.amount())?;
                (rvc, format!("VOM {} / {price} × 100", money_of(vom, &price)))
            }
        };
        let shown = two_places(rvc);
        self.rvc_percent.get_or_insert(shown);
        let met = rvc >= percent;
        self.reasoning.push(format!(
            "RVC {method} on the {base} price: {formula} = {shown:.2} %; {} {} % is required: {}.",
            if met { "at least" } else { "but at least" },
            percent.normalize(),
            if met { "met" } else { "not met" }
        ));
        Ok(if met { Outcome::Met } else { Outcome::NotMet })
    }

    fn criterion(&mut self, criterion: &OriginCriterion) -> Result<Outcome, OriginError> {
        match criterion {
            OriginCriterion::WhollyObtained => {
                let met = self.bom.wholly_obtained && self.non_originating.is_empty();
                self.reasoning.push(if met {
                    "The product is wholly obtained in a member: WO is met.".to_string()
                } else {
                    "The product is not wholly obtained (or uses non-originating materials): WO is not met.".to_string()
                });
                Ok(if met { Outcome::Met } else { Outcome::NotMet })
            }
            OriginCriterion::ChangeOfChapter { except } => self.tariff_shift(2, "chapter", except),
            OriginCriterion::ChangeOfHeading { except } => self.tariff_shift(4, "heading", except),
            OriginCriterion::ChangeOfSubheading { except } => self.tariff_shift(6, "subheading", except),
            OriginCriterion::RegionalValueContent { percent, method, base } => {
                self.regional_value_content(*percent, *method, *base)
            }
        }
    }
}

impl AgreementRules {
    /// The rule for a product: the product-specific rule with the longest matching HS prefix,
    /// else the general rule. Returns the matching prefix too.
    pub fn rule_for(&self, hs: &HsCode) -> (Option<&str>, &ProductRule) {
        self.product_rules
            .iter()
            .filter(|(prefix, _)| hs.as_str().starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len())
            .map_or((None, &self.default_rule), |(prefix, rule)| (Some(prefix.as_str()), rule))
    }

    pub fn is_member(&self, country: &CountryCode) -> bool {
        self.members.contains(country)
    }
}

/// Decides whether the product of `bom` is originating under `rules`, step by step.
pub fn decide(rules: &AgreementRules, bom: &BillOfMaterials) -> Result<OriginDecision, OriginError> {
    bom.validate()?;
    let (prefix, rule) = rules.rule_for(&bom.product_hs);
    let rule_text = rule.to_string();
    let mut reasoning = vec![match prefix {
        Some(p) => format!("{} rule for {p} (covers {}): {rule_text}.", rules.code, bom.product_hs),
        None => format!(
            "{} has no product-specific rule for {}; its general rule applies: {rule_text}.",
            rules.code, bom.product_hs
        ),
    }];
    let refused = |mut reasoning: Vec<String>, rvc_percent| OriginDecision {
        agreement: rules.code.clone(),
        eligible: false,
        rule_text: rule_text.clone(),
        met_by: None,
        rvc_percent,
        reasoning: {
            reasoning.push(format!("{} does not qualify as originating under {}.", bom.product, rules.code));
            reasoning
        },
    };
    if !rules.is_member(&bom.produced_in) {
        reasoning.push(format!(
            "{} is made in {} ({}), which is not a member of {}: only goods produced in a member can be originating.",
            bom.product,
            bom.produced_in,
            bom.produced_in.name(),
            rules.code
        ));
        return Ok(refused(reasoning, None));
    }
    reasoning.push(format!("Made in {} ({}), a member of {}.", bom.produced_in, bom.produced_in.name(), rules.code));

    let non_originating: Vec<&MaterialInput> =
        bom.inputs.iter().filter(|i| !i.origin.is_some_and(|c| rules.is_member(&c))).collect();
    for input in &bom.inputs {
        let originating = !non_originating.iter().any(|n| std::ptr::eq(*n, input));
        reasoning.push(format!(
            "Input {} ({}, {}, {}): {}.",
            input.description,
            input.hs,
            origin_text(input.origin),
            input.value,
            match (originating, input.origin) {
                (true, _) => "originating (from a member)",
                (false, None) => "non-originating, because its origin is unknown",
                (false, Some(_)) => "non-originating (from outside the agreement)",
            }
        ));
    }
    let mut cx = Context { rules, bom, non_originating, reasoning, rvc_percent: None };

    if bom.wholly_obtained {
        if cx.non_originating.is_empty() {
            cx.reasoning.push("The product is wholly obtained in a member, which makes it originating.".into());
            return Ok(OriginDecision {
                agreement: rules.code.clone(),
                eligible: true,
                rule_text,
                met_by: Some("wholly obtained (WO)".into()),
                rvc_percent: None,
                reasoning: cx.reasoning,
            });
        }
        cx.reasoning.push(
            "Wholly obtained is claimed but non-originating materials are used, so the product rule is applied instead."
                .into(),
        );
    }

    let mut needs_fob = false;
    for alternative in &rule.alternatives {
        let text = alternative_text(alternative);
        cx.reasoning.push(format!("Alternative {text}:"));
        let mut all_met = true;
        for criterion in alternative {
            match cx.criterion(criterion)? {
                Outcome::Met => {}
                Outcome::NotMet => all_met = false,
                Outcome::NeedsFob => {
                    all_met = false;
                    needs_fob = true;
                }
            }
        }
        if all_met {
            cx.reasoning.push(format!("{} is originating under {}: {text} is met.", bom.product, rules.code));
            return Ok(OriginDecision {
                agreement: rules.code.clone(),
                eligible: true,
                rule_text,
                met_by: Some(text),
                rvc_percent: cx.rvc_percent,
                reasoning: cx.reasoning,
            });
        }
    }
    if cx.non_originating.is_empty() {
        cx.reasoning.push(format!(
            "Every input is originating, so {} is produced entirely from originating materials in a member, which makes it originating.",
            bom.product
        ));
        return Ok(OriginDecision {
            agreement: rules.code.clone(),
            eligible: true,
            rule_text,
            met_by: Some("produced entirely from originating materials (PE)".into()),
            rvc_percent: cx.rvc_percent,
            reasoning: cx.reasoning,
        });
    }
    if needs_fob {
        return Err(OriginError::FobPriceNeeded { agreement: rules.code.clone(), rule: rule_text });
    }
    Ok(refused(cx.reasoning, cx.rvc_percent))
}

// ---------------------------------------------------------------------------------------------
// The rule file.

/// Every agreement's rules of origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginRulebook {
    agreements: Vec<AgreementRules>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    format: u32,
    #[serde(rename = "agreement")]
    agreements: Vec<AgreementEntry>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Number {
    Whole(i64),
    Text(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgreementEntry {
    code: String,
    name: String,
    members: Vec<String>,
    de_minimis_percent: Number,
    default_rule: String,
    source: String,
    #[serde(default, rename = "product")]
    products: Vec<ProductEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductEntry {
    hs: String,
    rule: String,
    /// Why the rule reads as it does; kept in the file for the reader.
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

/// The longest range of HS codes an exception may span, so a typing slip cannot expand to thousands.
const MAX_RANGE: u32 = 100;

struct RuleParser<'a> {
    agreement: &'a str,
    prefix: &'a str,
}

impl RuleParser<'_> {
    fn error(&self, token: &str, problem: impl Into<String>) -> OriginError {
        OriginError::Rule {
            agreement: self.agreement.to_string(),
            prefix: self.prefix.to_string(),
            token: token.to_string(),
            problem: problem.into(),
        }
    }

    fn hs_prefix(&self, token: &str) -> Result<String, OriginError> {
        token
            .parse::<HsCode>()
            .map(|h| h.as_str().to_string())
            .map_err(|_| self.error(token, "an HS prefix is 2, 4 or 6 digits, for example 52 or 5208"))
    }

    fn except_list(&self, tokens: &[&str]) -> Result<Vec<String>, OriginError> {
        let mut out = Vec::new();
        for token in tokens.iter().flat_map(|t| t.split(',')).map(str::trim).filter(|t| !t.is_empty()) {
            match token.split_once('-') {
                None => out.push(self.hs_prefix(token)?),
                Some((from, to)) => {
                    let (from, to) = (self.hs_prefix(from)?, self.hs_prefix(to)?);
                    let range = |s: &str| s.parse::<u32>().map_err(|_| self.error(token, "not a number"));
                    let (low, high) = (range(&from)?, range(&to)?);
                    if from.len() != to.len() || low > high || high - low >= MAX_RANGE {
                        return Err(self.error(
                            token,
                            "a range joins two codes of the same length, lower first, for example 5204-5212",
                        ));
                    }
                    for n in low..=high {
                        out.push(self.hs_prefix(&format!("{n:0width$}", width = from.len()))?);
                    }
                }
            }
        }
        Ok(out)
    }

    fn criterion(&self, text: &str) -> Result<OriginCriterion, OriginError> {
        let tokens: Vec<&str> = text.split_whitespace().collect();
        let Some(first) = tokens.first() else {
            return Err(self.error(text.trim(), "an empty criterion; write WO, CC, CTH, CTSH or RVC<n> ..."));
        };
        let head = first.to_ascii_uppercase();
        let shift = |make: fn(Vec<String>) -> OriginCriterion| -> Result<OriginCriterion, OriginError> {
            let rest = &tokens[1..];
            match rest.first() {
                None => Ok(make(Vec::new())),
                Some(word) if word.eq_ignore_ascii_case("except") => {
                    let list = match rest.get(1) {
                        Some(w) if w.eq_ignore_ascii_case("from") => &rest[2..],
                        _ => &rest[1..],
                    };
                    let except = self.except_list(list)?;
                    if except.is_empty() {
                        return Err(self.error(text, "'except' needs the HS prefixes it excludes"));
                    }
                    Ok(make(except))
                }
                Some(word) => Err(self.error(word, "expected 'except' or the end of the criterion")),
            }
        };
        match head.as_str() {
            "WO" if tokens.len() == 1 => Ok(OriginCriterion::WhollyObtained),
            "WO" => Err(self.error(tokens[1], "WO takes nothing after it")),
            "CC" => shift(|except| OriginCriterion::ChangeOfChapter { except }),
            "CTH" => shift(|except| OriginCriterion::ChangeOfHeading { except }),
            "CTSH" => shift(|except| OriginCriterion::ChangeOfSubheading { except }),
            h if h.starts_with("RVC") => {
                // "RVC40 build-down fob" or "RVC 40 build-down fob".
                let (number, rest) = if h.len() > 3 {
                    (&first[3..], &tokens[1..])
                } else {
                    (tokens.get(1).copied().unwrap_or(""), tokens.get(2..).unwrap_or(&[]))
                };
                let percent: Decimal = number
                    .trim_end_matches('%')
                    .parse()
                    .map_err(|_| self.error(first, "RVC needs a percentage, for example RVC40"))?;
                if percent <= Decimal::ZERO || percent > Decimal::ONE_HUNDRED {
                    return Err(self.error(first, "an RVC percentage lies above 0 and at most 100"));
                }
                let method = match rest.first().map(|t| t.to_ascii_lowercase()).as_deref() {
                    Some("build-down") => RvcMethod::BuildDown,
                    Some("build-up") => RvcMethod::BuildUp,
                    _ => return Err(self.error(rest.first().unwrap_or(first), "expected build-down or build-up")),
                };
                let base = match rest.get(1).map(|t| t.to_ascii_lowercase()).as_deref() {
                    Some("fob") => RvcBase::FobPrice,
                    Some("exw") => RvcBase::ExWorks,
                    _ => return Err(self.error(rest.get(1).unwrap_or(first), "expected fob or exw")),
                };
                if let Some(extra) = rest.get(2) {
                    return Err(self.error(extra, "nothing may follow the price base"));
                }
                Ok(OriginCriterion::RegionalValueContent { percent, method, base })
            }
            _ => Err(self.error(first, "expected WO, CC, CTH, CTSH or RVC<n>")),
        }
    }

    fn rule(&self, text: &str) -> Result<ProductRule, OriginError> {
        let alternatives = text
            .split(['|', ';'])
            .map(|alternative| alternative.split('+').map(|c| self.criterion(c)).collect::<Result<Vec<_>, _>>())
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ProductRule { alternatives })
    }
}

/// Parses one rule written in the file's grammar, e.g. "CTH except 5208; RVC40 build-down fob".
pub fn parse_rule(agreement: &str, prefix: &str, text: &str) -> Result<ProductRule, OriginError> {
    RuleParser { agreement, prefix }.rule(text)
}

impl OriginRulebook {
    /// Reads and checks a rule file; every problem names the agreement and, for rules, the prefix and token.
    pub fn parse_toml(text: &str) -> Result<OriginRulebook, OriginError> {
        let file: RuleFile = toml::from_str(text).map_err(|e| OriginError::File(e.to_string()))?;
        if file.format != 1 {
            return Err(OriginError::File(format!("format {} is not known; this version reads format 1", file.format)));
        }
        let mut agreements: Vec<AgreementRules> = Vec::new();
        for entry in file.agreements {
            let code = entry.code.trim().to_string();
            let problem = |problem: String| OriginError::Agreement { agreement: code.clone(), problem };
            if code.is_empty() {
                return Err(OriginError::File("an agreement has no code".into()));
            }
            if agreements.iter().any(|a| a.code.eq_ignore_ascii_case(&code)) {
                return Err(problem("the agreement is listed twice".into()));
            }
            let members = entry
                .members
                .iter()
                .map(|m| m.parse::<CountryCode>().map_err(|e| problem(e.to_string())))
                .collect::<Result<Vec<_>, _>>()?;
            if members.is_empty() {
                return Err(problem("list the member countries".into()));
            }
            let de_minimis_percent = match &entry.de_minimis_percent {
                Number::Whole(n) => Decimal::from(*n),
                Number::Text(t) => {
                    t.trim().parse().map_err(|_| problem(format!("'{t}' is not a de minimis percentage")))?
                }
            };
            if de_minimis_percent < Decimal::ZERO || de_minimis_percent > Decimal::ONE_HUNDRED {
                return Err(problem(format!(
                    "the de minimis percentage {de_minimis_percent} is not between 0 and 100"
                )));
            }
            let default_rule = parse_rule(&code, "the general rule", &entry.default_rule)?;
            let mut product_rules: Vec<(String, ProductRule)> = Vec::new();
            for product in &entry.products {
                let prefix = product.hs.parse::<HsCode>().map_err(|e| problem(e.to_string()))?.as_str().to_string();
                if product_rules.iter().any(|(p, _)| *p == prefix) {
                    return Err(problem(format!("{prefix} has two rules; keep one")));
                }
                let rule = parse_rule(&code, &prefix, &product.rule)?;
                product_rules.push((prefix, rule));
            }
            agreements.push(AgreementRules {
                code,
                name: entry.name,
                members,
                de_minimis_percent,
                default_rule,
                product_rules,
                source: entry.source,
            });
        }
        Ok(OriginRulebook { agreements })
    }

    /// The rules shipped with the product.
    pub fn builtin() -> Result<OriginRulebook, OriginError> {
        Self::parse_toml(BUILTIN_ORIGIN_RULES)
    }

    /// An agreement by its code, ignoring case.
    pub fn agreement(&self, code: &str) -> Option<&AgreementRules> {
        self.agreements.iter().find(|a| a.code.eq_ignore_ascii_case(code.trim()))
    }

    pub fn agreements(&self) -> &[AgreementRules] {
        &self.agreements
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn usd(a: &str) -> Money {
        Money::new(a.parse().expect("amount"), "USD".parse().expect("currency")).expect("money")
    }

    fn country(c: &str) -> CountryCode {
        c.parse().expect("country")
    }

    fn hs(h: &str) -> HsCode {
        h.parse().expect("hs")
    }

    fn input(description: &str, code: &str, origin: Option<&str>, value: &str) -> MaterialInput {
        MaterialInput { description: description.into(), hs: hs(code), origin: origin.map(country), value: usd(value) }
    }

    /// An agreement among Singapore, Malaysia and Japan with a 10 % de minimis and one rule.
    fn agreement(rule: &str) -> AgreementRules {
        AgreementRules {
            code: "TEST".into(),
            name: "Test agreement".into(),
            members: vec![country("SG"), country("MY"), country("JP")],
            de_minimis_percent: Decimal::TEN,
            default_rule: parse_rule("TEST", "the general rule", rule).expect("rule"),
            product_rules: Vec::new(),
            source: "test".into(),
        }
    }

    fn bom(product_hs: &str, inputs: Vec<MaterialInput>) -> BillOfMaterials {
        BillOfMaterials {
            product: "the product".into(),
            product_hs: hs(product_hs),
            produced_in: country("SG"),
            ex_works_price: usd("100"),
            fob_price: Some(usd("100")),
            wholly_obtained: false,
            inputs,
        }
    }

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    fn said(decision: &OriginDecision, words: &str) -> bool {
        decision.reasoning.iter().any(|r| r.contains(words))
    }

    #[test]
    fn wholly_obtained_coffee_is_originating_whatever_the_rule() {
        let mut b = bom("090111", Vec::new());
        b.wholly_obtained = true;
        let decision = decide(&agreement("CTH"), &b).expect("decision");
        assert!(decision.eligible);
        assert_eq!(decision.met_by.as_deref(), Some("wholly obtained (WO)"));
        // WO as a criterion of the rule holds too.
        let decision = decide(&agreement("WO"), &b).expect("decision");
        assert!(decision.eligible);
    }

    #[test]
    fn a_wholly_obtained_claim_with_imported_materials_falls_back_to_the_rule() {
        let mut b = bom("090111", vec![input("bags", "6305", Some("CN"), "2")]);
        b.wholly_obtained = true;
        let decision = decide(&agreement("WO"), &b).expect("decision");
        assert!(!decision.eligible);
        assert!(said(&decision, "Wholly obtained is claimed but non-originating materials are used"));
    }

    #[test]
    fn change_of_chapter_met_and_failed() {
        // T-shirt 6109.10 from Chinese knitted fabric 6006.22: chapter 60 → 61, a change of chapter.
        let shirt = bom("610910", vec![input("knitted cotton fabric", "600622", Some("CN"), "40")]);
        let decision = decide(&agreement("CC"), &shirt).expect("decision");
        assert!(decision.eligible);
        assert_eq!(decision.met_by.as_deref(), Some("CC"));
        // Chocolate 1806.90 from Ghanaian cocoa beans 1801 (chapter 18 too, USD 30 of 100):
        // 30 % fails the change of chapter and exceeds the 10 % de minimis.
        let chocolate = bom(
            "180690",
            vec![input("cocoa beans", "1801", Some("GH"), "30"), input("sugar", "170199", Some("BR"), "10")],
        );
        let decision = decide(&agreement("CC"), &chocolate).expect("decision");
        assert!(!decision.eligible);
        assert!(said(&decision, "cocoa beans (1801, from GH) stays in chapter 18"));
        assert!(said(&decision, "sugar (170199, from BR) changes chapter (from 17 to 18): it may be used."));
        assert!(said(&decision, "USD 30.00, 30.00 % of the FOB price USD 100.00"));
        assert!(said(&decision, "above the 10 % de minimis tolerance"));
    }

    #[test]
    fn change_of_heading_met_and_failed() {
        // A wooden table 9403.60 from Russian sawn oak 4407 and Chinese hinges 8302: both change heading.
        let table = bom(
            "940360",
            vec![input("sawn oak", "440791", Some("RU"), "35"), input("hinges", "830242", Some("CN"), "5")],
        );
        let decision = decide(&agreement("CTH"), &table).expect("decision");
        assert!(decision.eligible, "{:?}", decision.reasoning);
        // Same table from imported finished parts of 9403.90 (USD 25 of 100): the parts stay in
        // heading 9403, 25 % > 10 % de minimis.
        let assembled = bom("940360", vec![input("table parts", "940390", Some("CN"), "25")]);
        let decision = decide(&agreement("CTH"), &assembled).expect("decision");
        assert!(!decision.eligible);
        assert!(said(&decision, "stays in heading 9403"));
    }

    #[test]
    fn change_of_subheading_is_weaker_than_change_of_heading() {
        // A phone 8517.13 from Chinese parts of 8517.79: subheading changes, heading does not.
        let phone = bom("851713", vec![input("phone parts", "851779", Some("CN"), "60")]);
        assert!(decide(&agreement("CTSH"), &phone).expect("decision").eligible);
        assert!(!decide(&agreement("CTH"), &phone).expect("decision").eligible);
        // An input known only to heading 8517 cannot show a change of subheading.
        let vague = bom("851713", vec![input("phone parts", "8517", Some("CN"), "60")]);
        let decision = decide(&agreement("CTSH"), &vague).expect("decision");
        assert!(!decision.eligible);
        assert!(said(&decision, "classified only to 8517"));
    }

    #[test]
    fn an_excepted_input_fails_even_though_it_changes_heading() {
        // A dress 6204.42 from Chinese woven cotton 5208.42 (USD 30 of 100): CTH alone is met
        // (5208 → 6204), but "CTH except from 5208" refuses the fabric, and 30 % > 10 %.
        let dress = bom("620442", vec![input("woven cotton", "520842", Some("CN"), "30")]);
        assert!(decide(&agreement("CTH"), &dress).expect("decision").eligible);
        let decision = decide(&agreement("CTH except from 5208"), &dress).expect("decision");
        assert!(!decision.eligible);
        assert!(said(&decision, "under 5208, which the rule excludes"));
        // Fabric from Malaysia, a member, is originating: no exception applies to it.
        let local = bom("620442", vec![input("woven cotton", "520842", Some("MY"), "30")]);
        assert!(decide(&agreement("CTH except from 5208"), &local).expect("decision").eligible);
    }

    #[test]
    fn de_minimis_saves_a_tariff_shift() {
        // Table 9403.60 with imported table parts 9403.90 worth USD 8 of a USD 100 FOB price:
        // 8 / 100 × 100 = 8 % ≤ 10 %, so the failed shift is tolerated.
        let table = bom(
            "940360",
            vec![input("sawn oak", "440791", Some("RU"), "35"), input("table parts", "940390", Some("CN"), "8")],
        );
        let decision = decide(&agreement("CTH"), &table).expect("decision");
        assert!(decision.eligible);
        assert!(said(&decision, "USD 8.00, 8.00 % of the FOB price USD 100.00"));
        assert!(said(&decision, "within the 10 % de minimis tolerance of TEST"));
        // Without the FOB price the ex-works price is the base: 8 / 80 × 100 = 10 % ≤ 10 %.
        let mut exw = table.clone();
        exw.fob_price = None;
        exw.ex_works_price = usd("80");
        let decision = decide(&agreement("CTH"), &exw).expect("decision");
        assert!(decision.eligible);
        assert!(said(&decision, "10.00 % of the ex-works price USD 80.00"));
        // 8.01 / 80 × 100 = 10.0125 % > 10 %.
        exw.inputs[1].value = usd("8.01");
        assert!(!decide(&agreement("CTH"), &exw).expect("decision").eligible);
    }

    #[test]
    fn regional_value_content_build_down_met_and_not_met() {
        // FOB USD 100; non-originating (CN) USD 55, originating (MY) USD 20.
        // Build-down: (100 − 55) / 100 × 100 = 45 % ≥ 40 % → met; < 50 % → not met.
        let b = bom(
            "850760",
            vec![input("cells", "850790", Some("CN"), "55"), input("casing", "392690", Some("MY"), "20")],
        );
        let met = decide(&agreement("RVC40 build-down fob"), &b).expect("decision");
        assert!(met.eligible);
        assert_eq!(met.rvc_percent, Some(d("45.00")));
        assert!(said(&met, "(USD 100.00 − VNM USD 55.00) / USD 100.00 × 100 = 45.00 %"));
        let not_met = decide(&agreement("RVC50 build-down fob"), &b).expect("decision");
        assert!(!not_met.eligible);
        assert_eq!(not_met.rvc_percent, Some(d("45.00")));
    }

    #[test]
    fn regional_value_content_build_up_met_and_not_met() {
        // Ex-works USD 90, FOB USD 100; originating (MY, JP) USD 25 + 12 = 37, non-originating 40.
        // Build-up on FOB: 37 / 100 × 100 = 37 % ≥ 35 % → met.
        // Build-up on ex-works: 37 / 90 × 100 = 41.11 % < 45 % → not met.
        let mut b = bom(
            "871200",
            vec![
                input("frame", "871491", Some("MY"), "25"),
                input("gears", "871493", Some("JP"), "12"),
                input("tyres", "401150", Some("CN"), "40"),
            ],
        );
        b.ex_works_price = usd("90");
        let met = decide(&agreement("RVC35 build-up fob"), &b).expect("decision");
        assert!(met.eligible);
        assert_eq!(met.rvc_percent, Some(d("37.00")));
        let not_met = decide(&agreement("RVC45 build-up exw"), &b).expect("decision");
        assert!(!not_met.eligible);
        assert_eq!(not_met.rvc_percent, Some(d("41.11")));
        assert!(said(&not_met, "VOM USD 37.00 / USD 90.00 × 100 = 41.11 %"));
    }

    #[test]
    fn unknown_origin_counts_as_non_originating() {
        // The same USD 50 of cells, once from Malaysia, once of unknown origin.
        // Build-down: (100 − 0) = 100 % vs (100 − 50) / 100 = 50 % < 60 %.
        let known = bom("850760", vec![input("cells", "850790", Some("MY"), "50")]);
        let unknown = bom("850760", vec![input("cells", "850790", None, "50")]);
        let rule = agreement("RVC60 build-down fob");
        assert!(decide(&rule, &known).expect("decision").eligible);
        let decision = decide(&rule, &unknown).expect("decision");
        assert!(!decision.eligible);
        assert_eq!(decision.rvc_percent, Some(d("50.00")));
        assert!(said(&decision, "non-originating, because its origin is unknown"));
    }

    #[test]
    fn materials_from_any_member_cumulate() {
        // Made in Singapore from Japanese cells (USD 50) and Chinese wiring (USD 10):
        // build-down (100 − 10) / 100 = 90 % ≥ 60 %; without cumulation it would be 40 %.
        let b = bom(
            "850760",
            vec![input("cells", "850790", Some("JP"), "50"), input("wiring", "854442", Some("CN"), "10")],
        );
        let decision = decide(&agreement("RVC60 build-down fob"), &b).expect("decision");
        assert!(decision.eligible);
        assert_eq!(decision.rvc_percent, Some(d("90.00")));
        assert!(said(&decision, "cells (850790, from JP, USD 50.00): originating (from a member)"));
    }

    #[test]
    fn a_product_made_outside_the_members_is_not_eligible() {
        let mut b = bom("850760", vec![input("cells", "850790", Some("SG"), "50")]);
        b.produced_in = country("TH");
        let decision = decide(&agreement("RVC40 build-down fob"), &b).expect("decision");
        assert!(!decision.eligible);
        assert_eq!(decision.met_by, None);
        assert!(said(&decision, "made in TH (Thailand), which is not a member of TEST"));
    }

    #[test]
    fn all_originating_inputs_qualify_as_produced_entirely_from_originating_materials() {
        // Build-up 20 / 100 = 20 % < 40 %, but every input is from a member.
        let b = bom("850760", vec![input("cells", "850790", Some("JP"), "20")]);
        let decision = decide(&agreement("RVC40 build-up fob"), &b).expect("decision");
        assert!(decision.eligible);
        assert_eq!(decision.met_by.as_deref(), Some("produced entirely from originating materials (PE)"));
        assert_eq!(decision.rvc_percent, Some(d("20.00")));
    }

    #[test]
    fn alternatives_and_joint_criteria() {
        // "CTSH + RVC40 build-down fob": parts 8517.79 change subheading, but
        // (100 − 70) / 100 = 30 % < 40 %, so the joint alternative fails; CC fails too.
        let phone = bom("851713", vec![input("phone parts", "851779", Some("CN"), "70")]);
        let rule = agreement("CC | CTSH + RVC40 build-down fob");
        let decision = decide(&rule, &phone).expect("decision");
        assert!(!decision.eligible);
        assert_eq!(decision.rule_text, "CC or CTSH and RVC 40 (build-down, FOB)");
        // With parts worth 50: (100 − 50) / 100 = 50 % ≥ 40 % and the subheading changes.
        let cheaper = bom("851713", vec![input("phone parts", "851779", Some("CN"), "50")]);
        let decision = decide(&rule, &cheaper).expect("decision");
        assert!(decision.eligible);
        assert_eq!(decision.met_by.as_deref(), Some("CTSH and RVC 40 (build-down, FOB)"));
    }

    #[test]
    fn an_fob_rule_without_an_fob_price_asks_for_it_unless_another_alternative_holds() {
        let mut b = bom("851713", vec![input("phone parts", "851779", Some("CN"), "50")]);
        b.fob_price = None;
        let err = decide(&agreement("CTH | RVC40 build-down fob"), &b).expect_err("needs fob");
        assert!(matches!(err, OriginError::FobPriceNeeded { .. }));
        assert!(err.to_string().contains("add the FOB price"));
        assert!(decide(&agreement("CTSH | RVC40 build-down fob"), &b).expect("decision").eligible);
    }

    #[test]
    fn materials_costing_more_than_the_price_are_refused() {
        // 70 + 40 = 110 > 100.
        let b = bom("850760", vec![input("cells", "850790", Some("CN"), "70"), input("case", "392690", None, "40")]);
        let err = decide(&agreement("CTH"), &b).expect_err("refused");
        assert_eq!(
            err.to_string(),
            "the materials (USD 110.00) cost more than the ex-works price (USD 100.00): check the values"
        );
    }

    #[test]
    fn every_bad_bill_of_materials_is_refused() {
        let ok = bom("850760", vec![input("cells", "850790", Some("CN"), "10")]);
        assert_eq!(ok.validate(), Ok(()));

        let mut b = ok.clone();
        b.inputs.clear();
        assert_eq!(b.validate(), Err(OriginError::NoInputs));

        let mut b = ok.clone();
        b.product_hs = hs("8507");
        assert!(matches!(b.validate(), Err(OriginError::ProductNotSubheading(_))));

        let mut b = ok.clone();
        b.ex_works_price = usd("0");
        assert!(matches!(b.validate(), Err(OriginError::PriceNotPositive(_))));

        let mut b = ok.clone();
        b.inputs[0].value = usd("-1");
        let err = b.validate().expect_err("negative");
        assert!(matches!(err, OriginError::Negative { .. }));
        assert!(err.to_string().contains("the value of 'cells' is negative"));

        let mut b = ok.clone();
        b.inputs[0].value = Money::new(d("10"), "EUR".parse().expect("eur")).expect("money");
        let err = b.validate().expect_err("currency");
        assert_eq!(
            err.to_string(),
            "the value of 'cells' is in EUR, but the ex-works price is in USD: give every value in USD"
        );

        let mut b = ok.clone();
        b.fob_price = Some(usd("99"));
        assert!(matches!(b.validate(), Err(OriginError::FobBelowExWorks { .. })));

        let mut b = ok;
        b.fob_price = Some(Money::new(d("120"), "SGD".parse().expect("sgd")).expect("money"));
        assert!(matches!(b.validate(), Err(OriginError::CurrencyMismatch { .. })));
    }

    #[test]
    fn the_grammar_reads_every_criterion_and_prints_it_back() {
        let rule = parse_rule("X", "6109", "CTH except 5208; RVC40 build-down fob").expect("rule");
        assert_eq!(rule.to_string(), "CTH except from 5208 or RVC 40 (build-down, FOB)");
        let rule = parse_rule("X", "8517", "CTSH + RVC 35 build-up exw | WO | CC").expect("rule");
        assert_eq!(
            rule.alternatives,
            vec![
                vec![
                    OriginCriterion::ChangeOfSubheading { except: Vec::new() },
                    OriginCriterion::RegionalValueContent {
                        percent: d("35"),
                        method: RvcMethod::BuildUp,
                        base: RvcBase::ExWorks
                    },
                ],
                vec![OriginCriterion::WhollyObtained],
                vec![OriginCriterion::ChangeOfChapter { except: Vec::new() }],
            ]
        );
        let ranges = parse_rule("X", "6109", "CC except from 5204-5206, 54, 60.01").expect("rule");
        assert_eq!(
            ranges.alternatives[0][0],
            OriginCriterion::ChangeOfChapter {
                except: vec!["5204".into(), "5205".into(), "5206".into(), "54".into(), "6001".into()]
            }
        );
    }

    #[test]
    fn grammar_errors_name_the_agreement_prefix_and_token() {
        let cases = [
            ("CTX", "CTX"),
            ("CTH except", "CTH except"),
            ("CTH except 52x8", "52x8"),
            ("CTH 5208", "5208"),
            ("RVC build-down fob", "RVC"),
            ("RVC140 build-down fob", "RVC140"),
            ("RVC40 fob", "fob"),
            ("RVC40 build-down cif", "cif"),
            ("RVC40 build-down fob extra", "extra"),
            ("CTH | ", ""),
            ("CC except 5212-5204", "5212-5204"),
            ("WO CC", "CC"),
        ];
        for (text, token) in cases {
            let err = parse_rule("RCEP", "6109", text).expect_err(text);
            match &err {
                OriginError::Rule { agreement, prefix, token: t, .. } => {
                    assert_eq!((agreement.as_str(), prefix.as_str(), t.as_str()), ("RCEP", "6109", token), "{text}");
                }
                other => panic!("{text}: {other:?}"),
            }
            assert!(err.to_string().starts_with("in the origin rules of RCEP, the rule for 6109"), "{err}");
        }
    }

    #[test]
    fn the_rule_file_is_checked() {
        let file = |members: &str, products: &str| {
            format!(
                "format = 1\n[[agreement]]\ncode = \"A\"\nname = \"A\"\nmembers = [{members}]\nde_minimis_percent = \"7.5\"\ndefault_rule = \"CTH\"\nsource = \"s\"\n{products}"
            )
        };
        let book = OriginRulebook::parse_toml(&file("\"SG\"", "")).expect("parses");
        assert_eq!(book.agreement("a").map(|a| a.de_minimis_percent), Some(d("7.5")));
        assert!(matches!(OriginRulebook::parse_toml(&file("\"XX\"", "")), Err(OriginError::Agreement { .. })));
        let twice = "[[agreement.product]]\nhs = \"6109\"\nrule = \"CC\"\n";
        let err = OriginRulebook::parse_toml(&file("\"SG\"", &format!("{twice}{twice}"))).expect_err("twice");
        assert!(err.to_string().contains("6109 has two rules"));
        let bad = "[[agreement.product]]\nhs = \"6109\"\nrule = \"CC except 99x\"\n";
        let err = OriginRulebook::parse_toml(&file("\"SG\"", bad)).expect_err("bad rule");
        assert!(matches!(err, OriginError::Rule { ref prefix, ref token, .. } if prefix == "6109" && token == "99x"));
        assert!(matches!(OriginRulebook::parse_toml("format = 2\nagreement = []"), Err(OriginError::File(_))));
        assert!(matches!(OriginRulebook::parse_toml("nonsense"), Err(OriginError::File(_))));
    }

    #[test]
    fn the_most_specific_prefix_wins() {
        let mut rules = agreement("CTH");
        rules.product_rules = vec![
            ("61".into(), parse_rule("T", "61", "CC").expect("rule")),
            ("6109".into(), parse_rule("T", "6109", "CTSH").expect("rule")),
        ];
        assert_eq!(rules.rule_for(&hs("610910")).0, Some("6109"));
        assert_eq!(rules.rule_for(&hs("611020")).0, Some("61"));
        assert_eq!(rules.rule_for(&hs("620442")).0, None);
        let decision = decide(&rules, &bom("620442", vec![input("fabric", "520842", None, "10")])).expect("decision");
        assert!(said(&decision, "TEST has no product-specific rule for 620442; its general rule applies: CTH."));
    }

    #[test]
    fn the_builtin_rules_cover_every_agreement_and_product_listed() {
        let book = OriginRulebook::builtin().expect("built-in rules parse");
        let codes = ["RCEP", "CPTPP", "ATIGA", "EUSFTA", "EUJEPA", "UKJCEPA", "AUSFTA", "USMCA"];
        assert_eq!(book.agreements().len(), codes.len());
        let products = [
            "090111", "180690", "220421", "330499", "392410", "420221", "610910", "620442", "640399", "640411",
            "940360", "950300", "854143", "850760", "847130", "851713", "870323", "870899", "871200",
        ];
        for code in codes {
            let rules = book.agreement(code).expect(code);
            assert!(!rules.source.is_empty() && rules.de_minimis_percent == Decimal::TEN, "{code}");
            for product in products {
                assert!(rules.rule_for(&hs(product)).0.is_some(), "{code} has no rule for {product}");
            }
        }
        let eu = book.agreement("EUSFTA").expect("eusfta");
        assert_eq!(eu.members.len(), 28);
        assert!(eu.is_member(&country("DE")) && eu.is_member(&country("SG")));
        // Yarn-forward under USMCA: Chinese cotton yarn is allowed to become the fabric, Chinese
        // knitted fabric (6006) is not. Fabric USD 30 of FOB USD 100 is over the 10 % tolerance.
        let usmca = book.agreement("USMCA").expect("usmca");
        let mut shirt = bom("610910", vec![input("knitted cotton fabric", "600622", Some("CN"), "30")]);
        shirt.produced_in = country("MX");
        assert!(!decide(usmca, &shirt).expect("decision").eligible);
        shirt.inputs = vec![input("cotton yarn", "520512", Some("CN"), "30")];
        assert!(!decide(usmca, &shirt).expect("decision").eligible, "yarn of 5205 is excluded too");
        shirt.inputs = vec![input("cotton fibre", "520100", Some("CN"), "30")];
        assert!(decide(usmca, &shirt).expect("decision").eligible, "fibre is not excluded");
        let rcep = book.agreement("RCEP").expect("rcep");
        assert_eq!(rcep.rule_for(&hs("850760")).1.to_string(), "CTH or RVC 40 (build-down, FOB)");
    }

    fn arbitrary_bom() -> impl Strategy<Value = BillOfMaterials> {
        let origins = prop::sample::select(vec![None, Some("SG"), Some("MY"), Some("JP"), Some("CN"), Some("US")]);
        let codes = prop::sample::select(vec!["850790", "8507", "392690", "85", "851779", "401150"]);
        (prop::collection::vec((codes, origins, 0u32..5_000), 1..6), 0u32..10_000, 0u32..2_000).prop_map(
            |(inputs, margin, carriage)| {
                let inputs: Vec<MaterialInput> = inputs
                    .into_iter()
                    .enumerate()
                    .map(|(n, (code, origin, cents))| MaterialInput {
                        description: format!("input {n}"),
                        hs: code.parse().expect("hs"),
                        origin: origin.map(|c| c.parse().expect("country")),
                        value: Money::from_minor_units(i64::from(cents), "USD".parse().expect("usd")),
                    })
                    .collect();
                let materials: i64 = inputs.iter().filter_map(|i| i.value.minor_units()).sum();
                let exw = materials + i64::from(margin) + 1;
                let usd_code = "USD".parse().expect("usd");
                BillOfMaterials {
                    product: "battery".into(),
                    product_hs: "850760".parse().expect("hs"),
                    produced_in: "SG".parse().expect("sg"),
                    ex_works_price: Money::from_minor_units(exw, usd_code),
                    fob_price: Some(Money::from_minor_units(exw + i64::from(carriage), usd_code)),
                    wholly_obtained: false,
                    inputs,
                }
            },
        )
    }

    proptest! {
        #[test]
        fn build_up_never_exceeds_build_down(b in arbitrary_bom(), fob in any::<bool>()) {
            let base = if fob { "fob" } else { "exw" };
            // A threshold of 100 is never met unless every input originates, so the RVC is
            // always computed; eligibility may still come from PE.
            let down = decide(&agreement(&format!("RVC100 build-down {base}")), &b).expect("decision");
            let up = decide(&agreement(&format!("RVC100 build-up {base}")), &b).expect("decision");
            let (down, up) = (down.rvc_percent.expect("computed"), up.rvc_percent.expect("computed"));
            prop_assert!(up <= down, "build-up {} > build-down {}", up, down);
        }

        #[test]
        fn all_originating_inputs_meet_any_rvc_rule(
            b in arbitrary_bom(),
            percent in 1u32..=100,
            up in any::<bool>(),
            fob in any::<bool>(),
        ) {
            let mut b = b;
            for i in &mut b.inputs {
                i.origin = Some("MY".parse().expect("my"));
            }
            let rule = format!("RVC{percent} {} {}", if up { "build-up" } else { "build-down" }, if fob { "fob" } else { "exw" });
            prop_assert!(decide(&agreement(&rule), &b).expect("decision").eligible);
        }

        #[test]
        fn decisions_are_deterministic(b in arbitrary_bom()) {
            let rules = agreement("CTSH + RVC40 build-down fob | CTH except 3926 | RVC35 build-up exw");
            prop_assert_eq!(decide(&rules, &b), decide(&rules, &b.clone()));
        }
    }
}
