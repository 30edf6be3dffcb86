-- Indexes found by the 100,000-letter benchmarks.
--
-- A basket narrowed to a status ("nouveaux", "en cours") lists newest
-- arrivals first: with the status in the index before the arrival date, the
-- page is read in order from the index instead of walking every letter of
-- the tenant by arrival and dropping those of other statuses.
CREATE INDEX letters_status_arrival ON letters (tenant_id, status, arrival_date, seq);
-- The perimeter reads the letters copied to a user or to entities as one
-- set (Perimeter.clause): with the letter id in the index, the set is read
-- from the index alone.
CREATE INDEX letter_copies_ref_letter ON letter_copies (kind, ref, letter_id);
DROP INDEX letter_copies_ref;
