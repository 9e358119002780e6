-- Idempotency keys. A request sent with `Idempotency-Key` claims its key here first; its
-- write marks the key `written` in the write's own transaction; its answer is stored
-- before it is sent, and replayed to retries until the key is pruned.
CREATE TABLE idempotency_keys (
    user_id BIGINT NOT NULL,
    key TEXT NOT NULL,
    -- SHA-256 (hex) of the request: method, path and parameters
    fingerprint TEXT NOT NULL,
    -- in_flight (claimed, nothing written), written (the write committed), answered
    state TEXT NOT NULL,
    -- the claim holding the key (random), and until when its lease runs (unix ms)
    holder TEXT NOT NULL,
    lease_until BIGINT NOT NULL,
    status INTEGER,
    content_type TEXT,
    body BYTEA,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
