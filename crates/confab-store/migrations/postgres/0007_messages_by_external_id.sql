-- Receipts from real messengers (WhatsApp's statuses) find an outgoing message by the id
-- the messenger gave it, per channel.
CREATE INDEX messages_by_external_id ON messages (channel_id, external_public_id)
    WHERE external_public_id IS NOT NULL;
