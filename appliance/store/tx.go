package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"missive/appliance/domain"
)

// Tx is one applied command's transaction. Its write methods are for the
// Applier alone: nothing else writes to the store (DESIGN.md, rule 1).
// They are split by aggregate, one embedded writer each, as the reads are
// (Reader), so that an apply function that writes one aggregate may hold
// only its writer.
type Tx struct {
	*wt
	KernelTx
	OrgTx
	LetterTx
	PrefsTx
	MailTx
	DavTx
	GEDTx
	ReplyTx
	SiteTx
	BackupTx
}

// The writers of each aggregate; each also reads, inside the transaction.
type (
	// KernelTx writes the history chain, idempotency keys and the meta table.
	KernelTx struct{ *wt }
	// OrgTx writes tenants, entities, users, tokens, web sessions, contacts, doctypes.
	OrgTx struct{ *wt }
	// LetterTx writes letters, their copies, notes, documents, links, pieces and search index.
	LetterTx struct{ *wt }
	// PrefsTx writes baskets, saved searches and follows.
	PrefsTx struct{ *wt }
	// MailTx writes mail settings, seen messages and the outbox.
	MailTx struct{ *wt }
	// DavTx writes the WebDAV share's nodes, properties and locks.
	DavTx struct{ *wt }
	// GEDTx writes the GED target, its exports and the OnlyOffice server.
	GEDTx struct{ *wt }
	// ReplyTx writes the reply templates.
	ReplyTx struct{ *wt }
	// SiteTx writes the cluster's members, join tokens and TLS assets.
	SiteTx struct{ *wt }
	// BackupTx writes the backup runs.
	BackupTx struct{ *wt }
)

// wt is what every aggregate's writer shares: the transaction, and the
// reads inside it.
type wt struct {
	Reader
	ctx context.Context
	tx  *sql.Tx
}

// newTx makes the writers of every aggregate on one transaction.
func newTx(ctx context.Context, sqlTx *sql.Tx, r Reader) *Tx {
	w := &wt{Reader: r, ctx: ctx, tx: sqlTx}
	return &Tx{wt: w, KernelTx: KernelTx{w}, OrgTx: OrgTx{w}, LetterTx: LetterTx{w}, PrefsTx: PrefsTx{w}, MailTx: MailTx{w},
		DavTx: DavTx{w}, GEDTx: GEDTx{w}, ReplyTx: ReplyTx{w}, SiteTx: SiteTx{w}, BackupTx: BackupTx{w}}
}

// ErrApplied means the raft entry was already applied before a restart.
var ErrApplied = errors.New("entry already applied")

// AppliedIndex is the last raft index applied to this store.
func (s *Store) AppliedIndex(ctx context.Context) (uint64, error) {
	v, err := s.Reader().Meta(ctx, "applied_index")
	if err != nil || v == "" {
		return 0, err
	}
	return strconv.ParseUint(v, 10, 64)
}

// Reader reads from the read pool (DESIGN.md, "Reads").
func (s *Store) Reader() Reader { return newReader(rd{q: s.rdb, d: s.dialect, stmts: s.rstmts}) }

// Update runs fn in one transaction for the raft entry at index and records
// the index with it, so that an entry replayed after a restart is skipped
// (ErrApplied) instead of applied twice.
func (s *Store) Update(ctx context.Context, index uint64, fn func(*Tx) error) error {
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := newTx(ctx, sqlTx, newReader(rd{q: sqlTx, d: s.dialect, stmts: s.wstmts, tx: sqlTx}))
	if index > 0 {
		v, err := tx.Meta(ctx, "applied_index")
		if err != nil {
			sqlTx.Rollback()
			return err
		}
		if last, _ := strconv.ParseUint(v, 10, 64); v != "" && index <= last {
			sqlTx.Rollback()
			return ErrApplied
		}
	}
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		return err
	}
	if index > 0 {
		if err := tx.SetMeta("applied_index", strconv.FormatUint(index, 10)); err != nil {
			sqlTx.Rollback()
			return err
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (t *wt) exec(q string, args ...any) error {
	if st := t.prepared(t.ctx, q); st != nil {
		_, err := st.ExecContext(t.ctx, args...)
		return err
	}
	_, err := t.tx.ExecContext(t.ctx, t.d.rebind(q), args...)
	return err
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (t KernelTx) SetMeta(key, value string) error {
	if err := t.exec(`DELETE FROM meta WHERE key = ?`, key); err != nil {
		return err
	}
	return t.exec(`INSERT INTO meta (key, value) VALUES (?, ?)`, key, value)
}

func (t OrgTx) InsertTenant(x *domain.Tenant) error {
	return t.exec(`INSERT INTO tenants (id, name, alsace_moselle, address, phone, email, website, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		x.ID, x.Name, b2i(x.AlsaceMoselle), x.Address, x.Phone, x.Email, x.Website, x.CreatedAt)
}

// UpdateTenant rewrites what an administrator may change of a tenant:
// everything but its id and creation time.
func (t OrgTx) UpdateTenant(x *domain.Tenant) error {
	return t.exec(`UPDATE tenants SET name = ?, alsace_moselle = ?, address = ?, phone = ?, email = ?, website = ? WHERE id = ?`,
		x.Name, b2i(x.AlsaceMoselle), x.Address, x.Phone, x.Email, x.Website, x.ID)
}

func (t OrgTx) InsertEntity(tenant string, e *domain.Entity) error {
	return t.exec(`INSERT INTO entities (id, tenant_id, parent_id, code, name, email, address, phone, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, tenant, e.ParentID, e.Code, e.Name, e.Email, e.Address, e.Phone, e.CreatedAt)
}

func (t OrgTx) UpdateEntity(tenant string, e *domain.Entity) error {
	return t.exec(`UPDATE entities SET parent_id = ?, code = ?, name = ?, email = ?, address = ?, phone = ? WHERE tenant_id = ? AND id = ?`,
		e.ParentID, e.Code, e.Name, e.Email, e.Address, e.Phone, tenant, e.ID)
}

func (t OrgTx) InsertUser(tenant string, u *domain.User, at string) error {
	if err := t.exec(`INSERT INTO users (id, tenant_id, login, name, email, role, password_hash, disabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, tenant, u.Login, u.Name, u.Email, string(u.Role), u.PasswordHash, b2i(u.Disabled), at, at); err != nil {
		return err
	}
	return t.SetMemberships(u.ID, u.Entities)
}

func (t OrgTx) UpdateUser(tenant string, u *domain.User, at string) error {
	if err := t.exec(`UPDATE users SET name = ?, email = ?, role = ?, disabled = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
		u.Name, u.Email, string(u.Role), b2i(u.Disabled), at, tenant, u.ID); err != nil {
		return err
	}
	return t.SetMemberships(u.ID, u.Entities)
}

func (t OrgTx) SetMemberships(userID string, ms []domain.Membership) error {
	if err := t.exec(`DELETE FROM user_entities WHERE user_id = ?`, userID); err != nil {
		return err
	}
	for _, m := range ms {
		if err := t.exec(`INSERT INTO user_entities (user_id, entity_id, manager) VALUES (?, ?, ?)`, userID, m.EntityID, b2i(m.Manager)); err != nil {
			return err
		}
	}
	return nil
}

func (t OrgTx) SetPassword(tenant, userID, hash, at string) error {
	return t.exec(`UPDATE users SET password_hash = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`, hash, at, tenant, userID)
}

func (t OrgTx) InsertToken(tenant, id, userID, name, hash, createdAt, expiresAt string) error {
	return t.exec(`INSERT INTO tokens (id, tenant_id, user_id, name, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		id, tenant, userID, name, hash, createdAt, expiresAt)
}

// RevokeToken ends one API token.
func (t OrgTx) RevokeToken(tenant, id string) error {
	return t.exec(`UPDATE tokens SET revoked = 1 WHERE tenant_id = ? AND id = ?`, tenant, id)
}

// RevokeUserTokens ends every API token of a user.
func (t OrgTx) RevokeUserTokens(tenant, userID string) error {
	return t.exec(`UPDATE tokens SET revoked = 1 WHERE tenant_id = ? AND user_id = ? AND revoked = 0`, tenant, userID)
}

func (t OrgTx) InsertContact(tenant string, c *domain.Contact) error {
	return t.exec(`INSERT INTO contacts (id, tenant_id, kind, civility, first_name, last_name, organization, email, email_key, phone, address, postcode, city, country, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, tenant, string(c.Kind), c.Civility, c.FirstName, c.LastName, c.Organization, c.Email, nullIfEmpty(EmailKey(c.Email)),
		c.Phone, c.Address, c.Postcode, c.City, c.Country, c.CreatedAt, c.CreatedAt)
}

func (t OrgTx) InsertDoctype(tenant string, d *domain.Doctype) error {
	return t.exec(`INSERT INTO doctypes (id, tenant_id, code, label, delay_days, delay_unit, remind_before, remind_after, mode, retention_years, final_disposition, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, tenant, d.Code, d.Label, d.DelayDays, string(d.DelayUnit), d.RemindBefore, d.RemindAfter, string(d.Mode), d.RetentionYears, string(d.FinalDisposition), d.CreatedAt)
}

// UpdateDoctype rewrites what an admin may change of a doctype: everything
// but its id, tenant, code and creation time.
func (t OrgTx) UpdateDoctype(tenant string, d *domain.Doctype) error {
	return t.exec(`UPDATE doctypes SET label = ?, delay_days = ?, delay_unit = ?, remind_before = ?, remind_after = ?, mode = ?, retention_years = ?, final_disposition = ?
		WHERE tenant_id = ? AND id = ?`,
		d.Label, d.DelayDays, string(d.DelayUnit), d.RemindBefore, d.RemindAfter, string(d.Mode), d.RetentionYears, string(d.FinalDisposition), tenant, d.ID)
}

// InsertLetter writes a new letter with the sequence Apply computed.
func (t LetterTx) InsertLetter(tenant string, year, num int, l *domain.Letter) error {
	var seq int64
	if err := t.queryRow(`SELECT COALESCE(MAX(seq), 0) + 1 FROM letters`).Scan(&seq); err != nil {
		return err
	}
	if err := t.exec(`INSERT INTO letters (seq, id, tenant_id, category, year, num, number, subject, body, letter_date, arrival_date, priority,
		sender_id, recipient_id, entity_id, assignee_id, doctype_id, due_date, status, confidential, channel, created_at, created_by, updated_at, closed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		seq, l.ID, tenant, string(l.Category), year, num, l.Number, l.Subject, l.Body, l.LetterDate, l.ArrivalDate, string(l.Priority),
		l.SenderID, l.RecipientID, l.EntityID, l.AssigneeID, l.DoctypeID, l.DueDate, string(l.Status), b2i(l.Confidential), string(l.Channel),
		l.CreatedAt, l.CreatedBy, l.UpdatedAt, l.ClosedAt); err != nil {
		return err
	}
	return t.SetCopies(l.ID, l.Copies)
}

func (t *wt) queryRow(q string, args ...any) *sql.Row {
	return t.Reader.queryRow(t.ctx, q, args...)
}

// UpdateLetter rewrites the mutable fields of a letter (not its number).
func (t LetterTx) UpdateLetter(l *domain.Letter) error {
	if err := t.exec(`UPDATE letters SET subject = ?, body = ?, letter_date = ?, arrival_date = ?, priority = ?, sender_id = ?, recipient_id = ?,
		entity_id = ?, assignee_id = ?, doctype_id = ?, due_date = ?, status = ?, confidential = ?, channel = ?, updated_at = ?, closed_at = ? WHERE id = ?`,
		l.Subject, l.Body, l.LetterDate, l.ArrivalDate, string(l.Priority), l.SenderID, l.RecipientID,
		l.EntityID, l.AssigneeID, l.DoctypeID, l.DueDate, string(l.Status), b2i(l.Confidential), string(l.Channel), l.UpdatedAt, l.ClosedAt, l.ID); err != nil {
		return err
	}
	return t.SetCopies(l.ID, l.Copies)
}

func (t LetterTx) SetCopies(letterID string, cs []domain.Copy) error {
	if err := t.exec(`DELETE FROM letter_copies WHERE letter_id = ?`, letterID); err != nil {
		return err
	}
	for _, c := range cs {
		if err := t.exec(`INSERT INTO letter_copies (letter_id, kind, ref) VALUES (?, ?, ?)`, letterID, c.Kind, c.Ref); err != nil {
			return err
		}
	}
	return nil
}

func (t LetterTx) InsertNote(tenant string, n *domain.Note) error {
	if err := t.exec(`INSERT INTO notes (id, tenant_id, letter_id, author_id, text, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		n.ID, tenant, n.LetterID, n.AuthorID, n.Text, n.CreatedAt); err != nil {
		return err
	}
	for _, e := range n.Entities {
		if err := t.exec(`INSERT INTO note_entities (note_id, entity_id) VALUES (?, ?)`, n.ID, e); err != nil {
			return err
		}
	}
	return nil
}

func (t LetterTx) InsertDocument(tenant string, d *domain.Document) error {
	return t.exec(`INSERT INTO documents (id, tenant_id, letter_id, role, name, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		d.ID, tenant, d.LetterID, string(d.Role), d.Name, d.CreatedAt, d.CreatedBy)
}

func (t LetterTx) InsertVersion(documentID string, v *domain.Version) error {
	return t.exec(`INSERT INTO document_versions (document_id, version, sha256, size, mime, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		documentID, v.Version, v.SHA256, v.Size, v.MIME, v.CreatedAt, v.CreatedBy)
}

func (t LetterTx) InsertLink(a, b, at, by string) error {
	return t.exec(`INSERT INTO letter_links (letter_id, other_id, created_at, created_by) VALUES (?, ?, ?, ?)`, a, b, at, by)
}

// LastHistory is the newest history entry's sequence and hash ("" when empty).
func (r KernelReader) LastHistory(ctx context.Context) (int64, string, error) {
	var seq int64
	var hash string
	err := r.queryRow(ctx, `SELECT seq, hash FROM history ORDER BY seq DESC LIMIT 1`).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	return seq, hash, err
}

func (t KernelTx) InsertHistory(h *domain.HistoryEntry) error {
	return t.exec(`INSERT INTO history (seq, tenant_id, at, actor_id, kind, letter_id, summary, payload, prev_hash, hash, digest, sig) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		h.Seq, h.TenantID, h.At, h.ActorID, h.Kind, h.LetterID, h.Summary, h.Payload, h.PrevHash, h.Hash, h.Digest, h.Sig)
}

// IndexLetter rewrites the full-text entry of a letter from its subject,
// number, body, public notes and sender name.
func (t LetterTx) IndexLetter(letterID string) error {
	var seq int64
	var subject, number, body string
	var sender domain.Contact
	err := t.queryRow(`SELECT l.seq, l.subject, l.number, l.body, COALESCE(s.first_name, ''), COALESCE(s.last_name, ''), COALESCE(s.organization, ''), COALESCE(s.email, '')
		FROM letters l LEFT JOIN contacts s ON s.id = l.sender_id WHERE l.id = ?`, letterID).
		Scan(&seq, &subject, &number, &body, &sender.FirstName, &sender.LastName, &sender.Organization, &sender.Email)
	if err != nil {
		return fmt.Errorf("index letter %s: %w", letterID, err)
	}
	// Restricted notes stay out of the index: a search must not reveal
	// words of a note the searcher may not read.
	rows, err := t.query(t.ctx, `SELECT n.text FROM notes n WHERE n.letter_id = ? AND NOT EXISTS (SELECT 1 FROM note_entities x WHERE x.note_id = n.id) ORDER BY n.created_at`, letterID)
	if err != nil {
		return err
	}
	var notes []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return err
		}
		notes = append(notes, s)
	}
	rows.Close()
	senderText := sender.DisplayName() + " " + sender.Email
	subjectText := subject + " " + number
	noteText := strings.Join(notes, "\n")
	switch t.d.(type) {
	case postgresDialect:
		return t.exec(`UPDATE letters SET tsv = setweight(to_tsvector('french', ?), 'A') || to_tsvector('french', ?) || to_tsvector('french', ?) || setweight(to_tsvector('french', ?), 'B') WHERE seq = ?`,
			indexText(subjectText), indexText(body), indexText(noteText), indexText(senderText), seq)
	default:
		if err := t.exec(`DELETE FROM letters_fts WHERE rowid = ?`, seq); err != nil {
			return err
		}
		// Folded like PostgreSQL's, so that "oeuvre" finds "Œuvre" here too
		// (unicode61 strips accents but keeps ligatures).
		return t.exec(`INSERT INTO letters_fts (rowid, subject, body, notes, sender) VALUES (?, ?, ?, ?, ?)`, seq,
			indexText(subjectText), indexText(body), indexText(noteText), indexText(senderText))
	}
}

// EachHistory calls fn for every history entry in order until fn returns false.
func (r KernelReader) EachHistory(ctx context.Context, fn func(*domain.HistoryEntry) bool) error {
	rows, err := r.query(ctx, `SELECT seq, tenant_id, at, actor_id, kind, letter_id, summary, payload, prev_hash, hash, digest, sig FROM history ORDER BY seq`)
	if err != nil {
		return fmt.Errorf("read history: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h domain.HistoryEntry
		if err := rows.Scan(&h.Seq, &h.TenantID, &h.At, &h.ActorID, &h.Kind, &h.LetterID, &h.Summary, &h.Payload, &h.PrevHash, &h.Hash, &h.Digest, &h.Sig); err != nil {
			return fmt.Errorf("read history: %w", err)
		}
		if !fn(&h) {
			return nil
		}
	}
	return rows.Err()
}

// History lists the entries of one letter (or of the tenant when letterID
// is ""), newest last, paginated.
func (r KernelReader) History(ctx context.Context, tenant, letterID string, limit, offset int) ([]domain.HistoryEntry, error) {
	q := `SELECT seq, tenant_id, at, actor_id, kind, letter_id, summary, payload, prev_hash, hash, digest, sig FROM history WHERE tenant_id = ?`
	args := []any{tenant}
	if letterID != "" {
		q += ` AND letter_id = ?`
		args = append(args, letterID)
	}
	if limit <= 0 {
		limit = 200
	}
	args = append(args, limit, offset)
	rows, err := r.query(ctx, q+` ORDER BY seq LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.HistoryEntry{}
	for rows.Next() {
		var h domain.HistoryEntry
		if err := rows.Scan(&h.Seq, &h.TenantID, &h.At, &h.ActorID, &h.Kind, &h.LetterID, &h.Summary, &h.Payload, &h.PrevHash, &h.Hash, &h.Digest, &h.Sig); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}
