//! Trust for trade documents without paper: the keys a company signs with, and (in the
//! modules that follow) OpenAttestation v2 wrapping and verification, W3C Verifiable
//! Credentials with Data Integrity proofs, and selective disclosure.
//!
//! Pure computation: no I/O and no clock. The store keeps keys and issued fingerprints;
//! the server decides who may sign and publishes identities.

pub mod keys;
