-- Paperless documents, first slice: issued versions of an order's trade documents. An
-- issued version never changes: a correction of its source data issues the next version,
-- and every version stays readable, addressed by the SHA-256 of its content.
CREATE TABLE trade_documents (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id),
    -- commercial_invoice, ...
    kind TEXT NOT NULL,
    version BIGINT NOT NULL,
    -- The document's own number (for an invoice, BT-1).
    number TEXT NOT NULL,
    -- The machine-readable format, e.g. ubl-2.1-invoice/peppol-bis-3 or ubl-2.1-invoice/en16931.
    format TEXT NOT NULL,
    media_type TEXT NOT NULL,
    -- The bytes live in the content-addressed blobs table.
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    issued_by TEXT NOT NULL REFERENCES organizations(id),
    issued_at TEXT NOT NULL,
    UNIQUE (order_id, kind, version)
);
CREATE INDEX trade_documents_order ON trade_documents (order_id, kind, version);
