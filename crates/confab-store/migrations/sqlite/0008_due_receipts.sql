-- confab schema, version 8: receipts a send leaves due (the sandbox's device receipt,
-- ack 2). Written in the transaction that records the send and applied by a worker under
-- a lease through the receipt operation, so a restart between the two still applies it.
CREATE TABLE due_receipts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL,
    conversation_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    ack INTEGER NOT NULL,
    sent_at INTEGER NOT NULL,
    lease_until INTEGER,
    UNIQUE (conversation_id, message_id, ack)
);
-- Claims walk the rows in (sent_at, id) order and stop after their limit.
CREATE INDEX due_receipts_by_time ON due_receipts (sent_at, id);
