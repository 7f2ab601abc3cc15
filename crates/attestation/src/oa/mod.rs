//! OpenAttestation v2: wrapping, integrity verification, obfuscation (selective disclosure)
//! and DID signatures, interoperable with the official `@govtechsg/open-attestation`
//! library (6.9.x) and `oa-verify`.
//!
//! A wrapped document keeps the raw document's shape under `data`, every primitive salted as
//! `"<uuid v4>:<type>:<value>"`. Each leaf (`{"<dotted.path>":<value>}`) is hashed with
//! Keccak-256; the sorted leaf hashes, visible and hidden, hash to the document's
//! `targetHash`; the target hashes of one batch form a Merkle tree whose root the issuer
//! signs. Hiding a field moves its leaf hash to `privacy.obfuscatedData`, so the target hash
//! is unchanged and the hidden value cannot be recovered (it was salted).

mod did;
mod hash;
mod leaves;
mod merkle;
mod obfuscate;
mod stream;
mod wrap;

pub use did::{
    DidError, DidSignature, IssuerIdentity, OcspReasonCode, OcspResponse, address_in_did_document, check_did_signature,
    did_signatures, did_web_document, dns_txt_record, issuer_identities, revocation_hashes, sign_did, sign_did_at,
    sign_did_batch,
};
pub use hash::keccak256;
pub use obfuscate::obfuscate;
pub use stream::verify_integrity_json;
pub use wrap::{
    WrapOptions, WrappedBatch, wrap_documents, wrap_documents_from, wrap_documents_json, wrap_documents_with,
};

use hash::{HashFormat, hex32, parse_hash};
use leaves::{LeafWalker, digest};
use serde_json::{Map, Value};
use std::collections::HashSet;

const PROOF_MISMATCH: &str = "the proof does not lead to the merkle root: this proof belongs to another document or batch, or the merkle root was altered";

/// The `version` a wrapped v2 document carries.
pub const OA_V2_VERSION: &str = "https://schema.openattestation.com/2.0/schema.json";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OaError {
    #[error("{0} must be a JSON object")]
    NotAnObject(&'static str),
    #[error(
        "the field `{0}` has a \".\" in its name, which OpenAttestation does not allow (dots separate the parts of a field's path)"
    )]
    KeyWithDot(String),
    #[error("the document has no `data` block: it is not an OpenAttestation v2 document")]
    NoData,
    #[error("the document has no signature block: it was never wrapped")]
    NoSignature,
    #[error("{0}")]
    Malformed(String),
    #[error("there is no field `{0}` in the document to hide (it may already be hidden)")]
    UnknownPath(String),
    #[error(
        "`{0}` is an element in the middle of a list: OpenAttestation v2 cannot hide it alone, because the positions of the elements after it are part of their fingerprints; hide fields inside it, the elements after it too, or the whole list"
    )]
    MiddleOfList(String),
    #[error("document {index} of the batch: {source}")]
    InBatch { index: usize, source: Box<OaError> },
    #[error("a worker thread failed")]
    WorkerFailed,
    #[error("internal error: {0}")]
    Internal(String),
}

impl OaError {
    fn in_batch(self, index: usize) -> OaError {
        OaError::InBatch { index, source: Box::new(self) }
    }
}

/// The answer to "is this document intact?", in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IntegrityReport {
    pub intact: bool,
    pub reason: String,
    /// Dotted paths of visible fields whose leaf hash is not among the issuer's original
    /// leaves (changed or added fields); known only when the originals are given.
    pub changed_fields: Vec<String>,
    /// How many of the issuer's original leaves are neither visible nor hidden (removed
    /// fields, or the old values of changed ones); 0 when the originals are not given.
    pub missing_original_fields: usize,
    pub target_hash: Option<String>,
    pub merkle_root: Option<String>,
}

impl IntegrityReport {
    fn broken(reason: impl Into<String>) -> IntegrityReport {
        IntegrityReport {
            intact: false,
            reason: reason.into(),
            changed_fields: Vec::new(),
            missing_original_fields: 0,
            target_hash: None,
            merkle_root: None,
        }
    }
}

/// The parts of a wrapped document that integrity rests on, checked for shape.
struct Parts<'a> {
    data: &'a Map<String, Value>,
    sig: SignatureParts,
}

/// The signature block (and the hidden leaves), checked for shape.
struct SignatureParts {
    target: [u8; 32],
    proof: Vec<[u8; 32]>,
    root: [u8; 32],
    hidden: Vec<[u8; 32]>,
}

fn hash_field(signature: &Map<String, Value>, key: &str, what: &str) -> Result<[u8; 32], OaError> {
    match signature.get(key) {
        Some(Value::String(s)) => parse_hash(s).map_err(|e| OaError::Malformed(e.explain(what))),
        Some(_) => Err(OaError::Malformed(format!("{what} is not a string"))),
        None => Err(OaError::Malformed(format!("the signature block has no {key}: the document is incomplete"))),
    }
}

fn hash_list(v: &Value, what: &str) -> Result<Vec<[u8; 32]>, OaError> {
    let Value::Array(items) = v else {
        return Err(OaError::Malformed(format!("{what} is not a list of hashes")));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, h)| match h {
            Value::String(s) => {
                parse_hash(s).map_err(|e: HashFormat| OaError::Malformed(e.explain(&format!("entry {i} of {what}"))))
            }
            _ => Err(OaError::Malformed(format!("entry {i} of {what} is not a string"))),
        })
        .collect()
}

fn signature_parts(signature: Option<&Value>, privacy: Option<&Value>) -> Result<SignatureParts, OaError> {
    let signature = match signature {
        Some(Value::Object(s)) => s,
        Some(_) => return Err(OaError::Malformed("the document's signature block is not an object".into())),
        None => return Err(OaError::NoSignature),
    };
    let target = hash_field(signature, "targetHash", "the target hash")?;
    let root = hash_field(signature, "merkleRoot", "the merkle root")?;
    let proof = match signature.get("proof") {
        Some(p) => hash_list(p, "the proof")?,
        None => {
            return Err(OaError::Malformed("the signature block has no proof list: the document is incomplete".into()));
        }
    };
    let hidden = match privacy.and_then(|p| p.get("obfuscatedData")) {
        Some(list) => hash_list(list, "the list of hidden fields")?,
        None => Vec::new(),
    };
    Ok(SignatureParts { target, proof, root, hidden })
}

fn parts(doc: &Value) -> Result<Parts<'_>, OaError> {
    let Value::Object(doc) = doc else {
        return Err(OaError::NotAnObject("the document"));
    };
    let data = match doc.get("data") {
        Some(Value::Object(d)) => d,
        Some(_) => return Err(OaError::Malformed("the document's `data` block is not an object".into())),
        None => return Err(OaError::NoData),
    };
    let sig = signature_parts(doc.get("signature"), doc.get("privacy"))?;
    Ok(Parts { data, sig })
}

fn intact_reason(hidden: usize) -> String {
    if hidden == 0 {
        "the document is intact: no field was changed since it was issued".into()
    } else {
        format!(
            "the document is intact: no field was changed since it was issued ({hidden} field{} hidden by the holder)",
            if hidden == 1 { " is" } else { "s are" }
        )
    }
}

/// The hashes of the visible leaves of a document's `data` (or of a raw document), sorted.
/// The issuer keeps these at issuance to name changed fields later.
pub fn leaf_hashes(data: &Value) -> Result<Vec<[u8; 32]>, OaError> {
    let Value::Object(map) = data else {
        return Err(OaError::NotAnObject("`data`"));
    };
    let mut walker = LeafWalker::new(None);
    walker.data(map)?;
    let mut hashes = walker.hashes;
    hashes.sort_unstable();
    Ok(hashes)
}

/// The document's `signature.targetHash`, checked (64 lower-case hex digits).
pub fn target_hash(doc: &Value) -> Result<String, OaError> {
    parts(doc).map(|p| hex32(&p.sig.target))
}

/// The document's `signature.merkleRoot`, checked: the value the issuer signs and a
/// revocation names for a whole batch.
pub fn merkle_root(doc: &Value) -> Result<String, OaError> {
    parts(doc).map(|p| hex32(&p.sig.root))
}

/// Checks that nothing in `data` changed since wrapping and that the proof leads to the
/// merkle root. With the issuer's original leaf hashes, also names what changed.
pub fn verify_integrity(doc: &Value, original_leaves: Option<&[[u8; 32]]>) -> IntegrityReport {
    let (data, parts) = match parts(doc) {
        Ok(p) => (p.data, p.sig),
        Err(e) => return IntegrityReport::broken(e.to_string()),
    };
    let mut names = Vec::new();
    let mut walker = LeafWalker::new(original_leaves.is_some().then_some(&mut names));
    if let Err(e) = walker.data(data) {
        return IntegrityReport {
            target_hash: Some(hex32(&parts.target)),
            merkle_root: Some(hex32(&parts.root)),
            ..IntegrityReport::broken(e.to_string())
        };
    }
    let visible = walker.hashes;
    let mut report = IntegrityReport {
        intact: false,
        reason: String::new(),
        changed_fields: Vec::new(),
        missing_original_fields: 0,
        target_hash: Some(hex32(&parts.target)),
        merkle_root: Some(hex32(&parts.root)),
    };
    let mut all = parts.hidden.clone();
    all.extend_from_slice(&visible);
    if digest(all) != parts.target {
        report.reason = explain_tampering(&mut report, &visible, &names, &parts.hidden, original_leaves);
        return report;
    }
    if !merkle::check_proof(&parts.target, &parts.proof, &parts.root) {
        report.reason = PROOF_MISMATCH.into();
        return report;
    }
    report.intact = true;
    report.reason = intact_reason(parts.hidden.len());
    report
}

fn list_fields(fields: &[String]) -> String {
    fields.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
}

fn explain_tampering(
    report: &mut IntegrityReport,
    visible: &[[u8; 32]],
    names: &[String],
    hidden: &[[u8; 32]],
    original: Option<&[[u8; 32]]>,
) -> String {
    let Some(original) = original else {
        return "the content was changed after the document was issued: its fields no longer match the fingerprint (target hash) it was issued with".into();
    };
    let originals: HashSet<&[u8; 32]> = original.iter().collect();
    let present: HashSet<&[u8; 32]> = visible.iter().chain(hidden).collect();
    report.changed_fields =
        visible.iter().zip(names).filter(|(h, _)| !originals.contains(h)).map(|(_, n)| n.clone()).collect();
    report.missing_original_fields = original.iter().filter(|h| !present.contains(h)).count();
    let new = report.changed_fields.len();
    let missing = report.missing_original_fields;
    let plural = |n: usize, one: &str, many: &str| if n == 1 { one.to_string() } else { many.to_string() };
    match (new, missing) {
        (0, 0) => {
            "the list of hidden fields was altered: the document no longer matches the fingerprint it was issued with"
                .into()
        }
        (0, m) => format!(
            "{m} {} of the original document {} missing: removed after the document was issued",
            plural(m, "field", "fields"),
            plural(m, "is", "are")
        ),
        (n, 0) => format!(
            "the {} {} {} added after the document was issued",
            plural(n, "field", "fields"),
            list_fields(&report.changed_fields),
            plural(n, "was", "were")
        ),
        (n, m) => {
            let mut s = format!(
                "the {} {} {} changed after the document was issued",
                plural(n, "field", "fields"),
                list_fields(&report.changed_fields),
                plural(n, "was", "were")
            );
            if m > n {
                s.push_str(&format!(
                    " and {} more original {} missing",
                    m - n,
                    plural(m - n, "field is", "fields are")
                ));
            }
            s
        }
    }
}

/// Removes the salts for display: `"<uuid>:number:5"` becomes `5`. Values that are not
/// salted are kept as they are. Never part of verification.
pub fn unsalt(data: &Value) -> Value {
    match data {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), unsalt(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(unsalt).collect()),
        Value::String(s) => unsalt_str(s).unwrap_or_else(|| data.clone()),
        other => other.clone(),
    }
}

fn is_uuid_v4(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            14 => *c == b'4',
            19 => matches!(c.to_ascii_lowercase(), b'8' | b'9' | b'a' | b'b'),
            _ => c.is_ascii_hexdigit(),
        })
}

fn unsalt_str(s: &str) -> Option<Value> {
    let (salt, rest) = (s.get(..36)?, s.get(36..)?);
    if !is_uuid_v4(salt) {
        return None;
    }
    let (kind, value) = rest.strip_prefix(':')?.split_once(':')?;
    Some(match kind {
        "string" => Value::String(value.to_string()),
        "number" => value
            .parse::<i64>()
            .map(Value::from)
            .ok()
            .or_else(|| value.parse::<f64>().ok().and_then(serde_json::Number::from_f64).map(Value::Number))?,
        "boolean" => Value::Bool(value == "true"),
        "null" | "undefined" => Value::Null,
        _ => return None,
    })
}
