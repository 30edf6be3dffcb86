-- Baseline schema. Every column is TEXT or INTEGER so that the logical
-- snapshot is the same in both dialects; booleans are 0/1, instants are
-- fixed-width UTC text, civil dates are YYYY-MM-DD.
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
CREATE TABLE tenants (
	id             TEXT PRIMARY KEY,
	name           TEXT NOT NULL,
	alsace_moselle INTEGER NOT NULL DEFAULT 0,
	created_at     TEXT NOT NULL
);
CREATE TABLE entities (
	id         TEXT PRIMARY KEY,
	tenant_id  TEXT NOT NULL REFERENCES tenants(id),
	parent_id  TEXT NOT NULL DEFAULT '',
	code       TEXT NOT NULL,
	name       TEXT NOT NULL,
	email      TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	UNIQUE (tenant_id, code)
);
CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	tenant_id     TEXT NOT NULL REFERENCES tenants(id),
	login         TEXT NOT NULL,
	name          TEXT NOT NULL,
	email         TEXT NOT NULL DEFAULT '',
	role          TEXT NOT NULL,
	password_hash TEXT NOT NULL DEFAULT '',
	disabled      INTEGER NOT NULL DEFAULT 0,
	created_at    TEXT NOT NULL,
	updated_at    TEXT NOT NULL,
	UNIQUE (tenant_id, login)
);
CREATE TABLE user_entities (
	user_id   TEXT NOT NULL REFERENCES users(id),
	entity_id TEXT NOT NULL REFERENCES entities(id),
	manager   INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (user_id, entity_id)
);
CREATE TABLE tokens (
	id         TEXT PRIMARY KEY,
	tenant_id  TEXT NOT NULL REFERENCES tenants(id),
	user_id    TEXT NOT NULL REFERENCES users(id),
	name       TEXT NOT NULL DEFAULT '',
	hash       TEXT NOT NULL UNIQUE,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL DEFAULT '',
	revoked    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE contacts (
	id           TEXT PRIMARY KEY,
	tenant_id    TEXT NOT NULL REFERENCES tenants(id),
	kind         TEXT NOT NULL,
	civility     TEXT NOT NULL DEFAULT '',
	first_name   TEXT NOT NULL DEFAULT '',
	last_name    TEXT NOT NULL DEFAULT '',
	organization TEXT NOT NULL DEFAULT '',
	email        TEXT NOT NULL DEFAULT '',
	email_key    TEXT,
	phone        TEXT NOT NULL DEFAULT '',
	address      TEXT NOT NULL DEFAULT '',
	postcode     TEXT NOT NULL DEFAULT '',
	city         TEXT NOT NULL DEFAULT '',
	country      TEXT NOT NULL DEFAULT '',
	created_at   TEXT NOT NULL,
	updated_at   TEXT NOT NULL
);
-- One contact per e-mail address per tenant; NULL keys (no address) are distinct.
CREATE UNIQUE INDEX contacts_email ON contacts (tenant_id, email_key);
CREATE INDEX contacts_name ON contacts (tenant_id, last_name, organization);
CREATE TABLE doctypes (
	id            TEXT PRIMARY KEY,
	tenant_id     TEXT NOT NULL REFERENCES tenants(id),
	code          TEXT NOT NULL,
	label         TEXT NOT NULL,
	delay_days    INTEGER NOT NULL DEFAULT 0,
	remind_before INTEGER NOT NULL DEFAULT 0,
	remind_after  INTEGER NOT NULL DEFAULT 0,
	mode          TEXT NOT NULL DEFAULT 'normal',
	created_at    TEXT NOT NULL,
	UNIQUE (tenant_id, code)
);
CREATE TABLE letters (
	seq          INTEGER PRIMARY KEY,
	id           TEXT NOT NULL UNIQUE,
	tenant_id    TEXT NOT NULL REFERENCES tenants(id),
	category     TEXT NOT NULL,
	year         INTEGER NOT NULL,
	num          INTEGER NOT NULL,
	number       TEXT NOT NULL,
	subject      TEXT NOT NULL,
	body         TEXT NOT NULL DEFAULT '',
	letter_date  TEXT NOT NULL DEFAULT '',
	arrival_date TEXT NOT NULL,
	priority     TEXT NOT NULL,
	sender_id    TEXT NOT NULL DEFAULT '',
	recipient_id TEXT NOT NULL DEFAULT '',
	entity_id    TEXT NOT NULL DEFAULT '',
	assignee_id  TEXT NOT NULL DEFAULT '',
	doctype_id   TEXT NOT NULL DEFAULT '',
	due_date     TEXT NOT NULL DEFAULT '',
	status       TEXT NOT NULL,
	confidential INTEGER NOT NULL DEFAULT 0,
	channel      TEXT NOT NULL,
	created_at   TEXT NOT NULL,
	created_by   TEXT NOT NULL,
	updated_at   TEXT NOT NULL,
	closed_at    TEXT NOT NULL DEFAULT '',
	UNIQUE (tenant_id, category, year, num)
);
CREATE INDEX letters_tenant_arrival ON letters (tenant_id, arrival_date, seq);
CREATE INDEX letters_entity ON letters (tenant_id, entity_id, status);
CREATE INDEX letters_assignee ON letters (assignee_id, status);
CREATE INDEX letters_due ON letters (tenant_id, status, due_date);
CREATE TABLE letter_copies (
	letter_id TEXT NOT NULL REFERENCES letters(id),
	kind      TEXT NOT NULL,
	ref       TEXT NOT NULL,
	PRIMARY KEY (letter_id, kind, ref)
);
CREATE INDEX letter_copies_ref ON letter_copies (kind, ref);
CREATE TABLE documents (
	id         TEXT PRIMARY KEY,
	tenant_id  TEXT NOT NULL REFERENCES tenants(id),
	letter_id  TEXT NOT NULL REFERENCES letters(id),
	role       TEXT NOT NULL,
	name       TEXT NOT NULL,
	created_at TEXT NOT NULL,
	created_by TEXT NOT NULL
);
CREATE INDEX documents_letter ON documents (letter_id);
CREATE TABLE document_versions (
	document_id TEXT NOT NULL REFERENCES documents(id),
	version     INTEGER NOT NULL,
	sha256      TEXT NOT NULL,
	size        INTEGER NOT NULL,
	mime        TEXT NOT NULL,
	created_at  TEXT NOT NULL,
	created_by  TEXT NOT NULL,
	PRIMARY KEY (document_id, version)
);
CREATE TABLE notes (
	id         TEXT PRIMARY KEY,
	tenant_id  TEXT NOT NULL REFERENCES tenants(id),
	letter_id  TEXT NOT NULL REFERENCES letters(id),
	author_id  TEXT NOT NULL,
	text       TEXT NOT NULL,
	created_at TEXT NOT NULL
);
CREATE INDEX notes_letter ON notes (letter_id);
CREATE TABLE note_entities (
	note_id   TEXT NOT NULL REFERENCES notes(id),
	entity_id TEXT NOT NULL,
	PRIMARY KEY (note_id, entity_id)
);
CREATE TABLE letter_links (
	letter_id  TEXT NOT NULL REFERENCES letters(id),
	other_id   TEXT NOT NULL REFERENCES letters(id),
	created_at TEXT NOT NULL,
	created_by TEXT NOT NULL,
	PRIMARY KEY (letter_id, other_id)
);
CREATE TABLE history (
	seq       INTEGER PRIMARY KEY,
	tenant_id TEXT NOT NULL,
	at        TEXT NOT NULL,
	actor_id  TEXT NOT NULL,
	kind      TEXT NOT NULL,
	letter_id TEXT NOT NULL DEFAULT '',
	summary   TEXT NOT NULL,
	payload   TEXT NOT NULL,
	prev_hash TEXT NOT NULL,
	hash      TEXT NOT NULL
);
CREATE INDEX history_letter ON history (letter_id, seq);
-- Full text: one row per letter, rowid = letters.seq. remove_diacritics 2
-- makes "reponse" find "réponse" and the reverse.
CREATE VIRTUAL TABLE letters_fts USING fts5 (
	subject, body, notes, sender,
	tokenize = 'unicode61 remove_diacritics 2'
);
