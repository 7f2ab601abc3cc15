-- The deal, second slice: refunds, disputes with text evidence from both sides, and the
-- operator's decision. Refund and decision entries go in ledger_entries (kinds `refund`
-- and `dispute_decision`).

-- At most one dispute per order: a decided dispute closes the order.
CREATE TABLE disputes (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL UNIQUE REFERENCES orders(id),
    opened_by TEXT NOT NULL REFERENCES organizations(id),
    -- buyer or seller
    opened_by_party TEXT NOT NULL,
    reason TEXT NOT NULL,
    -- release_to_seller, refund_to_buyer or split once decided; the buyer's share as Money JSON.
    decision TEXT,
    buyer_share TEXT,
    decided_at TEXT,
    created_at TEXT NOT NULL
);

-- Text statements from either side while the dispute is open.
CREATE TABLE dispute_evidence (
    id TEXT PRIMARY KEY,
    dispute_id TEXT NOT NULL REFERENCES disputes(id),
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    party TEXT NOT NULL,
    statement TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX dispute_evidence_dispute ON dispute_evidence (dispute_id, id);

-- The platform operator's money-moving keys: operators have no company, so they share
-- one key space.
CREATE TABLE operator_idempotency_keys (
    idem_key TEXT PRIMARY KEY,
    request TEXT NOT NULL,
    response TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- A dispute is decided once, whatever the request path.
CREATE UNIQUE INDEX ledger_entries_decision_once ON ledger_entries (order_id, kind) WHERE kind = 'dispute_decision';
