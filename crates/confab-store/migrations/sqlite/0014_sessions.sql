-- Operators log in to the browser inbox with a name and password; the browser then holds
-- a session cookie whose id is stored here only as its SHA-256.

-- An argon2id PHC string; NULL: the user cannot log in in the browser (API token only).
ALTER TABLE users ADD COLUMN password_hash TEXT;

-- A login names its user, so two users who can log in must not share a name.
CREATE UNIQUE INDEX users_login_name ON users (name) WHERE password_hash IS NOT NULL;

CREATE TABLE sessions (
    id_hash BLOB PRIMARY KEY NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Revoking a user's sessions (a new password, a rotated token) and pruning expired ones.
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
