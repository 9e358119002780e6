-- confab schema, version 7: real connectors. Raw inbound updates are stored before they
-- are acknowledged and processed as leased jobs; a channel remembers its health and which
-- node polls its messenger.

ALTER TABLE channels ADD COLUMN last_inbound_at INTEGER;
ALTER TABLE channels ADD COLUMN last_error TEXT;
-- The poll lease: one node at a time asks the messenger for a channel's updates, and the
-- cursor moves only in the transaction that stores what it fetched.
ALTER TABLE channels ADD COLUMN poll_holder TEXT;
ALTER TABLE channels ADD COLUMN poll_lease_until INTEGER;
ALTER TABLE channels ADD COLUMN poll_cursor TEXT;
-- Pollers and start-up checks page through one connector's live channels.
CREATE INDEX channels_by_connector ON channels (connector, id) WHERE deleted_at IS NULL;

-- One raw update as the messenger sent it. `state`: pending (to process, or with files
-- still to fetch for the message it became), done, skipped (nothing in it becomes a
-- message), failed (given up). The key dedupes redeliveries per channel.
CREATE TABLE inbound_updates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id INTEGER NOT NULL,
    company_id INTEGER NOT NULL,
    dedupe_key TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at INTEGER NOT NULL,
    lease_until INTEGER,
    last_error TEXT,
    received_at INTEGER NOT NULL,
    conversation_id INTEGER,
    message_id INTEGER,
    pending TEXT,
    finished_at INTEGER,
    UNIQUE (channel_id, dedupe_key)
);
-- Claims walk the due pending rows in (due_at, id) order and stop after their limit.
CREATE INDEX inbound_updates_pending ON inbound_updates (due_at, id) WHERE state = 'pending';
-- Metrics count each state (and the oldest pending) without scanning the done rows.
CREATE INDEX inbound_updates_by_state ON inbound_updates (state, received_at);
