-- Cross-border B2C retail: consumer accounts, sellers' stores with offers and shipping
-- options, carts, consumer orders and the idempotency keys of checkouts.

-- A consumer is a user with no company and a row here (country of residence).
CREATE TABLE consumers (
    user_id TEXT PRIMARY KEY REFERENCES users(id),
    country TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- One store per seller company. seller_identity is the domain SellerIdentity as JSON,
-- copied from the verified company record when the store opens.
CREATE TABLE retail_stores (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL UNIQUE REFERENCES organizations(id),
    display_name TEXT NOT NULL,
    currency TEXT NOT NULL,
    returns_window_days BIGINT NOT NULL,
    returns_address TEXT NOT NULL,
    seller_identity TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Prices as decimal text in the store's currency; stock in whole units. A withdrawn
-- offer (active = 0) stays for the orders that refer to it.
CREATE TABLE retail_offers (
    id TEXT PRIMARY KEY,
    store_id TEXT NOT NULL REFERENCES retail_stores(id),
    product_id TEXT NOT NULL REFERENCES products(id),
    unit_price TEXT NOT NULL,
    currency TEXT NOT NULL,
    stock BIGINT NOT NULL,
    active BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX retail_offers_store ON retail_offers (store_id, id);

-- destinations: JSON list of ISO 3166-1 alpha-2 codes.
CREATE TABLE retail_shipping_options (
    id TEXT PRIMARY KEY,
    store_id TEXT NOT NULL REFERENCES retail_stores(id),
    name TEXT NOT NULL,
    destinations TEXT NOT NULL,
    price TEXT NOT NULL,
    currency TEXT NOT NULL,
    delivery_days BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX retail_shipping_store ON retail_shipping_options (store_id, id);

CREATE TABLE cart_lines (
    consumer_id TEXT NOT NULL REFERENCES users(id),
    offer_id TEXT NOT NULL REFERENCES retail_offers(id),
    quantity BIGINT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (consumer_id, offer_id)
);

-- One order per seller per checkout. lines, shipping, duties_and_taxes, seller_identity
-- and payment are JSON snapshots of what the consumer was shown and agreed to.
CREATE TABLE consumer_orders (
    id TEXT PRIMARY KEY,
    consumer_id TEXT NOT NULL REFERENCES users(id),
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    store_id TEXT NOT NULL REFERENCES retail_stores(id),
    checkout_id TEXT NOT NULL,
    status TEXT NOT NULL,
    lines TEXT NOT NULL,
    shipping TEXT NOT NULL,
    ship_to TEXT NOT NULL,
    goods_total TEXT NOT NULL,
    shipping_total TEXT NOT NULL,
    duties_and_taxes TEXT NOT NULL,
    total TEXT NOT NULL,
    currency TEXT NOT NULL,
    payment TEXT NOT NULL,
    seller_identity TEXT NOT NULL,
    returns_window_days BIGINT NOT NULL,
    returns_address TEXT NOT NULL,
    placed_on TEXT NOT NULL,
    delivered_on TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX consumer_orders_consumer ON consumer_orders (consumer_id, id);
CREATE INDEX consumer_orders_seller ON consumer_orders (organization_id, id);

-- A checkout's key and the orders it made, per consumer: a retry gets the same orders.
CREATE TABLE checkout_keys (
    consumer_id TEXT NOT NULL REFERENCES users(id),
    idem_key TEXT NOT NULL,
    request TEXT NOT NULL,
    checkout_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (consumer_id, idem_key)
);
