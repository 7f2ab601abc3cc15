-- Paperless-trade readiness assessments (see docs/ASSESSMENT.md).
-- An assessment is of a company (organization_id, kind 'company') or of an economy
-- (economy = ISO 3166 alpha-2, kind 'economy'), taken by a government organisation
-- (organization_id set) or by the platform operator (organization_id NULL).
CREATE TABLE assessments (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    organization_id TEXT REFERENCES organizations(id),
    economy TEXT,
    questionnaire_version TEXT NOT NULL,
    status TEXT NOT NULL,
    -- JSON object: question id -> chosen level.
    answers TEXT NOT NULL,
    -- JSON of the scored result, set on submission.
    result TEXT,
    score BIGINT,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    submitted_at TEXT
);
CREATE INDEX assessments_org ON assessments (organization_id, kind, id);
CREATE INDEX assessments_economy ON assessments (economy, kind, id);

-- Evidence for one answer: a link, an uploaded file (a blob), or both.
CREATE TABLE assessment_evidence (
    assessment_id TEXT NOT NULL REFERENCES assessments(id),
    question_id TEXT NOT NULL,
    link TEXT,
    sha256 TEXT REFERENCES blobs(sha256),
    filename TEXT,
    content_type TEXT,
    size BIGINT,
    updated_by TEXT NOT NULL REFERENCES users(id),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (assessment_id, question_id)
);
