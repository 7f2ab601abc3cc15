//! Organisations (companies and agencies), the roles they play in trade, their users, and
//! the verification life cycle that e-registration runs through.

use crate::codes::{CountryCode, Lei};
use crate::validation::{ValidationErrors, required_text};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// A role an organisation plays in trade. One organisation may play several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TradeRole {
    Exporter,
    Importer,
    CarrierOrForwarder,
    CustomsBroker,
    Bank,
    Insurer,
    CustomsAuthority,
    /// Another government agency: inspection, quarantine, standards, licensing.
    OtherGovernmentAgency,
}

impl TradeRole {
    pub const ALL: [TradeRole; 8] = [
        TradeRole::Exporter,
        TradeRole::Importer,
        TradeRole::CarrierOrForwarder,
        TradeRole::CustomsBroker,
        TradeRole::Bank,
        TradeRole::Insurer,
        TradeRole::CustomsAuthority,
        TradeRole::OtherGovernmentAgency,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            TradeRole::Exporter => "exporter",
            TradeRole::Importer => "importer",
            TradeRole::CarrierOrForwarder => "carrier_or_forwarder",
            TradeRole::CustomsBroker => "customs_broker",
            TradeRole::Bank => "bank",
            TradeRole::Insurer => "insurer",
            TradeRole::CustomsAuthority => "customs_authority",
            TradeRole::OtherGovernmentAgency => "other_government_agency",
        }
    }
}

impl FromStr for TradeRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        TradeRole::ALL.into_iter().find(|r| r.as_str() == s.trim()).ok_or_else(|| {
            format!("'{s}' is not a trade role; use one of {}", TradeRole::ALL.map(|r| r.as_str()).join(", "))
        })
    }
}

/// Where an organisation stands in the operator's review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum VerificationStatus {
    /// Registered and waiting for the operator to review its evidence.
    Pending,
    Verified,
    Rejected {
        reason: String,
    },
}

/// What the operator or the company does to the verification status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerificationEvent {
    Verify,
    Reject {
        reason: String,
    },
    /// The company uploaded new evidence after a rejection and asks for another review.
    Resubmit,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {event} a company whose verification is {from}; allowed now: {allowed}")]
pub struct VerificationTransitionError {
    pub from: &'static str,
    pub event: &'static str,
    pub allowed: String,
}

impl VerificationStatus {
    pub fn label(&self) -> &'static str {
        match self {
            VerificationStatus::Pending => "pending",
            VerificationStatus::Verified => "verified",
            VerificationStatus::Rejected { .. } => "rejected",
        }
    }

    fn allowed(&self) -> &'static [&'static str] {
        match self {
            VerificationStatus::Pending => &["verify", "reject"],
            // A verified company can still be rejected later, for example on fraud.
            VerificationStatus::Verified => &["reject"],
            VerificationStatus::Rejected { .. } => &["resubmit"],
        }
    }

    pub fn apply(self, event: VerificationEvent) -> Result<VerificationStatus, VerificationTransitionError> {
        use VerificationEvent as E;
        use VerificationStatus as S;
        let name = match &event {
            E::Verify => "verify",
            E::Reject { .. } => "reject",
            E::Resubmit => "resubmit",
        };
        match (&self, event) {
            (S::Pending, E::Verify) => Ok(S::Verified),
            (S::Pending | S::Verified, E::Reject { reason }) => {
                let reason = reason.trim().to_string();
                if reason.is_empty() {
                    Err(VerificationTransitionError {
                        from: self.label(),
                        event: "reject without a reason",
                        allowed: "reject with a reason the company can act on".into(),
                    })
                } else {
                    Ok(S::Rejected { reason })
                }
            }
            (S::Rejected { .. }, E::Resubmit) => Ok(S::Pending),
            _ => {
                Err(VerificationTransitionError { from: self.label(), event: name, allowed: self.allowed().join(", ") })
            }
        }
    }
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub street: String,
    pub city: String,
    #[serde(default)]
    pub postal_code: String,
    pub country: CountryCode,
}

/// Who to contact at the company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub phone: String,
}

/// A company's registration, validated: every field here is known good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyRegistration {
    pub legal_name: String,
    pub country: CountryCode,
    pub registration_number: String,
    pub address: Address,
    pub contact: Contact,
    pub lei: Option<Lei>,
    pub roles: Vec<TradeRole>,
}

/// The registration as typed by a person: strings, checked by [`RegistrationForm::validate`].
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RegistrationForm {
    pub legal_name: String,
    pub country: String,
    pub registration_number: String,
    pub street: String,
    pub city: String,
    pub postal_code: String,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub lei: String,
    pub roles: Vec<String>,
}

/// A plausible e-mail address: one `@`, something before it, a dot in the domain.
pub fn validate_email(errors: &mut ValidationErrors, field: &str, value: &str) -> Option<String> {
    let v = value.trim().to_ascii_lowercase();
    let ok = match v.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !v.chars().any(char::is_whitespace)
                && v.len() <= 254
        }
        None => false,
    };
    if ok {
        Some(v)
    } else {
        errors.push(field, "invalid_email", format!("'{value}' is not an e-mail address"));
        None
    }
}

impl RegistrationForm {
    /// Checks every field and reports all problems at once, with the field's name.
    pub fn validate(&self) -> Result<CompanyRegistration, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let legal_name = required_text(&mut e, "legal_name", &self.legal_name, 200);
        let country = if self.country.trim().is_empty() {
            e.push("country", "required", "country is required");
            None
        } else {
            e.check("country", self.country.parse::<CountryCode>())
        };
        let registration_number = required_text(&mut e, "registration_number", &self.registration_number, 64);
        let street = required_text(&mut e, "address.street", &self.street, 200);
        let city = required_text(&mut e, "address.city", &self.city, 100);
        let contact_name = required_text(&mut e, "contact.name", &self.contact_name, 100);
        let contact_email = validate_email(&mut e, "contact.email", &self.contact_email);
        if self.postal_code.chars().count() > 20 {
            e.push("address.postal_code", "too_long", "address.postal_code must be at most 20 characters");
        }
        if self.contact_phone.chars().count() > 40 {
            e.push("contact.phone", "too_long", "contact.phone must be at most 40 characters");
        }
        let lei =
            if self.lei.trim().is_empty() { Some(None) } else { e.check("lei", self.lei.parse::<Lei>()).map(Some) };
        let mut roles = Vec::new();
        for (i, r) in self.roles.iter().enumerate() {
            match r.parse::<TradeRole>() {
                Ok(r) if !roles.contains(&r) => roles.push(r),
                Ok(_) => {}
                Err(msg) => e.push(format!("roles[{i}]"), "unknown_role", msg),
            }
        }
        if self.roles.is_empty() {
            e.push("roles", "required", "choose at least one role the company plays in trade");
        }
        roles.sort();
        match (legal_name, country, registration_number, street, city, contact_name, contact_email, lei) {
            (
                Some(legal_name),
                Some(country),
                Some(registration_number),
                Some(street),
                Some(city),
                Some(cn),
                Some(ce),
                Some(lei),
            ) if e.is_empty() => {
                Ok(CompanyRegistration {
                    legal_name,
                    country,
                    // Numbers are compared without spaces and case, as registries print them both ways.
                    registration_number: registration_number.to_ascii_uppercase().replace(' ', ""),
                    address: Address { street, city, postal_code: self.postal_code.trim().to_string(), country },
                    contact: Contact { name: cn, email: ce, phone: self.contact_phone.trim().to_string() },
                    lei,
                    roles,
                })
            }
            _ => Err(e),
        }
    }
}

/// A user's role inside its own organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    /// Manages the company profile, evidence, users and tokens.
    Admin,
    Member,
}

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Admin => "admin",
            MemberRole::Member => "member",
        }
    }
}

impl FromStr for MemberRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "admin" => Ok(MemberRole::Admin),
            "member" => Ok(MemberRole::Member),
            _ => Err(format!("'{s}' is not a member role; use admin or member")),
        }
    }
}

/// Minimum password rules: long enough to resist guessing, short enough to hash cheaply.
pub fn validate_password(errors: &mut ValidationErrors, field: &str, value: &str) {
    let n = value.chars().count();
    if n < 10 {
        errors.push(field, "password_too_short", "the password must be at least 10 characters");
    } else if n > 128 {
        errors.push(field, "password_too_long", "the password must be at most 128 characters");
    }
}

/// Kinds of evidence a company may upload, recognised from the file's first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EvidenceType {
    #[serde(rename = "application/pdf")]
    Pdf,
    #[serde(rename = "image/png")]
    Png,
    #[serde(rename = "image/jpeg")]
    Jpeg,
}

impl EvidenceType {
    pub fn mime(self) -> &'static str {
        match self {
            EvidenceType::Pdf => "application/pdf",
            EvidenceType::Png => "image/png",
            EvidenceType::Jpeg => "image/jpeg",
        }
    }
    pub fn from_mime(m: &str) -> Option<Self> {
        match m.split(';').next().unwrap_or("").trim() {
            "application/pdf" => Some(EvidenceType::Pdf),
            "image/png" => Some(EvidenceType::Png),
            "image/jpeg" | "image/jpg" => Some(EvidenceType::Jpeg),
            _ => None,
        }
    }
    /// What the content itself is, by its magic number.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"%PDF-") {
            Some(EvidenceType::Pdf)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(EvidenceType::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(EvidenceType::Jpeg)
        } else {
            None
        }
    }
}

/// Largest evidence file accepted.
pub const MAX_EVIDENCE_BYTES: usize = 10 * 1024 * 1024;

/// Checks an upload: a declared type we accept, content that really is that type, a size
/// within the limit.
pub fn check_evidence(declared: &str, bytes: &[u8]) -> Result<EvidenceType, ValidationErrors> {
    let Some(t) = EvidenceType::from_mime(declared) else {
        return Err(ValidationErrors::single(
            "file",
            "unsupported_type",
            format!("'{declared}' files are not accepted; upload a PDF, PNG or JPEG"),
        ));
    };
    if bytes.is_empty() {
        return Err(ValidationErrors::single("file", "empty", "the file is empty"));
    }
    if bytes.len() > MAX_EVIDENCE_BYTES {
        return Err(ValidationErrors::single(
            "file",
            "too_large",
            format!("the file is {} bytes; the limit is {} MiB", bytes.len(), MAX_EVIDENCE_BYTES / 1024 / 1024),
        ));
    }
    match EvidenceType::sniff(bytes) {
        Some(actual) if actual == t => Ok(t),
        Some(actual) => Err(ValidationErrors::single(
            "file",
            "type_mismatch",
            format!("the file says it is {} but its content is {}", t.mime(), actual.mime()),
        )),
        None => Err(ValidationErrors::single(
            "file",
            "type_mismatch",
            format!("the file says it is {} but its content is not", t.mime()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> RegistrationForm {
        RegistrationForm {
            legal_name: "Lion City Spices Pte Ltd".into(),
            country: "SG".into(),
            registration_number: "201912345k".into(),
            street: "1 Harbourfront Ave".into(),
            city: "Singapore".into(),
            postal_code: "098632".into(),
            contact_name: "Mei Tan".into(),
            contact_email: "Mei@Example.sg".into(),
            contact_phone: "".into(),
            lei: "".into(),
            roles: vec!["exporter".into(), "importer".into(), "exporter".into()],
        }
    }

    #[test]
    fn a_good_form_validates_and_normalises() {
        let r = form().validate().expect("valid");
        assert_eq!(r.registration_number, "201912345K");
        assert_eq!(r.contact.email, "mei@example.sg");
        assert_eq!(r.roles, vec![TradeRole::Exporter, TradeRole::Importer]);
        assert_eq!(r.lei, None);
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut f = form();
        f.country = "XX".into();
        f.lei = "506700GE1G29325QX364".into();
        f.contact_email = "nope".into();
        f.roles = vec!["pirate".into()];
        f.legal_name = " ".into();
        let e = f.validate().expect_err("invalid");
        let fields: Vec<_> = e.0.iter().map(|x| (x.field.as_str(), x.code)).collect();
        assert!(fields.contains(&("country", "unknown_country")));
        assert!(fields.contains(&("lei", "invalid_lei_check_digits")));
        assert!(fields.contains(&("contact.email", "invalid_email")));
        assert!(fields.contains(&("roles[0]", "unknown_role")));
        assert!(fields.contains(&("legal_name", "required")));
    }

    #[test]
    fn verification_state_machine() {
        let s = VerificationStatus::Pending;
        let v = s.clone().apply(VerificationEvent::Verify).expect("verify");
        assert_eq!(v, VerificationStatus::Verified);
        let err = v.clone().apply(VerificationEvent::Verify).expect_err("twice");
        assert!(err.to_string().contains("allowed now: reject"));
        assert!(s.clone().apply(VerificationEvent::Reject { reason: "  ".into() }).is_err());
        let r = s.apply(VerificationEvent::Reject { reason: "certificate expired".into() }).expect("reject");
        assert_eq!(r.clone().apply(VerificationEvent::Resubmit), Ok(VerificationStatus::Pending));
        assert!(r.apply(VerificationEvent::Verify).is_err());
    }

    #[test]
    fn evidence_is_checked_by_content() {
        assert_eq!(check_evidence("application/pdf", b"%PDF-1.7 ..."), Ok(EvidenceType::Pdf));
        let e = check_evidence("application/pdf", b"\x89PNG\r\n\x1a\nxxxx").expect_err("mismatch");
        assert_eq!(e.0[0].code, "type_mismatch");
        assert_eq!(check_evidence("text/html", b"<html>").expect_err("type").0[0].code, "unsupported_type");
        let big = vec![b'%'; MAX_EVIDENCE_BYTES + 1];
        assert_eq!(check_evidence("application/pdf", &big).expect_err("size").0[0].code, "too_large");
    }
}
