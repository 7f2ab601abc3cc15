-- Logistics: carriers with their SCAC and webhook secret, rate cards per lane and mode,
-- shipments booked for orders, and the carriers' tracking events.

-- A carrier company's registration. The webhook secret is kept as given out (HMAC
-- verification needs it) and never logged or shown again.
CREATE TABLE carriers (
    organization_id TEXT PRIMARY KEY REFERENCES organizations(id),
    scac TEXT NOT NULL UNIQUE,
    webhook_secret TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- The domain RateCard as JSON; lane and mode repeated as columns to find cards.
CREATE TABLE rate_cards (
    id TEXT PRIMARY KEY,
    carrier_org TEXT NOT NULL REFERENCES carriers(organization_id),
    origin TEXT NOT NULL,
    destination TEXT NOT NULL,
    mode TEXT NOT NULL,
    card TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX rate_cards_lane ON rate_cards (origin, destination, mode, id);
CREATE INDEX rate_cards_carrier ON rate_cards (carrier_org, id);

-- A booking: the rate card, packages and price as they were when booked (JSON), so a later
-- change of the card does not change a booked price.
CREATE TABLE shipments (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id),
    carrier_org TEXT NOT NULL REFERENCES carriers(organization_id),
    booked_by TEXT NOT NULL REFERENCES organizations(id),
    buyer_org TEXT NOT NULL REFERENCES organizations(id),
    seller_org TEXT NOT NULL REFERENCES organizations(id),
    rate_card_id TEXT NOT NULL REFERENCES rate_cards(id),
    booking TEXT NOT NULL,
    status TEXT NOT NULL,
    containers TEXT NOT NULL,
    proof_of_delivery TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX shipments_order ON shipments (order_id, id);
CREATE INDEX shipments_carrier ON shipments (carrier_org, id);
CREATE INDEX shipments_buyer ON shipments (buyer_org, id);
CREATE INDEX shipments_seller ON shipments (seller_org, id);

-- One row per carrier event id per shipment: a replayed event is recognised and has no
-- second effect. The domain TrackingEvent as JSON; event_at for time order.
CREATE TABLE tracking_events (
    id TEXT PRIMARY KEY,
    shipment_id TEXT NOT NULL REFERENCES shipments(id),
    event_id TEXT NOT NULL,
    event_at TEXT NOT NULL,
    event TEXT NOT NULL,
    source TEXT NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (shipment_id, event_id)
);
CREATE INDEX tracking_events_shipment ON tracking_events (shipment_id, id);
