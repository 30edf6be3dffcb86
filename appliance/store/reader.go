package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"missive/appliance/domain"
)

type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Reader holds the reads, one embedded reader per aggregate, so that a
// caller that reads one aggregate may hold only its reader. The Store
// reads from its read pool, a Tx from inside the transaction, so that
// Apply sees its own writes.
type Reader struct {
	rd
	KernelReader
	OrgReader
	LetterReader
	PrefsReader
	MailReader
	DavReader
	GEDReader
	ReplyReader
	SiteReader
	BackupReader
}

// The readers of each aggregate.
type (
	// KernelReader reads what the write path needs: the history chain,
	// idempotency keys, the meta table.
	KernelReader struct{ rd }
	// OrgReader reads the organisation: tenants, entities, users, tokens,
	// web sessions, contacts, doctypes.
	OrgReader struct{ rd }
	// LetterReader reads the register: letters, documents, notes, links,
	// pieces requests, their rows for digests and snapshots.
	LetterReader struct{ rd }
	// PrefsReader reads a user's baskets, saved searches and follows.
	PrefsReader struct{ rd }
	// MailReader reads mail settings, seen messages and the outbox.
	MailReader struct{ rd }
	// DavReader reads the WebDAV share: spaces, nodes, properties, locks.
	DavReader struct{ rd }
	// GEDReader reads the GED target, its exports and the OnlyOffice server.
	GEDReader struct{ rd }
	// ReplyReader reads the reply templates.
	ReplyReader struct{ rd }
	// SiteReader reads the cluster's members, join tokens and TLS assets.
	SiteReader struct{ rd }
	// BackupReader reads the backup runs.
	BackupReader struct{ rd }
)

// newReader makes the reader of every aggregate on one connection.
func newReader(b rd) Reader {
	return Reader{rd: b, KernelReader: KernelReader{b}, OrgReader: OrgReader{b}, LetterReader: LetterReader{b},
		PrefsReader: PrefsReader{b}, MailReader: MailReader{b}, DavReader: DavReader{b}, GEDReader: GEDReader{b},
		ReplyReader: ReplyReader{b}, SiteReader: SiteReader{b}, BackupReader: BackupReader{b}}
}

// rd is what every aggregate's reader shares: the connection and how to
// run a statement on it.
type rd struct {
	q querier
	d dialect
	// stmts are the statements prepared on the pool q is (or that tx
	// belongs to); nil for one-off readers (a snapshot's transaction),
	// which run their text.
	stmts *stmtCache
	tx    *sql.Tx
}

func (r rd) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if st := r.prepared(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return r.q.QueryRowContext(ctx, r.d.rebind(q), args...)
}

func (r rd) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := r.prepared(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return r.q.QueryContext(ctx, r.d.rebind(q), args...)
}

func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	return nil
}

// Meta reads one key of the meta table; "" when absent.
func (r rd) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := r.queryRow(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// --- tenants -----------------------------------------------------------------

const tenantCols = `id, name, alsace_moselle, address, phone, email, website, created_at`

func scanTenant(sc interface{ Scan(...any) error }) (domain.Tenant, error) {
	var t domain.Tenant
	err := sc.Scan(&t.ID, &t.Name, &t.AlsaceMoselle, &t.Address, &t.Phone, &t.Email, &t.Website, &t.CreatedAt)
	return t, err
}

func (r OrgReader) Tenant(ctx context.Context, id string) (*domain.Tenant, error) {
	t, err := scanTenant(r.queryRow(ctx, `SELECT `+tenantCols+` FROM tenants WHERE id = ?`, id))
	if err := notFound(err, "commune "+id); err != nil {
		return nil, err
	}
	return &t, nil
}

func (r OrgReader) Tenants(ctx context.Context) ([]domain.Tenant, error) {
	rows, err := r.query(ctx, `SELECT `+tenantCols+` FROM tenants ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.Tenant
	for rows.Next() {
		t, err := scanTenant(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// --- entities ----------------------------------------------------------------

const entityCols = `id, parent_id, code, name, email, address, phone, created_at`

func scanEntity(sc interface{ Scan(...any) error }) (domain.Entity, error) {
	var e domain.Entity
	err := sc.Scan(&e.ID, &e.ParentID, &e.Code, &e.Name, &e.Email, &e.Address, &e.Phone, &e.CreatedAt)
	return e, err
}

func (r OrgReader) Entity(ctx context.Context, tenant, id string) (*domain.Entity, error) {
	e, err := scanEntity(r.queryRow(ctx, `SELECT `+entityCols+` FROM entities WHERE tenant_id = ? AND id = ?`, tenant, id))
	if err := notFound(err, "entité "+id); err != nil {
		return nil, err
	}
	return &e, nil
}

func (r OrgReader) EntityByCode(ctx context.Context, tenant, code string) (*domain.Entity, error) {
	e, err := scanEntity(r.queryRow(ctx, `SELECT `+entityCols+` FROM entities WHERE tenant_id = ? AND code = ?`, tenant, code))
	if err := notFound(err, "entité "+code); err != nil {
		return nil, err
	}
	return &e, nil
}

// Entities lists the tenant's entity tree, parents before children is not
// guaranteed: callers build the tree from ParentID.
func (r OrgReader) Entities(ctx context.Context, tenant string) ([]domain.Entity, error) {
	rows, err := r.query(ctx, `SELECT `+entityCols+` FROM entities WHERE tenant_id = ? ORDER BY name, id`, tenant)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.Entity
	for rows.Next() {
		e, err := scanEntity(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// --- users -------------------------------------------------------------------

const userCols = `id, login, name, email, role, disabled, created_at, password_hash`

func scanUser(sc interface{ Scan(...any) error }) (domain.User, error) {
	var u domain.User
	err := sc.Scan(&u.ID, &u.Login, &u.Name, &u.Email, &u.Role, &u.Disabled, &u.CreatedAt, &u.PasswordHash)
	return u, err
}

func (r OrgReader) memberships(ctx context.Context, u *domain.User) error {
	rows, err := r.query(ctx, `SELECT entity_id, manager FROM user_entities WHERE user_id = ? ORDER BY entity_id`, u.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	u.Entities = []domain.Membership{}
	for rows.Next() {
		var m domain.Membership
		if err := rows.Scan(&m.EntityID, &m.Manager); err != nil {
			return err
		}
		u.Entities = append(u.Entities, m)
	}
	return rows.Err()
}

func (r OrgReader) User(ctx context.Context, tenant, id string) (*domain.User, error) {
	u, err := scanUser(r.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE tenant_id = ? AND id = ?`, tenant, id))
	if err := notFound(err, "utilisateur "+id); err != nil {
		return nil, err
	}
	return &u, r.memberships(ctx, &u)
}

func (r OrgReader) UserByLogin(ctx context.Context, tenant, login string) (*domain.User, error) {
	u, err := scanUser(r.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE tenant_id = ? AND login = ?`, tenant, login))
	if err := notFound(err, "utilisateur "+login); err != nil {
		return nil, err
	}
	return &u, r.memberships(ctx, &u)
}

func (r OrgReader) Users(ctx context.Context, tenant string) ([]domain.User, error) {
	rows, err := r.query(ctx, `SELECT `+userCols+` FROM users WHERE tenant_id = ? ORDER BY login`, tenant)
	if err != nil {
		return nil, err
	}
	var out []domain.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := r.memberships(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// TokenOwner finds the live token with this hash and returns its tenant and user.
func (r OrgReader) TokenOwner(ctx context.Context, hash, now string) (tenant, userID string, err error) {
	err = r.queryRow(ctx, `SELECT tenant_id, user_id FROM tokens WHERE hash = ? AND revoked = 0 AND (expires_at = '' OR expires_at > ?)`, hash, now).
		Scan(&tenant, &userID)
	return tenant, userID, notFound(err, "jeton")
}

const tokenCols = `t.id, t.user_id, u.login, t.name, t.created_at, t.expires_at, t.revoked`

func scanToken(sc interface{ Scan(...any) error }) (domain.Token, error) {
	var t domain.Token
	var revoked int
	err := sc.Scan(&t.ID, &t.UserID, &t.UserLogin, &t.Name, &t.CreatedAt, &t.ExpiresAt, &revoked)
	t.Revoked = revoked != 0
	return t, err
}

// Tokens lists the API tokens of a user of the tenant, or of every user
// when userID is "", newest first.
func (r OrgReader) Tokens(ctx context.Context, tenant, userID string) ([]domain.Token, error) {
	q := `SELECT ` + tokenCols + ` FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.tenant_id = ?`
	args := []any{tenant}
	if userID != "" {
		q += ` AND t.user_id = ?`
		args = append(args, userID)
	}
	rows, err := r.query(ctx, q+` ORDER BY t.created_at DESC, t.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Token reads one API token of the tenant.
func (r OrgReader) Token(ctx context.Context, tenant, id string) (*domain.Token, error) {
	t, err := scanToken(r.queryRow(ctx, `SELECT `+tokenCols+` FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.tenant_id = ? AND t.id = ?`, tenant, id))
	if err := notFound(err, "jeton "+id); err != nil {
		return nil, err
	}
	return &t, nil
}

// --- contacts ----------------------------------------------------------------

const contactCols = `id, kind, civility, first_name, last_name, organization, email, phone, address, postcode, city, country, created_at`

// contactColsC is contactCols of the contacts table aliased c.
const contactColsC = `c.id, c.kind, c.civility, c.first_name, c.last_name, c.organization, c.email, c.phone, c.address, c.postcode, c.city, c.country, c.created_at`

func scanContact(sc interface{ Scan(...any) error }) (domain.Contact, error) {
	var c domain.Contact
	err := sc.Scan(&c.ID, &c.Kind, &c.Civility, &c.FirstName, &c.LastName, &c.Organization, &c.Email, &c.Phone, &c.Address, &c.Postcode, &c.City, &c.Country, &c.CreatedAt)
	return c, err
}

func (r OrgReader) Contact(ctx context.Context, tenant, id string) (*domain.Contact, error) {
	c, err := scanContact(r.queryRow(ctx, `SELECT `+contactCols+` FROM contacts WHERE tenant_id = ? AND id = ?`, tenant, id))
	if err := notFound(err, "contact "+id); err != nil {
		return nil, err
	}
	return &c, nil
}

// ContactByEmail finds the tenant's contact for an address, case-insensitively.
func (r OrgReader) ContactByEmail(ctx context.Context, tenant, email string) (*domain.Contact, error) {
	c, err := scanContact(r.queryRow(ctx, `SELECT `+contactCols+` FROM contacts WHERE tenant_id = ? AND email_key = ?`, tenant, EmailKey(email)))
	if err := notFound(err, "contact "+email); err != nil {
		return nil, err
	}
	return &c, nil
}

// EmailKey is the form under which an address is unique in a tenant.
func EmailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// contactVisible is the condition under which the contact c is shown in
// the perimeter p: an administrator sees every contact; anyone else does
// not see the sender or recipient of a confidential letter, unless a letter
// of theirs names the contact too. A citizen who wrote confidentially must
// not be found by name by every agent or elected official.
func contactVisible(p Perimeter) (string, []any) {
	if p.All {
		return "", nil
	}
	clause, args := p.clause()
	return ` AND (c.id NOT IN (SELECT sender_id FROM letters WHERE tenant_id = ? AND confidential = 1 UNION SELECT recipient_id FROM letters WHERE tenant_id = ? AND confidential = 1)
		OR c.id IN (SELECT l.sender_id FROM letters l WHERE ` + clause + ` UNION SELECT l.recipient_id FROM letters l WHERE ` + clause + `))`,
		append(append([]any{p.TenantID, p.TenantID}, args...), args...)
}

// ContactIn reads a contact of the perimeter's tenant that the perimeter
// may see (contactVisible); ErrNotFound otherwise.
func (r OrgReader) ContactIn(ctx context.Context, p Perimeter, id string) (*domain.Contact, error) {
	vis, vargs := contactVisible(p)
	c, err := scanContact(r.queryRow(ctx, `SELECT `+contactColsC+` FROM contacts c WHERE c.tenant_id = ? AND c.id = ?`+vis, append([]any{p.TenantID, id}, vargs...)...))
	if err := notFound(err, "contact "+id); err != nil {
		return nil, err
	}
	return &c, nil
}

// Contacts lists the contacts the perimeter may see (contactVisible) whose
// name, organisation or address contains q, for autocomplete.
func (r OrgReader) Contacts(ctx context.Context, p Perimeter, q string, limit, offset int) ([]domain.Contact, error) {
	args := []any{p.TenantID}
	where := ""
	if q = strings.TrimSpace(q); q != "" {
		like := "%" + strings.ToLower(q) + "%"
		where = ` AND (LOWER(c.last_name) LIKE ? OR LOWER(c.first_name) LIKE ? OR LOWER(c.organization) LIKE ? OR c.email_key LIKE ?)`
		args = append(args, like, like, like, like)
	}
	vis, vargs := contactVisible(p)
	args = append(args, vargs...)
	if limit <= 0 {
		limit = 50
	}
	args = append(args, limit, offset)
	rows, err := r.query(ctx, `SELECT `+contactColsC+` FROM contacts c WHERE c.tenant_id = ?`+where+vis+` ORDER BY c.last_name, c.organization, c.id LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.Contact{}
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// --- doctypes ----------------------------------------------------------------

const doctypeCols = `id, code, label, delay_days, delay_unit, remind_before, remind_after, mode, retention_years, final_disposition, created_at`

func scanDoctype(sc interface{ Scan(...any) error }) (domain.Doctype, error) {
	var d domain.Doctype
	err := sc.Scan(&d.ID, &d.Code, &d.Label, &d.DelayDays, &d.DelayUnit, &d.RemindBefore, &d.RemindAfter, &d.Mode, &d.RetentionYears, &d.FinalDisposition, &d.CreatedAt)
	return d, err
}

func (r OrgReader) Doctype(ctx context.Context, tenant, id string) (*domain.Doctype, error) {
	d, err := scanDoctype(r.queryRow(ctx, `SELECT `+doctypeCols+` FROM doctypes WHERE tenant_id = ? AND id = ?`, tenant, id))
	if err := notFound(err, "type de courrier "+id); err != nil {
		return nil, err
	}
	return &d, nil
}

func (r OrgReader) Doctypes(ctx context.Context, tenant string) ([]domain.Doctype, error) {
	rows, err := r.query(ctx, `SELECT `+doctypeCols+` FROM doctypes WHERE tenant_id = ? ORDER BY label`, tenant)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.Doctype{}
	for rows.Next() {
		d, err := scanDoctype(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
