-- confab schema, version 5: the event log, with webhook delivery beside it.

-- Every event the webhooks document, in the order it happened, recorded in the
-- transaction of the change that causes it whether or not the company has a webhook URL.
-- Append-only: rows are only ever deleted, oldest first, when they pass retention. Every
-- consumer (the webhook dispatcher, streams, the inbox) reads it by id; SQLite has one
-- writer, so ids become visible in id order. `resend_of` marks a copy queued by a webhook
-- re-send: it exists only to be delivered again, and streams skip it.
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL,
    conversation_id INTEGER,
    event TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    resend_of INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX events_by_company ON events (company_id, id);
CREATE INDEX events_by_age ON events (created_at);

-- The webhook dispatcher's state of each event it must deliver (one row per event queued
-- while the company had a URL), and every attempt.
CREATE TABLE webhook_deliveries (
    event_id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    last_status INTEGER,
    last_error TEXT,
    finished_at INTEGER
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (company_id, event_id)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_company ON webhook_deliveries (company_id, event_id);

CREATE TABLE webhook_attempts (
    event_id INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    at INTEGER NOT NULL,
    status INTEGER,
    error TEXT,
    PRIMARY KEY (event_id, attempt)
);

-- Events recorded so far were all recorded for delivery; they move over with their ids.
INSERT INTO events (id, company_id, conversation_id, event, snapshot, created_at)
    SELECT id, company_id, conversation_id, event, snapshot, created_at FROM webhook_events;
INSERT INTO webhook_deliveries
    (event_id, company_id, state, attempts, next_attempt_at, lease_until, last_status,
     last_error, finished_at)
    SELECT id, company_id, state, attempts, next_attempt_at, lease_until, last_status,
           last_error, finished_at
    FROM webhook_events;
DROP TABLE webhook_events;

-- How far each company's log has been pruned: a cursor below this lost events.
ALTER TABLE companies ADD COLUMN events_pruned_through INTEGER NOT NULL DEFAULT 0;
