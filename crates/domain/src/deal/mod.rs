//! The deal: purchase orders between a buyer and a seller and their life cycle
//! ([`order`]), the double-entry ledger that holds the buyer's money in escrow until the
//! seller is paid ([`ledger`]), and the ISO 20022 credit-transfer file that pays sellers out
//! ([`pain001`]).
//!
//! Everything here is pure: the store persists orders and journal entries, the server
//! decides who may act, and a payment provider moves the money.

use crate::validation::CodedError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

pub mod fx;
pub mod ledger;
pub mod order;
pub mod pain001;
pub mod payment;

/// The two sides of a deal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Buyer,
    Seller,
}

impl Party {
    pub fn as_str(self) -> &'static str {
        match self {
            Party::Buyer => "buyer",
            Party::Seller => "seller",
        }
    }
    /// The other side.
    pub fn counterparty(self) -> Party {
        match self {
            Party::Buyer => Party::Seller,
            Party::Seller => Party::Buyer,
        }
    }
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an identifier: use 1 to 64 letters, digits, '-', '_', '.' or ':'")]
pub struct InvalidId(pub String);

impl CodedError for InvalidId {
    fn code(&self) -> &'static str {
        "invalid_id"
    }
}

fn check_id(s: &str) -> Result<String, InvalidId> {
    let v = s.trim();
    let ok = !v.is_empty()
        && v.len() <= 64
        && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    if ok { Ok(v.to_string()) } else { Err(InvalidId(s.to_string())) }
}

macro_rules! id_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                check_id(s).map($name)
            }
        }
        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, InvalidId> {
                s.parse()
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_newtype!(
    /// The organisation on one side of a deal (the store's organisation id).
    PartyId
);
id_newtype!(
    /// An order (the store's order id).
    OrderId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_short_and_plain() {
        assert_eq!("  0190a1b2-c3d4 ".parse::<PartyId>().map(|p| p.to_string()), Ok("0190a1b2-c3d4".into()));
        for bad in ["", "   ", "a b", "x<y>", &"a".repeat(65)] {
            assert!(bad.parse::<OrderId>().is_err(), "{bad}");
        }
        assert_eq!(Party::Buyer.counterparty(), Party::Seller);
        let id: OrderId = serde_json::from_str("\"ord-1\"").expect("json");
        assert_eq!(id.as_str(), "ord-1");
        assert!(serde_json::from_str::<OrderId>("\"\"").is_err());
    }
}
