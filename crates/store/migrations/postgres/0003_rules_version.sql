-- A company's rules version: one more on every rule created or deleted, in the same
-- transaction. A running server compares it with the version its live sessions apply, so a
-- rule changed by another process (the command line) reaches those sessions too.

ALTER TABLE companies ADD COLUMN rules_version BIGINT NOT NULL DEFAULT 0;
