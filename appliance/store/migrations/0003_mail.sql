-- Mail bridge: addresses, relay, mailboxes, routing rules, templates, the
-- "message seen" record that makes intake exactly-once, the durable outbox
-- and notices to the administrator. TEXT and INTEGER only, as in 0001, so
-- the logical snapshot stays dialect-free.
CREATE TABLE mail_addresses (
	address    TEXT PRIMARY KEY,
	tenant_id  TEXT NOT NULL REFERENCES tenants(id),
	entity_id  TEXT NOT NULL DEFAULT '',
	doctype_id TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
CREATE INDEX mail_addresses_tenant ON mail_addresses (tenant_id, address);
CREATE TABLE mail_relays (
	tenant_id    TEXT PRIMARY KEY REFERENCES tenants(id),
	host         TEXT NOT NULL,
	port         INTEGER NOT NULL,
	security     TEXT NOT NULL,
	username     TEXT NOT NULL DEFAULT '',
	secret       TEXT NOT NULL DEFAULT '',
	from_address TEXT NOT NULL DEFAULT '',
	from_name    TEXT NOT NULL DEFAULT '',
	updated_at   TEXT NOT NULL
);
CREATE TABLE mail_mailboxes (
	id          TEXT PRIMARY KEY,
	tenant_id   TEXT NOT NULL REFERENCES tenants(id),
	host        TEXT NOT NULL,
	port        INTEGER NOT NULL,
	security    TEXT NOT NULL,
	auth        TEXT NOT NULL,
	username    TEXT NOT NULL,
	secret      TEXT NOT NULL DEFAULT '',
	folder      TEXT NOT NULL,
	done_folder TEXT NOT NULL,
	disabled    INTEGER NOT NULL DEFAULT 0,
	created_at  TEXT NOT NULL,
	updated_at  TEXT NOT NULL,
	UNIQUE (tenant_id, host, port, username, folder)
);
CREATE TABLE mail_rules (
	id         TEXT PRIMARY KEY,
	tenant_id  TEXT NOT NULL REFERENCES tenants(id),
	position   INTEGER NOT NULL,
	recipient  TEXT NOT NULL DEFAULT '',
	keywords   TEXT NOT NULL DEFAULT '',
	entity_id  TEXT NOT NULL DEFAULT '',
	doctype_id TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
CREATE INDEX mail_rules_tenant ON mail_rules (tenant_id, position);
CREATE TABLE mail_templates (
	tenant_id  TEXT NOT NULL REFERENCES tenants(id),
	mode       TEXT NOT NULL,
	subject    TEXT NOT NULL,
	body       TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	PRIMARY KEY (tenant_id, mode)
);
-- One row per message taken in, whatever became of it: the key is the
-- Message-ID, or a content hash when there is none.
CREATE TABLE mail_seen (
	tenant_id    TEXT NOT NULL REFERENCES tenants(id),
	key          TEXT NOT NULL,
	message_id   TEXT NOT NULL DEFAULT '',
	letter_id    TEXT NOT NULL DEFAULT '',
	kind         TEXT NOT NULL,
	source       TEXT NOT NULL,
	from_address TEXT NOT NULL DEFAULT '',
	subject      TEXT NOT NULL DEFAULT '',
	no_ack       TEXT NOT NULL DEFAULT '',
	received_at  TEXT NOT NULL,
	PRIMARY KEY (tenant_id, key)
);
CREATE INDEX mail_seen_letter ON mail_seen (letter_id, received_at);
CREATE TABLE mail_outbox (
	id         TEXT PRIMARY KEY,
	tenant_id  TEXT NOT NULL REFERENCES tenants(id),
	letter_id  TEXT NOT NULL DEFAULT '',
	kind       TEXT NOT NULL,
	message_id TEXT NOT NULL UNIQUE,
	mail_from  TEXT NOT NULL,
	rcpt_to    TEXT NOT NULL,
	subject    TEXT NOT NULL,
	content    TEXT NOT NULL,
	status     TEXT NOT NULL,
	attempts   INTEGER NOT NULL DEFAULT 0,
	next_try   TEXT NOT NULL,
	last_error TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	sent_at    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_try);
CREATE INDEX mail_outbox_letter ON mail_outbox (letter_id, created_at);
CREATE INDEX mail_outbox_rcpt ON mail_outbox (tenant_id, rcpt_to, kind, created_at);
CREATE TABLE mail_notices (
	id         TEXT PRIMARY KEY,
	tenant_id  TEXT NOT NULL REFERENCES tenants(id),
	key        TEXT NOT NULL,
	text       TEXT NOT NULL,
	created_at TEXT NOT NULL,
	UNIQUE (tenant_id, key)
);
-- When to acknowledge, per doctype ('' = the tenant's default): auto (at
-- registration), qualified (once the letter is qualified) or never.
CREATE TABLE mail_ack_policies (
	tenant_id  TEXT NOT NULL REFERENCES tenants(id),
	doctype_id TEXT NOT NULL,
	policy     TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	PRIMARY KEY (tenant_id, doctype_id)
);
