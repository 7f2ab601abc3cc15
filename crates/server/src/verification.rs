//! Verifying a document that anyone presents: three separate answers, each with a reason a
//! person can act on. Is it intact (or which field changed)? Is the issuer who it claims
//! (or why that could not be confirmed)? Does it still stand (or when and by whom it was
//! revoked)?
//!
//! The checks are the same on the server's public page and in `tradewind verify`; only how
//! a DID document and a revocation status are fetched differs ([`IssuerDirectory`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tradewind_attestation::{oa, vc};

/// One of the three answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Check {
    pub ok: bool,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IntegrityCheck {
    pub ok: bool,
    pub reason: String,
    /// Fields changed or added since issuance, when the issuer's registry could tell.
    pub changed_fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IssuerCheck {
    pub ok: bool,
    pub reason: String,
    /// The name the document gives its issuer.
    pub name: Option<String>,
    /// The issuer's identifier (a DID).
    pub id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StatusCheck {
    pub ok: bool,
    pub reason: String,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
    pub revocation_reason: Option<String>,
}

/// The whole answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Verification {
    /// True only when every check that was asked for passed.
    pub verified: bool,
    /// `openattestation-v2` or `w3c-vc-2.0`.
    pub format: String,
    /// The document's fingerprint (OpenAttestation target hash, or the SHA-256 of the
    /// credential's canonical form).
    pub fingerprint: Option<String>,
    pub intact: IntegrityCheck,
    /// Absent when only integrity was asked for.
    pub issuer: Option<IssuerCheck>,
    pub status: Option<StatusCheck>,
}

/// A DID document and what the directory knows of the company behind it.
#[derive(Debug, Clone)]
pub struct ResolvedDid {
    pub document: Value,
    /// The company's name as registered on the node that publishes the DID, when known.
    pub registered_name: Option<String>,
    /// Whether that node verified the company's registration.
    pub registration_verified: Option<bool>,
}

/// What a registry says of one fingerprint.
#[derive(Debug, Clone, Default)]
pub struct RegistryStatus {
    /// The registry knows the document (it was issued through it).
    pub known: bool,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
    pub reason: Option<String>,
}

/// Where DID documents and revocation statuses come from: the server's own store for its
/// own companies, the network for the command line.
pub trait IssuerDirectory {
    /// The DID document of `did`, or why it cannot be had.
    fn resolve_did(&self, did: &str) -> impl Future<Output = Result<ResolvedDid, String>> + Send;
    /// The registry's answer at `location` (an OCSP-responder style URL) for `fingerprint`.
    fn status(&self, location: &str, fingerprint: &str) -> impl Future<Output = Result<RegistryStatus, String>> + Send;
    /// The issuer's leaf hashes for `fingerprint`, when this directory issued it: they name
    /// which field changed.
    fn original_leaves(&self, fingerprint: &str) -> impl Future<Output = Option<Vec<[u8; 32]>>> + Send;
}

/// Which kind of verifiable document `doc` is, or why it is neither.
pub fn format_of(doc: &Value) -> Result<&'static str, String> {
    if doc.get("data").is_some() || doc.get("signature").is_some() {
        Ok("openattestation-v2")
    } else if doc.get("@context").is_some() && doc.get("proof").is_some() {
        Ok("w3c-vc-2.0")
    } else {
        Err("this is not a verifiable document: an OpenAttestation document has `data` and `signature`, \
             a W3C verifiable credential has `@context` and `proof`"
            .into())
    }
}

/// Runs the checks on `doc`.
pub async fn verify(
    doc: &Value,
    directory: &impl IssuerDirectory,
    integrity_only: bool,
) -> Result<Verification, String> {
    match format_of(doc)? {
        "openattestation-v2" => Ok(verify_openattestation(doc, directory, integrity_only).await),
        _ => Ok(verify_credential(doc, directory, integrity_only).await),
    }
}

/// The first issuer block of an OpenAttestation document, unsalted.
fn oa_issuer(doc: &Value) -> Option<Value> {
    let data = doc.get("data")?;
    let issuers = oa::unsalt(data.get("issuers")?);
    issuers.as_array()?.first().cloned()
}

fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut at = v;
    for p in path {
        at = at.get(*p)?;
    }
    at.as_str()
}

fn did_of(key: &str) -> &str {
    key.split('#').next().unwrap_or(key)
}

async fn verify_openattestation(doc: &Value, directory: &impl IssuerDirectory, integrity_only: bool) -> Verification {
    let fingerprint = text(doc, &["signature", "targetHash"]).map(str::to_string);
    let leaves = match &fingerprint {
        Some(f) => directory.original_leaves(f).await,
        None => None,
    };
    let report = oa::verify_integrity(doc, leaves.as_deref());
    let intact =
        IntegrityCheck { ok: report.intact, reason: report.reason.clone(), changed_fields: report.changed_fields };
    let (issuer, status) = if integrity_only {
        (None, None)
    } else {
        let issuer_block = oa_issuer(doc);
        let issuer = oa_identity(doc, issuer_block.as_ref(), directory).await;
        let status = oa_status(issuer_block.as_ref(), fingerprint.as_deref(), directory).await;
        (Some(issuer), Some(status))
    };
    let verified = intact.ok && issuer.as_ref().is_none_or(|c| c.ok) && status.as_ref().is_none_or(|c| c.ok);
    Verification { verified, format: "openattestation-v2".into(), fingerprint, intact, issuer, status }
}

async fn oa_identity(doc: &Value, issuer: Option<&Value>, directory: &impl IssuerDirectory) -> IssuerCheck {
    let Some(issuer) = issuer else {
        return IssuerCheck {
            ok: false,
            reason: "the document names no issuer (data.issuers is missing or empty)".into(),
            name: None,
            id: None,
        };
    };
    let name = text(issuer, &["name"]).map(str::to_string);
    let id = text(issuer, &["id"]).map(str::to_string);
    let refuse = |reason: String| IssuerCheck { ok: false, reason, name: name.clone(), id: id.clone() };
    if let Some(store) = text(issuer, &["documentStore"]).or_else(|| text(issuer, &["tokenRegistry"])) {
        return refuse(format!(
            "the issuer registered this document on the Ethereum blockchain (contract {store}); tradewind needs no \
             blockchain and does not read it: confirm the issuer with TradeTrust, or check integrity only"
        ));
    }
    let proof_type = text(issuer, &["identityProof", "type"]).unwrap_or("");
    if proof_type != "DID" && proof_type != "DNS-DID" {
        return refuse(format!(
            "the issuer's identity proof is `{proof_type}`, which tradewind cannot check; it checks DID and DNS-DID issuers"
        ));
    }
    let Some(key) = text(issuer, &["identityProof", "key"]) else {
        return refuse("the issuer's identity proof names no key (identityProof.key)".into());
    };
    let signatures = oa::did_signatures(doc);
    let Some(signature) = signatures.iter().find(|s| s.verification_method.eq_ignore_ascii_case(key)) else {
        return refuse(format!("the document carries no signature by the issuer's key {key}: it was never signed"));
    };
    let Some(signer) = signature.recovered_address.clone() else {
        return refuse(format!("the signature by {key} is malformed and names no signer"));
    };
    let did = did_of(key);
    if let Some(address) = did.strip_prefix("did:ethr:") {
        let address = address.rsplit(':').next().unwrap_or(address);
        if !tradewind_attestation::keys::same_address(address, &signer) {
            return refuse(format!(
                "the signature was made by {signer}, not by the key of {did} that the document claims"
            ));
        }
        return refuse(format!(
            "signed with the key of {did}, but nothing ties that key to {}: its DNS record{} was not checked here",
            name.as_deref().unwrap_or("the named issuer"),
            text(issuer, &["identityProof", "location"]).map(|l| format!(" at {l}")).unwrap_or_default()
        ));
    }
    if !did.starts_with("did:web:") {
        return refuse(format!("tradewind resolves did:web and did:ethr identifiers, not {did}"));
    }
    let resolved = match directory.resolve_did(did).await {
        Ok(r) => r,
        Err(why) => return refuse(format!("the issuer's DID document could not be read: {why}")),
    };
    let Some(expected) = oa::address_in_did_document(&resolved.document, key) else {
        return refuse(format!("the DID document of {did} does not list the key {key}"));
    };
    if !tradewind_attestation::keys::same_address(&expected, &signer) {
        return refuse(format!(
            "the signature was made by {signer}, but the DID document of {did} names {expected}: \
             the document was signed by someone else"
        ));
    }
    if let (Some(registered), Some(claimed)) = (&resolved.registered_name, &name)
        && registered != claimed
    {
        return refuse(format!("the document names its issuer {claimed}, but {did} belongs to {registered}"));
    }
    let who = resolved.registered_name.clone().or(name.clone()).unwrap_or_else(|| did.to_string());
    match resolved.registration_verified {
        Some(false) => refuse(format!(
            "signed by the key of {who} ({did}), but the platform has not yet verified that company's registration"
        )),
        Some(true) => IssuerCheck {
            ok: true,
            reason: format!(
                "signed by {who}: the key in its DID document ({did}) made this signature, and the platform verified the company's registration"
            ),
            name,
            id,
        },
        None => IssuerCheck {
            ok: true,
            reason: format!("signed by {who}: the key in its DID document ({did}) made this signature"),
            name,
            id,
        },
    }
}

async fn oa_status(issuer: Option<&Value>, fingerprint: Option<&str>, directory: &impl IssuerDirectory) -> StatusCheck {
    let answer = |ok: bool, reason: String| StatusCheck {
        ok,
        reason,
        revoked_at: None,
        revoked_by: None,
        revocation_reason: None,
    };
    let Some(fingerprint) = fingerprint else {
        return answer(false, "the document has no fingerprint (signature.targetHash) to look up".into());
    };
    let kind = issuer.and_then(|i| text(i, &["revocation", "type"])).unwrap_or("");
    let location = issuer.and_then(|i| text(i, &["revocation", "location"]));
    match (kind, location) {
        ("NONE", _) => answer(true, "the issuer declared that this document cannot be revoked".into()),
        ("OCSP_RESPONDER", Some(location)) => match directory.status(location, fingerprint).await {
                Err(why) => answer(false, format!("the issuer's revocation list at {location} could not be read: {why}")),
                Ok(s) if s.revoked_at.is_some() || s.reason.is_some() => StatusCheck {
                    ok: false,
                    reason: format!(
                        "revoked{}{}{}",
                        s.revoked_at.as_deref().map(|a| format!(" on {a}")).unwrap_or_default(),
                        s.revoked_by.as_deref().map(|b| format!(" by {b}")).unwrap_or_default(),
                        s.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
                    ),
                    revoked_at: s.revoked_at,
                    revoked_by: s.revoked_by,
                    revocation_reason: s.reason,
                },
                Ok(s) if !s.known => answer(
                    false,
                    format!("the registry at {location} does not know this document: it was not issued through it"),
                ),
                Ok(_) => answer(true, "not revoked: the issuer's registry lists it as issued and standing".into()),
        },
        ("REVOCATION_STORE", _) => answer(
            false,
            "revocation is recorded on the Ethereum blockchain, which tradewind does not read: check it with TradeTrust"
                .into(),
        ),
        ("", _) => answer(false, "the issuer gave no revocation block, so nobody can tell whether it was revoked".into()),
        (other, _) => answer(false, format!("the revocation method `{other}` is not one tradewind can check")),
    }
}

async fn verify_credential(doc: &Value, directory: &impl IssuerDirectory, integrity_only: bool) -> Verification {
    let fingerprint = vc::fingerprint(doc).ok();
    let issuer_id = match doc.get("issuer") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => text(other, &["id"]).map(str::to_string),
        None => None,
    };
    let issuer_name = doc.get("issuer").and_then(|i| text(i, &["name"])).map(str::to_string);
    let method = text(doc, &["proof", "verificationMethod"]).unwrap_or("").to_string();
    let fail = |reason: String| IntegrityCheck { ok: false, reason, changed_fields: vec![] };
    // The signature is the integrity check of a credential, so the key must be found first.
    let resolved =
        if method.starts_with("did:web:") { Some(directory.resolve_did(did_of(&method)).await) } else { None };
    let key = match &resolved {
        Some(Ok(r)) => vc::public_key_in_did_document(&r.document, &method),
        _ => vc::public_key_of_did_key(&method),
    };
    let intact = match (key, &resolved) {
        (Some(key), _) => match vc::verify_credential(doc, &key) {
            Ok(()) => IntegrityCheck {
                ok: true,
                reason: "intact: the proof checks over every field of the credential".into(),
                changed_fields: vec![],
            },
            Err(e) => fail(format!("not intact: {e}")),
        },
        (None, Some(Err(why))) => fail(format!("cannot be checked: the key {method} could not be fetched ({why})")),
        (None, _) => fail(format!("cannot be checked: the proof's key {method} is not one tradewind can find")),
    };
    let (issuer, status) = if integrity_only {
        (None, None)
    } else {
        let issuer = match (&issuer_id, &resolved) {
            (Some(id), _) if did_of(&method) != id => IssuerCheck {
                ok: false,
                reason: format!("the credential says {id} issued it, but the proof was made with {method}"),
                name: issuer_name.clone(),
                id: issuer_id.clone(),
            },
            (_, Some(Ok(r))) if intact.ok => IssuerCheck {
                ok: r.registration_verified != Some(false),
                reason: match r.registration_verified {
                    Some(false) => "signed by a company whose registration the platform has not yet verified".into(),
                    _ => format!(
                        "signed by {}: the key is in its DID document ({})",
                        r.registered_name.clone().or(issuer_name.clone()).unwrap_or_else(|| did_of(&method).into()),
                        did_of(&method)
                    ),
                },
                name: issuer_name.clone(),
                id: issuer_id.clone(),
            },
            (_, Some(Err(why))) => IssuerCheck {
                ok: false,
                reason: format!("the issuer's DID document could not be read: {why}"),
                name: issuer_name.clone(),
                id: issuer_id.clone(),
            },
            _ => IssuerCheck {
                ok: false,
                reason: "the issuer could not be confirmed because the proof does not check".into(),
                name: issuer_name.clone(),
                id: issuer_id.clone(),
            },
        };
        let status = match (text(doc, &["credentialStatus", "id"]), &fingerprint) {
            (Some(location), Some(f)) => {
                let location = location.trim_end_matches(&format!("/{f}")).to_string();
                match directory.status(&location, f).await {
                    Ok(s) if s.revoked_at.is_some() => StatusCheck {
                        ok: false,
                        reason: format!(
                            "revoked on {}{}",
                            s.revoked_at.clone().unwrap_or_default(),
                            s.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
                        ),
                        revoked_at: s.revoked_at,
                        revoked_by: s.revoked_by,
                        revocation_reason: s.reason,
                    },
                    Ok(s) if s.known => StatusCheck {
                        ok: true,
                        reason: "not revoked: the issuer's registry lists it as issued and standing".into(),
                        revoked_at: None,
                        revoked_by: None,
                        revocation_reason: None,
                    },
                    Ok(_) => StatusCheck {
                        ok: false,
                        reason: format!("the registry at {location} does not know this credential"),
                        revoked_at: None,
                        revoked_by: None,
                        revocation_reason: None,
                    },
                    Err(why) => StatusCheck {
                        ok: false,
                        reason: format!("the issuer's registry could not be read: {why}"),
                        revoked_at: None,
                        revoked_by: None,
                        revocation_reason: None,
                    },
                }
            }
            _ => StatusCheck {
                ok: true,
                reason: "the credential has no status entry: its issuer offers no revocation".into(),
                revoked_at: None,
                revoked_by: None,
                revocation_reason: None,
            },
        };
        (Some(issuer), Some(status))
    };
    let verified = intact.ok && issuer.as_ref().is_none_or(|c| c.ok) && status.as_ref().is_none_or(|c| c.ok);
    Verification { verified, format: "w3c-vc-2.0".into(), fingerprint, intact, issuer, status }
}

/// `did:web` for a company on the node reached at `public_url`: the host (its port
/// percent-encoded, as did:web requires), then `companies` and the company id, so that the
/// DID document lives at `/companies/{id}/did.json`.
pub fn company_did(public_url: &str, organization_id: &str) -> String {
    format!("did:web:{}:companies:{organization_id}", did_web_host(public_url))
}

fn did_web_host(public_url: &str) -> String {
    let without_scheme = public_url.split("://").nth(1).unwrap_or(public_url);
    let host = without_scheme.split('/').next().unwrap_or(without_scheme);
    host.replace(':', "%3A")
}

/// The address a `did:web` identifier's document is fetched from. Plain HTTP only for a
/// host on this machine (tests and local nodes); everything else over HTTPS, as did:web says.
pub fn did_web_url(did: &str) -> Result<String, String> {
    let rest = did.strip_prefix("did:web:").ok_or_else(|| format!("{did} is not a did:web identifier"))?;
    let mut parts = rest.split(':');
    let host =
        parts.next().filter(|h| !h.is_empty()).ok_or_else(|| format!("{did} names no host"))?.replace("%3A", ":");
    let path: Vec<&str> = parts.collect();
    let local = host.starts_with("127.0.0.1") || host.starts_with("localhost") || host.starts_with("[::1]");
    let scheme = if local { "http" } else { "https" };
    Ok(if path.is_empty() {
        format!("{scheme}://{host}/.well-known/did.json")
    } else {
        format!("{scheme}://{host}/{}/did.json", path.join("/"))
    })
}

/// The company id in a `did:web` of this node, when `did` is one.
pub fn own_company_of(public_url: &str, did: &str) -> Option<String> {
    let prefix = format!("did:web:{}:companies:", did_web_host(public_url));
    did.strip_prefix(&prefix).filter(|id| !id.is_empty() && !id.contains(':')).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_dids_follow_did_web_and_resolve_to_their_document() -> Result<(), String> {
        let did = company_did("http://127.0.0.1:8080", "org1");
        assert_eq!(did, "did:web:127.0.0.1%3A8080:companies:org1");
        assert_eq!(did_web_url(&did)?, "http://127.0.0.1:8080/companies/org1/did.json");
        assert_eq!(own_company_of("http://127.0.0.1:8080", &did).as_deref(), Some("org1"));
        assert_eq!(own_company_of("http://127.0.0.1:9090", &did), None);
        assert_eq!(did_web_url("did:web:trade.example:companies:x")?, "https://trade.example/companies/x/did.json");
        assert_eq!(did_web_url("did:web:trade.example")?, "https://trade.example/.well-known/did.json");
        assert!(did_web_url("did:ethr:0xabc").is_err());
        Ok(())
    }

    #[test]
    fn only_verifiable_shapes_are_taken() {
        assert_eq!(format_of(&serde_json::json!({"data": {}, "signature": {}})), Ok("openattestation-v2"));
        assert_eq!(format_of(&serde_json::json!({"@context": [], "proof": {}})), Ok("w3c-vc-2.0"));
        assert!(format_of(&serde_json::json!({"invoice": 1})).is_err());
    }
}
