-- Signed starts (issue 10): a company may require that its own site signs each session start.
--   start_mode: 'open' (anyone may start a session from the company's page) or 'signed'
--   (a start needs a token signed with the company's start secret).
--   start_secret: the key of those signatures, made when first asked for; NULL until then.

ALTER TABLE companies ADD COLUMN start_mode TEXT NOT NULL DEFAULT 'open'
    CHECK (start_mode IN ('open', 'signed'));
ALTER TABLE companies ADD COLUMN start_secret TEXT;
