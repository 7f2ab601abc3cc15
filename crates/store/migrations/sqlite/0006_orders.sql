-- The deal, first slice: orders with their life cycle, the escrow ledger's journal entries
-- and the idempotency keys of money-moving requests.
CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    buyer_org TEXT NOT NULL REFERENCES organizations(id),
    seller_org TEXT NOT NULL REFERENCES organizations(id),
    -- At most one order per quote.
    quote_id TEXT UNIQUE REFERENCES quotes(id),
    -- The domain OrderTerms as JSON (lines, currency, Incoterm, named place, payment terms,
    -- delivery window, parties).
    terms TEXT NOT NULL,
    -- The status label (draft, agreed, funded, ...) for queries, and the full domain
    -- OrderStatus as JSON (which side accepted a draft, whether a cancellation refunded).
    status TEXT NOT NULL,
    state TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX orders_buyer ON orders (buyer_org, id);
CREATE INDEX orders_seller ON orders (seller_org, id);

-- One balanced journal entry per row; postings as JSON [{account, side, amount}], amounts
-- as decimal text.
CREATE TABLE ledger_entries (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id),
    kind TEXT NOT NULL,
    memo TEXT NOT NULL,
    postings TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX ledger_entries_order ON ledger_entries (order_id, id);
-- An order is funded once and released once: a second posting is impossible, whatever
-- the request path.
CREATE UNIQUE INDEX ledger_entries_once ON ledger_entries (order_id, kind) WHERE kind IN ('fund', 'release');

-- A money-moving request's key and its first answer, per company: a retry with the same
-- key gets that answer back and posts nothing.
CREATE TABLE idempotency_keys (
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    idem_key TEXT NOT NULL,
    request TEXT NOT NULL,
    response TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (organization_id, idem_key)
);
