-- The web session signing key is derived from the data dir's secrets.key
-- now, never stored: the key older versions kept here goes, so that a dump
-- of the database forges no session. Sessions signed with it end once.
-- missive:data
-- A snapshot or backup of an older version gets the same treatment.
UPDATE web_keys SET secret = '';
