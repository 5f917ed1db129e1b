-- The first schema of beside: companies, agents, logins, session records, audit log.
-- Times are unix milliseconds (INTEGER, UTC). Ids are the typed ids of the `model` crate.
-- PINs, passwords and login tokens are never stored: only password hashes (PHC strings)
-- and SHA-256 digests of login tokens.

CREATE TABLE companies (
    id          TEXT PRIMARY KEY NOT NULL,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    start_url   TEXT,
    created_at  INTEGER NOT NULL
);

CREATE TABLE agents (
    id             TEXT PRIMARY KEY NOT NULL,
    company_id     TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    email          TEXT NOT NULL,
    -- Lowercased email: the unique key, so that Ann@x.com and ann@x.com are one account.
    email_key      TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('agent', 'admin')),
    password_hash  TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);

CREATE INDEX agents_company ON agents (company_id);

CREATE TABLE agent_logins (
    token_hash  TEXT PRIMARY KEY NOT NULL,
    agent_id    TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);

CREATE INDEX agent_logins_agent ON agent_logins (agent_id);
CREATE INDEX agent_logins_expires ON agent_logins (expires_at);

CREATE TABLE sessions (
    id          TEXT PRIMARY KEY NOT NULL,
    company_id  TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    start_url   TEXT NOT NULL,
    locale      TEXT,
    created_at  INTEGER NOT NULL,
    agent_id    TEXT REFERENCES agents (id) ON DELETE SET NULL,
    joined_at   INTEGER,
    ended_at    INTEGER,
    end_reason  TEXT
);

CREATE INDEX sessions_company_created ON sessions (company_id, created_at);

-- No foreign keys: the audit log also records events about unknown or deleted companies,
-- agents and sessions (a PIN tried against a company that does not exist, say).
CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    company_id  TEXT,
    agent_id    TEXT,
    session_id  TEXT,
    kind        TEXT NOT NULL,
    detail      TEXT NOT NULL
);

CREATE INDEX audit_events_at ON audit_events (at, id);
CREATE INDEX audit_events_company_at ON audit_events (company_id, at, id);
