-- A message's attachments are read with every message (inbound read-back, message pages);
-- without this index each read scanned all of the conversation's attachments.
CREATE INDEX attachments_by_message ON attachments (company_id, conversation_id, message_id);
