-- confab schema, version 2: outgoing delivery (jobs, acks) and the sandbox emulator's state.

ALTER TABLE messages ADD COLUMN job_id INTEGER;
ALTER TABLE messages ADD COLUMN external_public_id TEXT;
ALTER TABLE messages ADD COLUMN interactive TEXT;

-- Channel connection state: enabled, phone_offline, unavailable, disabled.
ALTER TABLE channels ADD COLUMN state TEXT NOT NULL DEFAULT 'enabled';

-- A delivery job: one outgoing message handed to the channel's connector. Claimed by a
-- worker with an expiring lease, so a crashed worker's job is taken up again and a job is
-- held by one worker at a time.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    conversation_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'trying_deliver',
    reason TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    run_after INTEGER NOT NULL,
    lease_until INTEGER,
    created_at INTEGER NOT NULL,
    executed_at INTEGER
);
CREATE INDEX jobs_pending ON jobs (run_after, id) WHERE state = 'trying_deliver';

-- Contacts the sandbox treats specially (unreachable ones fail delivery).
CREATE TABLE sandbox_contacts (
    channel_id INTEGER NOT NULL,
    sender_external_id TEXT NOT NULL,
    unreachable INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (channel_id, sender_external_id)
) WITHOUT ROWID;
