-- Outgoing webhooks: the endpoints a company subscribes and one delivery per webhook
-- outbox row and matching endpoint, tried until delivered or given up.

-- The signing secret is kept as written: the HMAC of every delivery needs it. It leaves the
-- server only once, in the answer to the request that created or rotated it.
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    url TEXT NOT NULL,
    -- JSON array of notification kinds; empty for every kind.
    event_kinds TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at TEXT NOT NULL,
    secret_rotated_at TEXT
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints (organization_id, id);

-- status: pending | delivered | failed. A worker claims a due pending delivery by setting
-- lease_until and lease_token under a guard, so two servers never send it at once.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id),
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    outbox_id TEXT NOT NULL REFERENCES delivery_outbox(id),
    kind TEXT NOT NULL,
    -- The exact JSON body sent on every attempt.
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    lease_until TEXT,
    lease_token TEXT,
    last_status BIGINT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    delivered_at TEXT,
    UNIQUE (outbox_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);

-- The fan-out reads the webhook rows not yet handed to deliveries.
CREATE INDEX delivery_outbox_pending ON delivery_outbox (channel, delivered_at, id);
