//! The eleven Incoterms 2020 rules: where risk and cost pass, and which transport each fits.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Incoterm {
    Exw,
    Fca,
    Cpt,
    Cip,
    Dap,
    Dpu,
    Ddp,
    Fas,
    Fob,
    Cfr,
    Cif,
}

/// Which modes of transport a rule may be used with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportModes {
    /// Any mode, including multimodal.
    Any,
    /// Sea and inland waterway only.
    SeaAndInlandWaterway,
}

/// What a rule says, for the reference API and for people choosing one.
#[derive(Debug, Clone, Serialize)]
pub struct IncotermRule {
    pub code: Incoterm,
    pub name: &'static str,
    pub transport: TransportModes,
    /// Where the risk of loss passes from seller to buyer.
    pub risk_passes: &'static str,
    /// Where the seller's costs end.
    pub costs_pass: &'static str,
    /// Whether the seller must insure the goods for the buyer, and to what cover.
    pub seller_insures: Option<&'static str>,
    /// Whether the seller clears the goods for export / import.
    pub seller_clears_export: bool,
    pub seller_clears_import: bool,
}

impl Incoterm {
    pub const ALL: [Incoterm; 11] = [
        Incoterm::Exw,
        Incoterm::Fca,
        Incoterm::Cpt,
        Incoterm::Cip,
        Incoterm::Dap,
        Incoterm::Dpu,
        Incoterm::Ddp,
        Incoterm::Fas,
        Incoterm::Fob,
        Incoterm::Cfr,
        Incoterm::Cif,
    ];

    pub fn code(self) -> &'static str {
        self.rule().name.split_whitespace().next().unwrap_or("")
    }

    pub fn rule(self) -> IncotermRule {
        use Incoterm::*;
        use TransportModes::*;
        let (name, transport, risk, cost, ins, exp, imp) = match self {
            Exw => (
                "EXW Ex Works",
                Any,
                "at the seller's premises, goods placed at the buyer's disposal, not loaded",
                "at the seller's premises",
                None,
                false,
                false,
            ),
            Fca => (
                "FCA Free Carrier",
                Any,
                "when the goods are handed to the buyer's carrier at the named place",
                "at delivery to the carrier",
                None,
                true,
                false,
            ),
            Cpt => (
                "CPT Carriage Paid To",
                Any,
                "when the goods are handed to the first carrier",
                "at the named place of destination (seller pays carriage)",
                None,
                true,
                false,
            ),
            Cip => (
                "CIP Carriage and Insurance Paid To",
                Any,
                "when the goods are handed to the first carrier",
                "at the named place of destination (seller pays carriage and insurance)",
                Some("Institute Cargo Clauses (A), all risks, 110% of value"),
                true,
                false,
            ),
            Dap => (
                "DAP Delivered at Place",
                Any,
                "at the named destination, ready for unloading",
                "at the named destination, not unloaded",
                None,
                true,
                false,
            ),
            Dpu => (
                "DPU Delivered at Place Unloaded",
                Any,
                "at the named destination, once unloaded",
                "at the named destination, unloaded",
                None,
                true,
                false,
            ),
            Ddp => (
                "DDP Delivered Duty Paid",
                Any,
                "at the named destination, ready for unloading, cleared for import",
                "at the named destination, including import duties and taxes",
                None,
                true,
                true,
            ),
            Fas => (
                "FAS Free Alongside Ship",
                SeaAndInlandWaterway,
                "when the goods are alongside the vessel at the named port of shipment",
                "alongside the vessel at the port of shipment",
                None,
                true,
                false,
            ),
            Fob => (
                "FOB Free On Board",
                SeaAndInlandWaterway,
                "when the goods are on board the vessel at the named port of shipment",
                "on board at the port of shipment",
                None,
                true,
                false,
            ),
            Cfr => (
                "CFR Cost and Freight",
                SeaAndInlandWaterway,
                "when the goods are on board the vessel at the port of shipment",
                "at the named port of destination (seller pays freight)",
                None,
                true,
                false,
            ),
            Cif => (
                "CIF Cost, Insurance and Freight",
                SeaAndInlandWaterway,
                "when the goods are on board the vessel at the port of shipment",
                "at the named port of destination (seller pays freight and insurance)",
                Some("Institute Cargo Clauses (C), minimum cover, 110% of value"),
                true,
                false,
            ),
        };
        IncotermRule {
            code: self,
            name,
            transport,
            risk_passes: risk,
            costs_pass: cost,
            seller_insures: ins,
            seller_clears_export: exp,
            seller_clears_import: imp,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an Incoterms 2020 rule; use one of EXW, FCA, CPT, CIP, DAP, DPU, DDP, FAS, FOB, CFR, CIF")]
pub struct UnknownIncoterm(pub String);

impl crate::validation::CodedError for UnknownIncoterm {
    fn code(&self) -> &'static str {
        "unknown_incoterm"
    }
}

impl FromStr for Incoterm {
    type Err = UnknownIncoterm;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let up = s.trim().to_ascii_uppercase();
        Incoterm::ALL.into_iter().find(|i| i.code() == up).ok_or_else(|| UnknownIncoterm(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eleven_rules_and_sea_only_ones() {
        assert_eq!(Incoterm::ALL.len(), 11);
        let sea: Vec<_> = Incoterm::ALL
            .into_iter()
            .filter(|i| i.rule().transport == TransportModes::SeaAndInlandWaterway)
            .map(|i| i.code())
            .collect();
        assert_eq!(sea, vec!["FAS", "FOB", "CFR", "CIF"]);
        assert_eq!("fob".parse::<Incoterm>(), Ok(Incoterm::Fob));
        assert!("DAT".parse::<Incoterm>().is_err(), "DAT was dropped in 2020");
        assert!(Incoterm::Ddp.rule().seller_clears_import);
        assert!(!Incoterm::Exw.rule().seller_clears_export);
    }
}
