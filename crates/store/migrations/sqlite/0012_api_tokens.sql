-- API tokens (F23): what a company's integrations call the API with. Only the SHA-256 digest
-- of a token is kept; the token itself is shown to the administrator once. A token belongs to
-- the administrator who made it: it acts on their behalf and goes when their account goes.

CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY NOT NULL,
    company_id    TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    -- A JSON array of scope names, e.g. ["sessions:join"].
    scopes        TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_by    TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
);

CREATE INDEX api_tokens_company ON api_tokens (company_id);
CREATE INDEX api_tokens_created_by ON api_tokens (created_by);
