-- Guidance and the customer's say (F2, F3, F13): what a company decides about its sessions,
-- and the chat transcripts it keeps. The same as migrations/sqlite/0004_guidance.sql; the
-- flags are 0 or 1, as in SQLite, so both backends read and copy them alike.
--   pin_approval: the customer approves each agent before they join.
--   agents_start_with_control: agents' input reaches the page from the start (else they ask).
--   transcripts: 'keep' keeps a session's chat with its record; 'delete' lets it go with the
--   session, like the browser context.

ALTER TABLE companies ADD COLUMN pin_approval BIGINT NOT NULL DEFAULT 0
    CHECK (pin_approval IN (0, 1));
ALTER TABLE companies ADD COLUMN agents_start_with_control BIGINT NOT NULL DEFAULT 1
    CHECK (agents_start_with_control IN (0, 1));
ALTER TABLE companies ADD COLUMN transcripts TEXT NOT NULL DEFAULT 'delete'
    CHECK (transcripts IN ('keep', 'delete'));

-- One row per chat entry of a session whose company keeps transcripts. `body` is the text
-- someone wrote, or for a system entry what happened (`joined`, `control_granted`, ...).
CREATE TABLE chat_transcripts (
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    seq         BIGINT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('text', 'system')),
    role        TEXT NOT NULL CHECK (role IN ('customer', 'agent')),
    name        TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
);
