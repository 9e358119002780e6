-- confab schema, version 1. Times are unix milliseconds (UTC); booleans are 0/1.

-- Ids of tables clustered on a composite key (WITHOUT ROWID) come from here, allocated in
-- the same write transaction as the row, so they are never reused.
CREATE TABLE sequences (
    name TEXT PRIMARY KEY,
    last_id INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO sequences (name, last_id) VALUES ('conversations', 0), ('messages', 0);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE companies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    phone TEXT,
    description TEXT,
    webhook_url TEXT,
    hidden INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE memberships (
    user_id INTEGER NOT NULL REFERENCES users (id),
    company_id INTEGER NOT NULL REFERENCES companies (id),
    PRIMARY KEY (user_id, company_id)
) WITHOUT ROWID;
CREATE INDEX memberships_by_company ON memberships (company_id, user_id);

CREATE TABLE channels (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    provider TEXT NOT NULL,
    connector TEXT NOT NULL,
    settings TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    deleted_at INTEGER
);
-- One live channel per provider per company; deleted ones do not count.
CREATE UNIQUE INDEX channels_live_provider ON channels (company_id, provider)
    WHERE deleted_at IS NULL;
CREATE INDEX channels_by_company ON channels (company_id, id);

-- Clustered on (company_id, id): a page of a company's conversations is one range scan.
CREATE TABLE conversations (
    company_id INTEGER NOT NULL,
    id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL REFERENCES channels (id),
    channel_type TEXT NOT NULL,
    sender_external_id TEXT NOT NULL,
    name TEXT NOT NULL,
    avatar TEXT,
    meta TEXT NOT NULL DEFAULT '{}',
    note TEXT,
    assignee_id INTEGER,
    bitrix_block_openlines INTEGER NOT NULL DEFAULT 0,
    last_message_at INTEGER,
    last_income_message_at INTEGER,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (company_id, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX conversations_contact ON conversations (channel_id, sender_external_id);

-- Clustered on (conversation_id, id): a conversation's messages are one range scan.
CREATE TABLE messages (
    conversation_id INTEGER NOT NULL,
    id INTEGER NOT NULL,
    company_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    income INTEGER NOT NULL,
    body TEXT NOT NULL,
    ack INTEGER NOT NULL,
    send_to_crm INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, id)
) WITHOUT ROWID;
CREATE INDEX messages_by_time ON messages (conversation_id, created_at, id);

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    conversation_id INTEGER NOT NULL,
    message_id INTEGER,
    file_name TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    blob_key TEXT NOT NULL,
    source_url TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX attachments_by_conversation ON attachments (company_id, conversation_id, id);
