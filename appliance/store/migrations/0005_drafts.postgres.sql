-- Reply draft templates (ODT, DOCX) of a tenant, optionally for one entity
-- and/or one doctype; the file itself is a blob named by sha256. TEXT and
-- INTEGER only, as in 0001, so the logical snapshot stays dialect-free.
CREATE TABLE draft_templates (
	id         TEXT PRIMARY KEY,
	tenant_id  TEXT NOT NULL REFERENCES tenants(id),
	name       TEXT NOT NULL,
	format     TEXT NOT NULL,
	entity_id  TEXT NOT NULL DEFAULT '',
	doctype_id TEXT NOT NULL DEFAULT '',
	file_name  TEXT NOT NULL,
	sha256     TEXT NOT NULL,
	size       BIGINT NOT NULL,
	fields     TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	created_by TEXT NOT NULL
);
CREATE INDEX draft_templates_tenant ON draft_templates (tenant_id, entity_id, doctype_id);
