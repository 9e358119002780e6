-- WhatsApp Business message templates, synced from Meta (or seeded in the sandbox), one
-- row per (channel, name at Meta, language). A template Meta stops listing keeps its row
-- and id (a later sync may bring it back) but is hidden: `removed_at` is set.
CREATE TABLE waba_templates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    waba_id TEXT NOT NULL,
    name TEXT NOT NULL,
    language TEXT NOT NULL,
    status TEXT NOT NULL,
    body TEXT NOT NULL,
    substitutions_count INTEGER NOT NULL,
    components TEXT NOT NULL DEFAULT '[]',
    position INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    removed_at INTEGER,
    UNIQUE (channel_id, waba_id, language)
);
-- A page of a company's templates is one range of this index.
CREATE INDEX waba_templates_by_company ON waba_templates (company_id, id);
-- A template send (name, language, parameters) kept with its delivery job, as JSON.
ALTER TABLE jobs ADD COLUMN template TEXT;
