-- confab schema: a channel's account sign-in (request_code / confirm), durable so a
-- restart or another node continues it. Codes and passwords are sealed by the server.
CREATE TABLE channel_signins (
    channel_id INTEGER PRIMARY KEY REFERENCES channels (id),
    -- idle, code (a code waits to be confirmed), password (the 2FA password is next)
    step TEXT NOT NULL DEFAULT 'idle',
    code TEXT,
    code_expires_at INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    password TEXT,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
