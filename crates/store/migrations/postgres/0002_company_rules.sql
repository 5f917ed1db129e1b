-- Company rules (F15, F16): CSS selectors a company masks or blocks on the pages a URL pattern
-- covers. Selectors and patterns are checked by the `policy` crate before they are stored.
-- `seq` keeps the order rules were made in (SQLite's rowid does that there); it is the
-- backend's own and is not copied by `beside db copy`, which inserts rules in that order.

CREATE TABLE company_rules (
    id           TEXT PRIMARY KEY,
    company_id   TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('mask', 'block')),
    selector     TEXT NOT NULL,
    url_pattern  TEXT NOT NULL,
    -- Who made the rule: an agent id, or NULL when it came from the command line.
    created_by   TEXT REFERENCES agents (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    seq          BIGINT GENERATED ALWAYS AS IDENTITY
);

CREATE INDEX company_rules_company ON company_rules (company_id, created_at, seq);
