-- The inbox's tab counts, kept as rows are written.
--
-- Counting the tabs scanned the company's conversations on every call, so the inbox page
-- cost grew with the company. The tallies count conversations per company, channel,
-- assignee and whether they await a reply: a company has channels x (assignees + 1) x 2
-- rows at most, and the counts are a sum over them. A trigger keeps them in the
-- transaction of every write to `conversations`.
CREATE TABLE conversation_tallies (
    company_id BIGINT NOT NULL,
    channel_id BIGINT NOT NULL,
    -- 0 for nobody (a primary key column cannot be NULL; user ids start at 1).
    assignee_id BIGINT NOT NULL,
    awaiting_reply BOOLEAN NOT NULL,
    conversations BIGINT NOT NULL,
    PRIMARY KEY (company_id, channel_id, assignee_id, awaiting_reply)
);

INSERT INTO conversation_tallies
    SELECT company_id, channel_id, COALESCE(assignee_id, 0), awaiting_reply, COUNT(*)
    FROM conversations GROUP BY 1, 2, 3, 4;

-- Adds `delta` to the tally of one (company, channel, assignee, awaiting) key.
CREATE FUNCTION confab_tally(company BIGINT, channel BIGINT, assignee BIGINT,
                             awaiting BOOLEAN, delta BIGINT) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO conversation_tallies
        VALUES (company, channel, COALESCE(assignee, 0), awaiting, delta)
        ON CONFLICT (company_id, channel_id, assignee_id, awaiting_reply)
        DO UPDATE SET conversations = conversation_tallies.conversations + EXCLUDED.conversations;
$$;

-- A conversation moves from the tally of its old key to that of its new one. The two rows
-- are locked in key order whichever way it moves, so two transactions moving
-- conversations in opposite directions (one answered, one newly waiting) cannot deadlock.
-- Only a change of a tallied column touches a tally: most writes (a reply to a
-- conversation already answered) lock none.
CREATE FUNCTION confab_retally() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM confab_tally(NEW.company_id, NEW.channel_id, NEW.assignee_id,
                             NEW.awaiting_reply, 1);
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        PERFORM confab_tally(OLD.company_id, OLD.channel_id, OLD.assignee_id,
                             OLD.awaiting_reply, -1);
        RETURN NULL;
    END IF;
    IF (OLD.company_id, OLD.channel_id, COALESCE(OLD.assignee_id, 0), OLD.awaiting_reply)
        = (NEW.company_id, NEW.channel_id, COALESCE(NEW.assignee_id, 0), NEW.awaiting_reply)
    THEN
        RETURN NULL;
    END IF;
    IF (OLD.company_id, OLD.channel_id, COALESCE(OLD.assignee_id, 0), OLD.awaiting_reply)
        < (NEW.company_id, NEW.channel_id, COALESCE(NEW.assignee_id, 0), NEW.awaiting_reply)
    THEN
        PERFORM confab_tally(OLD.company_id, OLD.channel_id, OLD.assignee_id,
                             OLD.awaiting_reply, -1);
        PERFORM confab_tally(NEW.company_id, NEW.channel_id, NEW.assignee_id,
                             NEW.awaiting_reply, 1);
    ELSE
        PERFORM confab_tally(NEW.company_id, NEW.channel_id, NEW.assignee_id,
                             NEW.awaiting_reply, 1);
        PERFORM confab_tally(OLD.company_id, OLD.channel_id, OLD.assignee_id,
                             OLD.awaiting_reply, -1);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER conversations_tallied
    AFTER INSERT OR DELETE OR UPDATE OF company_id, channel_id, assignee_id, awaiting_reply
    ON conversations
    FOR EACH ROW EXECUTE FUNCTION confab_retally();
