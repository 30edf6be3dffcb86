-- The total of a search counts the letters of the perimeter among the
-- matches of the full-text index: one lookup per match. Read from the
-- table, each lookup reads the page of a whole letter (its body included);
-- this index holds, by sequence number, the columns a perimeter tests,
-- about a hundred letters a page, so counting the 50,000 matches of a
-- common word reads a few hundred pages instead of tens of thousands
-- (search.go, countFrom).
CREATE INDEX IF NOT EXISTS letters_seq_perimeter ON letters (seq, tenant_id, confidential, entity_id, assignee_id, id);
