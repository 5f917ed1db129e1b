-- Company settings of the admin console (issue 15, F17, F21): branding, where sessions may
-- go, the PIN, and a version that every change bumps, so that two administrators' edits do
-- not silently overwrite each other.
--   settings_version: one more on every change of the company's settings.
--   colors: JSON object of colour name to `#rrggbb` (`primary`, `header`).
--   texts: JSON object of language to an object of customer page text key to text.
--   nav_allow, nav_deny: JSON arrays of domain patterns (checked by the `policy` crate).
--   pin_digits: how many digits a PIN has (6 to 9).
--   pin_ttl_secs: how long a PIN can be redeemed; NULL means the server's setting.
--   logo_type: the content type of the logo in company_logos; NULL when there is none.

ALTER TABLE companies ADD COLUMN settings_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE companies ADD COLUMN colors TEXT NOT NULL DEFAULT '{}';
ALTER TABLE companies ADD COLUMN texts TEXT NOT NULL DEFAULT '{}';
ALTER TABLE companies ADD COLUMN nav_allow TEXT NOT NULL DEFAULT '[]';
ALTER TABLE companies ADD COLUMN nav_deny TEXT NOT NULL DEFAULT '[]';
ALTER TABLE companies ADD COLUMN pin_digits INTEGER NOT NULL DEFAULT 6
    CHECK (pin_digits BETWEEN 6 AND 9);
ALTER TABLE companies ADD COLUMN pin_ttl_secs INTEGER;
ALTER TABLE companies ADD COLUMN logo_type TEXT
    CHECK (logo_type IN ('image/png', 'image/jpeg', 'image/svg+xml'));

-- The logo's bytes, base64 (so every backend and `beside db copy` treat it as text).
CREATE TABLE company_logos (
    company_id  TEXT PRIMARY KEY NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    data        TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);
