//! Trust for trade documents without paper: the keys a company signs with
//! ([`keys::CompanyKeys`]), OpenAttestation v2 wrapping, verification, selective disclosure
//! and DID signatures ([`oa`]), W3C Verifiable Credentials with `eddsa-jcs-2022` Data
//! Integrity proofs ([`vc`]), and strict parsing of the JSON strangers hand in ([`json`]).
//!
//! Pure computation: no I/O, and no clock except [`oa::sign_did`] (which has a pure twin,
//! [`oa::sign_did_at`]). The store keeps keys and issued fingerprints; the server decides
//! who may sign and publishes identities.

pub mod json;
pub mod keys;
pub mod oa;
pub mod vc;
