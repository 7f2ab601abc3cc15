-- The keys a company signs with: Ed25519 (W3C Data Integrity proofs, steps of transferable
-- records) and secp256k1 (OpenAttestation DID signatures). The node holds them for the
-- company; the public halves are published in the company's DID document.
CREATE TABLE company_keys (
    organization_id TEXT PRIMARY KEY REFERENCES organizations(id),
    ed25519_secret TEXT NOT NULL,
    secp256k1_secret TEXT NOT NULL,
    ed25519_public TEXT NOT NULL,
    ethereum_address TEXT NOT NULL,
    created_at TEXT NOT NULL
);
