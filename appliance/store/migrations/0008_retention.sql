-- Archival retention of a doctype's letters, written into the GED export's
-- metadata: the DUA (durée d'utilité administrative) in years, counted from
-- the letter's closing, 0 when not set; and the sort final at its end:
-- 'conserver', 'detruire', 'trier', or '' when not set.
ALTER TABLE doctypes ADD COLUMN retention_years INTEGER NOT NULL DEFAULT 0;
ALTER TABLE doctypes ADD COLUMN final_disposition TEXT NOT NULL DEFAULT '';
