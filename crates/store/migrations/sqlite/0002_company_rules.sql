-- Company rules (F15, F16): CSS selectors a company masks or blocks on the pages a URL pattern
-- covers. Selectors and patterns are checked by the `policy` crate before they are stored.

CREATE TABLE company_rules (
    id           TEXT PRIMARY KEY NOT NULL,
    company_id   TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('mask', 'block')),
    selector     TEXT NOT NULL,
    url_pattern  TEXT NOT NULL,
    -- Who made the rule: an agent id, or NULL when it came from the command line.
    created_by   TEXT REFERENCES agents (id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL
);

CREATE INDEX company_rules_company ON company_rules (company_id, created_at);
