-- Export to the tenant's GED (Nextcloud, Alfresco: any WebDAV folder) and
-- the OnlyOffice Document Server a tenant may edit its drafts with. TEXT and
-- INTEGER only, as in 0001, so the logical snapshot stays dialect-free.
CREATE TABLE ged_targets (
	tenant_id  TEXT PRIMARY KEY REFERENCES tenants(id),
	url        TEXT NOT NULL,
	username   TEXT NOT NULL DEFAULT '',
	secret     TEXT NOT NULL DEFAULT '',
	on_close   INTEGER NOT NULL DEFAULT 1,
	updated_at TEXT NOT NULL
);
-- The durable export queue: one row per export asked (on closing a letter
-- or on demand), retried with backoff by the leader until it is done.
CREATE TABLE ged_exports (
	id         TEXT PRIMARY KEY,
	tenant_id  TEXT NOT NULL REFERENCES tenants(id),
	letter_id  TEXT NOT NULL,
	reason     TEXT NOT NULL,
	status     TEXT NOT NULL,
	attempts   INTEGER NOT NULL DEFAULT 0,
	next_try   TEXT NOT NULL DEFAULT '',
	last_error TEXT NOT NULL DEFAULT '',
	location   TEXT NOT NULL DEFAULT '',
	files      TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	done_at    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ged_exports_due ON ged_exports (status, next_try);
CREATE INDEX ged_exports_letter ON ged_exports (letter_id, created_at);
CREATE TABLE onlyoffice_servers (
	tenant_id  TEXT PRIMARY KEY REFERENCES tenants(id),
	url        TEXT NOT NULL,
	secret     TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
