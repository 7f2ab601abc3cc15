-- Document exchange between parties: a company sends issued documents to another company
-- or to an authority on the platform. Each document sent is an explicit access grant to the
-- receiver, answered once (accepted or rejected with a reason) and revocable by the sender.
CREATE TABLE document_exchanges (
    id TEXT PRIMARY KEY,
    sender_org TEXT NOT NULL REFERENCES organizations(id),
    receiver_org TEXT NOT NULL REFERENCES organizations(id),
    note TEXT NOT NULL,
    sent_by TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX document_exchanges_sender ON document_exchanges (sender_org, id);
CREATE INDEX document_exchanges_receiver ON document_exchanges (receiver_org, id);

CREATE TABLE exchange_grants (
    exchange_id TEXT NOT NULL REFERENCES document_exchanges(id),
    document_id TEXT NOT NULL REFERENCES trade_documents(id),
    receiver_org TEXT NOT NULL REFERENCES organizations(id),
    -- The order in which the sender listed the documents.
    position BIGINT NOT NULL,
    -- accepted or rejected once answered; the note or reason goes with it.
    answer TEXT,
    reason TEXT,
    answered_at TEXT,
    first_read_at TEXT,
    -- Set when the sender revokes: the receiver loses access at once.
    revoked_at TEXT,
    PRIMARY KEY (exchange_id, document_id)
);
-- At most one live grant per document and receiver.
CREATE UNIQUE INDEX exchange_grants_live ON exchange_grants (document_id, receiver_org) WHERE revoked_at IS NULL;
