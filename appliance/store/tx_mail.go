package store

import "missive/appliance/domain"

// Writes of the mail bridge's tables, for the Applier alone.

func (t MailTx) InsertMailAddress(m *domain.MailAddress) error {
	return t.exec(`INSERT INTO mail_addresses (address, tenant_id, entity_id, doctype_id, created_at) VALUES (?, ?, ?, ?, ?)`,
		MailKey(m.Address), m.TenantID, m.EntityID, m.DoctypeID, m.CreatedAt)
}

func (t MailTx) DeleteMailAddress(tenant, addr string) error {
	return t.exec(`DELETE FROM mail_addresses WHERE tenant_id = ? AND address = ?`, tenant, MailKey(addr))
}

// SetMailRelay replaces the tenant's relay.
func (t MailTx) SetMailRelay(m *domain.MailRelay) error {
	if err := t.exec(`DELETE FROM mail_relays WHERE tenant_id = ?`, m.TenantID); err != nil {
		return err
	}
	return t.exec(`INSERT INTO mail_relays (tenant_id, host, port, security, username, secret, from_address, from_name, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.TenantID, m.Host, m.Port, m.Security, m.Username, m.Secret, m.FromAddress, m.FromName, m.UpdatedAt)
}

func (t MailTx) InsertMailbox(m *domain.Mailbox) error {
	return t.exec(`INSERT INTO mail_mailboxes (`+mailboxCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.TenantID, m.Host, m.Port, m.Security, m.Auth, m.Username, m.Secret, m.Folder, m.DoneFolder, b2i(m.Disabled), m.CreatedAt, m.UpdatedAt)
}

func (t MailTx) InsertMailRule(m *domain.MailRule) error {
	return t.exec(`INSERT INTO mail_rules (id, tenant_id, position, recipient, keywords, entity_id, doctype_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.TenantID, m.Position, MailKey(m.Recipient), m.Keywords, m.EntityID, m.DoctypeID, m.CreatedAt)
}

// SetMailTemplate replaces the tenant's template for a mode.
func (t MailTx) SetMailTemplate(m *domain.MailTemplate) error {
	if err := t.exec(`DELETE FROM mail_templates WHERE tenant_id = ? AND mode = ?`, m.TenantID, m.Mode); err != nil {
		return err
	}
	return t.exec(`INSERT INTO mail_templates (tenant_id, mode, subject, body, updated_at) VALUES (?, ?, ?, ?, ?)`,
		m.TenantID, m.Mode, m.Subject, m.Body, m.UpdatedAt)
}

// InsertMailSeen fails on a key already seen: the primary key is the last
// line of defence of exactly-once intake.
func (t MailTx) InsertMailSeen(m *domain.MailSeen) error {
	return t.exec(`INSERT INTO mail_seen (`+mailSeenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.TenantID, m.Key, m.MessageID, m.LetterID, m.Kind, m.Source, m.FromAddress, m.Subject, m.NoAck, m.ReceivedAt)
}

func (t MailTx) InsertOutbox(o *domain.OutboxEntry) error {
	return t.exec(`INSERT INTO mail_outbox (`+outboxCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.ID, o.TenantID, o.LetterID, o.Kind, o.MessageID, o.MailFrom, MailKey(o.RcptTo), o.Subject, o.Content, o.Status, o.Attempts, o.NextTry, o.LastError, o.CreatedAt, o.SentAt)
}

// UpdateOutbox records the outcome of a send attempt.
func (t MailTx) UpdateOutbox(o *domain.OutboxEntry) error {
	return t.exec(`UPDATE mail_outbox SET status = ?, attempts = ?, next_try = ?, last_error = ?, sent_at = ? WHERE id = ?`,
		o.Status, o.Attempts, o.NextTry, o.LastError, o.SentAt, o.ID)
}

func (t MailTx) InsertMailNotice(m *domain.MailNotice) error {
	return t.exec(`INSERT INTO mail_notices (id, tenant_id, key, text, created_at) VALUES (?, ?, ?, ?, ?)`, m.ID, m.TenantID, m.Key, m.Text, m.CreatedAt)
}

func (t MailTx) SetMailAckPolicy(tenant, doctypeID, policy, at string) error {
	if err := t.exec(`DELETE FROM mail_ack_policies WHERE tenant_id = ? AND doctype_id = ?`, tenant, doctypeID); err != nil {
		return err
	}
	return t.exec(`INSERT INTO mail_ack_policies (tenant_id, doctype_id, policy, updated_at) VALUES (?, ?, ?, ?)`, tenant, doctypeID, policy, at)
}

// ReleaseOutbox fills a held message and queues it.
func (t MailTx) ReleaseOutbox(id, subject, content, at string) error {
	return t.exec(`UPDATE mail_outbox SET subject = ?, content = ?, status = 'queued', next_try = ? WHERE id = ? AND status = 'held'`, subject, content, at, id)
}
