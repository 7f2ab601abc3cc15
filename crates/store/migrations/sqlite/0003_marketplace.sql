-- Marketplace: full product listings, trade leads, quotes, exchange rates, the search
-- outbox, match notifications, inquiries and platform governance.
ALTER TABLE products ADD COLUMN unit TEXT NOT NULL DEFAULT 'H87';
ALTER TABLE products ADD COLUMN moq TEXT NOT NULL DEFAULT '1';
ALTER TABLE products ADD COLUMN supply_capacity TEXT NOT NULL DEFAULT '1';
ALTER TABLE products ADD COLUMN currency TEXT NOT NULL DEFAULT 'USD';
ALTER TABLE products ADD COLUMN price_tiers TEXT NOT NULL DEFAULT '[]';
ALTER TABLE products ADD COLUMN lead_time_days BIGINT NOT NULL DEFAULT 0;
ALTER TABLE products ADD COLUMN certifications TEXT NOT NULL DEFAULT '[]';
ALTER TABLE products ADD COLUMN hidden BIGINT NOT NULL DEFAULT 0;
ALTER TABLE products ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';
CREATE INDEX products_hs ON products (hs_code);

CREATE TABLE trade_leads (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    side TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    hs_code TEXT,
    quantity TEXT NOT NULL,
    unit TEXT NOT NULL,
    target_price TEXT,
    currency TEXT,
    country TEXT NOT NULL,
    port TEXT,
    incoterm TEXT,
    needed_by TEXT,
    expires_on TEXT NOT NULL,
    hidden BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX trade_leads_org ON trade_leads (organization_id);
CREATE INDEX trade_leads_open ON trade_leads (side, expires_on);

CREATE TABLE quotes (
    id TEXT PRIMARY KEY,
    lead_id TEXT NOT NULL REFERENCES trade_leads(id),
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    unit_price TEXT NOT NULL,
    currency TEXT NOT NULL,
    incoterm TEXT NOT NULL,
    named_place TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    lead_time_days BIGINT NOT NULL,
    payment_terms TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX quotes_lead ON quotes (lead_id);
CREATE INDEX quotes_org ON quotes (organization_id);

CREATE TABLE fx_rates (
    currency TEXT PRIMARY KEY,
    per_base TEXT NOT NULL,
    base TEXT NOT NULL,
    as_of TEXT NOT NULL,
    source TEXT NOT NULL
);

-- Changes the search index has yet to take in; written in the same transaction as the
-- change, removed once the index has committed it.
CREATE TABLE search_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_kind TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at TEXT
);
CREATE INDEX notifications_org ON notifications (organization_id, id);

-- E-mail and webhook deliveries waiting for a sender.
CREATE TABLE delivery_outbox (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    channel TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    delivered_at TEXT
);
