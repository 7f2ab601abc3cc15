-- The whole document set of an order. Each party adds a few fields of its own (marks,
-- signatory, packing per line, vessel…) once per order, and every document reads them.
CREATE TABLE document_fields (
    order_id TEXT NOT NULL REFERENCES orders(id),
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    -- The domain PartyFields as JSON.
    fields TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (order_id, organization_id)
);

-- What an issued version states that the set's consistency check compares (the domain
-- DocumentSummary as JSON); absent for renditions that repeat another (CII, PDF).
ALTER TABLE trade_documents ADD COLUMN summary TEXT;

-- A party asks a third party to issue a document for its order: a chamber or authority the
-- certificate of origin, an insurer the insurance certificate, a bank the letter of
-- indemnity. The issuer sees the order's document facts only while it holds a request.
CREATE TABLE document_requests (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id),
    kind TEXT NOT NULL,
    applicant_org TEXT NOT NULL REFERENCES organizations(id),
    issuer_org TEXT NOT NULL REFERENCES organizations(id),
    -- requested, issued or rejected
    status TEXT NOT NULL,
    note TEXT NOT NULL,
    reason TEXT,
    created_at TEXT NOT NULL,
    decided_at TEXT
);
CREATE INDEX document_requests_issuer ON document_requests (issuer_org, status, id);
CREATE INDEX document_requests_order ON document_requests (order_id, kind, id);
