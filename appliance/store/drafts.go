package store

import (
	"context"
	"missive/appliance/domain"
)

// Reply draft templates: reads for everyone, writes for the Applier alone.

const draftTemplateCols = `id, tenant_id, name, format, entity_id, doctype_id, file_name, sha256, size, fields, created_at, created_by`

// DraftTemplates lists a tenant's templates, newest first.
func (r ReplyReader) DraftTemplates(ctx context.Context, tenant string) ([]domain.DraftTemplate, error) {
	rows, err := r.query(ctx, `SELECT `+draftTemplateCols+` FROM draft_templates WHERE tenant_id = ? ORDER BY created_at DESC, id`, tenant)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.DraftTemplate{}
	for rows.Next() {
		var t domain.DraftTemplate
		if err := rows.Scan(&t.ID, &t.TenantID, &t.Name, &t.Format, &t.EntityID, &t.DoctypeID, &t.FileName, &t.SHA256, &t.Size, &t.Fields, &t.CreatedAt, &t.CreatedBy); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// domain.DraftTemplate reads one template of the tenant.
func (r ReplyReader) DraftTemplate(ctx context.Context, tenant, id string) (*domain.DraftTemplate, error) {
	var t domain.DraftTemplate
	err := r.queryRow(ctx, `SELECT `+draftTemplateCols+` FROM draft_templates WHERE tenant_id = ? AND id = ?`, tenant, id).
		Scan(&t.ID, &t.TenantID, &t.Name, &t.Format, &t.EntityID, &t.DoctypeID, &t.FileName, &t.SHA256, &t.Size, &t.Fields, &t.CreatedAt, &t.CreatedBy)
	if err := notFound(err, "modèle "+id); err != nil {
		return nil, err
	}
	return &t, nil
}

func (t ReplyTx) InsertDraftTemplate(d *domain.DraftTemplate) error {
	return t.exec(`INSERT INTO draft_templates (`+draftTemplateCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.TenantID, d.Name, d.Format, d.EntityID, d.DoctypeID, d.FileName, d.SHA256, d.Size, d.Fields, d.CreatedAt, d.CreatedBy)
}

func (t ReplyTx) DeleteDraftTemplate(tenant, id string) error {
	return t.exec(`DELETE FROM draft_templates WHERE tenant_id = ? AND id = ?`, tenant, id)
}
