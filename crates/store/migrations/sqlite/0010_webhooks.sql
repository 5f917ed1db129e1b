-- Webhooks (F23): addresses a company's events are posted to, and the queue of deliveries,
-- kept here so that a delivery survives a restart. The secret is kept as it is: beside signs
-- each delivery with it (as it keeps a company's start secret).

CREATE TABLE webhooks (
    id          TEXT PRIMARY KEY NOT NULL,
    company_id  TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    url         TEXT NOT NULL,
    -- A JSON array of event names, e.g. ["session.ended"].
    events      TEXT NOT NULL,
    secret      TEXT NOT NULL,
    created_by  TEXT REFERENCES agents (id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL
);

CREATE INDEX webhooks_company ON webhooks (company_id);

-- One event's delivery to one webhook. `body` is the exact JSON posted and signed.
-- `next_attempt_at` is when it is due (a claimed one: when its lease runs out); NULL once
-- delivered or failed.
CREATE TABLE webhook_deliveries (
    webhook_id       TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id         TEXT NOT NULL,
    event_type       TEXT NOT NULL,
    body             TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL,
    next_attempt_at  INTEGER,
    last_attempt_at  INTEGER,
    last_status      INTEGER,
    last_error       TEXT,
    PRIMARY KEY (webhook_id, event_id)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, created_at);
