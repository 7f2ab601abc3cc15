//! DID signatures in OpenAttestation's style, the identity a company publishes for them, and
//! the revocation responder's answer format.
//!
//! Signing (open-attestation `src/2.0/sign.ts`, `Secp256k1VerificationKey2018` scheme): the
//! issuer signs the 32 bytes of `merkleRoot` with Ethereum's `personal_sign` (EIP-191) and
//! appends to the top-level `proof` list
//! `{type: "OpenAttestationSignature2018", created, proofPurpose: "assertionMethod",
//! verificationMethod: "<did>#controller", signature: "0x<r‖s‖v>"}`.
//!
//! Verifying (oa-verify `didSignedDocumentStatus.ts` and `did/verifier.ts`): each issuer in
//! `data.issuers` names `identityProof.key` (a DID URL); the proof whose
//! `verificationMethod` equals it (ignoring case) must recover, from the merkle root, the
//! address in that verification method of the issuer's resolved DID document: type
//! `EcdsaSecp256k1RecoveryMethod2020` with `blockchainAccountId`, whose last `:`-separated
//! part is the address (`eip155:1:0x…`). For `DNS-DID` issuers oa-verify also reads the
//! TXT records of `identityProof.location` and wants one
//! `openatts a=dns-did; p=<identityProof.key>; v=1.0;` (dnsprove: tokens split on spaces,
//! a trailing `;` dropped, `p` compared ignoring case).
//!
//! Revocation by `OCSP_RESPONDER` (oa-verify `documentStatus/utils.ts`
//! `isRevokedByOcspResponder`): for each hash from the target hash up to the merkle root
//! (`0x`-prefixed, see [`revocation_hashes`]) the verifier sends `GET <location>/<hash>` and
//! expects JSON `{"revoked": false, "documentHash": "<hash>"}` or
//! `{"revoked": true, "documentHash": "<hash>", "reasonCode": <code>}` with a code of
//! [`OcspReasonCode`]; anything else (or an HTTP error) makes the check fail with
//! `OCSP_RESPONSE_INVALID`. A batch is thus revoked by answering for its merkle root, one
//! document by answering for its target hash.

use super::hash::{hex32, parse_hash};
use super::{OaError, merkle, unsalt};
use crate::keys::{CompanyKeys, recover_ethereum_signer, same_address};
use serde_json::{Value, json};
use std::collections::HashMap;

const SIGNATURE_TYPE: &str = "OpenAttestationSignature2018";

/// One DID signature found in a document's `proof` list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DidSignature {
    pub verification_method: String,
    pub created: Option<String>,
    pub signature: String,
    /// The address that signed the document's merkle root, when it could be recovered.
    pub recovered_address: Option<String>,
    /// Why no address could be recovered.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DidError {
    #[error("the document carries no DID signature (it has no `proof` list)")]
    NotSigned,
    #[error("the document has no signature made with the key `{0}` that the issuer names")]
    NoSignatureFor(String),
    #[error(
        "the signature for `{verification_method}` was made by {recovered}, not by {expected} as the issuer's DID document says: the document was not signed by the issuer it names"
    )]
    WrongSigner { verification_method: String, recovered: String, expected: String },
    #[error("the signature for `{verification_method}` cannot be read: {reason}")]
    Unreadable { verification_method: String, reason: String },
    #[error(transparent)]
    Document(#[from] OaError),
}

fn merkle_root_bytes(doc: &Value) -> Result<[u8; 32], OaError> {
    let root = doc.get("signature").and_then(|s| s.get("merkleRoot")).ok_or(OaError::NoSignature)?;
    let root = root.as_str().ok_or_else(|| OaError::Malformed("the merkle root is not a string".into()))?;
    parse_hash(root).map_err(|e| OaError::Malformed(e.explain("the merkle root")))
}

/// The proof entry over `root`; `created` is given, so signing reads no clock.
fn proof_entry(root: &[u8; 32], keys: &CompanyKeys, verification_method: &str, created: &str) -> Value {
    json!({
        "type": SIGNATURE_TYPE,
        "created": created,
        "proofPurpose": "assertionMethod",
        "verificationMethod": verification_method,
        "signature": keys.sign_ethereum_message(root),
    })
}

/// The proof entry for a batch's merkle root (hex), as JSON text.
pub(crate) fn proof_entry_for_root(
    root_hex: &str,
    keys: &CompanyKeys,
    verification_method: &str,
    created: &str,
) -> Result<String, OaError> {
    check_method(keys, verification_method)?;
    let root = parse_hash(root_hex).map_err(|e| OaError::Malformed(e.explain("the merkle root")))?;
    Ok(proof_entry(&root, keys, verification_method, created).to_string())
}

fn check_method(keys: &CompanyKeys, verification_method: &str) -> Result<(), OaError> {
    // As the official signer does: a did:ethr key must be the one that signs.
    if let Some(rest) = verification_method.strip_prefix("did:ethr:") {
        let addr = rest.split('#').next().unwrap_or_default();
        let addr = addr.rsplit(':').next().unwrap_or_default();
        if !same_address(addr, &keys.ethereum_address()) {
            return Err(OaError::Malformed(format!(
                "the key {} cannot sign for `{verification_method}`",
                keys.ethereum_address()
            )));
        }
    }
    Ok(())
}

fn append_proof(doc: &Value, entry: Value) -> Result<Value, OaError> {
    let Value::Object(map) = doc else { return Err(OaError::NotAnObject("the document")) };
    let mut out = map.clone();
    match out.entry("proof").or_insert_with(|| Value::Array(Vec::new())) {
        Value::Array(list) => list.push(entry),
        _ => return Err(OaError::Malformed("the document's `proof` is not a list".into())),
    }
    Ok(Value::Object(out))
}

/// Signs a wrapped document's merkle root; `created` is the ISO 8601 time to record.
pub fn sign_did_at(
    doc: &Value,
    keys: &CompanyKeys,
    verification_method: &str,
    created: &str,
) -> Result<Value, OaError> {
    check_method(keys, verification_method)?;
    let root = merkle_root_bytes(doc)?;
    append_proof(doc, proof_entry(&root, keys, verification_method, created))
}

/// [`sign_did_at`] with the current time (the one place this crate reads the clock).
pub fn sign_did(doc: &Value, keys: &CompanyKeys, verification_method: &str) -> Result<Value, OaError> {
    let created = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| OaError::Internal(e.to_string()))?;
    sign_did_at(doc, keys, verification_method, &created)
}

/// Signs every document of a batch with one signature per merkle root (one for a whole
/// batch), in place.
pub fn sign_did_batch(
    docs: &mut [Value],
    keys: &CompanyKeys,
    verification_method: &str,
    created: &str,
) -> Result<(), OaError> {
    check_method(keys, verification_method)?;
    let mut signed: HashMap<[u8; 32], Value> = HashMap::new();
    for doc in docs.iter_mut() {
        let root = merkle_root_bytes(doc)?;
        let entry =
            signed.entry(root).or_insert_with(|| proof_entry(&root, keys, verification_method, created)).clone();
        let Value::Object(map) = doc else { return Err(OaError::NotAnObject("the document")) };
        match map.entry("proof").or_insert_with(|| Value::Array(Vec::new())) {
            Value::Array(list) => list.push(entry),
            _ => return Err(OaError::Malformed("the document's `proof` is not a list".into())),
        }
    }
    Ok(())
}

/// Every `OpenAttestationSignature2018` in the document, with the address that signed its
/// merkle root.
pub fn did_signatures(doc: &Value) -> Vec<DidSignature> {
    let root = merkle_root_bytes(doc);
    let Some(Value::Array(proofs)) = doc.get("proof") else { return Vec::new() };
    proofs
        .iter()
        .filter(|p| p.get("type").and_then(Value::as_str) == Some(SIGNATURE_TYPE))
        .map(|p| {
            let text = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_string);
            let signature = text("signature").unwrap_or_default();
            let (recovered_address, problem) = match &root {
                Err(e) => (None, Some(e.to_string())),
                Ok(root) => match recover_ethereum_signer(root, &signature) {
                    Ok(a) => (Some(a), None),
                    Err(e) => (None, Some(e.to_string())),
                },
            };
            DidSignature {
                verification_method: text("verificationMethod").unwrap_or_default(),
                created: text("created"),
                signature,
                recovered_address,
                problem,
            }
        })
        .collect()
}

/// Checks that the signature for `verification_method` was made by `expected_address`
/// (the address the issuer's DID document gives for that key).
pub fn check_did_signature(doc: &Value, verification_method: &str, expected_address: &str) -> Result<(), DidError> {
    if !matches!(doc.get("proof"), Some(Value::Array(_))) {
        return Err(DidError::NotSigned);
    }
    let sigs = did_signatures(doc);
    let sig = sigs
        .iter()
        .find(|s| s.verification_method.eq_ignore_ascii_case(verification_method))
        .ok_or_else(|| DidError::NoSignatureFor(verification_method.to_string()))?;
    match (&sig.recovered_address, &sig.problem) {
        (Some(a), _) if same_address(a, expected_address) => Ok(()),
        (Some(a), _) => Err(DidError::WrongSigner {
            verification_method: verification_method.to_string(),
            recovered: a.clone(),
            expected: expected_address.to_string(),
        }),
        (None, problem) => Err(DidError::Unreadable {
            verification_method: verification_method.to_string(),
            reason: problem.clone().unwrap_or_default(),
        }),
    }
}

/// An issuer as a v2 document names it (`data.issuers[]`, unsalted).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct IssuerIdentity {
    pub id: Option<String>,
    pub name: Option<String>,
    /// `DNS-TXT`, `DNS-DID` or `DID`.
    pub identity_type: Option<String>,
    /// The DID URL of the signing key (`did:…#controller`) for DID issuers.
    pub key: Option<String>,
    /// The domain for DNS issuers.
    pub location: Option<String>,
    pub document_store: Option<String>,
    pub token_registry: Option<String>,
    /// `NONE`, `REVOCATION_STORE` or `OCSP_RESPONDER`, and where.
    pub revocation_type: Option<String>,
    pub revocation_location: Option<String>,
}

/// The issuers a wrapped (or raw) document names, for showing and checking who issued it.
pub fn issuer_identities(doc: &Value) -> Vec<IssuerIdentity> {
    let data = unsalt(doc.get("data").unwrap_or(doc));
    let Some(Value::Array(issuers)) = data.get("issuers") else { return Vec::new() };
    issuers
        .iter()
        .map(|i| {
            let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
            let proof = i.get("identityProof");
            let revocation = i.get("revocation");
            IssuerIdentity {
                id: s(i.get("id")),
                name: s(i.get("name")),
                identity_type: s(proof.and_then(|p| p.get("type"))),
                key: s(proof.and_then(|p| p.get("key"))),
                location: s(proof.and_then(|p| p.get("location"))),
                document_store: s(i.get("documentStore")),
                token_registry: s(i.get("tokenRegistry")),
                revocation_type: s(revocation.and_then(|r| r.get("type"))),
                revocation_location: s(revocation.and_then(|r| r.get("location"))),
            }
        })
        .collect()
}

/// The DID document a node publishes for a company (`did:web`): `#controller` is the
/// secp256k1 key that signs OpenAttestation merkle roots, as oa-verify resolves it;
/// `#ed25519` is the Multikey for W3C Data Integrity proofs.
pub fn did_web_document(did: &str, ethereum_address: &str, ed25519_multibase: &str) -> Value {
    let controller = format!("{did}#controller");
    let ed = format!("{did}#ed25519");
    json!({
        "@context": [
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/suites/secp256k1recovery-2020/v2",
            "https://w3id.org/security/multikey/v1"
        ],
        "id": did,
        "verificationMethod": [
            {
                "id": controller,
                "type": "EcdsaSecp256k1RecoveryMethod2020",
                "controller": did,
                "blockchainAccountId": format!("eip155:1:{ethereum_address}")
            },
            {
                "id": ed,
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": ed25519_multibase
            }
        ],
        "authentication": [controller],
        "assertionMethod": [controller, ed]
    })
}

/// The Ethereum address a DID document gives for `verification_method` (its
/// `blockchainAccountId` in CAIP-10 `eip155:<chain>:<address>` or the older
/// `<address>@eip155:<chain>`, or an `ethereumAddress`).
pub fn address_in_did_document(did_document: &Value, verification_method: &str) -> Option<String> {
    let methods = did_document.get("verificationMethod")?.as_array()?;
    let method = methods
        .iter()
        .find(|m| m.get("id").and_then(Value::as_str).is_some_and(|id| id.eq_ignore_ascii_case(verification_method)))?;
    if let Some(account) = method.get("blockchainAccountId").and_then(Value::as_str) {
        let addr = match account.split_once('@') {
            Some((addr, _)) => addr,
            None => account.rsplit(':').next().unwrap_or(account),
        };
        return Some(addr.to_string());
    }
    method.get("ethereumAddress").and_then(Value::as_str).map(str::to_string)
}

/// The DNS TXT record text that ties a domain to a DID key for TradeTrust's `DNS-DID`
/// identity proof.
pub fn dns_txt_record(did_key_id: &str) -> String {
    format!("openatts a=dns-did; p={did_key_id}; v=1.0;")
}

/// The hashes (`0x`-prefixed) a verifier asks an OCSP responder about, from the target
/// hash up to the merkle root; revoking any of them revokes the document.
pub fn revocation_hashes(doc: &Value) -> Result<Vec<String>, OaError> {
    let target = super::target_hash(doc)?;
    let target = parse_hash(&target).map_err(|e| OaError::Malformed(e.explain("the target hash")))?;
    let proof: Vec<[u8; 32]> = match doc.get("signature").and_then(|s| s.get("proof")) {
        Some(Value::Array(items)) => items
            .iter()
            .map(|h| {
                h.as_str()
                    .and_then(|s| parse_hash(s).ok())
                    .ok_or_else(|| OaError::Malformed("an entry of the proof is not a hash".into()))
            })
            .collect::<Result<_, _>>()?,
        _ => Vec::new(),
    };
    Ok(merkle::intermediate_hashes(&target, &proof).iter().map(|h| format!("0x{}", hex32(h))).collect())
}

/// Why a document was revoked, as oa-verify's `OcspResponderRevocationReason` numbers them
/// (RFC 5280 CRL reasons plus 1001 for a suspension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OcspReasonCode {
    Unspecified = 0,
    KeyCompromise = 1,
    CaCompromise = 2,
    AffiliationChanged = 3,
    Superseded = 4,
    CessationOfOperation = 5,
    CertificateHold = 6,
    RemoveFromCrl = 8,
    PrivilegeWithdrawn = 9,
    AaCompromise = 10,
    Suspended = 1001,
}

impl OcspReasonCode {
    pub fn code(self) -> u16 {
        self as u16
    }

    pub fn from_code(code: u16) -> Option<OcspReasonCode> {
        use OcspReasonCode::*;
        [
            Unspecified,
            KeyCompromise,
            CaCompromise,
            AffiliationChanged,
            Superseded,
            CessationOfOperation,
            CertificateHold,
            RemoveFromCrl,
            PrivilegeWithdrawn,
            AaCompromise,
            Suspended,
        ]
        .into_iter()
        .find(|r| r.code() == code)
    }
}

/// The JSON an OCSP responder answers for one hash (`GET <location>/<0x hash>`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OcspResponse {
    pub revoked: bool,
    /// The hash asked about, as asked (`0x…`).
    pub document_hash: String,
    /// Present only when revoked: an [`OcspReasonCode`] number.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason_code: Option<u16>,
}

impl OcspResponse {
    pub fn valid(document_hash: &str) -> OcspResponse {
        OcspResponse { revoked: false, document_hash: document_hash.to_string(), reason_code: None }
    }

    pub fn revoked(document_hash: &str, reason: OcspReasonCode) -> OcspResponse {
        OcspResponse { revoked: true, document_hash: document_hash.to_string(), reason_code: Some(reason.code()) }
    }
}
