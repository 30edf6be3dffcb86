-- Tamper evidence a database writer cannot forge (appliance/history.go):
-- digest is the SHA-256 of the letter row as the entry's command left it
-- ('' for an entry about no letter, '-' for a letter that no longer
-- exists), covered by the entry's hash; sig is the HMAC of the entry's hash
-- with a key derived from secrets.key, which is not in the database.
-- Entries written before are left as they were: '' and ''.
ALTER TABLE history ADD COLUMN digest TEXT NOT NULL DEFAULT '';
ALTER TABLE history ADD COLUMN sig TEXT NOT NULL DEFAULT '';
