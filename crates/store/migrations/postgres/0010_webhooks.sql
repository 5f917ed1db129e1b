-- Webhooks (F23): the same tables as migrations/sqlite/0010_webhooks.sql in PostgreSQL's
-- types. The secret is kept as it is: beside signs each delivery with it.

CREATE TABLE webhooks (
    id          TEXT PRIMARY KEY,
    company_id  TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    url         TEXT NOT NULL,
    -- A JSON array of event names, e.g. ["session.ended"].
    events      JSONB NOT NULL,
    secret      TEXT NOT NULL,
    created_by  TEXT REFERENCES agents (id) ON DELETE SET NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE INDEX webhooks_company ON webhooks (company_id);

-- One event's delivery to one webhook. `body` is the exact JSON posted and signed (TEXT, not
-- jsonb, so that its bytes stay as they were signed).
-- `next_attempt_at` is when it is due (a claimed one: when its lease runs out); NULL once
-- delivered or failed.
CREATE TABLE webhook_deliveries (
    webhook_id       TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id         TEXT NOT NULL,
    event_type       TEXT NOT NULL,
    body             TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         BIGINT NOT NULL,
    next_attempt_at  TIMESTAMPTZ,
    last_attempt_at  TIMESTAMPTZ,
    last_status      BIGINT,
    last_error       TEXT,
    PRIMARY KEY (webhook_id, event_id)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, created_at);
