//! W3C Verifiable Credentials 2.0 secured with a Data Integrity proof of the `eddsa-jcs-2022`
//! cryptosuite (W3C "Data Integrity EdDSA Cryptosuites v1.0", §3.3).
//!
//! Signing: the proof options (type, cryptosuite, created, verificationMethod, proofPurpose,
//! and the credential's `@context` when it has one) and the credential without its proof
//! are each canonicalised with JCS (RFC 8785) and hashed with SHA-256; the Ed25519
//! signature over `hash(options) ‖ hash(credential)` is the `proofValue`, multibase
//! base58btc (`z…`). Verification redoes the same with the proof minus its `proofValue`.

use crate::keys::{CompanyKeys, verify_ed25519};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VcError {
    #[error("the credential must be a JSON object")]
    NotAnObject,
    #[error("the credential already has a proof; this issuer adds only the first one")]
    AlreadySigned,
    #[error("the credential has no proof: it was never signed")]
    NoProof,
    #[error("the proof is not an `eddsa-jcs-2022` Data Integrity proof ({0})")]
    UnsupportedProof(String),
    #[error("the proof is incomplete: {0}")]
    MalformedProof(String),
    #[error(
        "the proof's @context does not match the credential's: the credential was changed after signing, or the proof belongs to another credential"
    )]
    ContextMismatch,
    #[error(
        "the signature does not match: the credential was changed after it was signed, or it was not signed by this key"
    )]
    BadSignature,
    #[error("the credential cannot be canonicalised: {0}")]
    Canonicalisation(String),
}

/// The RFC 8785 (JCS) canonical form of `v`.
pub fn jcs(v: &Value) -> Result<String, VcError> {
    serde_json_canonicalizer::to_string(v).map_err(|e| VcError::Canonicalisation(e.to_string()))
}

fn jcs_hash(v: &Value) -> Result<[u8; 32], VcError> {
    Ok(Sha256::digest(jcs(v)?.as_bytes()).into())
}

/// `SHA-256(JCS(proof options)) ‖ SHA-256(JCS(credential))`: the bytes that are signed.
fn hash_data(options: &Map<String, Value>, credential: &Map<String, Value>) -> Result<[u8; 64], VcError> {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&jcs_hash(&Value::Object(options.clone()))?);
    out[32..].copy_from_slice(&jcs_hash(&Value::Object(credential.clone()))?);
    Ok(out)
}

/// Signs `credential` with the company's Ed25519 key. `verification_method` is the DID URL
/// of that key (e.g. `did:web:example.com#ed25519`); `created` an XML Schema dateTime.
pub fn issue_credential(
    credential: Value,
    keys: &CompanyKeys,
    verification_method: &str,
    created: &str,
) -> Result<Value, VcError> {
    let Value::Object(mut credential) = credential else { return Err(VcError::NotAnObject) };
    if credential.contains_key("proof") {
        return Err(VcError::AlreadySigned);
    }
    let mut options = Map::new();
    options.insert("type".into(), "DataIntegrityProof".into());
    options.insert("cryptosuite".into(), CRYPTOSUITE.into());
    options.insert("created".into(), created.into());
    options.insert("verificationMethod".into(), verification_method.into());
    options.insert("proofPurpose".into(), "assertionMethod".into());
    if let Some(context) = credential.get("@context") {
        options.insert("@context".into(), context.clone());
    }
    let signature = keys.sign_ed25519(&hash_data(&options, &credential)?);
    options.insert("proofValue".into(), format!("z{}", bs58::encode(signature).into_string()).into());
    credential.insert("proof".into(), Value::Object(options));
    Ok(Value::Object(credential))
}

fn proof_of(vc: &Value) -> Result<&Map<String, Value>, VcError> {
    let Value::Object(map) = vc else { return Err(VcError::NotAnObject) };
    match map.get("proof") {
        Some(Value::Object(p)) => Ok(p),
        Some(Value::Array(_)) => Err(VcError::UnsupportedProof("a set of several proofs".into())),
        Some(_) => Err(VcError::MalformedProof("`proof` is not an object".into())),
        None => Err(VcError::NoProof),
    }
}

/// The `verificationMethod` of the credential's proof, for the caller to resolve its key.
pub fn proof_verification_method(vc: &Value) -> Result<&str, VcError> {
    proof_of(vc)?
        .get("verificationMethod")
        .and_then(Value::as_str)
        .ok_or_else(|| VcError::MalformedProof("no verificationMethod".into()))
}

/// Verifies the credential's `eddsa-jcs-2022` proof against an Ed25519 public key.
pub fn verify_credential(vc: &Value, public_key: &[u8; 32]) -> Result<(), VcError> {
    let proof = proof_of(vc)?;
    let text = |k: &str| proof.get(k).and_then(Value::as_str);
    if text("type") != Some("DataIntegrityProof") || text("cryptosuite") != Some(CRYPTOSUITE) {
        return Err(VcError::UnsupportedProof(format!(
            "type {}, cryptosuite {}",
            text("type").unwrap_or("none"),
            text("cryptosuite").unwrap_or("none")
        )));
    }
    for required in ["verificationMethod", "proofPurpose"] {
        if text(required).is_none() {
            return Err(VcError::MalformedProof(format!("no {required}")));
        }
    }
    let proof_value = text("proofValue").ok_or_else(|| VcError::MalformedProof("no proofValue".into()))?;
    let signature = proof_value
        .strip_prefix('z')
        .and_then(|b| bs58::decode(b).into_vec().ok())
        .ok_or_else(|| VcError::MalformedProof("the proofValue is not multibase base58btc".into()))?;
    let Value::Object(map) = vc else { return Err(VcError::NotAnObject) };
    let mut credential = map.clone();
    credential.remove("proof");
    let mut options = proof.clone();
    options.remove("proofValue");
    if let Some(context) = options.get("@context") {
        // The credential's @context must start with the proof's, in the same order.
        let starts_with = match (context, credential.get("@context")) {
            (Value::Array(p), Some(Value::Array(c))) => c.starts_with(p),
            (p, Some(c)) => p == c || c.as_array().and_then(|c| c.first()) == Some(p),
            _ => false,
        };
        if !starts_with {
            return Err(VcError::ContextMismatch);
        }
        credential.insert("@context".into(), context.clone());
    }
    let data = hash_data(&options, &credential)?;
    verify_ed25519(public_key, &data, &signature).map_err(|_| VcError::BadSignature)
}

/// The credential's fingerprint in a registry: SHA-256 (hex) of the JCS form of the
/// credential without its proof, so that it is the same before and after signing.
pub fn fingerprint(vc: &Value) -> Result<String, VcError> {
    let mut credential = vc.as_object().ok_or(VcError::NotAnObject)?.clone();
    credential.remove("proof");
    Ok(hex::encode(jcs_hash(&Value::Object(credential))?))
}

/// The Ed25519 key a DID document lists as `verification_method` (a `Multikey` or
/// `Ed25519VerificationKey2020` with `publicKeyMultibase`).
pub fn public_key_in_did_document(did_document: &Value, verification_method: &str) -> Option<[u8; 32]> {
    let methods = did_document.get("verificationMethod")?.as_array()?;
    let method = methods.iter().find(|m| m.get("id").and_then(Value::as_str) == Some(verification_method))?;
    let multibase = method.get("publicKeyMultibase")?.as_str()?;
    crate::keys::ed25519_from_multibase(multibase).ok()
}

/// The key inside a `did:key:z6Mk…` verification method, which needs no lookup.
pub fn public_key_of_did_key(verification_method: &str) -> Option<[u8; 32]> {
    let rest = verification_method.strip_prefix("did:key:")?;
    let multibase = rest.split('#').next()?;
    crate::keys::ed25519_from_multibase(multibase).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::CompanyKeys;
    use serde_json::json;

    fn credential() -> Value {
        json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": "did:web:seller.example",
            "validFrom": "2025-01-01T00:00:00Z",
            "credentialSubject": {"invoice": "INV-1", "total": 72115.5, "lines": [{"qty": 120}]}
        })
    }

    #[test]
    fn round_trip_and_tampering() -> Result<(), VcError> {
        let keys = CompanyKeys::generate();
        let vc = issue_credential(credential(), &keys, "did:web:seller.example#ed25519", "2025-01-02T03:04:05Z")?;
        verify_credential(&vc, &keys.ed25519_public())?;
        assert_eq!(proof_verification_method(&vc)?, "did:web:seller.example#ed25519");

        let mut changed = vc.clone();
        changed["credentialSubject"]["total"] = json!(1);
        assert_eq!(verify_credential(&changed, &keys.ed25519_public()), Err(VcError::BadSignature));

        let mut moved = vc.clone();
        moved["proof"]["created"] = json!("2030-01-01T00:00:00Z");
        assert_eq!(verify_credential(&moved, &keys.ed25519_public()), Err(VcError::BadSignature));

        let other = CompanyKeys::generate();
        assert_eq!(verify_credential(&vc, &other.ed25519_public()), Err(VcError::BadSignature));

        let mut context = vc.clone();
        context["@context"] = json!(["https://example.org/other"]);
        assert_eq!(verify_credential(&context, &keys.ed25519_public()), Err(VcError::ContextMismatch));

        assert_eq!(verify_credential(&credential(), &keys.ed25519_public()), Err(VcError::NoProof));
        assert_eq!(issue_credential(vc, &keys, "x", "y").err(), Some(VcError::AlreadySigned));
        Ok(())
    }

    #[test]
    fn key_order_and_whitespace_do_not_matter() -> Result<(), VcError> {
        let keys = CompanyKeys::generate();
        let vc = issue_credential(credential(), &keys, "did:web:s#ed25519", "2025-01-02T03:04:05Z")?;
        let text = serde_json::to_string_pretty(&vc).map_err(|e| VcError::Canonicalisation(e.to_string()))?;
        let again: Value = serde_json::from_str(&text).map_err(|e| VcError::Canonicalisation(e.to_string()))?;
        verify_credential(&again, &keys.ed25519_public())
    }
}
