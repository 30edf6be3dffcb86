-- Cluster membership, replicated through the log like everything else, so
-- that whichever node leads knows it: the join tokens (only their SHA-256;
-- used once, cluster-wide, before they expire) and the nodes that joined
-- with one, voters or not, removed or not (a removed node's certificate is
-- refused on the cluster port).
CREATE TABLE cluster_tokens (
	hash       TEXT PRIMARY KEY,
	voter      INTEGER NOT NULL,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	used_by    TEXT NOT NULL DEFAULT '',
	used_at    TEXT NOT NULL DEFAULT ''
);
CREATE TABLE cluster_members (
	node_id    TEXT PRIMARY KEY,
	address    TEXT NOT NULL,
	voter      INTEGER NOT NULL,
	removed    INTEGER NOT NULL DEFAULT 0,
	joined_at  TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
-- The node this database belongs to. Never in a snapshot (see snapshot.go):
-- a raft snapshot or a backup restored on another node does not carry it,
-- and a second node opening this database finds it and refuses to start.
CREATE TABLE node_owner (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	node_id    TEXT NOT NULL,
	claimed_at TEXT NOT NULL
);
