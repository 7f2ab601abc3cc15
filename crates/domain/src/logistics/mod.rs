//! Logistics: carriers and their codes ([`Scac`]), containers ([`ContainerNumber`], ISO 6346),
//! transport modes, rate cards and freight quotes by chargeable weight ([`rates`]), the
//! shipment life cycle and proof of delivery ([`shipment`]), and tracking events in the DCSA
//! Track and Trace vocabulary with the ETA they give ([`tracking`]).
//!
//! Everything here is pure: the store keeps carriers, rate cards, shipments and events; the
//! server decides who may act and checks webhook signatures.

use crate::validation::CodedError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

pub mod container;
pub mod rates;
pub mod shipment;
pub mod tracking;

pub use container::ContainerNumber;
pub use rates::{FreightQuote, Package, RateCard, WeightBreak, chargeable_weight};
pub use shipment::{ProofOfDelivery, ShipmentEvent, ShipmentStatus};
pub use tracking::{Eta, EventClassifier, TrackingEvent, TrackingEventKind, eta};

/// Why a logistics code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogisticsCodeError {
    #[error("'{0}' is not a SCAC: a Standard Carrier Alpha Code is 2 to 4 letters, for example MAEU")]
    Scac(String),
    #[error(
        "'{0}' is not a container number: ISO 6346 is 3 letters (owner), U, J or Z (category), 6 digits and a check digit, for example CSQU3054383"
    )]
    ContainerFormat(String),
    #[error(
        "container number '{given}' has a wrong check digit: ISO 6346 gives {expected}; check for a typing mistake"
    )]
    ContainerCheckDigit { given: String, expected: u8 },
    #[error("'{0}' is not a transport mode; use one of sea, air, road, rail, parcel")]
    Mode(String),
}

impl CodedError for LogisticsCodeError {
    fn code(&self) -> &'static str {
        match self {
            LogisticsCodeError::Scac(_) => "invalid_scac",
            LogisticsCodeError::ContainerFormat(_) => "invalid_container_number",
            LogisticsCodeError::ContainerCheckDigit { .. } => "invalid_container_check_digit",
            LogisticsCodeError::Mode(_) => "unknown_transport_mode",
        }
    }
}

/// A Standard Carrier Alpha Code (NMFTA): 2 to 4 letters, held upper case. A carrier
/// registers its own; no two carriers on the platform share one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Scac(String);

impl Scac {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Scac {
    type Err = LogisticsCodeError;
    fn from_str(s: &str) -> Result<Self, LogisticsCodeError> {
        let v = s.trim().to_ascii_uppercase();
        if (2..=4).contains(&v.len()) && v.chars().all(|c| c.is_ascii_uppercase()) {
            Ok(Scac(v))
        } else {
            Err(LogisticsCodeError::Scac(s.to_string()))
        }
    }
}

impl TryFrom<String> for Scac {
    type Error = LogisticsCodeError;
    fn try_from(s: String) -> Result<Self, LogisticsCodeError> {
        s.parse()
    }
}

impl From<Scac> for String {
    fn from(s: Scac) -> String {
        s.0
    }
}

impl fmt::Display for Scac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How goods travel. The mode decides how volume counts towards the chargeable weight
/// ([`chargeable_weight`]) and whether a booking needs container numbers (sea).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportMode {
    Sea,
    Air,
    Road,
    Rail,
    Parcel,
}

impl TransportMode {
    pub const ALL: [TransportMode; 5] =
        [TransportMode::Sea, TransportMode::Air, TransportMode::Road, TransportMode::Rail, TransportMode::Parcel];

    pub fn as_str(self) -> &'static str {
        match self {
            TransportMode::Sea => "sea",
            TransportMode::Air => "air",
            TransportMode::Road => "road",
            TransportMode::Rail => "rail",
            TransportMode::Parcel => "parcel",
        }
    }
}

impl FromStr for TransportMode {
    type Err = LogisticsCodeError;
    fn from_str(s: &str) -> Result<Self, LogisticsCodeError> {
        let v = s.trim().to_ascii_lowercase();
        TransportMode::ALL.into_iter().find(|m| m.as_str() == v).ok_or_else(|| LogisticsCodeError::Mode(s.to_string()))
    }
}

impl fmt::Display for TransportMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scacs_are_two_to_four_letters() {
        assert_eq!("maeu".parse::<Scac>().map(|s| s.to_string()), Ok("MAEU".into()));
        assert!("CM".parse::<Scac>().is_ok());
        for bad in ["", "M", "MAEUX", "MA3U", "MÄEU", "MA EU"] {
            let err = bad.parse::<Scac>().expect_err(bad);
            assert_eq!(err.code(), "invalid_scac");
        }
        assert!(serde_json::from_str::<Scac>("\"X1\"").is_err());
    }

    #[test]
    fn modes_parse_and_name_the_choices() {
        assert_eq!(" Air ".parse::<TransportMode>(), Ok(TransportMode::Air));
        let err = "ship".parse::<TransportMode>().expect_err("unknown");
        assert!(err.to_string().contains("sea, air, road, rail, parcel"));
    }
}
