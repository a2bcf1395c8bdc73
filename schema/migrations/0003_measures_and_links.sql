-- ccbench schema, version 3: absent measures and feedback per channel
-- (shared/kpis.md, "Conventions every part follows").
--
-- contacts.measures says which handling times the source carries for the
-- contact (records.Measures: 1 talk_s, 2 hold_s, 4 acw_s); a contact without
-- a measure is left out of the KPIs that need it. Rows written before this
-- migration are taken to carry all three, as they were counted before;
-- collecting them again from their source corrects them.
--
-- feedback.contact_id names the contact (same source) a response is about;
-- the response counts under that contact's unit and channel.
--
-- 18.16 has no ADD COLUMN IF NOT EXISTS: the migration runner treats "column
-- already exists" on ADD COLUMN as done, so this file stays re-runnable.
ALTER TABLE contacts ADD COLUMN measures UInt8 DEFAULT 7;
ALTER TABLE feedback ADD COLUMN contact_id String DEFAULT '';
