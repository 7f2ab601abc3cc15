//! A declaration as a trader or its broker lodges it, and the pipeline that turns it into a
//! lodged declaration: validation against the importing economy's tariff (HS codes valid on
//! the date, currencies with a rate, preferences backed by a valid certificate of origin),
//! duty and taxes by the landed-cost engine, risk selection, the agencies whose approval
//! release waits for, and the clearance state the declaration starts in. Pure: the caller
//! passes the trader's record and the certificates on file.

use crate::codes::{CountryCode, HsCode};
use crate::customs::agencies::{AgencyRules, RequiredApproval, required_approvals};
use crate::customs::clearance::{ClearanceState, Lane};
use crate::customs::landed_cost::{LandedCost, Shipment, ShipmentLine, landed_cost};
use crate::customs::risk::{RiskInput, RiskItem, RiskProfile, Selection, select};
use crate::customs::tariff::{PreferenceClaim, ProofOfOrigin, TariffSchedule};
use crate::documents::declaration::Direction;
use crate::incoterm::Incoterm;
use crate::marketplace::FxRates;
use crate::money::Money;
use crate::validation::ValidationErrors;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Most goods items one declaration may carry (WCO DM allows 999).
pub const MAX_GOODS_ITEMS: usize = 999;

/// A preference claimed on a goods item, quoting the certificate of origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimedPreference {
    pub agreement: String,
    pub certificate_number: String,
}

/// One goods item as declared (WCO DM: GovernmentAgencyGoodsItem).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredItem {
    pub description: String,
    /// Commodity classification (WCO DM 145): six digits or more.
    pub hs_code: HsCode,
    /// Country of origin (WCO DM 063).
    pub origin: CountryCode,
    /// Invoice value of the item at the declared Incoterm.
    pub value: Money,
    #[serde(with = "rust_decimal::serde::str")]
    pub quantity: Decimal,
    /// UN/ECE Rec 20 unit of `quantity`.
    pub unit: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub gross_kg: Decimal,
    #[serde(default)]
    pub packages: Option<u32>,
    #[serde(default)]
    pub preference: Option<ClaimedPreference>,
}

/// A declaration as lodged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclarationInput {
    pub direction: Direction,
    /// The economy whose customs the declaration is lodged with.
    pub economy: CountryCode,
    /// The declarant's own reference (WCO DM 012/LRN), unique per declaration.
    pub number: String,
    /// The declarant company (the trader); a broker lodges in its name.
    #[serde(default)]
    pub declarant: Option<String>,
    pub incoterm: Incoterm,
    #[serde(default)]
    pub freight: Option<Money>,
    #[serde(default)]
    pub insurance: Option<Money>,
    /// Bill of lading or air waybill number the goods arrive under (matched with the manifest).
    #[serde(default)]
    pub transport_document: Option<String>,
    /// The order whose documents the declaration was generated from.
    #[serde(default)]
    pub order_id: Option<String>,
    /// The date duty is assessed on (the day of lodgement when absent).
    #[serde(with = "crate::customs::tariff::iso_date::option", default)]
    pub date: Option<time::Date>,
    pub items: Vec<DeclaredItem>,
}

/// A certificate of origin on file, as a declaration's proof of origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateOnFile {
    pub agreement: String,
    pub status_approved: bool,
    pub product_hs: String,
    pub proof: ProofOfOrigin,
}

/// The trader's record with this customs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraderStanding {
    pub compliance: u8,
    pub prior_declarations: u32,
}

/// The rules one customs applies.
#[derive(Debug, Clone, Copy)]
pub struct CustomsRules<'a> {
    pub schedule: &'a TariffSchedule,
    pub fx: &'a FxRates,
    pub risk: &'a RiskProfile,
    pub agencies: &'a AgencyRules,
}

/// What the pipeline made of a declaration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreparedDeclaration {
    /// Duty and taxes on an import; exports owe none here.
    pub landed_cost: Option<LandedCost>,
    pub selection: Selection,
    pub required: Vec<RequiredApproval>,
    pub state: ClearanceState,
    pub lane: Lane,
    /// Duty, excise, taxes and fees: what the declarant pays before release.
    pub duty: Money,
}

/// Checks the declaration's own fields, every problem at once.
pub fn check_fields(input: &DeclarationInput) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let number = input.number.trim();
    if number.is_empty()
        || number.len() > 35
        || !number.chars().all(|c| c.is_ascii_alphanumeric() || "-/_.".contains(c))
    {
        errors.push(
            "number",
            "invalid",
            "give the declaration a reference of 1 to 35 letters, digits, '-', '/', '_' or '.'",
        );
    }
    if input.items.is_empty() {
        errors.push("items", "required", "declare at least one goods item");
    }
    if input.items.len() > MAX_GOODS_ITEMS {
        errors.push("items", "too_many", format!("a declaration carries at most {MAX_GOODS_ITEMS} goods items"));
    }
    for (i, item) in input.items.iter().enumerate() {
        let at = |f: &str| format!("items[{i}].{f}");
        if item.description.trim().is_empty() {
            errors.push(at("description"), "required", "describe the goods in plain words");
        }
        if item.hs_code.as_str().len() < 6 {
            errors.push(at("hs_code"), "not_a_subheading", "declare the goods at six digits (a subheading) or more");
        }
        if item.value.amount() <= Decimal::ZERO {
            errors.push(at("value"), "not_positive", "the value must be above zero");
        }
        if item.quantity <= Decimal::ZERO {
            errors.push(at("quantity"), "not_positive", "the quantity must be above zero");
        }
        if item.gross_kg < Decimal::ZERO {
            errors.push(at("gross_kg"), "negative", "the gross mass cannot be negative");
        }
        if item.unit.trim().is_empty() || item.unit.len() > 3 {
            errors.push(at("unit"), "invalid", "give the unit as a UN/ECE Rec 20 code, e.g. KGM, LTR or H87");
        }
        if let Some(p) = &item.preference
            && (p.agreement.trim().is_empty() || p.certificate_number.trim().is_empty())
        {
            errors.push(
                at("preference"),
                "incomplete",
                "a preference names the agreement and the certificate of origin's number",
            );
        }
    }
    for (field, m) in [("freight", &input.freight), ("insurance", &input.insurance)] {
        if let Some(m) = m
            && m.amount() < Decimal::ZERO
        {
            errors.push(field, "negative", format!("the {field} cannot be negative"));
        }
    }
    errors.into_result(())
}

/// Runs the whole pipeline. `certificate` finds a certificate of origin by number; the
/// standing is the trader's record. Every refusal names the field to fix.
pub fn prepare(
    rules: &CustomsRules<'_>,
    input: &DeclarationInput,
    standing: TraderStanding,
    certificate: &dyn Fn(&str) -> Option<CertificateOnFile>,
    today: time::Date,
) -> Result<PreparedDeclaration, ValidationErrors> {
    check_fields(input)?;
    if input.direction == Direction::Export {
        return prepare_export(rules, input, standing);
    }
    let date = input.date.unwrap_or(today);
    let mut errors = ValidationErrors::new();
    let mut lines = Vec::with_capacity(input.items.len());
    for (i, item) in input.items.iter().enumerate() {
        let at = |f: &str| format!("items[{i}].{f}");
        let line = match rules.schedule.line(&item.hs_code, date) {
            Ok(l) => Some(l),
            Err(e) => {
                errors.push(at("hs_code"), "tariff", e.to_string());
                None
            }
        };
        let mut claim = None;
        if let Some(p) = &item.preference {
            match certificate(p.certificate_number.trim()) {
                None => errors.push(
                    at("preference"),
                    "no_certificate",
                    format!(
                        "no certificate of origin numbered {} is on file: apply for one and quote the number the authority approved",
                        p.certificate_number
                    ),
                ),
                Some(c) if !c.status_approved => errors.push(
                    at("preference"),
                    "not_approved",
                    format!("certificate of origin {} is not approved by its authority", p.certificate_number),
                ),
                Some(c) if c.agreement != p.agreement => errors.push(
                    at("preference"),
                    "other_agreement",
                    format!(
                        "certificate of origin {} is issued under {}, not {}",
                        p.certificate_number, c.agreement, p.agreement
                    ),
                ),
                Some(c) if !item.hs_code.as_str().starts_with(c.product_hs.get(..4).unwrap_or(&c.product_hs)) => {
                    errors.push(
                        at("preference"),
                        "other_goods",
                        format!(
                            "certificate of origin {} covers goods of HS {}, not {}",
                            p.certificate_number,
                            c.product_hs,
                            item.hs_code.as_str()
                        ),
                    )
                }
                Some(c) => {
                    let claim_made = PreferenceClaim { agreement: p.agreement.clone(), proof: c.proof };
                    if let Some(l) = line
                        && let Err(e) = rules.schedule.rate_for(l, item.origin, Some(&claim_made), date)
                    {
                        errors.push(at("preference"), "refused", e.to_string());
                    }
                    claim = Some(claim_made);
                }
            }
        }
        lines.push(ShipmentLine {
            hs: item.hs_code.clone(),
            description: item.description.clone(),
            origin: item.origin,
            value: item.value,
            quantity: item.quantity,
            unit: item.unit.clone(),
            preference: claim,
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let shipment = Shipment {
        importing: input.economy,
        date,
        incoterm: input.incoterm,
        freight: input.freight,
        insurance: input.insurance,
        lines,
    };
    let cost = landed_cost(rules.schedule, &shipment, rules.fx).map_err(|e| {
        let mut errors = ValidationErrors::new();
        errors.push("items", "landed_cost", e.to_string());
        errors
    })?;
    let values: Vec<Money> = cost.lines.iter().map(|c| c.customs_value).collect();
    let duty = cost.total_duties_and_taxes;
    Ok(finish(rules, input, standing, &values, duty, Some(cost)))
}

/// An export owes no duty here: it is validated, risk-selected and sent to the agencies
/// that control exports of its goods.
fn prepare_export(
    rules: &CustomsRules<'_>,
    input: &DeclarationInput,
    standing: TraderStanding,
) -> Result<PreparedDeclaration, ValidationErrors> {
    let values: Vec<Money> = input.items.iter().map(|i| i.value).collect();
    let duty = Money::from_minor_units(0, rules.schedule.currency());
    Ok(finish(rules, input, standing, &values, duty, None))
}

fn finish(
    rules: &CustomsRules<'_>,
    input: &DeclarationInput,
    standing: TraderStanding,
    values: &[Money],
    duty: Money,
    landed_cost: Option<LandedCost>,
) -> PreparedDeclaration {
    let risk_input = RiskInput {
        declaration_number: input.number.trim().to_string(),
        trader_compliance: standing.compliance,
        trader_prior_declarations: standing.prior_declarations,
        items: values
            .iter()
            .zip(&input.items)
            .map(|(value, i)| RiskItem {
                hs: i.hs_code.clone(),
                origin: i.origin,
                value: *value,
                quantity: i.quantity,
                unit: i.unit.clone(),
            })
            .collect(),
    };
    let selection = select(rules.risk, &risk_input);
    let goods: Vec<(u32, HsCode, CountryCode)> =
        input.items.iter().enumerate().map(|(i, it)| (i as u32 + 1, it.hs_code.clone(), it.origin)).collect();
    let required = required_approvals(rules.agencies, &goods, input.direction);
    let state = ClearanceState::after_selection(&selection, duty, required.iter().map(|r| r.agency.clone()).collect());
    PreparedDeclaration { lane: selection.lane, landed_cost, selection, required, state, duty }
}
