-- confab schema: the conversation list's filters, activity order and search.
-- (0012 is left to the idempotency keys of another branch.)

-- The time of the last message (or the creation, before any), so the list can run
-- newest activity first as one range of an index at any depth.
ALTER TABLE conversations ADD COLUMN activity_at INTEGER NOT NULL DEFAULT 0;
-- Whether the last message is incoming: the customer waits for a reply.
ALTER TABLE conversations ADD COLUMN awaiting_reply INTEGER NOT NULL DEFAULT 0;

UPDATE conversations SET activity_at = COALESCE(last_message_at, created_at);
UPDATE conversations SET awaiting_reply = COALESCE(
    (SELECT m.income FROM messages m INDEXED BY messages_by_time
     WHERE m.conversation_id = conversations.id
     ORDER BY m.created_at DESC, m.id DESC LIMIT 1),
    0);

CREATE INDEX conversations_by_activity ON conversations (company_id, activity_at, id);

-- Message text, indexed only (the text stays in `messages`); the row id is the message
-- id, unique across conversations. unicode61 folds case beyond ASCII (Cyrillic too).
CREATE VIRTUAL TABLE message_search USING fts5 (
    body,
    company_id UNINDEXED,
    conversation_id UNINDEXED,
    content = '',
    contentless_unindexed = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO message_search (rowid, body, company_id, conversation_id)
    SELECT id, body, company_id, conversation_id FROM messages;
-- Triggers, so every path that writes a message indexes it in the same transaction.
CREATE TRIGGER messages_indexed AFTER INSERT ON messages BEGIN
    INSERT INTO message_search (rowid, body, company_id, conversation_id)
        VALUES (new.id, new.body, new.company_id, new.conversation_id);
END;

-- The contact's name and id (phone or username); the row id is the conversation id.
CREATE VIRTUAL TABLE contact_search USING fts5 (
    name,
    sender_external_id,
    company_id UNINDEXED,
    content = '',
    contentless_delete = 1,
    contentless_unindexed = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO contact_search (rowid, name, sender_external_id, company_id)
    SELECT id, name, sender_external_id, company_id FROM conversations;
CREATE TRIGGER conversations_indexed AFTER INSERT ON conversations BEGIN
    INSERT INTO contact_search (rowid, name, sender_external_id, company_id)
        VALUES (new.id, new.name, new.sender_external_id, new.company_id);
END;
CREATE TRIGGER conversations_reindexed AFTER UPDATE OF name, sender_external_id
    ON conversations BEGIN
    DELETE FROM contact_search WHERE rowid = old.id;
    INSERT INTO contact_search (rowid, name, sender_external_id, company_id)
        VALUES (new.id, new.name, new.sender_external_id, new.company_id);
END;
