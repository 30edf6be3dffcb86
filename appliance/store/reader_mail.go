package store

import (
	"context"
	"database/sql"
	"errors"
	"missive/appliance/domain"
	"strings"
)

// Mail bridge rows. Secrets (relay and mailbox passwords or tokens) are read
// by the bridge only; they never reach the API.

// MailKey is the form under which an address is unique.
func MailKey(addr string) string { return strings.ToLower(strings.TrimSpace(addr)) }

const mailAddressCols = `address, tenant_id, entity_id, doctype_id, created_at`

func scanMailAddress(sc interface{ Scan(...any) error }) (domain.MailAddress, error) {
	var m domain.MailAddress
	err := sc.Scan(&m.Address, &m.TenantID, &m.EntityID, &m.DoctypeID, &m.CreatedAt)
	return m, err
}

// domain.MailAddress finds the tenant an address delivers to.
func (r MailReader) MailAddress(ctx context.Context, addr string) (*domain.MailAddress, error) {
	m, err := scanMailAddress(r.queryRow(ctx, `SELECT `+mailAddressCols+` FROM mail_addresses WHERE address = ?`, MailKey(addr)))
	if err := notFound(err, "adresse "+addr); err != nil {
		return nil, err
	}
	return &m, nil
}

// MailAddresses lists a tenant's addresses ("" for every tenant).
func (r MailReader) MailAddresses(ctx context.Context, tenant string) ([]domain.MailAddress, error) {
	q, args := `SELECT `+mailAddressCols+` FROM mail_addresses`, []any{}
	if tenant != "" {
		q += ` WHERE tenant_id = ?`
		args = append(args, tenant)
	}
	rows, err := r.query(ctx, q+` ORDER BY address`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.MailAddress{}
	for rows.Next() {
		m, err := scanMailAddress(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (r MailReader) MailRelay(ctx context.Context, tenant string) (*domain.MailRelay, error) {
	var m domain.MailRelay
	err := r.queryRow(ctx, `SELECT tenant_id, host, port, security, username, secret, from_address, from_name, updated_at FROM mail_relays WHERE tenant_id = ?`, tenant).
		Scan(&m.TenantID, &m.Host, &m.Port, &m.Security, &m.Username, &m.Secret, &m.FromAddress, &m.FromName, &m.UpdatedAt)
	if err := notFound(err, "relais SMTP de "+tenant); err != nil {
		return nil, err
	}
	return &m, nil
}

const mailboxCols = `id, tenant_id, host, port, security, auth, username, secret, folder, done_folder, disabled, created_at, updated_at`

func scanMailbox(sc interface{ Scan(...any) error }) (domain.Mailbox, error) {
	var m domain.Mailbox
	err := sc.Scan(&m.ID, &m.TenantID, &m.Host, &m.Port, &m.Security, &m.Auth, &m.Username, &m.Secret, &m.Folder, &m.DoneFolder, &m.Disabled, &m.CreatedAt, &m.UpdatedAt)
	return m, err
}

func (r MailReader) Mailbox(ctx context.Context, id string) (*domain.Mailbox, error) {
	m, err := scanMailbox(r.queryRow(ctx, `SELECT `+mailboxCols+` FROM mail_mailboxes WHERE id = ?`, id))
	if err := notFound(err, "boîte aux lettres "+id); err != nil {
		return nil, err
	}
	return &m, nil
}

// Mailboxes lists a tenant's mailboxes ("" for every tenant).
func (r MailReader) Mailboxes(ctx context.Context, tenant string) ([]domain.Mailbox, error) {
	q, args := `SELECT `+mailboxCols+` FROM mail_mailboxes`, []any{}
	if tenant != "" {
		q += ` WHERE tenant_id = ?`
		args = append(args, tenant)
	}
	rows, err := r.query(ctx, q+` ORDER BY tenant_id, created_at, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.Mailbox{}
	for rows.Next() {
		m, err := scanMailbox(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (r MailReader) MailRules(ctx context.Context, tenant string) ([]domain.MailRule, error) {
	rows, err := r.query(ctx, `SELECT id, tenant_id, position, recipient, keywords, entity_id, doctype_id, created_at FROM mail_rules WHERE tenant_id = ? ORDER BY position, created_at, id`, tenant)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.MailRule{}
	for rows.Next() {
		var m domain.MailRule
		if err := rows.Scan(&m.ID, &m.TenantID, &m.Position, &m.Recipient, &m.Keywords, &m.EntityID, &m.DoctypeID, &m.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (r MailReader) MailTemplate(ctx context.Context, tenant, mode string) (*domain.MailTemplate, error) {
	var m domain.MailTemplate
	err := r.queryRow(ctx, `SELECT tenant_id, mode, subject, body, updated_at FROM mail_templates WHERE tenant_id = ? AND mode = ?`, tenant, mode).
		Scan(&m.TenantID, &m.Mode, &m.Subject, &m.Body, &m.UpdatedAt)
	if err := notFound(err, "modèle "+mode); err != nil {
		return nil, err
	}
	return &m, nil
}

const mailSeenCols = `tenant_id, key, message_id, letter_id, kind, source, from_address, subject, no_ack, received_at`

func scanMailSeen(sc interface{ Scan(...any) error }) (domain.MailSeen, error) {
	var m domain.MailSeen
	err := sc.Scan(&m.TenantID, &m.Key, &m.MessageID, &m.LetterID, &m.Kind, &m.Source, &m.FromAddress, &m.Subject, &m.NoAck, &m.ReceivedAt)
	return m, err
}

// domain.MailSeen reads the record of a message already taken in.
func (r MailReader) MailSeen(ctx context.Context, tenant, key string) (*domain.MailSeen, error) {
	m, err := scanMailSeen(r.queryRow(ctx, `SELECT `+mailSeenCols+` FROM mail_seen WHERE tenant_id = ? AND key = ?`, tenant, key))
	if err := notFound(err, "message "+key); err != nil {
		return nil, err
	}
	return &m, nil
}

// MailSeenForLetter lists the messages that made or joined a letter.
func (r MailReader) MailSeenForLetter(ctx context.Context, letterID string) ([]domain.MailSeen, error) {
	rows, err := r.query(ctx, `SELECT `+mailSeenCols+` FROM mail_seen WHERE letter_id = ? ORDER BY received_at, key`, letterID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.MailSeen{}
	for rows.Next() {
		m, err := scanMailSeen(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// CountMailSeen counts a tenant's messages taken in, by kind ("" for all).
func (r MailReader) CountMailSeen(ctx context.Context, tenant, kind string) (int, error) {
	q, args := `SELECT COUNT(*) FROM mail_seen WHERE tenant_id = ?`, []any{tenant}
	if kind != "" {
		q += ` AND kind = ?`
		args = append(args, kind)
	}
	var n int
	err := r.queryRow(ctx, q, args...).Scan(&n)
	return n, err
}

const outboxCols = `id, tenant_id, letter_id, kind, message_id, mail_from, rcpt_to, subject, content, status, attempts, next_try, last_error, created_at, sent_at`

func scanOutbox(sc interface{ Scan(...any) error }) (domain.OutboxEntry, error) {
	var o domain.OutboxEntry
	err := sc.Scan(&o.ID, &o.TenantID, &o.LetterID, &o.Kind, &o.MessageID, &o.MailFrom, &o.RcptTo, &o.Subject, &o.Content, &o.Status, &o.Attempts, &o.NextTry, &o.LastError, &o.CreatedAt, &o.SentAt)
	return o, err
}

func (r MailReader) outboxList(ctx context.Context, where string, args ...any) ([]domain.OutboxEntry, error) {
	rows, err := r.query(ctx, `SELECT `+outboxCols+` FROM mail_outbox WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.OutboxEntry{}
	for rows.Next() {
		o, err := scanOutbox(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func (r MailReader) OutboxEntry(ctx context.Context, id string) (*domain.OutboxEntry, error) {
	o, err := scanOutbox(r.queryRow(ctx, `SELECT `+outboxCols+` FROM mail_outbox WHERE id = ?`, id))
	if err := notFound(err, "message sortant "+id); err != nil {
		return nil, err
	}
	return &o, nil
}

// OutboxByMessageID finds one of our sent messages by its Message-ID
// (without angle brackets), to thread a reply or match a bounce.
func (r MailReader) OutboxByMessageID(ctx context.Context, tenant, messageID string) (*domain.OutboxEntry, error) {
	o, err := scanOutbox(r.queryRow(ctx, `SELECT `+outboxCols+` FROM mail_outbox WHERE tenant_id = ? AND message_id = ?`, tenant, messageID))
	if err := notFound(err, "message sortant "+messageID); err != nil {
		return nil, err
	}
	return &o, nil
}

// OutboxDue lists queued messages whose next try is due, oldest first, of
// tenants that have a relay (the others' messages wait for one).
func (r MailReader) OutboxDue(ctx context.Context, now string, limit int) ([]domain.OutboxEntry, error) {
	return r.outboxList(ctx, `status = 'queued' AND next_try <= ? AND tenant_id IN (SELECT tenant_id FROM mail_relays) ORDER BY next_try, created_at, id LIMIT ?`, now, limit)
}

// OutboxNext is the earliest next try of a queued message ("" if none).
func (r MailReader) OutboxNext(ctx context.Context) (string, error) {
	var s string
	err := r.queryRow(ctx, `SELECT COALESCE(MIN(next_try), '') FROM mail_outbox WHERE status = 'queued'`).Scan(&s)
	return s, err
}

// OutboxForLetter lists the messages sent (or to send) about a letter.
func (r MailReader) OutboxForLetter(ctx context.Context, letterID string) ([]domain.OutboxEntry, error) {
	return r.outboxList(ctx, `letter_id = ? ORDER BY created_at, id`, letterID)
}

// CountOutboxTo counts messages of a kind queued to an address since an
// instant, for the per-sender rate limit of acknowledgements.
func (r MailReader) CountOutboxTo(ctx context.Context, tenant, rcpt, kind, since string) (int, error) {
	var n int
	err := r.queryRow(ctx, `SELECT COUNT(*) FROM mail_outbox WHERE tenant_id = ? AND rcpt_to = ? AND kind = ? AND created_at >= ?`, tenant, MailKey(rcpt), kind, since).Scan(&n)
	return n, err
}

// CountOutboxSince counts messages of a kind queued by a tenant since an
// instant, to whomever: the tenant-wide cap of acknowledgements per hour.
func (r MailReader) CountOutboxSince(ctx context.Context, tenant, kind, since string) (int, error) {
	var n int
	err := r.queryRow(ctx, `SELECT COUNT(*) FROM mail_outbox WHERE tenant_id = ? AND kind = ? AND created_at >= ?`, tenant, kind, since).Scan(&n)
	return n, err
}

func (r MailReader) MailNotices(ctx context.Context, tenant string, limit int) ([]domain.MailNotice, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := r.query(ctx, `SELECT id, tenant_id, key, text, created_at FROM mail_notices WHERE tenant_id = ? ORDER BY created_at DESC, id LIMIT ?`, tenant, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.MailNotice{}
	for rows.Next() {
		var m domain.MailNotice
		if err := rows.Scan(&m.ID, &m.TenantID, &m.Key, &m.Text, &m.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// MailNoticeExists says whether a notice with this key was recorded.
func (r MailReader) MailNoticeExists(ctx context.Context, tenant, key string) (bool, error) {
	var n int
	err := r.queryRow(ctx, `SELECT COUNT(*) FROM mail_notices WHERE tenant_id = ? AND key = ?`, tenant, key).Scan(&n)
	return n > 0, err
}

// CountOutbox counts messages of a kind ("" for all) with a status ("" for
// all), every tenant together: for tests and health checks.
func (r MailReader) CountOutbox(ctx context.Context, kind, status string) (int, error) {
	q, args := `SELECT COUNT(*) FROM mail_outbox WHERE 1 = 1`, []any{}
	if kind != "" {
		q += ` AND kind = ?`
		args = append(args, kind)
	}
	if status != "" {
		q += ` AND status = ?`
		args = append(args, status)
	}
	var n int
	err := r.queryRow(ctx, q, args...).Scan(&n)
	return n, err
}

// domain.MailAckPolicy is when a doctype's letters are acknowledged: "auto",
// "qualified" or "never". It falls back to the tenant's default (doctype
// ""), then to "auto".
func (r MailReader) MailAckPolicy(ctx context.Context, tenant, doctypeID string) (string, error) {
	var p string
	err := r.queryRow(ctx, `SELECT policy FROM mail_ack_policies WHERE tenant_id = ? AND doctype_id IN (?, '') ORDER BY doctype_id DESC LIMIT 1`, tenant, doctypeID).Scan(&p)
	if errors.Is(err, sql.ErrNoRows) {
		return "auto", nil
	}
	return p, err
}

// OutboxHeld lists the messages held until they can be worded: the
// acknowledgements whose letter no longer waits for qualification, and
// the letters asking an incomplete request's pieces.
func (r MailReader) OutboxHeld(ctx context.Context, limit int) ([]domain.OutboxEntry, error) {
	return r.outboxList(ctx, `status = 'held' AND (kind = 'incomplete' OR EXISTS (SELECT 1 FROM letters l WHERE l.id = mail_outbox.letter_id AND l.status <> 'new'))
		ORDER BY created_at, id LIMIT ?`, limit)
}
