//! Validated code newtypes: each can only hold a value that its standard allows.

use crate::validation::CodedError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Why a code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("'{0}' is not an ISO 3166-1 alpha-2 country code (for example SG, DE, CN)")]
    Country(String),
    #[error("'{0}' is not an ISO 4217 currency code (for example USD, EUR, CNY)")]
    Currency(String),
    #[error("'{0}' is not an HS code: use 2, 4 or 6 digits (chapter, heading, subheading), for example 0901 or 090111")]
    HsFormat(String),
    #[error("'{0}' is not a UN/LOCODE: use the 2-letter country then 3 letters or digits 2-9, for example SGSIN")]
    Locode(String),
    #[error("'{0}' is not an LEI: an LEI is 20 characters, 18 letters or digits then 2 check digits")]
    LeiFormat(String),
    #[error("LEI '{0}' has wrong check digits (ISO 17442 uses ISO 7064 MOD 97-10); check for a typing mistake")]
    LeiCheckDigits(String),
}

impl CodedError for CodeError {
    fn code(&self) -> &'static str {
        match self {
            CodeError::Country(_) => "unknown_country",
            CodeError::Currency(_) => "unknown_currency",
            CodeError::HsFormat(_) => "invalid_hs_code",
            CodeError::Locode(_) => "invalid_locode",
            CodeError::LeiFormat(_) => "invalid_lei",
            CodeError::LeiCheckDigits(_) => "invalid_lei_check_digits",
        }
    }
}

macro_rules! string_newtype {
    ($name:ident) => {
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

/// An ISO 3166-1 alpha-2 country code that names an assigned country.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    pub fn as_str(&self) -> &str {
        // Constructed only from ASCII letters.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
    /// The English short name.
    pub fn name(&self) -> &'static str {
        isocountry::CountryCode::for_alpha2(self.as_str()).map(|c| c.name()).unwrap_or("")
    }
    pub fn alpha3(&self) -> &'static str {
        isocountry::CountryCode::for_alpha2(self.as_str()).map(|c| c.alpha3()).unwrap_or("")
    }
    /// Every assigned code, sorted.
    pub fn all() -> Vec<CountryCode> {
        let mut v: Vec<CountryCode> = isocountry::CountryCode::iter().filter_map(|c| c.alpha2().parse().ok()).collect();
        v.sort();
        v
    }
}

impl FromStr for CountryCode {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, CodeError> {
        let up = s.trim().to_ascii_uppercase();
        match isocountry::CountryCode::for_alpha2(&up) {
            Ok(_) if up.len() == 2 => {
                let b = up.as_bytes();
                Ok(CountryCode([b[0], b[1]]))
            }
            _ => Err(CodeError::Country(s.to_string())),
        }
    }
}
string_newtype!(CountryCode);

/// An ISO 4217 currency code, with its minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CurrencyCode(iso_currency::Currency);

impl CurrencyCode {
    pub fn as_str(&self) -> &'static str {
        self.0.code()
    }
    pub fn name(&self) -> String {
        self.0.name().to_string()
    }
    /// Digits after the decimal point (2 for USD, 0 for JPY, 3 for KWD); `None` for codes
    /// such as XAU that have no minor unit.
    pub fn minor_units(&self) -> Option<u16> {
        self.0.exponent()
    }
    /// The national currency of a country (EUR for Germany, SGD for Singapore): among the
    /// currencies ISO 4217 lists for it, the one whose code starts with the country code,
    /// else the first that is not a fund or precious-metal code.
    pub fn of_country(country: &CountryCode) -> Option<CurrencyCode> {
        use iso_currency::IntoEnumIterator;
        let alpha2 = country.as_str();
        let used: Vec<iso_currency::Currency> = iso_currency::Currency::iter()
            .filter(|c| {
                c.used_by().iter().any(|k| k.to_string().eq_ignore_ascii_case(alpha2) || format!("{k:?}") == alpha2)
            })
            .collect();
        used.iter()
            .find(|c| c.code().starts_with(alpha2) && !c.is_fund())
            .or_else(|| used.iter().find(|c| c.exponent().is_some() && !c.is_fund() && !c.is_special()))
            .map(|c| CurrencyCode(*c))
    }
    pub fn all() -> Vec<CurrencyCode> {
        use iso_currency::IntoEnumIterator;
        let mut v: Vec<CurrencyCode> = iso_currency::Currency::iter().map(CurrencyCode).collect();
        v.sort_by_key(|c| c.as_str());
        v
    }
}

impl FromStr for CurrencyCode {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, CodeError> {
        iso_currency::Currency::from_code(&s.trim().to_ascii_uppercase())
            .map(CurrencyCode)
            .ok_or_else(|| CodeError::Currency(s.to_string()))
    }
}
string_newtype!(CurrencyCode);

/// The level of an HS code in the nomenclature tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HsLevel {
    Chapter,
    Heading,
    Subheading,
}

/// An HS 2022 code: a chapter (2 digits), heading (4) or subheading (6). Whether the code
/// exists in the nomenclature is a question for the reference data, not for this type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HsCode(String);

impl HsCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn level(&self) -> HsLevel {
        match self.0.len() {
            2 => HsLevel::Chapter,
            4 => HsLevel::Heading,
            _ => HsLevel::Subheading,
        }
    }
    pub fn chapter(&self) -> &str {
        &self.0[..2]
    }
    /// The code one level up, if any.
    pub fn parent(&self) -> Option<HsCode> {
        match self.0.len() {
            4 | 6 => Some(HsCode(self.0[..self.0.len() - 2].to_string())),
            _ => None,
        }
    }
}

impl FromStr for HsCode {
    type Err = CodeError;
    /// Accepts the dotted forms people write (`0901.11`, `0901.11.00` is refused: national
    /// tariff lines beyond six digits are not HS).
    fn from_str(s: &str) -> Result<Self, CodeError> {
        let digits: String = s.trim().chars().filter(|c| *c != '.' && *c != ' ').collect();
        let ok = matches!(digits.len(), 2 | 4 | 6)
            && digits.chars().all(|c| c.is_ascii_digit())
            && &digits[..2] != "00"
            && &digits[..2] <= "97";
        if ok { Ok(HsCode(digits)) } else { Err(CodeError::HsFormat(s.to_string())) }
    }
}
string_newtype!(HsCode);

/// A UN/LOCODE: ISO 3166-1 country then three characters from A-Z and 2-9.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Locode(String);

impl Locode {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn country(&self) -> CountryCode {
        // Checked at construction.
        self.0[..2].parse().unwrap_or_else(|_| unreachable_country())
    }
}

fn unreachable_country() -> CountryCode {
    CountryCode(*b"ZZ")
}

impl FromStr for Locode {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, CodeError> {
        let v: String = s.trim().chars().filter(|c| *c != ' ').collect::<String>().to_ascii_uppercase();
        let ok = v.len() == 5
            && v.is_ascii()
            && v[..2].parse::<CountryCode>().is_ok()
            && v[2..].chars().all(|c| c.is_ascii_uppercase() || ('2'..='9').contains(&c));
        if ok { Ok(Locode(v)) } else { Err(CodeError::Locode(s.to_string())) }
    }
}
string_newtype!(Locode);

/// A Legal Entity Identifier (ISO 17442) whose check digits are right.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lei(String);

impl Lei {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// ISO 7064 MOD 97-10 over an alphanumeric string (letters count as 10..35).
pub(crate) fn mod97(s: &str) -> Option<u32> {
    let mut rem: u32 = 0;
    for c in s.chars() {
        let v = c.to_digit(36)?;
        if v >= 10 {
            rem = (rem * 100 + v) % 97;
        } else {
            rem = (rem * 10 + v) % 97;
        }
    }
    Some(rem)
}

impl FromStr for Lei {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, CodeError> {
        let v = s.trim().to_ascii_uppercase();
        let shape = v.len() == 20
            && v.chars().all(|c| c.is_ascii_alphanumeric())
            && v[18..].chars().all(|c| c.is_ascii_digit());
        if !shape {
            return Err(CodeError::LeiFormat(s.to_string()));
        }
        match mod97(&v) {
            Some(1) => Ok(Lei(v)),
            _ => Err(CodeError::LeiCheckDigits(s.to_string())),
        }
    }
}
string_newtype!(Lei);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn country_codes() {
        assert_eq!("sg".parse::<CountryCode>().map(|c| c.to_string()), Ok("SG".to_string()));
        assert!("XX".parse::<CountryCode>().is_err());
        assert!("SGP".parse::<CountryCode>().is_err());
        assert_eq!("DE".parse::<CountryCode>().map(|c| c.name()), Ok("Germany"));
        assert!(CountryCode::all().len() > 240);
    }

    #[test]
    fn currency_minor_units() {
        let jpy: CurrencyCode = "JPY".parse().expect("JPY");
        let kwd: CurrencyCode = "KWD".parse().expect("KWD");
        let usd: CurrencyCode = "usd".parse().expect("USD");
        assert_eq!(jpy.minor_units(), Some(0));
        assert_eq!(kwd.minor_units(), Some(3));
        assert_eq!(usd.minor_units(), Some(2));
        assert!("ABC".parse::<CurrencyCode>().is_err());
    }

    #[test]
    fn hs_codes() {
        let c: HsCode = "0901.11".parse().expect("dotted");
        assert_eq!(c.as_str(), "090111");
        assert_eq!(c.level(), HsLevel::Subheading);
        assert_eq!(c.parent().map(|p| p.to_string()), Some("0901".into()));
        assert_eq!(c.chapter(), "09");
        for bad in ["9", "123", "12345678", "00", "98", "ab"] {
            assert!(bad.parse::<HsCode>().is_err(), "{bad}");
        }
    }

    #[test]
    fn locodes() {
        assert!("SGSIN".parse::<Locode>().is_ok());
        assert!("de ham".parse::<Locode>().is_ok());
        assert!("XXSIN".parse::<Locode>().is_err());
        assert!("SGS1N".parse::<Locode>().is_err(), "digit 1 is not allowed");
    }

    #[test]
    fn lei_check_digits() {
        // Published LEIs (GLEIF's own, and a bank's).
        assert!("506700GE1G29325QX363".parse::<Lei>().is_ok());
        assert!("5493001KJTIIGC8Y1R12".parse::<Lei>().is_ok());
        assert_eq!(
            "506700GE1G29325QX364".parse::<Lei>(),
            Err(CodeError::LeiCheckDigits("506700GE1G29325QX364".into()))
        );
        assert!(matches!("506700GE1G".parse::<Lei>(), Err(CodeError::LeiFormat(_))));
    }

    fn lei_with_check(base: &str) -> String {
        let rem = mod97(&format!("{base}00")).expect("alnum");
        format!("{base}{:02}", 98 - rem)
    }

    proptest! {
        #[test]
        fn any_lei_with_computed_check_digits_parses(base in "[A-Z0-9]{18}") {
            let lei = lei_with_check(&base);
            prop_assert!(lei.parse::<Lei>().is_ok());
        }

        #[test]
        // MOD 97-10 catches every single-digit substitution (letters expand to two digits,
        // so only digit-for-digit changes carry that guarantee).
        fn a_single_changed_digit_is_caught(base in "[A-Z0-9]{18}", pos in 0usize..20, c in "[0-9]") {
            let lei = lei_with_check(&base);
            let mut chars: Vec<char> = lei.chars().collect();
            let new = c.chars().next().unwrap_or('0');
            prop_assume!(chars[pos].is_ascii_digit() && chars[pos] != new);
            chars[pos] = new;
            let changed: String = chars.into_iter().collect();
            prop_assert!(changed.parse::<Lei>().is_err());
        }

        #[test]
        fn hs_parser_never_panics(s in "\\PC{0,12}") {
            let _ = s.parse::<HsCode>();
            let _ = s.parse::<Locode>();
            let _ = s.parse::<Lei>();
        }
    }
}
