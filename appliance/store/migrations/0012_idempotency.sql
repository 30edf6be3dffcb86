-- Idempotency keys: what a request sent with a key (the API's
-- Idempotency-Key header, the registration form's hidden key) made, so
-- that the same key again returns that first result instead of doing the
-- work twice. A row is written by the same command that makes the change,
-- and pruned by later commands once older than 24 hours (by their time,
-- never by a clock inside Apply).
CREATE TABLE idempotency_keys (
	tenant_id   TEXT NOT NULL REFERENCES tenants(id),
	user_id     TEXT NOT NULL,
	key         TEXT NOT NULL,
	fingerprint TEXT NOT NULL,
	command_id  TEXT NOT NULL,
	kind        TEXT NOT NULL,
	result      TEXT NOT NULL,
	created_at  TEXT NOT NULL,
	PRIMARY KEY (tenant_id, user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
-- missive:data
-- The registration form's keys, until now in web_submissions, carry on
-- here: a form sent just before the upgrade and again just after is still
-- one letter. web_submissions stays, empty of new rows, so that older
-- snapshots still load; loading one copies its keys here too.
INSERT INTO idempotency_keys (tenant_id, user_id, key, fingerprint, command_id, kind, result, created_at)
	SELECT s.tenant_id, l.created_by, s.key, '', '', 'letter.register.form', '{"id":"' || s.letter_id || '"}', s.created_at
	FROM web_submissions s JOIN letters l ON l.id = s.letter_id;
