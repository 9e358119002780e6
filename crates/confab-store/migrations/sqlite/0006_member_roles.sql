-- confab schema, version 6: roles in a company. Every member so far created their
-- company, so they are its admins.
ALTER TABLE memberships ADD COLUMN role TEXT NOT NULL DEFAULT 'admin';
ALTER TABLE memberships ADD COLUMN added_at INTEGER NOT NULL DEFAULT 0;
UPDATE memberships SET added_at = (SELECT created_at FROM companies c WHERE c.id = company_id);
