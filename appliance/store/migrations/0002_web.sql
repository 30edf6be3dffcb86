-- Web UI: each tenant's session signing key, the per-user session epoch
-- that ends every session of a user at once, basket definitions per role,
-- saved searches, followed letters, and the keys that make a registration
-- form submitted twice one letter. TEXT and INTEGER only, as in 0001, so
-- that the logical snapshot stays dialect-free.
CREATE TABLE web_keys (
	tenant_id  TEXT PRIMARY KEY REFERENCES tenants(id),
	secret     TEXT NOT NULL,
	created_at TEXT NOT NULL
);
CREATE TABLE web_session_epochs (
	user_id    TEXT PRIMARY KEY REFERENCES users(id),
	tenant_id  TEXT NOT NULL REFERENCES tenants(id),
	epoch      INTEGER NOT NULL,
	updated_at TEXT NOT NULL
);
-- A role without rows uses the built-in baskets. filter is the JSON of a
-- typed appliance.BasketFilter, never SQL; actions are space-separated names.
CREATE TABLE web_baskets (
	tenant_id  TEXT NOT NULL REFERENCES tenants(id),
	role       TEXT NOT NULL,
	id         TEXT NOT NULL,
	position   INTEGER NOT NULL,
	label      TEXT NOT NULL,
	filter     TEXT NOT NULL,
	actions    TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	PRIMARY KEY (tenant_id, role, id)
);
CREATE TABLE web_saved_searches (
	id         TEXT PRIMARY KEY,
	tenant_id  TEXT NOT NULL REFERENCES tenants(id),
	user_id    TEXT NOT NULL REFERENCES users(id),
	name       TEXT NOT NULL,
	query      TEXT NOT NULL,
	created_at TEXT NOT NULL,
	UNIQUE (user_id, name)
);
CREATE TABLE web_follows (
	user_id    TEXT NOT NULL REFERENCES users(id),
	letter_id  TEXT NOT NULL REFERENCES letters(id),
	tenant_id  TEXT NOT NULL REFERENCES tenants(id),
	created_at TEXT NOT NULL,
	PRIMARY KEY (user_id, letter_id)
);
CREATE TABLE web_submissions (
	tenant_id  TEXT NOT NULL REFERENCES tenants(id),
	key        TEXT NOT NULL,
	letter_id  TEXT NOT NULL REFERENCES letters(id),
	created_at TEXT NOT NULL,
	PRIMARY KEY (tenant_id, key)
);
-- The pages count and list letters by status, entity and arrival under a
-- user's perimeter: these indexes carry the perimeter's columns (and the id
-- its copies test joins on) so that a basket's count reads the index
-- alone, not 100,000 rows.
CREATE INDEX letters_web_status ON letters (tenant_id, status, due_date, confidential, entity_id, assignee_id, id);
CREATE INDEX letters_web_entity ON letters (tenant_id, entity_id, status, confidential, assignee_id, id);
CREATE INDEX letters_web_arrival ON letters (tenant_id, arrival_date, confidential, entity_id, assignee_id, id);
