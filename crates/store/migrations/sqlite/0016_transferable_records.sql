-- Transferable records (e-B/L, warehouse receipt, promissory note) and their chain of title.
-- `version` counts the steps: every change is a conditional update on it, so of two
-- concurrent transfers exactly one finds the version it read.
CREATE TABLE transferable_records (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    number TEXT NOT NULL,
    description TEXT NOT NULL,
    issuer_org TEXT NOT NULL REFERENCES organizations(id),
    holder_org TEXT NOT NULL REFERENCES organizations(id),
    beneficiary_org TEXT NOT NULL REFERENCES organizations(id),
    nominee_org TEXT REFERENCES organizations(id),
    status TEXT NOT NULL,
    surrendered_by TEXT REFERENCES organizations(id),
    order_id TEXT REFERENCES orders(id),
    document_id TEXT REFERENCES trade_documents(id),
    document_sha256 TEXT,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX transferable_records_holder ON transferable_records (holder_org);
CREATE INDEX transferable_records_beneficiary ON transferable_records (beneficiary_org);
CREATE INDEX transferable_records_issuer ON transferable_records (issuer_org);
-- One live e-B/L per issued bill of lading.
CREATE UNIQUE INDEX transferable_records_document ON transferable_records (document_id);

-- One row per step, hash-linked, each signed by the acting company's Ed25519 key
-- (operator decisions carry no company signature; they are in the audit trail).
CREATE TABLE title_steps (
    record_id TEXT NOT NULL REFERENCES transferable_records(id),
    seq BIGINT NOT NULL,
    action TEXT NOT NULL,
    from_holder TEXT,
    to_holder TEXT NOT NULL,
    beneficiary TEXT NOT NULL,
    nominee TEXT,
    actor_org TEXT,
    actor_user TEXT,
    reason TEXT,
    at TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    signer_public_key TEXT,
    signature TEXT,
    PRIMARY KEY (record_id, seq)
);
CREATE INDEX title_steps_from ON title_steps (from_holder);
