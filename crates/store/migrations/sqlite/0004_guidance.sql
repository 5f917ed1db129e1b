-- Guidance and the customer's say (F2, F3, F13): what a company decides about its sessions,
-- and the chat transcripts it keeps.
--   pin_approval: the customer approves each agent before they join.
--   agents_start_with_control: agents' input reaches the page from the start (else they ask).
--   transcripts: 'keep' keeps a session's chat with its record; 'delete' lets it go with the
--   session, like the browser context.

ALTER TABLE companies ADD COLUMN pin_approval INTEGER NOT NULL DEFAULT 0;
ALTER TABLE companies ADD COLUMN agents_start_with_control INTEGER NOT NULL DEFAULT 1;
ALTER TABLE companies ADD COLUMN transcripts TEXT NOT NULL DEFAULT 'delete'
    CHECK (transcripts IN ('keep', 'delete'));

-- One row per chat entry of a session whose company keeps transcripts. `body` is the text
-- someone wrote, or for a system entry what happened (`joined`, `control_granted`, ...).
CREATE TABLE chat_transcripts (
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('text', 'system')),
    role        TEXT NOT NULL CHECK (role IN ('customer', 'agent')),
    name        TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
);
