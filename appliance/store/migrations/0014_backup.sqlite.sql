-- Backup runs (package backup): one row per run on one target, with its
-- outcome, so that every node's admin page, `missive doctor` and
-- `missive backup status` show the same thing. The backups themselves live
-- on their targets, not here. TEXT and INTEGER only, as in 0001.
CREATE TABLE backup_runs (
	id            TEXT PRIMARY KEY,
	target        TEXT NOT NULL,
	trigger_kind  TEXT NOT NULL,
	node          TEXT NOT NULL DEFAULT '',
	started_at    TEXT NOT NULL,
	finished_at   TEXT NOT NULL,
	status        TEXT NOT NULL,
	backup_id     TEXT NOT NULL DEFAULT '',
	applied_index INTEGER NOT NULL DEFAULT 0,
	size          INTEGER NOT NULL DEFAULT 0,
	sent          INTEGER NOT NULL DEFAULT 0,
	duration_ms   INTEGER NOT NULL DEFAULT 0,
	verified      INTEGER NOT NULL DEFAULT 0,
	error         TEXT NOT NULL DEFAULT '',
	alerted       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX backup_runs_finished ON backup_runs (finished_at);
