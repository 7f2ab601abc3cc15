-- The deal, third slice: payments into escrow through a provider, the provider's signed
-- callbacks, sellers' bank accounts, payout files, and the simulated bank's own book.

-- One payment per attempt to fund an order. The provider confirms it by callback; the
-- fund entry it causes is linked by entry_id.
CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id),
    buyer_org TEXT NOT NULL REFERENCES organizations(id),
    provider TEXT NOT NULL,
    reference TEXT NOT NULL,
    -- Money as JSON {amount, currency}.
    amount TEXT NOT NULL,
    -- initiated, settled or failed; the full domain PaymentStatus as JSON in state.
    status TEXT NOT NULL,
    state TEXT NOT NULL,
    -- What the buyer must do (bank details and reference), as the provider said, JSON.
    instruction TEXT NOT NULL,
    entry_id TEXT REFERENCES ledger_entries(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (provider, reference)
);
CREATE INDEX payments_order ON payments (order_id, id);
-- An order has at most one payment that is waiting or done.
CREATE UNIQUE INDEX payments_open_once ON payments (order_id) WHERE status IN ('initiated', 'settled');

-- Every callback a provider sent, verified, once per event id: a replay changes nothing.
CREATE TABLE provider_events (
    provider TEXT NOT NULL,
    event_id TEXT NOT NULL,
    reference TEXT NOT NULL,
    payload TEXT NOT NULL,
    -- settled, failed, unknown_payment, amount_differs, not_open
    outcome TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (provider, event_id)
);

-- Where a company is paid.
CREATE TABLE bank_accounts (
    organization_id TEXT PRIMARY KEY REFERENCES organizations(id),
    holder_name TEXT NOT NULL,
    -- The domain BankAccount as JSON (IBAN with optional BIC, or account number with BIC).
    account TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- A pain.001 file of payouts to sellers in one currency.
CREATE TABLE payouts (
    id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE,
    currency TEXT NOT NULL,
    total TEXT NOT NULL,
    item_count BIGINT NOT NULL,
    document TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- An order's seller payable is paid out once.
CREATE UNIQUE INDEX ledger_entries_payout_once ON ledger_entries (order_id, kind) WHERE kind = 'payout';

-- The built-in simulated bank's own book of incoming transfers (the provider's side for
-- reconciliation). A real provider keeps this on its side.
CREATE TABLE simulated_bank_transfers (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL,
    amount TEXT NOT NULL,
    payer TEXT NOT NULL,
    -- received, notified
    status TEXT NOT NULL,
    booked_at TEXT NOT NULL
);
