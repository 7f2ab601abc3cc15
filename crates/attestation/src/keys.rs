//! A company's signing keys. Each company holds two: Ed25519 for W3C Data Integrity proofs
//! and for signing each step of a transferable record, and secp256k1 because
//! OpenAttestation's DID signatures are Ethereum signatures (`personal_sign` over the
//! merkle root), recovered to an address that the issuer's DID document names.

use ed25519_dalek::{Signer, Verifier};
use k256::ecdsa::{RecoveryId, Signature as EcdsaSignature, VerifyingKey as EcdsaVerifyingKey};
use rand_core::OsRng;
use sha3::{Digest, Keccak256};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("the stored {0} secret key is not a valid key")]
    BadSecret(&'static str),
    #[error("the signature is not {expected}: {reason}")]
    BadSignature { expected: &'static str, reason: String },
    #[error("the public key is not a valid Ed25519 key: {0}")]
    BadPublicKey(String),
}

/// Multicodec prefix of an Ed25519 public key in a `Multikey` (`z6Mk…`).
const ED25519_PUB_MULTICODEC: [u8; 2] = [0xed, 0x01];

/// A company's private keys. Never printed: `Debug` shows only the public halves.
#[derive(Clone)]
pub struct CompanyKeys {
    ed25519: ed25519_dalek::SigningKey,
    secp256k1: k256::ecdsa::SigningKey,
}

impl std::fmt::Debug for CompanyKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompanyKeys")
            .field("ed25519_public", &self.ed25519_public_multibase())
            .field("ethereum_address", &self.ethereum_address())
            .finish_non_exhaustive()
    }
}

impl CompanyKeys {
    /// Fresh keys from the operating system's random source.
    pub fn generate() -> CompanyKeys {
        CompanyKeys {
            ed25519: ed25519_dalek::SigningKey::generate(&mut OsRng),
            secp256k1: k256::ecdsa::SigningKey::random(&mut OsRng),
        }
    }

    /// Keys from their stored secret halves (hex, as [`CompanyKeys::ed25519_secret_hex`] and
    /// [`CompanyKeys::secp256k1_secret_hex`] give them).
    pub fn from_secret_hex(ed25519: &str, secp256k1: &str) -> Result<CompanyKeys, KeyError> {
        let ed: [u8; 32] =
            hex::decode(ed25519).ok().and_then(|b| b.try_into().ok()).ok_or(KeyError::BadSecret("Ed25519"))?;
        let secp = hex::decode(secp256k1).map_err(|_| KeyError::BadSecret("secp256k1"))?;
        let secp256k1 = k256::ecdsa::SigningKey::from_slice(&secp).map_err(|_| KeyError::BadSecret("secp256k1"))?;
        Ok(CompanyKeys { ed25519: ed25519_dalek::SigningKey::from_bytes(&ed), secp256k1 })
    }

    pub fn ed25519_secret_hex(&self) -> String {
        hex::encode(self.ed25519.to_bytes())
    }

    pub fn secp256k1_secret_hex(&self) -> String {
        hex::encode(self.secp256k1.to_bytes())
    }

    pub fn ed25519_public(&self) -> [u8; 32] {
        self.ed25519.verifying_key().to_bytes()
    }

    /// The Ed25519 public key as a Multikey `publicKeyMultibase` (base58btc, `z6Mk…`).
    pub fn ed25519_public_multibase(&self) -> String {
        ed25519_multibase(&self.ed25519_public())
    }

    /// The Ethereum address of the secp256k1 key, EIP-55 checksummed (`0xAbC…`).
    pub fn ethereum_address(&self) -> String {
        ethereum_address(self.secp256k1.verifying_key())
    }

    pub fn sign_ed25519(&self, message: &[u8]) -> [u8; 64] {
        self.ed25519.sign(message).to_bytes()
    }

    /// An Ethereum `personal_sign` (EIP-191) signature of `message`: 65 bytes r‖s‖v with
    /// v = 27 or 28, as `0x`-prefixed hex, the form ethers' `signMessage` produces.
    pub fn sign_ethereum_message(&self, message: &[u8]) -> String {
        let digest = eip191_hash(message);
        // Signing a 32-byte prehash cannot fail for a valid key; fall back to an empty
        // signature (which no verifier accepts) rather than panic.
        match self.secp256k1.sign_prehash_recoverable(&digest) {
            Ok((sig, rec)) => {
                let mut bytes = sig.to_bytes().to_vec();
                bytes.push(27 + rec.to_byte());
                format!("0x{}", hex::encode(bytes))
            }
            Err(_) => String::from("0x"),
        }
    }
}

/// `z` + base58btc(0xed01 ‖ key).
pub fn ed25519_multibase(public: &[u8; 32]) -> String {
    let mut bytes = ED25519_PUB_MULTICODEC.to_vec();
    bytes.extend_from_slice(public);
    format!("z{}", bs58::encode(bytes).into_string())
}

/// The Ed25519 public key inside a `z6Mk…` Multikey.
pub fn ed25519_from_multibase(multibase: &str) -> Result<[u8; 32], KeyError> {
    let rest = multibase.strip_prefix('z').ok_or_else(|| KeyError::BadPublicKey("not base58btc (no 'z')".into()))?;
    let bytes = bs58::decode(rest).into_vec().map_err(|e| KeyError::BadPublicKey(e.to_string()))?;
    match bytes.split_at_checked(2) {
        Some((prefix, key)) if prefix == ED25519_PUB_MULTICODEC => {
            key.try_into().map_err(|_| KeyError::BadPublicKey("wrong length".into()))
        }
        _ => Err(KeyError::BadPublicKey("not an Ed25519 Multikey".into())),
    }
}

pub fn verify_ed25519(public: &[u8; 32], message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
    let bad = |reason: String| KeyError::BadSignature { expected: "a valid Ed25519 signature", reason };
    let key = ed25519_dalek::VerifyingKey::from_bytes(public).map_err(|e| KeyError::BadPublicKey(e.to_string()))?;
    let sig = ed25519_dalek::Signature::from_slice(signature).map_err(|e| bad(e.to_string()))?;
    key.verify(message, &sig).map_err(|_| bad("it was not made by this key over this content".into()))
}

pub fn keccak256(bytes: &[u8]) -> [u8; 32] {
    Keccak256::digest(bytes).into()
}

fn eip191_hash(message: &[u8]) -> [u8; 32] {
    let mut h = Keccak256::new();
    h.update(format!("\x19Ethereum Signed Message:\n{}", message.len()).as_bytes());
    h.update(message);
    h.finalize().into()
}

/// The EIP-55 address that signed `message` with `personal_sign`, from a 65-byte
/// `0x`-hex signature.
pub fn recover_ethereum_signer(message: &[u8], signature_hex: &str) -> Result<String, KeyError> {
    let bad = |reason: &str| KeyError::BadSignature { expected: "an Ethereum signature", reason: reason.to_string() };
    let raw = hex::decode(signature_hex.strip_prefix("0x").unwrap_or(signature_hex))
        .map_err(|_| bad("it is not hexadecimal"))?;
    let (rs, v) = match raw.split_at_checked(64) {
        Some((rs, [v])) => (rs, *v),
        _ => return Err(bad("it is not 65 bytes long")),
    };
    let sig = EcdsaSignature::from_slice(rs).map_err(|_| bad("r or s is out of range"))?;
    let rec = RecoveryId::from_byte(if v >= 27 { v - 27 } else { v }).ok_or_else(|| bad("v is not 27 or 28"))?;
    let key = EcdsaVerifyingKey::recover_from_prehash(&eip191_hash(message), &sig, rec)
        .map_err(|_| bad("no public key can be recovered from it"))?;
    Ok(ethereum_address(&key))
}

fn ethereum_address(key: &EcdsaVerifyingKey) -> String {
    let point = key.to_encoded_point(false);
    let hash = keccak256(&point.as_bytes()[1..]);
    checksum_address(&hash[12..])
}

/// EIP-55 mixed-case checksum of a 20-byte address.
pub fn checksum_address(address: &[u8]) -> String {
    let lower = hex::encode(address);
    let hash = keccak256(lower.as_bytes());
    let mut out = String::from("0x");
    for (i, c) in lower.chars().enumerate() {
        let nibble = (hash[i / 2] >> if i % 2 == 0 { 4 } else { 0 }) & 0x0f;
        out.push(if c.is_ascii_alphabetic() && nibble >= 8 { c.to_ascii_uppercase() } else { c });
    }
    out
}

/// Whether two Ethereum addresses are the same, ignoring the checksum's letter case.
pub fn same_address(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_their_stored_form() -> Result<(), KeyError> {
        let keys = CompanyKeys::generate();
        let again = CompanyKeys::from_secret_hex(&keys.ed25519_secret_hex(), &keys.secp256k1_secret_hex())?;
        assert_eq!(again.ethereum_address(), keys.ethereum_address());
        assert_eq!(again.ed25519_public_multibase(), keys.ed25519_public_multibase());
        assert!(CompanyKeys::from_secret_hex("00", &keys.secp256k1_secret_hex()).is_err());
        Ok(())
    }

    #[test]
    fn debug_never_shows_secrets() {
        let keys = CompanyKeys::generate();
        let shown = format!("{keys:?}");
        assert!(!shown.contains(&keys.ed25519_secret_hex()));
        assert!(!shown.contains(&keys.secp256k1_secret_hex()));
    }

    #[test]
    fn ethereum_signature_recovers_to_the_signer() -> Result<(), KeyError> {
        let keys = CompanyKeys::generate();
        let sig = keys.sign_ethereum_message(b"merkle root");
        assert_eq!(recover_ethereum_signer(b"merkle root", &sig)?, keys.ethereum_address());
        let other = recover_ethereum_signer(b"another root", &sig)?;
        assert_ne!(other, keys.ethereum_address());
        assert!(recover_ethereum_signer(b"merkle root", "0x1234").is_err());
        Ok(())
    }

    #[test]
    fn known_private_key_gives_its_known_address() -> Result<(), KeyError> {
        // The widely published test key 0x…01 (generator point G) has this address.
        let keys = CompanyKeys::from_secret_hex(
            "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
            "0000000000000000000000000000000000000000000000000000000000000001",
        )?;
        assert_eq!(keys.ethereum_address(), "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
        Ok(())
    }

    #[test]
    fn checksum_matches_eip55_examples() -> Result<(), hex::FromHexError> {
        for addr in ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"] {
            let raw = hex::decode(&addr[2..])?;
            assert_eq!(checksum_address(&raw), addr);
        }
        Ok(())
    }

    #[test]
    fn ed25519_signatures_and_multikeys() -> Result<(), KeyError> {
        let keys = CompanyKeys::generate();
        let sig = keys.sign_ed25519(b"step 3");
        let public = ed25519_from_multibase(&keys.ed25519_public_multibase())?;
        assert!(keys.ed25519_public_multibase().starts_with("z6Mk"));
        verify_ed25519(&public, b"step 3", &sig)?;
        assert!(verify_ed25519(&public, b"step 4", &sig).is_err());
        Ok(())
    }
}
