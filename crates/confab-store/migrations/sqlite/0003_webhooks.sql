-- confab schema, version 3: the webhook outbox.

-- Each company signs its webhooks with its own secret (Standard Webhooks, `whsec_` + base64;
-- hex digits are valid base64, so existing companies get one here).
ALTER TABLE companies ADD COLUMN webhook_secret TEXT;
UPDATE companies SET webhook_secret = 'whsec_' || lower(hex(randomblob(24)))
    WHERE webhook_secret IS NULL;

-- One row per event to announce, written in the same transaction as the change that
-- causes it; the dispatcher delivers each company's events in id order and records every
-- attempt's outcome here, so this table is also the delivery log.
CREATE TABLE webhook_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL,
    conversation_id INTEGER,
    event TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    last_status INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX webhook_events_pending ON webhook_events (company_id, id) WHERE state = 'pending';
CREATE INDEX webhook_events_by_company ON webhook_events (company_id, id);
