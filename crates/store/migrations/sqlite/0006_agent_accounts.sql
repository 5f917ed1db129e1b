-- Agent accounts managed in the admin console (F18):
--   disabled: a disabled agent cannot sign in (their logins are removed when disabled).
--   version: raised by every change, so two admins editing one agent do not silently
--   overwrite each other.
--   agent_invites: one-time set-password links (invites and password resets); only the
--   SHA-256 digest of a link's token is stored, and using it removes it.

ALTER TABLE agents ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1));
ALTER TABLE agents ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

CREATE TABLE agent_invites (
    token_hash  TEXT PRIMARY KEY NOT NULL,
    agent_id    TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);

CREATE INDEX agent_invites_agent ON agent_invites (agent_id);
