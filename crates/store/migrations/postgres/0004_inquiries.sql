-- Inquiries between two companies about a listing, and platform governance: blocking a
-- company, reporting a listing, the operator hiding it.
CREATE TABLE inquiries (
    id TEXT PRIMARY KEY,
    from_org TEXT NOT NULL REFERENCES organizations(id),
    to_org TEXT NOT NULL REFERENCES organizations(id),
    subject_kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_message_at TEXT NOT NULL
);
CREATE INDEX inquiries_from ON inquiries (from_org, created_at);
CREATE INDEX inquiries_to ON inquiries (to_org);

CREATE TABLE inquiry_messages (
    id TEXT PRIMARY KEY,
    inquiry_id TEXT NOT NULL REFERENCES inquiries(id),
    from_org TEXT NOT NULL REFERENCES organizations(id),
    author_user_id TEXT NOT NULL REFERENCES users(id),
    body TEXT NOT NULL,
    attachment_sha256 TEXT REFERENCES blobs(sha256),
    attachment_name TEXT,
    attachment_type TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX inquiry_messages_inquiry ON inquiry_messages (inquiry_id, id);

CREATE TABLE company_blocks (
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    blocked_org TEXT NOT NULL REFERENCES organizations(id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (organization_id, blocked_org)
);

CREATE TABLE listing_reports (
    id TEXT PRIMARY KEY,
    reporter_org TEXT NOT NULL REFERENCES organizations(id),
    entity_kind TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    decided_by TEXT,
    decision_note TEXT,
    created_at TEXT NOT NULL,
    decided_at TEXT
);
CREATE INDEX listing_reports_status ON listing_reports (status, id);
