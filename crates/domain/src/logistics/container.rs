//! ISO 6346 container numbers: owner code, equipment category, serial and check digit.
//!
//! The check digit: each of the first ten characters gets a value (digits their own value;
//! letters A = 10 upwards, skipping 11, 22 and 33, the multiples of 11, so A=10, B=12 … K=21,
//! L=23 … U=32, V=34 … Z=38), multiplied by 2^position (0 to 9); the sum modulo 11 is the
//! check digit, and a remainder of 10 is written 0 (ISO advises owners not to issue such
//! serials, but they exist, so they are accepted).

use super::LogisticsCodeError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A container number whose format and check digit are right, held as 11 upper-case
/// characters without spaces (`CSQU3054383`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ContainerNumber(String);

/// The ISO 6346 value of one character of the first ten.
fn char_value(c: u8) -> u32 {
    if c.is_ascii_digit() {
        u32::from(c - b'0')
    } else {
        // A = 10, then one up per letter, jumping over each multiple of 11.
        let mut v = 10;
        for _ in b'A'..c {
            v += 1;
            if v % 11 == 0 {
                v += 1;
            }
        }
        v
    }
}

/// The weighted sum of the first ten characters modulo 11 (before 10 is written as 0).
pub fn check_remainder(first_ten: &str) -> u32 {
    first_ten.bytes().enumerate().map(|(i, c)| char_value(c) << i).sum::<u32>() % 11
}

/// The check digit for the first ten characters (owner code, category, serial).
pub fn check_digit(first_ten: &str) -> u8 {
    // A remainder of 10 is written as 0; the remainder is below 11 so the cast is exact.
    (check_remainder(first_ten) % 10) as u8
}

impl ContainerNumber {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The three-letter owner code (BIC code prefix).
    pub fn owner(&self) -> &str {
        &self.0[..3]
    }
    /// `U` freight container, `J` detachable freight container equipment, `Z` trailer or chassis.
    pub fn category(&self) -> char {
        char::from(self.0.as_bytes()[3])
    }
}

impl FromStr for ContainerNumber {
    type Err = LogisticsCodeError;
    fn from_str(s: &str) -> Result<Self, LogisticsCodeError> {
        // Printed numbers often separate the parts: "CSQU 305438 3", "CSQU-305438-3".
        let v: String = s.chars().filter(|c| !matches!(c, ' ' | '-')).collect::<String>().to_ascii_uppercase();
        let b = v.as_bytes();
        let well_formed = b.len() == 11
            && b[..3].iter().all(u8::is_ascii_uppercase)
            && matches!(b[3], b'U' | b'J' | b'Z')
            && b[4..].iter().all(u8::is_ascii_digit);
        if !well_formed {
            return Err(LogisticsCodeError::ContainerFormat(s.to_string()));
        }
        let expected = check_digit(&v[..10]);
        if b[10] - b'0' != expected {
            return Err(LogisticsCodeError::ContainerCheckDigit { given: s.to_string(), expected });
        }
        Ok(ContainerNumber(v))
    }
}

impl TryFrom<String> for ContainerNumber {
    type Error = LogisticsCodeError;
    fn try_from(s: String) -> Result<Self, LogisticsCodeError> {
        s.parse()
    }
}

impl From<ContainerNumber> for String {
    fn from(c: ContainerNumber) -> String {
        c.0
    }
}

impl fmt::Display for ContainerNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::CodedError;
    use proptest::prelude::*;

    #[test]
    fn letter_values_skip_multiples_of_eleven() {
        let v: Vec<u32> = (b'A'..=b'Z').map(char_value).collect();
        assert_eq!(&v[..3], &[10, 12, 13]);
        assert_eq!(v[(b'K' - b'A') as usize], 21);
        assert_eq!(v[(b'L' - b'A') as usize], 23);
        assert_eq!(v[(b'U' - b'A') as usize], 32);
        assert_eq!(v[(b'V' - b'A') as usize], 34);
        assert_eq!(v[25], 38);
        assert!(v.iter().all(|x| x % 11 != 0));
    }

    #[test]
    fn known_numbers_validate() {
        // CSQU3054383 is the example in ISO 6346 itself; the others carry registered owner
        // codes (MSK, TGH) with check digits worked out by hand.
        for good in ["CSQU3054383", "MSKU9070323", "TGHU8000010", "csqu 305438 3", "CSQU-305438-3"] {
            let c = good.parse::<ContainerNumber>().unwrap_or_else(|e| panic!("{good}: {e}"));
            assert_eq!(c.owner().len(), 3);
        }
        let c: ContainerNumber = "CSQU3054383".parse().expect("valid");
        assert_eq!((c.owner(), c.category()), ("CSQ", 'U'));
    }

    #[test]
    fn a_wrong_check_digit_names_the_right_one() {
        let err = "CSQU3054384".parse::<ContainerNumber>().expect_err("wrong digit");
        assert_eq!(err, LogisticsCodeError::ContainerCheckDigit { given: "CSQU3054384".into(), expected: 3 });
        assert_eq!(err.code(), "invalid_container_check_digit");
        for bad in ["", "CSQU305438", "CSQX3054383", "CS1U3054383", "CSQU30543A3", "CSQU30543833"] {
            let err = bad.parse::<ContainerNumber>().expect_err(bad);
            assert_eq!(err.code(), "invalid_container_number", "{bad}");
        }
    }

    fn owner_and_serial() -> impl Strategy<Value = String> {
        ("[A-Z]{3}", prop::sample::select(vec!['U', 'J', 'Z']), "[0-9]{6}").prop_map(|(o, c, s)| format!("{o}{c}{s}"))
    }

    proptest! {
        #[test]
        fn the_computed_digit_is_the_only_one_accepted(first in owner_and_serial(), d in 0u8..10) {
            let expected = check_digit(&first);
            let r = format!("{first}{d}").parse::<ContainerNumber>();
            prop_assert_eq!(r.is_ok(), d == expected);
        }

        #[test]
        fn one_mistyped_serial_digit_changes_the_remainder(first in owner_and_serial(), pos in 4usize..10, delta in 1u8..10) {
            let mut b = first.clone().into_bytes();
            b[pos] = b'0' + (b[pos] - b'0' + delta) % 10;
            let typo = String::from_utf8(b).expect("ascii");
            // Weights are powers of two and 11 is prime, so a change of one digit always
            // moves the remainder (only the 10 → 0 convention can then hide it).
            prop_assert_ne!(check_remainder(&first), check_remainder(&typo));
        }
    }
}
