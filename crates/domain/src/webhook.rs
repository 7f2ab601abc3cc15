//! Outgoing webhooks: which URLs a company may subscribe, how a delivery is signed and how a
//! receiver checks it, and when a failed delivery is tried again.
//!
//! # The signing scheme (for receivers)
//!
//! Every delivery is an HTTP `POST` with a JSON body
//! `{"id", "kind", "subject", "body", "organization_id", "created_at"}` and three headers:
//!
//! | header | value |
//! |---|---|
//! | `Tradewind-Webhook-Id` | the delivery id; the same on every retry, so a receiver can drop duplicates |
//! | `Tradewind-Webhook-Timestamp` | when this attempt was signed, in Unix seconds |
//! | `Tradewind-Webhook-Signature` | `v1=` and the lower-case hex HMAC-SHA256 of `{id}.{timestamp}.{body}` |
//!
//! The HMAC key is the endpoint's whole signing secret as UTF-8 bytes, `whsec_` prefix
//! included; `{body}` is the raw request body exactly as received (do not re-serialise the
//! JSON). A receiver recomputes the HMAC, compares it in constant time, and refuses a
//! timestamp further than a few minutes from its own clock, so that a captured request
//! cannot be replayed later. The signature header may hold several space-separated
//! `v1=` values; one matching is enough. [`verify`] does all of this.
//!
//! # Retries
//!
//! A delivery that does not get a 2xx answer is tried again after 1, 3, 12, 60, 360 and
//! 2160 times a base delay (10 s in production: 10 s, 30 s, 2 min, 10 min, 1 h, 6 h), so
//! at most [`RetrySchedule::MAX_ATTEMPTS`] attempts; after the last one it is given up.

use crate::validation::CodedError;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use std::time::Duration;

/// The header carrying the delivery id.
pub const ID_HEADER: &str = "Tradewind-Webhook-Id";
/// The header carrying the signing time in Unix seconds.
pub const TIMESTAMP_HEADER: &str = "Tradewind-Webhook-Timestamp";
/// The header carrying `v1=<hex HMAC-SHA256>`.
pub const SIGNATURE_HEADER: &str = "Tradewind-Webhook-Signature";
/// Every signing secret starts with this, so a leaked one is recognisable.
pub const SECRET_PREFIX: &str = "whsec_";
/// How far a receiver should let a timestamp stray from its clock, in seconds.
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;
/// The longest subscription URL taken.
pub const MAX_URL_CHARS: usize = 2048;
/// The most event kinds one subscription may name.
pub const MAX_EVENT_KINDS: usize = 50;

/// The notification kinds the platform sends today; a subscription may name others, so that
/// it keeps working when new kinds are added.
pub const KNOWN_EVENT_KINDS: &[&str] = &[
    "order_placed",
    "order_updated",
    "order_agreed",
    "order_funded",
    "order_shipped",
    "order_delivered",
    "order_auto_released",
    "order_amendment",
    "dispute_opened",
    "payment_failed",
    "payout_sent",
    "rfq_match",
    "inquiry_received",
    "inquiry_message",
    "listing_hidden",
    "document_issued",
    "document_requested",
    "document_request_rejected",
    "documents_received",
    "document_answered",
];

type HmacSha256 = Hmac<Sha256>;

/// Why a subscription URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("the URL is empty")]
    Empty,
    #[error("the URL is longer than {MAX_URL_CHARS} characters")]
    TooLong,
    #[error("the URL must start with http:// or https://")]
    Scheme,
    #[error("the URL may not carry a user name or password; authenticate the request by its signature")]
    Credentials,
    #[error("the URL names no host")]
    NoHost,
    #[error("the URL's port must be a number from 1 to 65535")]
    Port,
    #[error("the URL may not contain spaces or control characters")]
    Characters,
}

impl CodedError for UrlError {
    fn code(&self) -> &'static str {
        match self {
            UrlError::Empty => "required",
            UrlError::TooLong => "too_long",
            UrlError::Scheme => "unsupported_scheme",
            UrlError::Credentials => "credentials_in_url",
            UrlError::NoHost => "missing_host",
            UrlError::Port => "invalid_port",
            UrlError::Characters => "invalid_characters",
        }
    }
}

/// An `http` or `https` URL with a host and without credentials: where deliveries go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The host as written (brackets kept for IPv6), lower-cased.
    pub fn host(&self) -> String {
        let (_, authority) = split_authority(&self.0);
        host_and_port(authority).0.to_ascii_lowercase()
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `(scheme, authority)` of a URL already known to have `://`.
fn split_authority(url: &str) -> (&str, &str) {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    (scheme, &rest[..end])
}

/// `(host, port)` of an authority without user information.
fn host_and_port(authority: &str) -> (&str, Option<&str>) {
    if authority.starts_with('[') {
        // IPv6 literal: the port, if any, follows the closing bracket.
        match authority.find(']') {
            Some(close) => {
                let host = &authority[..=close];
                let port = authority[close + 1..].strip_prefix(':');
                (host, port)
            }
            None => (authority, None),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    }
}

impl std::str::FromStr for WebhookUrl {
    type Err = UrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Err(UrlError::Empty);
        }
        if s.chars().count() > MAX_URL_CHARS {
            return Err(UrlError::TooLong);
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(UrlError::Characters);
        }
        let Some((scheme, _)) = s.split_once("://") else { return Err(UrlError::Scheme) };
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(UrlError::Scheme);
        }
        let (_, authority) = split_authority(s);
        if authority.contains('@') {
            return Err(UrlError::Credentials);
        }
        let (host, port) = host_and_port(authority);
        if host.is_empty() || host == "[]" || (host.starts_with('[') && !host.ends_with(']')) {
            return Err(UrlError::NoHost);
        }
        if host.contains(['\\', '%']) && !host.starts_with('[') {
            return Err(UrlError::Characters);
        }
        if let Some(p) = port
            && !(p.chars().all(|c| c.is_ascii_digit()) && matches!(p.parse::<u32>(), Ok(1..=65535)))
        {
            return Err(UrlError::Port);
        }
        // Normalise only the scheme's case; the rest is sent as written.
        Ok(WebhookUrl(format!("{scheme}{}", &s[scheme.len()..])))
    }
}

/// Why an event-kind filter is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventKindError {
    #[error("name at most {MAX_EVENT_KINDS} event kinds, or none to receive every kind")]
    TooMany,
    #[error("'{0}' is not an event kind: use lower-case letters, digits and underscores (for example order_updated)")]
    Malformed(String),
}

impl CodedError for EventKindError {
    fn code(&self) -> &'static str {
        match self {
            EventKindError::TooMany => "too_many",
            EventKindError::Malformed(_) => "invalid_event_kind",
        }
    }
}

/// Which notification kinds a subscription receives: every kind, or the ones named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFilter(Vec<String>);

impl EventFilter {
    /// Every kind, including kinds added later.
    pub fn all() -> EventFilter {
        EventFilter(Vec::new())
    }

    /// The kinds named, sorted and without duplicates; none named means every kind.
    pub fn parse<S: AsRef<str>>(kinds: &[S]) -> Result<EventFilter, EventKindError> {
        let mut out: Vec<String> = Vec::new();
        for k in kinds {
            let k = k.as_ref().trim();
            let well_formed = !k.is_empty()
                && k.len() <= 64
                && k.starts_with(|c: char| c.is_ascii_lowercase())
                && k.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !well_formed {
                return Err(EventKindError::Malformed(k.chars().take(64).collect()));
            }
            out.push(k.to_string());
        }
        out.sort();
        out.dedup();
        if out.len() > MAX_EVENT_KINDS {
            return Err(EventKindError::TooMany);
        }
        Ok(EventFilter(out))
    }

    /// The kinds named; empty for every kind.
    pub fn kinds(&self) -> &[String] {
        &self.0
    }

    pub fn matches(&self, kind: &str) -> bool {
        self.0.is_empty() || self.0.iter().any(|k| k == kind)
    }
}

/// The `Tradewind-Webhook-Signature` value for one attempt: `v1=` and the hex HMAC-SHA256
/// of `{id}.{timestamp}.{body}` keyed with the whole secret.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    format!("v1={}", hex::encode(mac(secret, id, timestamp, body).finalize().into_bytes()))
}

fn mac(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length, so this cannot fail.
    let mut m = <HmacSha256 as Mac>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    m.update(id.as_bytes());
    m.update(b".");
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// Why a receiver refuses a request claiming to be a delivery.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    #[error("the timestamp header is not a number of Unix seconds")]
    BadTimestamp,
    #[error("the timestamp is {0} seconds away from now: a replay or a badly wrong clock")]
    Stale(u64),
    #[error("no v1 signature matches the body and the secret")]
    BadSignature,
}

/// Checks a received delivery: the three headers (looked up case-insensitively in
/// `headers`), the raw `body`, the receiver's clock `now` in Unix seconds and how far the
/// timestamp may stray from it. Refuses a missing header, a timestamp outside the tolerance
/// (a replay) and a signature that does not match.
pub fn verify(
    secret: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    now: i64,
    tolerance_secs: u64,
) -> Result<(), VerifyError> {
    let header = |name: &'static str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
            .ok_or(VerifyError::MissingHeader(name))
    };
    let id = header(ID_HEADER)?;
    let timestamp: i64 = header(TIMESTAMP_HEADER)?.parse().map_err(|_| VerifyError::BadTimestamp)?;
    let signatures = header(SIGNATURE_HEADER)?;
    let skew = now.abs_diff(timestamp);
    if skew > tolerance_secs {
        return Err(VerifyError::Stale(skew));
    }
    for candidate in signatures.split_whitespace() {
        let Some(hex_sig) = candidate.strip_prefix("v1=") else { continue };
        let Ok(bytes) = hex::decode(hex_sig) else { continue };
        // verify_slice compares in constant time.
        if mac(secret, id, timestamp, body).verify_slice(&bytes).is_ok() {
            return Ok(());
        }
    }
    Err(VerifyError::BadSignature)
}

/// Where one delivery stands: waiting for its next attempt, answered with a 2xx, or given up
/// after the last attempt (a company admin may send a failed one again by hand).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

impl DeliveryStatus {
    pub fn label(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryStatus> {
        match s {
            "pending" => Some(DeliveryStatus::Pending),
            "delivered" => Some(DeliveryStatus::Delivered),
            "failed" => Some(DeliveryStatus::Failed),
            _ => None,
        }
    }

    /// Where a delivery goes after attempt number `attempt` (1 for the first) did or did
    /// not get a 2xx answer: delivered, pending again after the schedule's wait, or failed
    /// when that was the last attempt.
    pub fn after_attempt(
        attempt: u32,
        succeeded: bool,
        schedule: &RetrySchedule,
    ) -> (DeliveryStatus, Option<Duration>) {
        if succeeded {
            return (DeliveryStatus::Delivered, None);
        }
        match schedule.delay_after(attempt) {
            Some(wait) => (DeliveryStatus::Pending, Some(wait)),
            None => (DeliveryStatus::Failed, None),
        }
    }
}

/// When a failed delivery is tried again: multiples of a base delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySchedule {
    pub base: Duration,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        RetrySchedule { base: Duration::from_secs(10) }
    }
}

impl RetrySchedule {
    /// The waits after the 1st, 2nd … failed attempt, in multiples of the base (10 s, 30 s,
    /// 2 min, 10 min, 1 h, 6 h with the default base).
    pub const FACTORS: [u32; 6] = [1, 3, 12, 60, 360, 2160];
    /// The first attempt and one retry per factor.
    pub const MAX_ATTEMPTS: u32 = Self::FACTORS.len() as u32 + 1;

    pub fn new(base: Duration) -> RetrySchedule {
        RetrySchedule { base }
    }

    /// The wait before the next attempt once `attempts` attempts have failed, or `None`
    /// when that was the last one and the delivery is given up.
    pub fn delay_after(&self, attempts: u32) -> Option<Duration> {
        let i = usize::try_from(attempts.checked_sub(1)?).ok()?;
        Self::FACTORS.get(i).map(|f| self.base.saturating_mul(*f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECRET: &str = "whsec_test-secret";

    fn headers<'a>(id: &'a str, ts: &'a str, sig: &'a str) -> Vec<(&'a str, &'a str)> {
        vec![("tradewind-webhook-id", id), ("TRADEWIND-WEBHOOK-TIMESTAMP", ts), ("Tradewind-Webhook-Signature", sig)]
    }

    #[test]
    fn signature_is_hmac_sha256_of_id_timestamp_and_body() {
        // Worked example a receiver can check its own code against; computed independently
        // with `printf '%s' 'd1.1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test-secret`.
        let sig = sign(SECRET, "d1", 1_700_000_000, br#"{"a":1}"#);
        assert_eq!(sig, "v1=84860283909da1233f8963f2dea1c1d53b30b6dba3200d0f46df278e5cbf5f58");
    }

    #[test]
    fn a_signed_delivery_verifies_within_the_tolerance() {
        let body = br#"{"id":"d1","kind":"order_updated"}"#;
        let sig = sign(SECRET, "d1", 1_000, body);
        assert_eq!(verify(SECRET, &headers("d1", "1000", &sig), body, 1_000, 300), Ok(()));
        assert_eq!(verify(SECRET, &headers("d1", "1000", &sig), body, 1_300, 300), Ok(()));
        assert_eq!(verify(SECRET, &headers("d1", "1000", &sig), body, 700, 300), Ok(()));
        // Several signatures: one match is enough.
        let many = format!("v1=00ff {sig}");
        assert_eq!(verify(SECRET, &headers("d1", "1000", &many), body, 1_000, 300), Ok(()));
    }

    #[test]
    fn tampering_and_replays_are_refused() {
        let body = br#"{"id":"d1"}"#;
        let sig = sign(SECRET, "d1", 1_000, body);
        let h = headers("d1", "1000", &sig);
        assert_eq!(verify(SECRET, &h, br#"{"id":"d2"}"#, 1_000, 300), Err(VerifyError::BadSignature));
        assert_eq!(verify("whsec_other", &h, body, 1_000, 300), Err(VerifyError::BadSignature));
        assert_eq!(verify(SECRET, &headers("d2", "1000", &sig), body, 1_000, 300), Err(VerifyError::BadSignature));
        // The same request, sent again later with its old timestamp.
        assert_eq!(verify(SECRET, &h, body, 1_301, 300), Err(VerifyError::Stale(301)));
        // A new timestamp without a new signature does not help.
        assert_eq!(verify(SECRET, &headers("d1", "1301", &sig), body, 1_301, 300), Err(VerifyError::BadSignature));
        assert_eq!(verify(SECRET, &headers("d1", "soon", &sig), body, 1_000, 300), Err(VerifyError::BadTimestamp));
        assert_eq!(verify(SECRET, &headers("d1", "1000", "v0=abc"), body, 1_000, 300), Err(VerifyError::BadSignature));
        assert_eq!(verify(SECRET, &h[..2], body, 1_000, 300), Err(VerifyError::MissingHeader(SIGNATURE_HEADER)));
    }

    #[test]
    fn urls_are_http_or_https_with_a_host_and_no_credentials() {
        for ok in [
            "https://hooks.example.com/tradewind",
            "http://127.0.0.1:8080/in?x=1",
            "HTTPS://Example.com",
            "https://[::1]:9000/hook",
            "https://example.com:443#frag",
        ] {
            assert!(ok.parse::<WebhookUrl>().is_ok(), "{ok}");
        }
        assert_eq!(
            "HTTPS://Example.com/x".parse::<WebhookUrl>().map(|u| u.to_string()),
            Ok("https://Example.com/x".into())
        );
        assert_eq!("https://Example.com:8443/x".parse::<WebhookUrl>().map(|u| u.host()), Ok("example.com".into()));
        let cases = [
            ("", UrlError::Empty),
            ("ftp://example.com/", UrlError::Scheme),
            ("file:///etc/passwd", UrlError::Scheme),
            ("javascript://alert(1)", UrlError::Scheme),
            ("example.com/hook", UrlError::Scheme),
            ("https://user:pw@example.com/", UrlError::Credentials),
            ("https://token@example.com/", UrlError::Credentials),
            ("https:///path", UrlError::NoHost),
            ("http://", UrlError::NoHost),
            ("https://:8080/", UrlError::NoHost),
            ("https://example.com:0/", UrlError::Port),
            ("https://example.com:99999/", UrlError::Port),
            ("https://example.com:http/", UrlError::Port),
            ("https://exa mple.com/", UrlError::Characters),
        ];
        for (url, err) in cases {
            assert_eq!(url.parse::<WebhookUrl>(), Err(err), "{url}");
        }
        assert_eq!("https://a.example/\r\nX: y".parse::<WebhookUrl>(), Err(UrlError::Characters));
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_CHARS));
        assert_eq!(long.parse::<WebhookUrl>(), Err(UrlError::TooLong));
    }

    #[test]
    fn event_filters_name_kinds_or_take_all() {
        let all = EventFilter::parse::<&str>(&[]).expect("empty");
        assert!(all.matches("order_updated") && all.matches("anything_new"));
        let some = EventFilter::parse(&["order_updated", "order_placed", "order_updated"]).expect("kinds");
        assert_eq!(some.kinds(), ["order_placed", "order_updated"]);
        assert!(some.matches("order_placed") && !some.matches("rfq_match"));
        assert!(matches!(EventFilter::parse(&["Order Updated"]), Err(EventKindError::Malformed(_))));
        assert!(matches!(EventFilter::parse(&[""]), Err(EventKindError::Malformed(_))));
        let many: Vec<String> = (0..=MAX_EVENT_KINDS).map(|i| format!("k{i}")).collect();
        assert_eq!(EventFilter::parse(&many), Err(EventKindError::TooMany));
        for k in KNOWN_EVENT_KINDS {
            assert!(EventFilter::parse(&[k]).is_ok(), "{k}");
        }
    }

    #[test]
    fn the_default_schedule_is_10s_30s_2min_10min_1h_6h_then_gives_up() {
        let s = RetrySchedule::default();
        let waits: Vec<u64> =
            (1..RetrySchedule::MAX_ATTEMPTS).filter_map(|n| s.delay_after(n)).map(|d| d.as_secs()).collect();
        assert_eq!(waits, [10, 30, 120, 600, 3600, 21600]);
        assert_eq!(s.delay_after(RetrySchedule::MAX_ATTEMPTS), None);
        assert_eq!(s.delay_after(0), None);
        let fast = RetrySchedule::new(Duration::from_millis(50));
        assert_eq!(fast.delay_after(2), Some(Duration::from_millis(150)));
    }

    #[test]
    fn an_attempt_delivers_waits_or_gives_up() {
        let s = RetrySchedule::default();
        assert_eq!(DeliveryStatus::after_attempt(3, true, &s), (DeliveryStatus::Delivered, None));
        assert_eq!(
            DeliveryStatus::after_attempt(1, false, &s),
            (DeliveryStatus::Pending, Some(Duration::from_secs(10)))
        );
        assert_eq!(
            DeliveryStatus::after_attempt(RetrySchedule::MAX_ATTEMPTS, false, &s),
            (DeliveryStatus::Failed, None)
        );
        // A redelivery by hand after giving up is one more attempt, not a new schedule.
        assert_eq!(
            DeliveryStatus::after_attempt(RetrySchedule::MAX_ATTEMPTS + 1, false, &s),
            (DeliveryStatus::Failed, None)
        );
        for st in [DeliveryStatus::Pending, DeliveryStatus::Delivered, DeliveryStatus::Failed] {
            assert_eq!(DeliveryStatus::parse(st.label()), Some(st));
        }
    }

    proptest! {
        #[test]
        fn retry_waits_grow_and_scale_with_the_base(base_ms in 1u64..100_000, n in 1u32..7) {
            let s = RetrySchedule::new(Duration::from_millis(base_ms));
            let this = s.delay_after(n).expect("within the schedule");
            prop_assert!(this >= s.base);
            if let Some(next) = s.delay_after(n + 1) {
                prop_assert!(next > this);
            } else {
                prop_assert_eq!(n + 1, RetrySchedule::MAX_ATTEMPTS);
            }
            prop_assert_eq!(this, Duration::from_millis(base_ms) * RetrySchedule::FACTORS[n as usize - 1]);
        }

        #[test]
        fn a_signature_verifies_only_for_its_own_body(
            id in "[a-z0-9-]{1,40}",
            ts in 0i64..4_000_000_000,
            body in proptest::collection::vec(any::<u8>(), 0..200),
            flip in any::<prop::sample::Index>(),
        ) {
            let sig = sign(SECRET, &id, ts, &body);
            let tss = ts.to_string();
            prop_assert_eq!(verify(SECRET, &headers(&id, &tss, &sig), &body, ts, 0), Ok(()));
            if !body.is_empty() {
                let mut other = body.clone();
                let i = flip.index(other.len());
                other[i] ^= 1;
                prop_assert_eq!(verify(SECRET, &headers(&id, &tss, &sig), &other, ts, 0), Err(VerifyError::BadSignature));
            }
        }

        #[test]
        fn url_parsing_never_panics_and_accepted_urls_are_http(s in "\\PC{0,80}") {
            if let Ok(u) = s.parse::<WebhookUrl>() {
                prop_assert!(u.as_str().starts_with("http://") || u.as_str().starts_with("https://"));
                prop_assert!(!u.host().is_empty());
            }
        }
    }
}
