-- Point-and-click rules (F20): rules are made as drafts and reach live sessions only when
-- published. Publishing a change of a live rule keeps the version it replaces in
-- `rule_versions`, so the rule can be rolled back to it.

ALTER TABLE company_rules ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

CREATE TABLE rule_drafts (
    id           TEXT PRIMARY KEY NOT NULL,
    company_id   TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    -- The live rule the draft changes; NULL for a new rule.
    rule_id      TEXT REFERENCES company_rules (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('mask', 'block')),
    selector     TEXT NOT NULL,
    url_pattern  TEXT NOT NULL,
    created_by   TEXT REFERENCES agents (id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL
);

CREATE INDEX rule_drafts_company ON rule_drafts (company_id, created_at);

CREATE TABLE rule_versions (
    rule_id      TEXT NOT NULL REFERENCES company_rules (id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('mask', 'block')),
    selector     TEXT NOT NULL,
    url_pattern  TEXT NOT NULL,
    -- When a newer version replaced this one.
    replaced_at  INTEGER NOT NULL,
    PRIMARY KEY (rule_id, version)
);
