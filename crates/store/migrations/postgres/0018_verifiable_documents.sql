-- Verifiable documents: what a company signed (one signature per batch) and the fingerprint
-- of each document in it, so that anyone can ask this node whether a document is one it
-- issued and whether it still stands.
CREATE TABLE attestation_batches (
    id TEXT PRIMARY KEY,
    issuer_org TEXT NOT NULL REFERENCES organizations(id),
    -- openattestation-v2 or w3c-vc-2.0
    format TEXT NOT NULL,
    merkle_root TEXT NOT NULL,
    verification_method TEXT NOT NULL,
    signature TEXT NOT NULL,
    documents INTEGER NOT NULL,
    created_by TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX attestation_batches_root ON attestation_batches (merkle_root);

CREATE TABLE verifiable_documents (
    -- The OpenAttestation target hash, or for a credential the SHA-256 of its canonical form.
    target_hash TEXT PRIMARY KEY,
    batch_id TEXT NOT NULL REFERENCES attestation_batches(id),
    issuer_org TEXT NOT NULL REFERENCES organizations(id),
    trade_document_id TEXT REFERENCES trade_documents(id),
    title TEXT NOT NULL,
    -- The issuer's leaf hashes (hex, concatenated, sorted): they name a changed field.
    leaf_hashes TEXT NOT NULL,
    -- The wrapped document in the blob store.
    blob_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    revoked_by TEXT,
    revocation_reason TEXT
);
CREATE INDEX verifiable_documents_issuer ON verifiable_documents (issuer_org, created_at, target_hash);
CREATE INDEX verifiable_documents_trade ON verifiable_documents (trade_document_id);
