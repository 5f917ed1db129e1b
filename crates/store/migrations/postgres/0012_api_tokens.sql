-- API tokens (F23): the same table as migrations/sqlite/0012_api_tokens.sql in PostgreSQL's
-- types. Only the SHA-256 digest of a token is kept.

CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY,
    company_id    TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    -- A JSON array of scope names, e.g. ["sessions:join"].
    scopes        JSONB NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_by    TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    created_at    TIMESTAMPTZ NOT NULL,
    last_used_at  TIMESTAMPTZ
);

CREATE INDEX api_tokens_company ON api_tokens (company_id);
CREATE INDEX api_tokens_created_by ON api_tokens (created_by);
