package store

import (
	"context"
	"missive/appliance/domain"
)

// The administrator's side of the mail bridge's tables: removals, and the
// lists the admin page shows.

func (t MailTx) DeleteMailbox(tenant, id string) error {
	return t.exec(`DELETE FROM mail_mailboxes WHERE tenant_id = ? AND id = ?`, tenant, id)
}

func (t MailTx) DeleteMailRule(tenant, id string) error {
	return t.exec(`DELETE FROM mail_rules WHERE tenant_id = ? AND id = ?`, tenant, id)
}

// MailTemplates lists the templates a tenant has worded.
func (r MailReader) MailTemplates(ctx context.Context, tenant string) ([]domain.MailTemplate, error) {
	rows, err := r.query(ctx, `SELECT tenant_id, mode, subject, body, updated_at FROM mail_templates WHERE tenant_id = ? ORDER BY mode`, tenant)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.MailTemplate{}
	for rows.Next() {
		var m domain.MailTemplate
		if err := rows.Scan(&m.TenantID, &m.Mode, &m.Subject, &m.Body, &m.UpdatedAt); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// MailAckPolicies lists a tenant's acknowledgement policies.
func (r MailReader) MailAckPolicies(ctx context.Context, tenant string) ([]domain.MailAckPolicy, error) {
	rows, err := r.query(ctx, `SELECT doctype_id, policy FROM mail_ack_policies WHERE tenant_id = ? ORDER BY doctype_id`, tenant)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.MailAckPolicy{}
	for rows.Next() {
		var m domain.MailAckPolicy
		if err := rows.Scan(&m.DoctypeID, &m.Policy); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
