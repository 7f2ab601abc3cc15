//! Paying into escrow through a payment provider: the reference a buyer quotes on a bank
//! transfer (ISO 11649 "RF" creditor reference), the payment's life cycle, the signed
//! callbacks a provider sends when money arrives, the reconciliation of the ledger against
//! the provider's statement, and when escrow releases itself.
//!
//! # Callback signatures
//! A provider signs each callback with a secret shared with the platform:
//! `Tradewind-Provider-Timestamp: <unix seconds>` and
//! `Tradewind-Provider-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`.
//! A callback older (or newer) than the tolerance is refused, so a captured callback cannot
//! be replayed later; one replayed within the tolerance is caught by its event id.

use super::OrderId;
use crate::money::Money;
use crate::validation::CodedError;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// The reference a payer quotes so the money finds its order: `RF`, two check digits
/// (ISO 7064 MOD 97-10) and up to 21 letters or digits (ISO 11649).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PaymentReference(String);

/// Why a payment reference was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("'{0}' is not an RF creditor reference: use RF, two check digits and 1 to 21 letters or digits")]
    Format(String),
    #[error("'{0}' has wrong check digits; check the reference for a typing mistake")]
    CheckDigits(String),
}

impl CodedError for ReferenceError {
    fn code(&self) -> &'static str {
        match self {
            ReferenceError::Format(_) => "invalid_reference",
            ReferenceError::CheckDigits(_) => "reference_check_digits",
        }
    }
}

impl PaymentReference {
    /// The reference for `body` (1 to 21 letters or digits, upper-cased).
    pub fn for_body(body: &str) -> Result<PaymentReference, ReferenceError> {
        let body: String = body.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        if body.is_empty() || body.len() > 21 || !body.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(ReferenceError::Format(body));
        }
        let rem = crate::codes::mod97(&format!("{body}RF00")).ok_or_else(|| ReferenceError::Format(body.clone()))?;
        Ok(PaymentReference(format!("RF{:02}{body}", 98 - rem)))
    }

    /// A reference derived from a request, so a retried request gets the same one: the
    /// first 16 base-32 characters of SHA-256 over the parts.
    pub fn derived(parts: &[&str]) -> PaymentReference {
        const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        let mut h = Sha256::new();
        for p in parts {
            h.update(p.as_bytes());
            h.update([0u8]);
        }
        let digest = h.finalize();
        let body: String = digest.iter().take(16).map(|b| ALPHABET[usize::from(b % 32)] as char).collect();
        // The body is 16 alphanumerics by construction.
        PaymentReference::for_body(&body).unwrap_or_else(|_| PaymentReference(format!("RF00{body}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for PaymentReference {
    type Err = ReferenceError;
    fn from_str(s: &str) -> Result<Self, ReferenceError> {
        let v: String = s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        let ok = v.len() >= 5
            && v.len() <= 25
            && v.starts_with("RF")
            && v[2..4].chars().all(|c| c.is_ascii_digit())
            && v[4..].chars().all(|c| c.is_ascii_alphanumeric());
        if !ok {
            return Err(ReferenceError::Format(s.to_string()));
        }
        let rotated = format!("{}{}", &v[4..], &v[..4]);
        match crate::codes::mod97(&rotated) {
            Some(1) => Ok(PaymentReference(v)),
            _ => Err(ReferenceError::CheckDigits(s.to_string())),
        }
    }
}

impl TryFrom<String> for PaymentReference {
    type Error = ReferenceError;
    fn try_from(s: String) -> Result<Self, ReferenceError> {
        s.parse()
    }
}

impl From<PaymentReference> for String {
    fn from(r: PaymentReference) -> String {
        r.0
    }
}

impl fmt::Display for PaymentReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a payment stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PaymentStatus {
    /// The buyer has the instructions; the provider has not confirmed money yet.
    Initiated,
    /// The provider confirmed the full amount; the order is funded.
    Settled,
    /// The provider reported that the money will not arrive (returned, rejected, expired).
    Failed { reason: String },
}

impl PaymentStatus {
    pub fn label(&self) -> &'static str {
        match self {
            PaymentStatus::Initiated => "initiated",
            PaymentStatus::Settled => "settled",
            PaymentStatus::Failed { .. } => "failed",
        }
    }
}

/// What a provider tells the platform about a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ProviderOutcome {
    /// Money arrived: `amount` was credited to the escrow account.
    Settled { amount: Money },
    /// The transfer failed or was returned.
    Failed { reason: String },
}

/// A verified callback from a provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderEvent {
    /// Unique per provider; a second callback with the same id changes nothing.
    pub event_id: String,
    pub reference: PaymentReference,
    #[serde(flatten)]
    pub outcome: ProviderOutcome,
}

/// Why a payment cannot move the way a callback says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettlementError {
    #[error("the payment is already {0}")]
    NotOpen(&'static str),
    #[error("{received} arrived for a payment of {expected}; the operator must settle the difference")]
    AmountDiffers { expected: Money, received: Money },
}

/// The payment's next status after a provider's outcome.
pub fn settle(
    current: &PaymentStatus,
    expected: Money,
    outcome: &ProviderOutcome,
) -> Result<PaymentStatus, SettlementError> {
    if *current != PaymentStatus::Initiated {
        return Err(SettlementError::NotOpen(current.label()));
    }
    match outcome {
        ProviderOutcome::Settled { amount } if *amount == expected => Ok(PaymentStatus::Settled),
        ProviderOutcome::Settled { amount } => Err(SettlementError::AmountDiffers { expected, received: *amount }),
        ProviderOutcome::Failed { reason } => Ok(PaymentStatus::Failed { reason: reason.clone() }),
    }
}

/// Why a callback was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("the {0} header is missing")]
    Missing(&'static str),
    #[error("the timestamp header is not a number of seconds")]
    BadTimestamp,
    #[error("the callback is {0} s away from now; a replayed or delayed callback is refused")]
    Stale(i64),
    #[error("the signature does not match the body and timestamp")]
    BadSignature,
}

impl CodedError for CallbackError {
    fn code(&self) -> &'static str {
        match self {
            CallbackError::Missing(_) => "missing_header",
            CallbackError::BadTimestamp => "bad_timestamp",
            CallbackError::Stale(_) => "stale_callback",
            CallbackError::BadSignature => "bad_signature",
        }
    }
}

pub const TIMESTAMP_HEADER: &str = "tradewind-provider-timestamp";
pub const SIGNATURE_HEADER: &str = "tradewind-provider-signature";

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    #[allow(clippy::expect_used)]
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes keys of any length");
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// The signature header value for `body` sent at `timestamp`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!("v1={}", hex::encode(mac(secret, timestamp, body).finalize().into_bytes()))
}

/// Checks a callback's timestamp and signature headers against its body, in constant time.
pub fn verify(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), CallbackError> {
    let ts = timestamp.ok_or(CallbackError::Missing(TIMESTAMP_HEADER))?;
    let sig = signature.ok_or(CallbackError::Missing(SIGNATURE_HEADER))?;
    let ts: i64 = ts.trim().parse().map_err(|_| CallbackError::BadTimestamp)?;
    let age = now.saturating_sub(ts);
    if age.abs() > tolerance_secs {
        return Err(CallbackError::Stale(age));
    }
    let given = sig.trim().strip_prefix("v1=").ok_or(CallbackError::BadSignature)?;
    let given = hex::decode(given).map_err(|_| CallbackError::BadSignature)?;
    mac(secret, ts, body).verify_slice(&given).map_err(|_| CallbackError::BadSignature)
}

/// A money movement as the provider's statement shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderTransaction {
    pub reference: PaymentReference,
    pub amount: Money,
    pub booked_at: String,
}

/// A funding as the ledger shows it: the payment reference and the amount posted to escrow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerFunding {
    pub reference: PaymentReference,
    pub order: OrderId,
    pub amount: Money,
}

/// Ledger and provider side by side.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconciliation {
    /// Same reference, same amount on both sides.
    pub matched: Vec<LedgerFunding>,
    /// Money the provider holds that the ledger never posted (an unknown reference, a
    /// wrong amount, a callback that never arrived).
    pub only_at_provider: Vec<ProviderTransaction>,
    /// Postings with no money behind them at the provider.
    pub only_in_ledger: Vec<LedgerFunding>,
    /// Same reference, different amounts.
    pub amounts_differ: Vec<(LedgerFunding, ProviderTransaction)>,
}

impl Reconciliation {
    /// True when every posting has its money and every transfer its posting.
    pub fn is_clean(&self) -> bool {
        self.only_at_provider.is_empty() && self.only_in_ledger.is_empty() && self.amounts_differ.is_empty()
    }
}

/// Pairs fundings with the provider's transactions by reference. A reference the provider
/// booked twice pairs once; the second transfer is money the ledger does not know about.
pub fn reconcile(ledger: &[LedgerFunding], provider: &[ProviderTransaction]) -> Reconciliation {
    let mut report = Reconciliation::default();
    let mut unused: Vec<Option<&ProviderTransaction>> = provider.iter().map(Some).collect();
    for f in ledger {
        let slot = unused.iter_mut().find(|t| t.is_some_and(|t| t.reference == f.reference));
        match slot.and_then(Option::take) {
            Some(t) if t.amount == f.amount => report.matched.push(f.clone()),
            Some(t) => report.amounts_differ.push((f.clone(), t.clone())),
            None => report.only_in_ledger.push(f.clone()),
        }
    }
    report.only_at_provider = unused.into_iter().flatten().cloned().collect();
    report
}

/// Whether escrow on an order that has waited `days_waited` whole days in a state that
/// allows auto-release (shipped or delivered) releases itself after `period_days`.
pub fn auto_release_due(days_waited: i64, period_days: u32) -> bool {
    days_waited >= i64::from(period_days)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::CurrencyCode;
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    fn eur(s: &str) -> Money {
        Money::new(s.parse::<Decimal>().expect("decimal"), "EUR".parse::<CurrencyCode>().expect("EUR")).expect("money")
    }

    #[test]
    fn rf_references_follow_iso_11649() {
        // The standard's own example.
        let r: PaymentReference = "RF18 5390 0754 7034".parse().expect("valid");
        assert_eq!(r.as_str(), "RF18539007547034");
        assert_eq!(PaymentReference::for_body("539007547034").expect("body"), r);
        assert!(matches!("RF19539007547034".parse::<PaymentReference>(), Err(ReferenceError::CheckDigits(_))));
        assert!(matches!("XX18539007547034".parse::<PaymentReference>(), Err(ReferenceError::Format(_))));
        assert!(PaymentReference::for_body(&"A".repeat(22)).is_err());
        let d = PaymentReference::derived(&["order-1", "key-1"]);
        assert_eq!(d, PaymentReference::derived(&["order-1", "key-1"]), "a retry gets the same reference");
        assert_ne!(d, PaymentReference::derived(&["order-1", "key-2"]));
        assert_eq!(d.as_str().parse::<PaymentReference>().expect("round trip"), d);
    }

    proptest! {
        #[test]
        fn every_derived_reference_checks(a in "[a-z0-9-]{1,40}", b in "[a-z0-9-]{1,40}") {
            let r = PaymentReference::derived(&[&a, &b]);
            prop_assert_eq!(r.as_str().parse::<PaymentReference>(), Ok(r.clone()));
            prop_assert_eq!(r.as_str().len(), 20);
        }
    }

    #[test]
    fn callbacks_are_signed_fresh_and_untampered() {
        let secret = b"provider-secret";
        let body = br#"{"event_id":"e1"}"#;
        let sig = sign(secret, 1_000, body);
        assert_eq!(verify(secret, Some("1000"), Some(&sig), body, 1_010, 300), Ok(()));
        assert_eq!(verify(secret, Some("1000"), Some(&sig), body, 1_400, 300), Err(CallbackError::Stale(400)));
        assert_eq!(verify(secret, Some("1000"), Some(&sig), b"{}", 1_000, 300), Err(CallbackError::BadSignature));
        assert_eq!(verify(b"other", Some("1000"), Some(&sig), body, 1_000, 300), Err(CallbackError::BadSignature));
        // A fresh timestamp on an old signature does not verify.
        assert_eq!(verify(secret, Some("1390"), Some(&sig), body, 1_400, 300), Err(CallbackError::BadSignature));
        assert_eq!(verify(secret, None, Some(&sig), body, 1_000, 300), Err(CallbackError::Missing(TIMESTAMP_HEADER)));
        assert_eq!(verify(secret, Some("soon"), Some(&sig), body, 1_000, 300), Err(CallbackError::BadTimestamp));
        assert_eq!(verify(secret, Some("1000"), Some("v1=zz"), body, 1_000, 300), Err(CallbackError::BadSignature));
    }

    #[test]
    fn settlement_needs_the_exact_amount_once() {
        let paid = ProviderOutcome::Settled { amount: eur("100.00") };
        assert_eq!(settle(&PaymentStatus::Initiated, eur("100"), &paid), Ok(PaymentStatus::Settled));
        assert_eq!(settle(&PaymentStatus::Settled, eur("100"), &paid), Err(SettlementError::NotOpen("settled")));
        assert!(matches!(
            settle(&PaymentStatus::Initiated, eur("120"), &paid),
            Err(SettlementError::AmountDiffers { .. })
        ));
        let returned = ProviderOutcome::Failed { reason: "account closed".into() };
        assert_eq!(
            settle(&PaymentStatus::Initiated, eur("100"), &returned),
            Ok(PaymentStatus::Failed { reason: "account closed".into() })
        );
    }

    #[test]
    fn reconciliation_names_every_difference() {
        let r = |b: &str| PaymentReference::for_body(b).expect("ref");
        let order: OrderId = "o1".parse().expect("id");
        let f = |b: &str, a: &str| LedgerFunding { reference: r(b), order: order.clone(), amount: eur(a) };
        let t = |b: &str, a: &str| ProviderTransaction { reference: r(b), amount: eur(a), booked_at: "t".into() };
        let report = reconcile(
            &[f("A1", "10"), f("B2", "20"), f("C3", "30")],
            &[t("A1", "10"), t("B2", "25"), t("D4", "40"), t("A1", "10")],
        );
        assert_eq!(report.matched, vec![f("A1", "10")]);
        assert_eq!(report.amounts_differ, vec![(f("B2", "20"), t("B2", "25"))]);
        assert_eq!(report.only_in_ledger, vec![f("C3", "30")]);
        assert_eq!(report.only_at_provider, vec![t("D4", "40"), t("A1", "10")]);
        assert!(!report.is_clean());
        assert!(reconcile(&[f("A1", "10")], &[t("A1", "10")]).is_clean());
    }

    #[test]
    fn auto_release_waits_the_whole_period() {
        assert!(!auto_release_due(13, 14));
        assert!(auto_release_due(14, 14));
    }
}
