-- What certmagic keeps for the site's TLS certificate (certificates, their
-- private keys, the ACME account), replicated through the log so that the
-- nodes of a cluster share one certificate and one ACME account. Values
-- are sealed with secrets.key before they are proposed: the raft log, the
-- snapshots and the backups hold no private key in clear.
CREATE TABLE tls_assets (
	key         TEXT PRIMARY KEY,
	value       TEXT NOT NULL,
	size        INTEGER NOT NULL,
	modified_at TEXT NOT NULL
);
-- certmagic's locks (one ACME order per name cluster-wide): held by owner
-- until expires_at, compared with the time of the command that asks.
CREATE TABLE tls_locks (
	name       TEXT PRIMARY KEY,
	owner      TEXT NOT NULL,
	expires_at TEXT NOT NULL
);
