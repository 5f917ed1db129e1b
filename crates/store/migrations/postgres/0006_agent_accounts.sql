-- Agent accounts managed in the admin console (F18); the same as
-- migrations/sqlite/0006_agent_accounts.sql in PostgreSQL's types.

ALTER TABLE agents ADD COLUMN disabled BIGINT NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1));
ALTER TABLE agents ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

CREATE TABLE agent_invites (
    token_hash  TEXT PRIMARY KEY,
    agent_id    TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);

CREATE INDEX agent_invites_agent ON agent_invites (agent_id);
