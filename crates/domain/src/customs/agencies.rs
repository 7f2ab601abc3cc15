//! Other government agencies in one submission: which agencies (quarantine, health,
//! standards, ...) must approve which items of a declaration, so the trader lodges once and
//! each agency sees only what concerns it.

use crate::codes::{CountryCode, HsCode};
use crate::documents::declaration::Direction;
use crate::validation::ValidationErrors;
use serde::{Deserialize, Serialize};

/// Goods one agency has to approve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyRequirement {
    /// Short code of the agency, e.g. `quarantine`, `standards`, `health`.
    pub agency: String,
    pub agency_name: String,
    /// HS chapters, headings or subheadings, by their leading digits.
    pub hs_prefixes: Vec<String>,
    /// Countries of origin the requirement is limited to; `None` means any origin.
    #[serde(default)]
    pub origins: Option<Vec<CountryCode>>,
    /// The direction the requirement applies to; `None` means both.
    #[serde(default)]
    pub direction: Option<Direction>,
    /// Why the agency looks at these goods, shown to the trader.
    pub reason: String,
}

impl AgencyRequirement {
    fn applies(&self, hs: &HsCode, origin: &CountryCode, direction: Direction) -> bool {
        self.hs_prefixes.iter().any(|p| hs.as_str().starts_with(p.as_str()))
            && self.origins.as_ref().is_none_or(|o| o.contains(origin))
            && self.direction.is_none_or(|d| d == direction)
    }
}

/// The requirements in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyRules {
    pub requirements: Vec<AgencyRequirement>,
}

/// Why agency rules cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgencyRulesError {
    #[error("the agency rules file is not valid TOML for agency requirements: {0}")]
    Toml(String),
    #[error("the agency rules have problems: {}", .0.0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
    Invalid(ValidationErrors),
}

impl AgencyRules {
    /// Common requirements: plant and animal quarantine on chapters 01 to 14 and on wood
    /// (chapter 44) and wooden furniture (9403); health on medicaments (3004), cosmetics (3304)
    /// and food preparations (chapter 21); product standards on batteries (8507), telephones
    /// (8517), monitors and televisions (8528), motorcycles (8711) and toys (9503).
    pub fn default_rules() -> AgencyRules {
        let requirement = |agency: &str, name: &str, prefixes: &[&str], direction: Option<Direction>, reason: &str| {
            AgencyRequirement {
                agency: agency.to_string(),
                agency_name: name.to_string(),
                hs_prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
                origins: None,
                direction,
                reason: reason.to_string(),
            }
        };
        let quarantine = "Plant and Animal Quarantine Service";
        let health = "Health Products Authority";
        let standards = "Bureau of Standards";
        let import = Some(Direction::Import);
        AgencyRules {
            requirements: vec![
                requirement(
                    "quarantine",
                    quarantine,
                    &["01", "02", "03", "04", "05"],
                    None,
                    "live animals and animal products: veterinary certificate",
                ),
                requirement(
                    "quarantine",
                    quarantine,
                    &["06", "07", "08", "09", "10", "11", "12", "13", "14"],
                    None,
                    "plants and vegetable products: phytosanitary certificate",
                ),
                requirement(
                    "quarantine",
                    quarantine,
                    &["44", "9403"],
                    None,
                    "wood and wooden furniture: pest-free treatment",
                ),
                requirement("health", health, &["3004"], import, "medicaments: product registration"),
                requirement("health", health, &["3304"], import, "cosmetics: product notification"),
                requirement("health", health, &["21"], import, "food preparations: food safety"),
                requirement("standards", standards, &["8507"], import, "batteries: safety and labelling"),
                requirement("standards", standards, &["8517"], import, "telephones: radio equipment conformity"),
                requirement("standards", standards, &["8528"], import, "monitors and televisions: electrical safety"),
                requirement("standards", standards, &["8711"], import, "motorcycles: type approval"),
                requirement("standards", standards, &["9503"], import, "toys: toy safety"),
            ],
        }
    }

    /// Reads requirements from TOML (`[[requirements]]` tables with the fields above).
    pub fn parse_toml(text: &str) -> Result<AgencyRules, AgencyRulesError> {
        let rules: AgencyRules = toml::from_str(text).map_err(|e| AgencyRulesError::Toml(e.to_string()))?;
        rules.validate().map_err(AgencyRulesError::Invalid)?;
        Ok(rules)
    }

    /// Every problem at once: an agency code and name, at least one HS prefix of 1 to 6
    /// digits, a reason, and an origin list that is not empty when given.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        for (n, r) in self.requirements.iter().enumerate() {
            let field = format!("requirements[{n}]");
            if r.agency.trim().is_empty() {
                errors.push(format!("{field}.agency"), "required", "name the agency by its code");
            }
            if r.agency_name.trim().is_empty() {
                errors.push(format!("{field}.agency_name"), "required", "give the agency's name");
            }
            if r.hs_prefixes.is_empty() {
                errors.push(format!("{field}.hs_prefixes"), "required", "list at least one HS prefix");
            }
            for (k, p) in r.hs_prefixes.iter().enumerate() {
                if p.is_empty() || p.len() > 6 || !p.chars().all(|c| c.is_ascii_digit()) {
                    errors.push(
                        format!("{field}.hs_prefixes[{k}]"),
                        "invalid_hs_prefix",
                        format!("`{p}` is not an HS prefix: give 1 to 6 digits, no dots"),
                    );
                }
            }
            if r.origins.as_ref().is_some_and(|o| o.is_empty()) {
                errors.push(
                    format!("{field}.origins"),
                    "empty",
                    "an empty origin list matches nothing; leave it out to mean any origin",
                );
            }
            if r.reason.trim().is_empty() {
                errors.push(format!("{field}.reason"), "required", "say why the agency looks at these goods");
            }
        }
        errors.into_result(())
    }
}

/// One agency's approval a declaration needs, for which items and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequiredApproval {
    pub agency: String,
    pub agency_name: String,
    /// Item sequence numbers, ascending.
    pub items: Vec<u32>,
    /// Distinct reasons, in the order of the rules.
    pub reasons: Vec<String>,
}

/// The approvals a declaration's items need: one per agency, its items and reasons merged,
/// agencies in the order their first requirement appears in the rules.
pub fn required_approvals(
    rules: &AgencyRules,
    items: &[(u32, HsCode, CountryCode)],
    direction: Direction,
) -> Vec<RequiredApproval> {
    let mut out: Vec<RequiredApproval> = Vec::new();
    for r in &rules.requirements {
        let matched: Vec<u32> =
            items.iter().filter(|(_, hs, origin)| r.applies(hs, origin, direction)).map(|(seq, _, _)| *seq).collect();
        if matched.is_empty() {
            continue;
        }
        let idx = match out.iter().position(|a| a.agency == r.agency) {
            Some(i) => i,
            None => {
                out.push(RequiredApproval {
                    agency: r.agency.clone(),
                    agency_name: r.agency_name.clone(),
                    items: Vec::new(),
                    reasons: Vec::new(),
                });
                out.len() - 1
            }
        };
        let approval = &mut out[idx];
        approval.items.extend(matched);
        if !approval.reasons.contains(&r.reason) {
            approval.reasons.push(r.reason.clone());
        }
    }
    for a in &mut out {
        a.items.sort_unstable();
        a.items.dedup();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(seq: u32, hs: &str, origin: &str) -> (u32, HsCode, CountryCode) {
        (seq, hs.parse().expect("hs"), origin.parse().expect("country"))
    }

    #[test]
    fn the_default_rules_are_valid() {
        assert_eq!(AgencyRules::default_rules().validate(), Ok(()));
    }

    #[test]
    fn one_approval_per_agency_with_items_and_reasons_merged() {
        let items = vec![
            line(1, "080310", "EC"), // bananas: quarantine (plants)
            line(2, "940360", "VN"), // wooden furniture: quarantine (wood)
            line(3, "851713", "CN"), // smartphones: standards
            line(4, "070200", "MA"), // tomatoes: quarantine (plants)
            line(5, "610910", "BD"), // T-shirts: nothing
            line(6, "300490", "IN"), // medicaments: health
        ];
        let got = required_approvals(&AgencyRules::default_rules(), &items, Direction::Import);
        let summary: Vec<(&str, Vec<u32>, usize)> =
            got.iter().map(|a| (a.agency.as_str(), a.items.clone(), a.reasons.len())).collect();
        assert_eq!(summary, vec![("quarantine", vec![1, 2, 4], 2), ("health", vec![6], 1), ("standards", vec![3], 1)]);
        assert_eq!(
            got[0].reasons,
            vec![
                "plants and vegetable products: phytosanitary certificate".to_string(),
                "wood and wooden furniture: pest-free treatment".into()
            ]
        );
        assert_eq!(got[0].agency_name, "Plant and Animal Quarantine Service");
    }

    #[test]
    fn direction_limits_a_requirement() {
        let items = vec![line(1, "851713", "CN"), line(2, "080310", "EC")];
        let got = required_approvals(&AgencyRules::default_rules(), &items, Direction::Export);
        // Standards look at imports only; quarantine certifies both ways.
        assert_eq!(got.iter().map(|a| a.agency.as_str()).collect::<Vec<_>>(), vec!["quarantine"]);
    }

    #[test]
    fn origins_limit_a_requirement() {
        let text = r#"
            [[requirements]]
            agency = "cites"
            agency_name = "Wildlife Authority"
            hs_prefixes = ["4403"]
            origins = ["MM", "LA"]
            direction = "import"
            reason = "tropical timber: CITES permit"
        "#;
        let rules = AgencyRules::parse_toml(text).expect("valid rules");
        let items = vec![line(1, "440349", "MM"), line(2, "440349", "FI")];
        let got = required_approvals(&rules, &items, Direction::Import);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].items, vec![1]);
        assert!(required_approvals(&rules, &items, Direction::Export).is_empty());
    }

    #[test]
    fn nothing_required_for_ordinary_goods() {
        let items = vec![line(1, "610910", "BD")];
        assert!(required_approvals(&AgencyRules::default_rules(), &items, Direction::Import).is_empty());
    }

    #[test]
    fn invalid_rules_are_refused_with_every_problem() {
        let text = r#"
            [[requirements]]
            agency = ""
            agency_name = ""
            hs_prefixes = ["30.04", ""]
            origins = []
            reason = " "
            [[requirements]]
            agency = "x"
            agency_name = "X"
            hs_prefixes = []
            reason = "r"
        "#;
        let Err(AgencyRulesError::Invalid(errors)) = AgencyRules::parse_toml(text) else {
            panic!("the rules should be refused")
        };
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "requirements[0].agency",
                "requirements[0].agency_name",
                "requirements[0].hs_prefixes[0]",
                "requirements[0].hs_prefixes[1]",
                "requirements[0].origins",
                "requirements[0].reason",
                "requirements[1].hs_prefixes",
            ]
        );
        assert!(matches!(AgencyRules::parse_toml("requirements = 3"), Err(AgencyRulesError::Toml(_))));
    }
}
