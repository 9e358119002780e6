-- The event log, with webhook delivery beside it.

-- Every event the webhooks document, recorded in the transaction of the change that
-- causes it whether or not the company has a webhook URL. Append-only: rows are deleted
-- only, oldest first, past retention.
--
-- Two numbers: `seq` is handed out when a transaction inserts, and transactions commit in
-- any order, so a reader past seq N could later find a row below N committed late. `id`,
-- the number every reader sees and pages by, is given after commit by the sequencer
-- (postgres/events.rs): one transaction at a time, in `seq` order, to rows already
-- committed, so ids become visible in id order. Until then `id` is NULL and the row is
-- invisible to readers. `deliver` says whether the sequencer queues it for webhooks (the
-- company had a URL when it was recorded); `resend_of` marks a copy queued by a re-send,
-- which readers skip.
CREATE TABLE events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id BIGINT UNIQUE,
    company_id BIGINT NOT NULL,
    conversation_id BIGINT,
    event TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    deliver BOOLEAN NOT NULL,
    resend_of BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX events_unsequenced ON events (seq) WHERE id IS NULL;
CREATE INDEX events_by_company ON events (company_id, id);
CREATE INDEX events_by_age ON events (created_at);

-- The last id given; only the sequencer (holding its advisory lock) moves it.
CREATE TABLE event_log_head (
    only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    last_id BIGINT NOT NULL
);

-- The webhook dispatcher's state of each event it must deliver, and every attempt.
CREATE TABLE webhook_deliveries (
    event_id BIGINT PRIMARY KEY,
    company_id BIGINT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    last_status INTEGER,
    last_error TEXT,
    finished_at BIGINT
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (company_id, event_id)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_company ON webhook_deliveries (company_id, event_id);

CREATE TABLE webhook_attempts (
    event_id BIGINT NOT NULL,
    attempt INTEGER NOT NULL,
    at BIGINT NOT NULL,
    status INTEGER,
    error TEXT,
    PRIMARY KEY (event_id, attempt)
);

-- Events recorded so far were all recorded for delivery; they move over with their ids.
INSERT INTO events (id, company_id, conversation_id, event, snapshot, deliver, created_at)
    SELECT id, company_id, conversation_id, event, snapshot, TRUE, created_at
    FROM webhook_events ORDER BY id;
INSERT INTO event_log_head (last_id) SELECT COALESCE(MAX(id), 0) FROM webhook_events;
INSERT INTO webhook_deliveries
    (event_id, company_id, state, attempts, next_attempt_at, lease_until, last_status,
     last_error, finished_at)
    SELECT id, company_id, state, attempts, next_attempt_at, lease_until, last_status,
           last_error, finished_at
    FROM webhook_events;
DROP TABLE webhook_events;

-- How far each company's log has been pruned: a cursor below this lost events.
ALTER TABLE companies ADD COLUMN events_pruned_through BIGINT NOT NULL DEFAULT 0;
