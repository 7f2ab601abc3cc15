-- The customs single window: tariff schedules imported over the built-in ones, declarations
-- with their clearance state and audit trail of events, the agencies' approval queue,
-- certificates of origin issued by an authority, cargo manifests, duty drawback with the
-- quantities already claimed, and the customs ledger (duty collected, drawback refunded).
CREATE TABLE tariff_schedules (
    economy TEXT PRIMARY KEY,
    edition TEXT NOT NULL,
    body TEXT NOT NULL,
    imported_at TEXT NOT NULL
);

-- Which government agency (quarantine, health, standards, ...) an organisation is.
CREATE TABLE customs_agencies (
    organization_id TEXT PRIMARY KEY REFERENCES organizations(id),
    agency TEXT NOT NULL
);

CREATE TABLE customs_declarations (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    economy TEXT NOT NULL,
    direction TEXT NOT NULL,
    declarant_org TEXT NOT NULL REFERENCES organizations(id),
    -- The customs broker that lodged it for the declarant, if any.
    broker_org TEXT REFERENCES organizations(id),
    order_id TEXT,
    transport_document TEXT,
    status TEXT NOT NULL,
    lane TEXT NOT NULL,
    duty_amount TEXT NOT NULL,
    duty_currency TEXT NOT NULL,
    body TEXT NOT NULL,
    assessment TEXT NOT NULL,
    selection TEXT NOT NULL,
    state TEXT NOT NULL,
    -- Compare-and-set: every change names the version it read.
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX customs_declarations_economy ON customs_declarations (economy, status, id);
CREATE INDEX customs_declarations_declarant ON customs_declarations (declarant_org, id);
CREATE INDEX customs_declarations_broker ON customs_declarations (broker_org, id);
CREATE INDEX customs_declarations_transport ON customs_declarations (economy, transport_document);

-- Every step of a declaration's life, in order: who did what, when, and why.
CREATE TABLE customs_events (
    declaration_id TEXT NOT NULL REFERENCES customs_declarations(id),
    seq BIGINT NOT NULL,
    at TEXT NOT NULL,
    step TEXT NOT NULL,
    actor_org TEXT,
    actor_user TEXT,
    details TEXT NOT NULL,
    PRIMARY KEY (declaration_id, seq)
);

-- One row per agency a declaration needs; the agency works its queue from here.
CREATE TABLE customs_agency_tasks (
    declaration_id TEXT NOT NULL REFERENCES customs_declarations(id),
    agency TEXT NOT NULL,
    economy TEXT NOT NULL,
    decision TEXT,
    note TEXT,
    decided_by TEXT,
    decided_at TEXT,
    PRIMARY KEY (declaration_id, agency)
);
CREATE INDEX customs_agency_tasks_queue ON customs_agency_tasks (economy, agency, decision);

CREATE TABLE origin_certificates (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    exporter_org TEXT NOT NULL REFERENCES organizations(id),
    authority_org TEXT NOT NULL REFERENCES organizations(id),
    agreement TEXT NOT NULL,
    product TEXT NOT NULL,
    product_hs TEXT NOT NULL,
    origin TEXT NOT NULL,
    determination TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    valid_from TEXT,
    valid_until TEXT,
    requested_at TEXT NOT NULL,
    decided_at TEXT
);
CREATE INDEX origin_certificates_authority ON origin_certificates (authority_org, status, id);
CREATE INDEX origin_certificates_exporter ON origin_certificates (exporter_org, id);

CREATE TABLE cargo_manifests (
    id TEXT PRIMARY KEY,
    economy TEXT NOT NULL,
    carrier_org TEXT NOT NULL REFERENCES organizations(id),
    conveyance TEXT NOT NULL,
    arrival_at TEXT NOT NULL,
    entries TEXT NOT NULL,
    submitted_at TEXT NOT NULL
);
CREATE INDEX cargo_manifests_economy ON cargo_manifests (economy, id);

CREATE TABLE drawback_claims (
    id TEXT PRIMARY KEY,
    claimant_org TEXT NOT NULL REFERENCES organizations(id),
    economy TEXT NOT NULL,
    lines TEXT NOT NULL,
    refund_amount TEXT NOT NULL,
    refund_currency TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX drawback_claims_claimant ON drawback_claims (claimant_org, id);

-- What has been claimed back so far on each imported goods item.
CREATE TABLE drawback_usage (
    declaration_id TEXT NOT NULL REFERENCES customs_declarations(id),
    item BIGINT NOT NULL,
    claimed_quantity TEXT NOT NULL,
    refunded_amount TEXT NOT NULL,
    PRIMARY KEY (declaration_id, item)
);

CREATE TABLE customs_ledger_entries (
    id TEXT PRIMARY KEY,
    declaration_id TEXT REFERENCES customs_declarations(id),
    drawback_id TEXT REFERENCES drawback_claims(id),
    kind TEXT NOT NULL,
    memo TEXT NOT NULL,
    postings TEXT NOT NULL,
    created_at TEXT NOT NULL
);
-- Duty is paid once per declaration, whatever the request path.
CREATE UNIQUE INDEX customs_ledger_duty_once ON customs_ledger_entries (declaration_id, kind) WHERE kind = 'duty';

-- Each customs authority's risk rules and sampling rates (the built-in profile until one is set).
CREATE TABLE risk_profiles (
    economy TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    updated_by TEXT,
    updated_at TEXT NOT NULL
);

-- A declarant's mandate to a customs broker to lodge declarations in its name.
CREATE TABLE broker_mandates (
    declarant_org TEXT NOT NULL REFERENCES organizations(id),
    broker_org TEXT NOT NULL REFERENCES organizations(id),
    granted_at TEXT NOT NULL,
    PRIMARY KEY (declarant_org, broker_org)
);

-- Photos the inspection service took, kept as blobs and tied to their declaration.
CREATE TABLE inspection_photos (
    declaration_id TEXT NOT NULL REFERENCES customs_declarations(id),
    sha256 TEXT NOT NULL,
    file_name TEXT NOT NULL,
    uploaded_by TEXT,
    uploaded_at TEXT NOT NULL,
    PRIMARY KEY (declaration_id, sha256)
);

-- Each declarant's record with customs, kept as declarations are lodged and inspected, so
-- risk selection reads one row however many declarations a trader has.
CREATE TABLE customs_traders (
    organization_id TEXT PRIMARY KEY REFERENCES organizations(id),
    declarations BIGINT NOT NULL,
    inspected BIGINT NOT NULL,
    compliant BIGINT NOT NULL
);
