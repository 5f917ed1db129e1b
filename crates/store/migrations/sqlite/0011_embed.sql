-- The one-line embed (issue 16, F22).
--   companies.embed_origins: JSON array of the origins (`https://shop.example`, normalised by
--   the `policy` crate) whose pages may use /embed.js and frame the agent console.
--   sessions.reference: the company site's own reference for a session (a ticket number),
--   given when it started; NULL when none was given.

ALTER TABLE companies ADD COLUMN embed_origins TEXT NOT NULL DEFAULT '[]';
ALTER TABLE sessions ADD COLUMN reference TEXT;
