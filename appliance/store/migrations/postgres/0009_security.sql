-- The web session signing key is derived from the data dir's secrets.key
-- now, never stored: the key older versions kept here goes, so that a dump
-- of the database forges no session. Sessions signed with it end once.
UPDATE web_keys SET secret = '';
