-- confab schema: the inbox's tab counts, kept as rows are written.
--
-- Counting the tabs scanned the company's conversations on every call, so the inbox page
-- cost grew with the company (about 2 s at a million conversations). The tallies count
-- conversations per company, channel, assignee and whether they await a reply: a company
-- has channels x (assignees + 1) x 2 rows at most, and the counts are a sum over them.
-- Triggers keep them in the transaction of every write to `conversations`.
CREATE TABLE conversation_tallies (
    company_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    -- 0 for nobody (a primary key column cannot be NULL; user ids start at 1).
    assignee_id INTEGER NOT NULL,
    awaiting_reply INTEGER NOT NULL,
    conversations INTEGER NOT NULL,
    PRIMARY KEY (company_id, channel_id, assignee_id, awaiting_reply)
) WITHOUT ROWID;

INSERT INTO conversation_tallies
    SELECT company_id, channel_id, COALESCE(assignee_id, 0), awaiting_reply != 0, COUNT(*)
    FROM conversations GROUP BY 1, 2, 3, 4;

CREATE TRIGGER conversations_tallied AFTER INSERT ON conversations BEGIN
    INSERT INTO conversation_tallies
        VALUES (new.company_id, new.channel_id, COALESCE(new.assignee_id, 0),
                new.awaiting_reply != 0, 1)
        ON CONFLICT DO UPDATE SET conversations = conversations + 1;
END;

-- Only a change of a tallied column moves the conversation from one tally to another:
-- most writes (a reply to a conversation already answered) touch no tally.
CREATE TRIGGER conversations_retallied
    AFTER UPDATE OF company_id, channel_id, assignee_id, awaiting_reply ON conversations
    WHEN old.company_id IS NOT new.company_id OR old.channel_id IS NOT new.channel_id
        OR old.assignee_id IS NOT new.assignee_id
        OR (old.awaiting_reply != 0) IS NOT (new.awaiting_reply != 0)
BEGIN
    UPDATE conversation_tallies SET conversations = conversations - 1
        WHERE company_id = old.company_id AND channel_id = old.channel_id
          AND assignee_id = COALESCE(old.assignee_id, 0)
          AND awaiting_reply = (old.awaiting_reply != 0);
    INSERT INTO conversation_tallies
        VALUES (new.company_id, new.channel_id, COALESCE(new.assignee_id, 0),
                new.awaiting_reply != 0, 1)
        ON CONFLICT DO UPDATE SET conversations = conversations + 1;
END;

CREATE TRIGGER conversations_untallied AFTER DELETE ON conversations BEGIN
    UPDATE conversation_tallies SET conversations = conversations - 1
        WHERE company_id = old.company_id AND channel_id = old.channel_id
          AND assignee_id = COALESCE(old.assignee_id, 0)
          AND awaiting_reply = (old.awaiting_reply != 0);
END;
