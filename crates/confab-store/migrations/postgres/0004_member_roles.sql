-- Roles in a company. Every member so far created their company, so they are its admins.
ALTER TABLE memberships ADD COLUMN role TEXT NOT NULL DEFAULT 'admin';
ALTER TABLE memberships ADD COLUMN added_at BIGINT NOT NULL DEFAULT 0;
UPDATE memberships m SET added_at = c.created_at FROM companies c WHERE c.id = m.company_id;
