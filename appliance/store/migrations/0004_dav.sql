-- WebDAV share: the tree of each space (a user's working folder "u:<user>"
-- or a letter's folder "l:<letter>"), dead properties, the documents of a
-- letter removed from its folder (they stay on the letter), and the locks of
-- the share, which belong to the tenant, not to a user or a node. TEXT and
-- INTEGER only, as in 0001, so the logical snapshot stays dialect-free.
CREATE TABLE dav_nodes (
	tenant_id   TEXT NOT NULL REFERENCES tenants(id),
	space       TEXT NOT NULL,
	path        TEXT NOT NULL,
	parent      TEXT NOT NULL,
	is_dir      INTEGER NOT NULL,
	sha256      TEXT NOT NULL DEFAULT '',
	size        INTEGER NOT NULL DEFAULT 0,
	mime        TEXT NOT NULL DEFAULT '',
	document_id TEXT NOT NULL DEFAULT '',
	created_at  TEXT NOT NULL,
	modified_at TEXT NOT NULL,
	modified_by TEXT NOT NULL,
	PRIMARY KEY (space, path)
);
CREATE INDEX dav_nodes_parent ON dav_nodes (space, parent);
CREATE TABLE dav_props (
	space TEXT NOT NULL,
	path  TEXT NOT NULL,
	ns    TEXT NOT NULL,
	name  TEXT NOT NULL,
	lang  TEXT NOT NULL DEFAULT '',
	xml   TEXT NOT NULL,
	PRIMARY KEY (space, path, ns, name)
);
CREATE TABLE dav_hidden (
	space       TEXT NOT NULL,
	document_id TEXT NOT NULL,
	hidden_at   TEXT NOT NULL,
	PRIMARY KEY (space, document_id)
);
CREATE TABLE dav_locks (
	token      TEXT PRIMARY KEY,
	tenant_id  TEXT NOT NULL REFERENCES tenants(id),
	root       TEXT NOT NULL,
	zero_depth INTEGER NOT NULL,
	shared     INTEGER NOT NULL DEFAULT 0,
	owner_xml  TEXT NOT NULL,
	user_id    TEXT NOT NULL,
	timeout_s  INTEGER NOT NULL,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL
);
CREATE INDEX dav_locks_tenant ON dav_locks (tenant_id, root);
