//! Paying sellers out through the bank: the ISO 20022 Customer Credit Transfer Initiation
//! (`pain.001.001.03`) file for a batch of payouts from the platform's account, and the bank
//! identifiers it carries, [`Iban`] (ISO 13616, MOD 97-10 check digits) and [`Bic`]
//! (ISO 9362 shape).
//!
//! The file holds one payment information block: one debtor account, one currency, one
//! requested execution date, and a credit transfer per payout. Creation time is passed in,
//! so the same batch always gives the same bytes.

use crate::codes::{CountryCode, CurrencyCode};
use crate::money::Money;
use crate::validation::{CodedError, ValidationErrors};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;
use std::io;
use std::str::FromStr;

/// The XML namespace of the message this module writes.
pub const PAIN_001_001_03_NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03";
/// Most payouts in one file.
pub const MAX_PAYOUTS: usize = 10_000;

/// Why a bank identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BankIdError {
    #[error(
        "'{0}' is not an IBAN: an IBAN is a 2-letter country, 2 check digits, then up to 30 letters or digits, for example DE89 3704 0044 0532 0130 00"
    )]
    IbanFormat(String),
    #[error("IBAN '{0}' should be {1} characters long for its country")]
    IbanLength(String, usize),
    #[error("IBAN '{0}' has wrong check digits (ISO 13616 uses ISO 7064 MOD 97-10); check for a typing mistake")]
    IbanCheckDigits(String),
    #[error(
        "'{0}' is not a BIC: use 8 or 11 characters, 4-letter bank code, 2-letter country, 2-character location, optional 3-character branch, for example DEUTDEFF or DEUTDEFF500"
    )]
    Bic(String),
    #[error("'{0}' is not an account number: use 1 to 34 letters, digits or '-'")]
    AccountNumber(String),
}

impl CodedError for BankIdError {
    fn code(&self) -> &'static str {
        match self {
            BankIdError::IbanFormat(_) => "invalid_iban",
            BankIdError::IbanLength(..) => "invalid_iban_length",
            BankIdError::IbanCheckDigits(_) => "invalid_iban_check_digits",
            BankIdError::Bic(_) => "invalid_bic",
            BankIdError::AccountNumber(_) => "invalid_account_number",
        }
    }
}

/// IBAN lengths per country, from the IBAN registry, for the countries most trade runs
/// through; an IBAN from a country not listed is checked for shape and check digits only.
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AT", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BR", 29),
    ("CH", 21),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("EE", 20),
    ("ES", 24),
    ("FI", 18),
    ("FR", 27),
    ("GB", 22),
    ("GR", 27),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IS", 26),
    ("IT", 27),
    ("KW", 30),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MT", 31),
    ("NL", 18),
    ("NO", 15),
    ("PK", 24),
    ("PL", 28),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("SA", 24),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("TR", 26),
];

/// ISO 7064 MOD 97-10 remainder of an alphanumeric string (letters count as 10..35).
fn mod97(s: &str) -> Option<u32> {
    let mut rem: u32 = 0;
    for c in s.chars() {
        let v = c.to_digit(36)?;
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    Some(rem)
}

/// An International Bank Account Number whose check digits are right, held in its
/// electronic form (no spaces, upper case).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Iban(String);

impl Iban {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The country part, as written (an IBAN country such as XK need not be in ISO 3166).
    pub fn country(&self) -> &str {
        &self.0[..2]
    }
    /// The paper form: groups of four characters.
    pub fn formatted(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join(" ")
    }
}

impl FromStr for Iban {
    type Err = BankIdError;
    fn from_str(s: &str) -> Result<Self, BankIdError> {
        let v: String = s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        let shape = (5..=34).contains(&v.len())
            && v.chars().all(|c| c.is_ascii_alphanumeric())
            && v[..2].chars().all(|c| c.is_ascii_uppercase())
            && v[2..4].chars().all(|c| c.is_ascii_digit());
        if !shape {
            return Err(BankIdError::IbanFormat(s.to_string()));
        }
        if let Some((_, len)) = IBAN_LENGTHS.iter().find(|(c, _)| *c == &v[..2])
            && v.len() != *len
        {
            return Err(BankIdError::IbanLength(s.to_string(), *len));
        }
        // Move the country and check digits to the end, then the remainder must be 1.
        let rearranged = format!("{}{}", &v[4..], &v[..4]);
        match mod97(&rearranged) {
            Some(1) => Ok(Iban(v)),
            _ => Err(BankIdError::IbanCheckDigits(s.to_string())),
        }
    }
}

/// A Business Identifier Code (ISO 9362) of the right shape: bank code, country,
/// location, optional branch. Whether the bank exists is for the bank to say.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Bic(String);

impl Bic {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn country(&self) -> &str {
        &self.0[4..6]
    }
    /// The head-office form: an 11-character BIC ending in XXX names the same institution
    /// as its first 8 characters.
    pub fn institution(&self) -> &str {
        &self.0[..8]
    }
}

impl FromStr for Bic {
    type Err = BankIdError;
    fn from_str(s: &str) -> Result<Self, BankIdError> {
        let v: String = s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        let b = v.as_bytes();
        // The pain.001.001.03 pattern: [A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?
        let ok = (v.len() == 8 || v.len() == 11)
            && b[..6].iter().all(u8::is_ascii_uppercase)
            && (b[6].is_ascii_uppercase() || (b'2'..=b'9').contains(&b[6]))
            && ((b[7].is_ascii_uppercase() && b[7] != b'O') || b[7].is_ascii_digit())
            && b[8..].iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && (v[4..6].parse::<CountryCode>().is_ok() || &v[4..6] == "XK");
        if ok { Ok(Bic(v)) } else { Err(BankIdError::Bic(s.to_string())) }
    }
}

/// A domestic account number, for countries without IBANs (paired with a BIC).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountNumber(String);

impl AccountNumber {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for AccountNumber {
    type Err = BankIdError;
    fn from_str(s: &str) -> Result<Self, BankIdError> {
        let v = s.trim();
        let ok = (1..=34).contains(&v.len()) && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if ok { Ok(AccountNumber(v.to_string())) } else { Err(BankIdError::AccountNumber(s.to_string())) }
    }
}

macro_rules! text_id {
    ($($name:ident),*) => {$(
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl TryFrom<String> for $name {
            type Error = BankIdError;
            fn try_from(s: String) -> Result<Self, BankIdError> {
                s.parse()
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
    )*};
}
text_id!(Iban, Bic, AccountNumber);

/// Where money goes to (or comes from): an IBAN, with the bank's BIC when known, or a
/// domestic account number, which needs the BIC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BankAccount {
    Iban { iban: Iban, bic: Option<Bic> },
    AccountNumber { number: AccountNumber, bic: Bic },
}

impl BankAccount {
    pub fn bic(&self) -> Option<&Bic> {
        match self {
            BankAccount::Iban { bic, .. } => bic.as_ref(),
            BankAccount::AccountNumber { bic, .. } => Some(bic),
        }
    }
}

/// Who pays the banks' charges (pain.001 `ChrgBr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargeBearer {
    /// `DEBT`: the platform pays all charges.
    Debtor,
    /// `CRED`: the seller pays all charges.
    Creditor,
    /// `SHAR`: each side pays its own bank.
    Shared,
    /// `SLEV`: as the payment scheme says (required for SEPA credit transfers).
    FollowingServiceLevel,
}

impl ChargeBearer {
    pub fn code(self) -> &'static str {
        match self {
            ChargeBearer::Debtor => "DEBT",
            ChargeBearer::Creditor => "CRED",
            ChargeBearer::Shared => "SHAR",
            ChargeBearer::FollowingServiceLevel => "SLEV",
        }
    }
}

/// One credit transfer to a seller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payout {
    /// Travels unchanged to the seller's bank statement; unique within the file (for
    /// example the payout's ledger entry id).
    pub end_to_end_id: String,
    pub creditor_name: String,
    pub creditor_country: Option<CountryCode>,
    pub account: BankAccount,
    pub amount: Money,
    /// Unstructured remittance text (for example the order numbers paid).
    pub remittance: Option<String>,
}

/// A payout file's content: the platform's account and the payouts from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutBatch {
    /// Unique per file sent to the bank; also used as the payment information id.
    pub message_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
    pub requested_execution_date: time::Date,
    pub debtor_name: String,
    pub debtor_account: BankAccount,
    pub charge_bearer: ChargeBearer,
    pub payouts: Vec<Payout>,
}

impl PayoutBatch {
    /// The sum of the payout amounts (`CtrlSum`), if they share a currency.
    pub fn control_sum(&self) -> Option<Money> {
        let first = self.payouts.first()?;
        let mut sum = Money::from_minor_units(0, first.amount.currency());
        for p in &self.payouts {
            sum = sum.checked_add(&p.amount).ok()?;
        }
        Some(sum)
    }
}

/// The SWIFT character set that every bank accepts in references.
fn is_reference(s: &str) -> bool {
    !s.is_empty()
        && s.chars().count() <= 35
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "/-?:().,'+ ".contains(c))
        && !s.starts_with('/')
        && !s.ends_with('/')
        && !s.contains("//")
        && s.trim() == s
}

fn check_reference(e: &mut ValidationErrors, field: &str, v: &str) {
    if !is_reference(v) {
        e.push(
            field,
            "invalid_reference",
            "use 1 to 35 letters, digits, spaces or / - ? : ( ) . , ' + (no leading, trailing or double '/')",
        );
    }
}

fn check_text(e: &mut ValidationErrors, field: &str, v: &str, max: usize) {
    let n = v.trim().chars().count();
    if n == 0 {
        e.push(field, "required", format!("{field} is required"));
    } else if n > max {
        e.push(field, "too_long", format!("{field} must be at most {max} characters"));
    } else if v.chars().any(char::is_control) {
        e.push(field, "control_characters", format!("{field} may not hold control characters"));
    }
}

/// Digits in the integer part an amount may have: `totalDigits` 18 less the fraction.
fn too_many_digits(m: Money) -> bool {
    let scale = u32::from(m.currency().minor_units().unwrap_or(0));
    m.amount().trunc().abs() >= Decimal::from(10_i64.pow(18 - scale))
}

/// Checks a batch before it is written; every problem is reported with its field.
pub fn validate(batch: &PayoutBatch) -> Result<(), ValidationErrors> {
    let mut e = ValidationErrors::new();
    check_reference(&mut e, "message_id", &batch.message_id);
    check_text(&mut e, "debtor_name", &batch.debtor_name, 140);
    if batch.created_at.format_into(&mut io::sink(), &time::format_description::well_known::Rfc3339).is_err() {
        e.push("created_at", "invalid_time", "the creation time must fall in the years 0000 to 9999");
    }
    if batch.requested_execution_date.year() < 1 || batch.requested_execution_date.year() > 9999 {
        e.push("requested_execution_date", "invalid_date", "the execution date must fall in the years 0001 to 9999");
    }
    if batch.payouts.is_empty() {
        e.push("payouts", "required", "a payout file needs at least one payout");
    } else if batch.payouts.len() > MAX_PAYOUTS {
        e.push("payouts", "too_many", format!("a payout file holds at most {MAX_PAYOUTS} payouts"));
    }
    let currency: Option<CurrencyCode> = batch.payouts.first().map(|p| p.amount.currency());
    let mut seen = HashSet::new();
    for (i, p) in batch.payouts.iter().enumerate() {
        let f = format!("payouts[{i}]");
        check_reference(&mut e, &format!("{f}.end_to_end_id"), &p.end_to_end_id);
        if !seen.insert(p.end_to_end_id.as_str()) {
            e.push(format!("{f}.end_to_end_id"), "duplicate", "each payout needs its own end-to-end id");
        }
        check_text(&mut e, &format!("{f}.creditor_name"), &p.creditor_name, 140);
        if let Some(r) = &p.remittance {
            check_text(&mut e, &format!("{f}.remittance"), r, 140);
        }
        if p.amount.amount() <= Decimal::ZERO {
            e.push(format!("{f}.amount"), "not_positive", "a payout must be above zero");
        } else if too_many_digits(p.amount) {
            e.push(format!("{f}.amount"), "too_large", "the amount is too large for a credit transfer");
        }
        if p.amount.currency().minor_units().is_none() {
            e.push(format!("{f}.amount"), "not_payable", format!("{} cannot be paid", p.amount.currency()));
        }
        if let Some(c) = currency
            && p.amount.currency() != c
        {
            e.push(
                format!("{f}.amount"),
                "mixed_currencies",
                format!("this payout is in {} but the file is in {c}: one file per currency", p.amount.currency()),
            );
        }
    }
    if e.is_empty()
        && let Some(sum) = batch.control_sum()
        && too_many_digits(sum)
    {
        e.push("payouts", "too_large", "the payouts add up to more than a file can carry: split the batch");
    }
    e.into_result(())
}

fn amount_text(m: Money) -> String {
    let scale = usize::from(m.currency().minor_units().unwrap_or(0));
    format!("{:.*}", scale, m.amount())
}

type W = Writer<Vec<u8>>;

fn text(w: &mut W, name: &str, value: &str) -> io::Result<()> {
    w.create_element(name).write_text_content(BytesText::new(value))?;
    Ok(())
}

fn account(w: &mut W, name: &str, a: &BankAccount, currency: Option<CurrencyCode>) -> io::Result<()> {
    w.create_element(name).write_inner_content(|w| {
        w.create_element("Id").write_inner_content(|w| match a {
            BankAccount::Iban { iban, .. } => text(w, "IBAN", iban.as_str()),
            BankAccount::AccountNumber { number, .. } => {
                w.create_element("Othr").write_inner_content(|w| text(w, "Id", number.as_str()))?;
                Ok(())
            }
        })?;
        if let Some(c) = currency {
            text(w, "Ccy", c.as_str())?;
        }
        Ok(())
    })?;
    Ok(())
}

fn agent(w: &mut W, name: &str, bic: Option<&Bic>) -> io::Result<()> {
    w.create_element(name).write_inner_content(|w| {
        w.create_element("FinInstnId").write_inner_content(|w| match bic {
            Some(b) => text(w, "BIC", b.as_str()),
            // The usual convention when the debtor's bank is implied by its IBAN.
            None => {
                w.create_element("Othr").write_inner_content(|w| text(w, "Id", "NOTPROVIDED"))?;
                Ok(())
            }
        })?;
        Ok(())
    })?;
    Ok(())
}

fn party(w: &mut W, name: &str, party_name: &str, country: Option<CountryCode>) -> io::Result<()> {
    w.create_element(name).write_inner_content(|w| {
        text(w, "Nm", party_name.trim())?;
        if let Some(c) = country {
            w.create_element("PstlAdr").write_inner_content(|w| text(w, "Ctry", c.as_str()))?;
        }
        Ok(())
    })?;
    Ok(())
}

fn write_document(batch: &PayoutBatch, created: &str, sum: Money) -> io::Result<Vec<u8>> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let count = batch.payouts.len().to_string();
    let sum_text = amount_text(sum);
    let date = batch.requested_execution_date.to_string();
    w.create_element("Document").with_attribute(("xmlns", PAIN_001_001_03_NAMESPACE)).write_inner_content(|w| {
        w.create_element("CstmrCdtTrfInitn").write_inner_content(|w| {
            w.create_element("GrpHdr").write_inner_content(|w| {
                text(w, "MsgId", &batch.message_id)?;
                text(w, "CreDtTm", created)?;
                text(w, "NbOfTxs", &count)?;
                text(w, "CtrlSum", &sum_text)?;
                party(w, "InitgPty", &batch.debtor_name, None)
            })?;
            w.create_element("PmtInf").write_inner_content(|w| {
                text(w, "PmtInfId", &batch.message_id)?;
                text(w, "PmtMtd", "TRF")?;
                text(w, "NbOfTxs", &count)?;
                text(w, "CtrlSum", &sum_text)?;
                text(w, "ReqdExctnDt", &date)?;
                party(w, "Dbtr", &batch.debtor_name, None)?;
                account(w, "DbtrAcct", &batch.debtor_account, Some(sum.currency()))?;
                agent(w, "DbtrAgt", batch.debtor_account.bic())?;
                text(w, "ChrgBr", batch.charge_bearer.code())?;
                for p in &batch.payouts {
                    w.create_element("CdtTrfTxInf").write_inner_content(|w| {
                        w.create_element("PmtId").write_inner_content(|w| text(w, "EndToEndId", &p.end_to_end_id))?;
                        w.create_element("Amt").write_inner_content(|w| {
                            w.create_element("InstdAmt")
                                .with_attribute(("Ccy", p.amount.currency().as_str()))
                                .write_text_content(BytesText::new(&amount_text(p.amount)))?;
                            Ok(())
                        })?;
                        if let Some(bic) = p.account.bic() {
                            agent(w, "CdtrAgt", Some(bic))?;
                        }
                        party(w, "Cdtr", &p.creditor_name, p.creditor_country)?;
                        account(w, "CdtrAcct", &p.account, None)?;
                        if let Some(r) = &p.remittance {
                            w.create_element("RmtInf").write_inner_content(|w| text(w, "Ustrd", r.trim()))?;
                        }
                        Ok(())
                    })?;
                }
                Ok(())
            })?;
            Ok(())
        })?;
        Ok(())
    })?;
    let mut bytes = w.into_inner();
    bytes.push(b'\n');
    Ok(bytes)
}

/// Writes the batch as a `pain.001.001.03` document (UTF-8), after [`validate`].
pub fn credit_transfer_initiation(batch: &PayoutBatch) -> Result<String, ValidationErrors> {
    validate(batch)?;
    let created = batch
        .created_at
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .ok_or_else(|| ValidationErrors::single("created_at", "invalid_time", "the creation time cannot be written"))?;
    let sum = batch
        .control_sum()
        .ok_or_else(|| ValidationErrors::single("payouts", "mixed_currencies", "one file per currency"))?;
    let bytes = write_document(batch, &created, sum)
        .map_err(|err| ValidationErrors::single("document", "write_failed", err.to_string()))?;
    String::from_utf8(bytes).map_err(|err| ValidationErrors::single("document", "write_failed", err.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Write;
    use std::path::PathBuf;
    use std::process::{Command, Stdio};

    fn money(s: &str, c: &str) -> Money {
        Money::new(Decimal::from_str(s).expect("decimal"), c.parse().expect("currency")).expect("money")
    }

    #[test]
    fn published_ibans_pass_and_typos_fail() {
        for good in [
            "DE89 3704 0044 0532 0130 00",
            "GB29 NWBK 6016 1331 9268 19",
            "FR14 2004 1010 0505 0001 3M02 606",
            "NL91ABNA0417164300",
            "be68 5390 0754 7034",
            "CH93 0076 2011 6238 5295 7",
        ] {
            assert!(good.parse::<Iban>().is_ok(), "{good}");
        }
        let i: Iban = "DE89370400440532013000".parse().expect("iban");
        assert_eq!(i.formatted(), "DE89 3704 0044 0532 0130 00");
        assert_eq!(i.country(), "DE");
        assert_eq!(
            "DE89 3704 0044 0532 0130 01".parse::<Iban>().map_err(|e| e.code()),
            Err("invalid_iban_check_digits")
        );
        assert_eq!(
            "DE88 3704 0044 0532 0130 00".parse::<Iban>().map_err(|e| e.code()),
            Err("invalid_iban_check_digits")
        );
        assert_eq!("DE89 3704 0044 0532 0130".parse::<Iban>().map_err(|e| e.code()), Err("invalid_iban_length"));
        for bad in ["", "DE", "1289370400440532013000", "DEXX370400440532013000", "DE89-3704-0044", "DE89Ä704"] {
            assert_eq!(bad.parse::<Iban>().map_err(|e| e.code()), Err("invalid_iban"), "{bad}");
        }
    }

    #[test]
    fn bic_shapes() {
        for good in ["DEUTDEFF", "deutdeff500", "NWBKGB2L", "BNPAFRPPXXX", "ABNANL2A"] {
            assert!(good.parse::<Bic>().is_ok(), "{good}");
        }
        let b: Bic = "DEUTDEFF500".parse().expect("bic");
        assert_eq!((b.country(), b.institution()), ("DE", "DEUTDEFF"));
        for bad in ["DEUTDEF", "DEUTDEFF50", "DEU1DEFF", "DEUTXXFF", "DEUTDE0F", "DEUTDE1F", "DEUTDEFO", "DEUTDEFF50!"]
        {
            assert!(bad.parse::<Bic>().is_err(), "{bad}");
        }
        assert!("12-3456-789".parse::<AccountNumber>().is_ok());
        assert!("12 3456".parse::<AccountNumber>().is_err());
    }

    fn batch() -> PayoutBatch {
        PayoutBatch {
            message_id: "TW-PAYOUT-2026-11-26-001".into(),
            created_at: time::macros::datetime!(2026-11-26 09:30:15.123 +08:00),
            requested_execution_date: time::macros::date!(2026 - 11 - 27),
            debtor_name: "Tradewind Escrow Services Pte. Ltd.".into(),
            debtor_account: BankAccount::Iban {
                iban: "DE89370400440532013000".parse().expect("iban"),
                bic: Some("COBADEFFXXX".parse().expect("bic")),
            },
            charge_bearer: ChargeBearer::Shared,
            payouts: vec![
                Payout {
                    end_to_end_id: "PAYOUT-0001".into(),
                    creditor_name: "Hanse Kaffee Import GmbH & Co. <KG>".into(),
                    creditor_country: Some("DE".parse().expect("country")),
                    account: BankAccount::Iban { iban: "GB29NWBK60161331926819".parse().expect("iban"), bic: None },
                    amount: money("975.00", "EUR"),
                    remittance: Some("Orders ord-1, ord-2 \"paid\"".into()),
                },
                Payout {
                    end_to_end_id: "PAYOUT-0002".into(),
                    creditor_name: "深圳远航电子有限公司".into(),
                    creditor_country: Some("CN".parse().expect("country")),
                    account: BankAccount::AccountNumber {
                        number: "6222021234567890123".parse().expect("number"),
                        bic: "BKCHCNBJ".parse().expect("bic"),
                    },
                    amount: money("12345.67", "EUR"),
                    remittance: None,
                },
            ],
        }
    }

    #[test]
    fn the_file_carries_the_header_totals_and_escapes_text() {
        let xml = credit_transfer_initiation(&batch()).expect("xml");
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        assert!(xml.contains("<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.03\">"));
        assert!(xml.contains("<CreDtTm>2026-11-26T09:30:15+08:00</CreDtTm>"), "{xml}");
        assert_eq!(xml.matches("<NbOfTxs>2</NbOfTxs>").count(), 2);
        assert_eq!(xml.matches("<CtrlSum>13320.67</CtrlSum>").count(), 2);
        assert!(xml.contains("<InstdAmt Ccy=\"EUR\">975.00</InstdAmt>"));
        assert!(xml.contains("Hanse Kaffee Import GmbH &amp; Co. &lt;KG&gt;"), "{xml}");
        assert!(xml.contains("<Nm>深圳远航电子有限公司</Nm>"));
        assert!(xml.contains("<Othr>\n"), "account number as Othr/Id");
        assert_eq!(xml, credit_transfer_initiation(&batch()).expect("again"), "the same batch gives the same bytes");
    }

    fn codes(e: ValidationErrors) -> Vec<(String, &'static str)> {
        e.0.into_iter().map(|f| (f.field, f.code)).collect()
    }

    #[test]
    fn bad_batches_name_the_field() {
        let mut b = batch();
        b.message_id = "a//b".into();
        b.payouts[1].end_to_end_id = "PAYOUT-0001".into();
        b.payouts[1].amount = money("5", "USD");
        b.payouts[0].amount = money("0", "EUR");
        b.payouts[0].creditor_name = " ".into();
        b.payouts[0].remittance = Some("x".repeat(141));
        let c = codes(credit_transfer_initiation(&b).expect_err("bad"));
        for want in [
            ("message_id", "invalid_reference"),
            ("payouts[1].end_to_end_id", "duplicate"),
            ("payouts[1].amount", "mixed_currencies"),
            ("payouts[0].amount", "not_positive"),
            ("payouts[0].creditor_name", "required"),
            ("payouts[0].remittance", "too_long"),
        ] {
            assert!(c.contains(&(want.0.into(), want.1)), "{want:?} in {c:?}");
        }
        let mut b = batch();
        b.payouts.clear();
        assert_eq!(codes(credit_transfer_initiation(&b).expect_err("empty")), vec![("payouts".into(), "required")]);
        let mut b = batch();
        // 18 digits each is the schema's limit; their sum has 19.
        b.payouts[0].amount = money("9999999999999999.99", "EUR");
        b.payouts[1].amount = money("9999999999999999.99", "EUR");
        assert_eq!(codes(credit_transfer_initiation(&b).expect_err("sum")), vec![("payouts".into(), "too_large")]);
    }

    /// The official schema, from the shared standards folder beside the checkout.
    fn schema() -> Option<PathBuf> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/standards/iso20022");
        let direct = dir.join("pain.001.001.03.xsd");
        if direct.is_file() {
            return Some(direct);
        }
        std::fs::read_dir(&dir).ok()?.filter_map(Result::ok).map(|e| e.path()).find(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.contains("pain.001.001.03") && n.ends_with(".xsd"))
        })
    }

    /// Runs xmllint on `xml`: `Some(Ok)` valid, `Some(Err(report))` invalid, `None` when
    /// xmllint or the schema is missing (the reason printed).
    fn xmllint(xml: &str) -> Option<Result<(), String>> {
        let Some(xsd) = schema() else {
            println!("skipped: no pain.001.001.03 .xsd in ../shared/standards/iso20022");
            return None;
        };
        let child = Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(&xsd)
            .arg("-")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) => {
                println!("skipped: xmllint is not available ({e}); install Debian's libxml2-utils");
                return None;
            }
        };
        child.stdin.take().expect("stdin").write_all(xml.as_bytes()).expect("write to xmllint");
        let out = child.wait_with_output().expect("xmllint ran");
        let report = String::from_utf8_lossy(&out.stderr).into_owned();
        Some(if out.status.success() { Ok(()) } else { Err(report) })
    }

    #[test]
    fn the_file_validates_against_the_official_schema() {
        let xml = credit_transfer_initiation(&batch()).expect("xml");
        let Some(result) = xmllint(&xml) else { return };
        assert_eq!(result, Ok(()), "{xml}");
        // A file the schema refuses is refused, so the check above is real.
        let broken = xml.replacen("<NbOfTxs>2</NbOfTxs>", "<NbOfTxs>two</NbOfTxs>", 1);
        assert!(xmllint(&broken).is_some_and(|r| r.is_err()));
        // The other shapes: no creditor BIC, no debtor BIC, JPY and KWD amounts, SEPA charges.
        for (c, amounts) in [("JPY", ["1500", "1"]), ("KWD", ["0.125", "100.000"])] {
            let mut b = batch();
            b.debtor_account = BankAccount::Iban { iban: "NL91ABNA0417164300".parse().expect("iban"), bic: None };
            b.charge_bearer = ChargeBearer::FollowingServiceLevel;
            for (p, a) in b.payouts.iter_mut().zip(amounts) {
                p.amount = money(a, c);
                p.creditor_country = None;
            }
            let xml = credit_transfer_initiation(&b).expect("xml");
            assert!(xml.contains("<Id>NOTPROVIDED</Id>"));
            assert_eq!(xmllint(&xml), Some(Ok(())), "{xml}");
        }
        // The largest amount `validate` lets through is one the schema takes.
        for (c, most) in [("EUR", "9999999999999999.99"), ("KWD", "999999999999999.999"), ("JPY", "999999999999999999")]
        {
            let mut b = batch();
            b.payouts.truncate(1);
            b.payouts[0].amount = money(most, c);
            let xml = credit_transfer_initiation(&b).expect("xml");
            assert_eq!(xmllint(&xml), Some(Ok(())), "{xml}");
        }
    }

    fn iban_with_check(country: &str, bban: &str) -> String {
        let rem = mod97(&format!("{bban}{country}00")).expect("alnum");
        format!("{country}{:02}{bban}", 98 - rem)
    }

    proptest! {
        #[test]
        fn any_iban_with_computed_check_digits_parses(bban in "[A-Z0-9]{11,30}") {
            // A country absent from the length table, so any length from 15 to 34 fits.
            let iban = iban_with_check("ZZ", &bban);
            prop_assert_eq!(iban.parse::<Iban>().map(|i| i.to_string()), Ok(iban.clone()));
        }

        #[test]
        fn a_changed_digit_in_an_iban_is_caught(bban in "[0-9]{18}", pos in 4usize..22, c in "[0-9]") {
            let iban = iban_with_check("DE", &bban);
            let mut chars: Vec<char> = iban.chars().collect();
            let new = c.chars().next().unwrap_or('0');
            prop_assume!(chars[pos] != new);
            chars[pos] = new;
            let changed: String = chars.into_iter().collect();
            prop_assert!(changed.parse::<Iban>().is_err());
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,40}") {
            let _ = s.parse::<Iban>();
            let _ = s.parse::<Bic>();
            let _ = s.parse::<AccountNumber>();
        }
    }
}
