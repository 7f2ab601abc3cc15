//! `eddsa-jcs-2022` against the published test vectors of W3C "Data Integrity EdDSA
//! Cryptosuites v1.0" (repository w3c/vc-di-eddsa, `TestVectors/`: `keyPair.json`,
//! `eddsa-jcs-2022/signedJCS.json`, `canonDocJCS.txt`, `docHashJCS.txt`,
//! `proofCanonJCS.txt`). The repository's `proofHashJCS.txt`/`combinedHashJCS.txt` were not
//! regenerated when the proof options gained `@context`; the signed credential was, and the
//! signature below matches it.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tradewind_attestation::keys::{CompanyKeys, ed25519_from_multibase};
use tradewind_attestation::vc;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const PUBLIC: &str = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
const PRIVATE: &str = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq";
const PROOF_VALUE: &str = "z63t83Y53KfzJ5ZosfKTnqfMcKB2dmTrfjSaQjeNNjAD5srBowQfmWqeRb8rRjmeEuCBEsddF9LsVogtuTsijJKh4";
const CANON_DOC: &str = r#"{"@context":["https://www.w3.org/ns/credentials/v2","https://www.w3.org/ns/credentials/examples/v2"],"credentialSubject":{"alumniOf":"The School of Examples","id":"did:example:abcdefgh"},"description":"A minimum viable example of an Alumni Credential.","id":"urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33","issuer":"https://vc.example/issuers/5678","name":"Alumni Credential","type":["VerifiableCredential","AlumniCredential"],"validFrom":"2023-01-01T00:00:00Z"}"#;
const DOC_HASH: &str = "59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19";

fn unsigned() -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
        "type": ["VerifiableCredential", "AlumniCredential"],
        "name": "Alumni Credential",
        "description": "A minimum viable example of an Alumni Credential.",
        "issuer": "https://vc.example/issuers/5678",
        "validFrom": "2023-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"}
    })
}

fn spec_keys() -> Result<CompanyKeys, Box<dyn std::error::Error>> {
    let private = bs58::decode(PRIVATE.trim_start_matches('z')).into_vec()?;
    // Multicodec ed25519-priv (0x1300, varint 0x80 0x26) then the 32-byte seed.
    let seed = private.strip_prefix(&[0x80, 0x26][..]).ok_or("not an Ed25519 private Multikey")?;
    let secp_placeholder = "0000000000000000000000000000000000000000000000000000000000000001";
    Ok(CompanyKeys::from_secret_hex(&hex::encode(seed), secp_placeholder)?)
}

#[test]
fn canonical_document_and_its_hash_match_the_vectors() -> TestResult {
    assert_eq!(vc::jcs(&unsigned())?, CANON_DOC);
    assert_eq!(hex::encode(Sha256::digest(CANON_DOC.as_bytes())), DOC_HASH);
    // An earlier proof configuration of the vectors (with a did:key method), canonicalised.
    let config = json!({
        "type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022", "created": "2023-02-24T23:36:38Z",
        "verificationMethod": "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        "proofPurpose": "assertionMethod",
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"]
    });
    assert_eq!(
        vc::jcs(&config)?,
        r#"{"@context":["https://www.w3.org/ns/credentials/v2","https://www.w3.org/ns/credentials/examples/v2"],"created":"2023-02-24T23:36:38Z","cryptosuite":"eddsa-jcs-2022","proofPurpose":"assertionMethod","type":"DataIntegrityProof","verificationMethod":"did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"}"#
    );
    Ok(())
}

#[test]
fn signing_the_spec_credential_gives_the_published_proof_value() -> TestResult {
    let keys = spec_keys()?;
    assert_eq!(keys.ed25519_public_multibase(), PUBLIC);
    let method = format!("https://vc.example/issuers/5678#{PUBLIC}");
    let signed = vc::issue_credential(unsigned(), &keys, &method, "2023-02-24T23:36:38Z")?;
    assert_eq!(signed["proof"]["proofValue"], PROOF_VALUE);
    Ok(())
}

#[test]
fn the_published_signed_credential_verifies_and_tampering_fails() -> TestResult {
    let mut signed = unsigned();
    signed["proof"] = json!({
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": "2023-02-24T23:36:38Z",
        "verificationMethod": format!("https://vc.example/issuers/5678#{PUBLIC}"),
        "proofPurpose": "assertionMethod",
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "proofValue": PROOF_VALUE
    });
    let public = ed25519_from_multibase(PUBLIC)?;
    vc::verify_credential(&signed, &public)?;
    assert_eq!(vc::proof_verification_method(&signed)?, format!("https://vc.example/issuers/5678#{PUBLIC}"));
    let mut tampered = signed.clone();
    tampered["credentialSubject"]["alumniOf"] = json!("Another School");
    assert_eq!(vc::verify_credential(&tampered, &public), Err(vc::VcError::BadSignature));
    let mut other_suite = signed.clone();
    other_suite["proof"]["cryptosuite"] = json!("eddsa-rdfc-2022");
    assert!(matches!(vc::verify_credential(&other_suite, &public), Err(vc::VcError::UnsupportedProof(_))));
    Ok(())
}

#[test]
#[allow(clippy::excessive_precision)] // the RFC's sample is written with more digits than a double holds
fn jcs_numbers_follow_rfc_8785() -> TestResult {
    // RFC 8785 §3.2.2.3 samples: ECMAScript number serialisation.
    let v = json!({"n": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001, -0.0]});
    assert_eq!(vc::jcs(&v)?, r#"{"n":[333333333.3333333,1e+30,4.5,0.002,1e-27,0]}"#);
    // Keys sorted by UTF-16 code units.
    let v = json!({"\u{20ac}": 1, "\r": 2, "1": 3, "\u{1f600}": 4, "\u{fb33}": 5});
    assert_eq!(vc::jcs(&v)?, "{\"\\r\":2,\"1\":3,\"\u{20ac}\":1,\"\u{1f600}\":4,\"\u{fb33}\":5}");
    Ok(())
}
