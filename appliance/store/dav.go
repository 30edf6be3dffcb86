package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"missive/appliance/domain"
	"strings"
)

// The WebDAV share's rows (migration 0004). A space is one tree: a user's
// working folder ("u:<user id>") or a letter's folder ("l:<letter id>").
// Paths are clean, absolute inside the space ("/a/b"); the space root "/"
// has no row.

// DavParent is the parent path of a clean space path.
func DavParent(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

const davNodeCols = `space, path, is_dir, sha256, size, mime, document_id, created_at, modified_at, modified_by`

func scanDavNode(sc interface{ Scan(...any) error }) (domain.DavNode, error) {
	var n domain.DavNode
	var dir int
	err := sc.Scan(&n.Space, &n.Path, &dir, &n.SHA256, &n.Size, &n.MIME, &n.DocumentID, &n.CreatedAt, &n.ModifiedAt, &n.ModifiedBy)
	n.Dir = dir == 1
	return n, err
}

// domain.DavNode reads one node; ErrNotFound when absent.
func (r DavReader) DavNode(ctx context.Context, space, path string) (*domain.DavNode, error) {
	n, err := scanDavNode(r.queryRow(ctx, `SELECT `+davNodeCols+` FROM dav_nodes WHERE space = ? AND path = ?`, space, path))
	if err := notFound(err, "dav "+path); err != nil {
		return nil, err
	}
	return &n, nil
}

// DavChildren lists the nodes directly under dir, by path.
func (r DavReader) DavChildren(ctx context.Context, space, dir string) ([]domain.DavNode, error) {
	return r.davNodes(ctx, `SELECT `+davNodeCols+` FROM dav_nodes WHERE space = ? AND parent = ? ORDER BY path`, space, dir)
}

// DavSpace lists every node of a space, by path.
func (r DavReader) DavSpace(ctx context.Context, space string) ([]domain.DavNode, error) {
	return r.davNodes(ctx, `SELECT `+davNodeCols+` FROM dav_nodes WHERE space = ? ORDER BY path`, space)
}

func (r DavReader) davNodes(ctx context.Context, q string, args ...any) ([]domain.DavNode, error) {
	rows, err := r.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read dav nodes: %w", err)
	}
	defer rows.Close()
	var out []domain.DavNode
	for rows.Next() {
		n, err := scanDavNode(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// DavHidden lists the documents removed from a letter's folder.
func (r DavReader) DavHidden(ctx context.Context, space string) (map[string]bool, error) {
	rows, err := r.query(ctx, `SELECT document_id FROM dav_hidden WHERE space = ?`, space)
	if err != nil {
		return nil, fmt.Errorf("read dav hidden: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// DavProps reads the dead properties of a node.
func (r DavReader) DavProps(ctx context.Context, space, path string) ([]domain.DavProp, error) {
	rows, err := r.query(ctx, `SELECT ns, name, lang, xml FROM dav_props WHERE space = ? AND path = ? ORDER BY ns, name`, space, path)
	if err != nil {
		return nil, fmt.Errorf("read dav props: %w", err)
	}
	defer rows.Close()
	var out []domain.DavProp
	for rows.Next() {
		var p domain.DavProp
		if err := rows.Scan(&p.NS, &p.Name, &p.Lang, &p.XML); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

const davLockCols = `token, tenant_id, root, zero_depth, shared, owner_xml, user_id, timeout_s, created_at, expires_at`

func scanDavLock(sc interface{ Scan(...any) error }) (domain.DavLock, error) {
	var l domain.DavLock
	var zero, shared int
	err := sc.Scan(&l.Token, &l.TenantID, &l.Root, &zero, &shared, &l.OwnerXML, &l.UserID, &l.TimeoutS, &l.CreatedAt, &l.ExpiresAt)
	l.ZeroDepth, l.Shared = zero == 1, shared == 1
	return l, err
}

// DavLocks lists the locks of a tenant's share, expired ones included: the
// caller judges expiry against its own instant.
func (r DavReader) DavLocks(ctx context.Context, tenant string) ([]domain.DavLock, error) {
	rows, err := r.query(ctx, `SELECT `+davLockCols+` FROM dav_locks WHERE tenant_id = ? ORDER BY root, token`, tenant)
	if err != nil {
		return nil, fmt.Errorf("read dav locks: %w", err)
	}
	defer rows.Close()
	var out []domain.DavLock
	for rows.Next() {
		l, err := scanDavLock(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// domain.DavLock reads one lock by token; ErrNotFound when absent.
func (r DavReader) DavLock(ctx context.Context, tenant, token string) (*domain.DavLock, error) {
	l, err := scanDavLock(r.queryRow(ctx, `SELECT `+davLockCols+` FROM dav_locks WHERE tenant_id = ? AND token = ?`, tenant, token))
	if err := notFound(err, "dav lock"); err != nil {
		return nil, err
	}
	return &l, nil
}

// PutDavNode inserts or replaces a node.
func (t DavTx) PutDavNode(tenant string, n *domain.DavNode) error {
	if err := t.exec(`DELETE FROM dav_nodes WHERE space = ? AND path = ?`, n.Space, n.Path); err != nil {
		return fmt.Errorf("put dav node %s: %w", n.Path, err)
	}
	err := t.exec(`INSERT INTO dav_nodes (tenant_id, parent, `+davNodeCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tenant, DavParent(n.Path), n.Space, n.Path, b2i(n.Dir), n.SHA256, n.Size, n.MIME, n.DocumentID, n.CreatedAt, n.ModifiedAt, n.ModifiedBy)
	if err != nil {
		return fmt.Errorf("put dav node %s: %w", n.Path, err)
	}
	return nil
}

// like escapes a path for a LIKE prefix match.
func like(p string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(p) + "/%"
}

// DeleteDavTree removes a node, everything under it and their properties,
// and returns the documents the removed files stood for.
func (t DavTx) DeleteDavTree(space, path string) ([]string, error) {
	rows, err := t.query(t.ctx, `SELECT document_id FROM dav_nodes WHERE space = ? AND (path = ? OR path LIKE ? ESCAPE '\') AND document_id <> ''`, space, path, like(path))
	if err != nil {
		return nil, fmt.Errorf("delete dav %s: %w", path, err)
	}
	var docs []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		docs = append(docs, id)
	}
	rows.Close()
	for _, tbl := range []string{"dav_nodes", "dav_props"} {
		if err := t.exec(`DELETE FROM `+tbl+` WHERE space = ? AND (path = ? OR path LIKE ? ESCAPE '\')`, space, path, like(path)); err != nil {
			return nil, fmt.Errorf("delete dav %s: %w", path, err)
		}
	}
	return docs, nil
}

// MoveDavTree renames a node and everything under it, properties included.
// The destination must be free.
func (t DavTx) MoveDavTree(space, from, to, at, by string) error {
	n := len(from) + 1
	err := t.exec(`UPDATE dav_nodes SET path = CAST(? AS TEXT) || SUBSTR(path, ?), modified_at = ?, modified_by = ? WHERE space = ? AND (path = ? OR path LIKE ? ESCAPE '\')`,
		to, n, at, by, space, from, like(from))
	if err == nil {
		err = t.exec(`UPDATE dav_nodes SET parent = CAST(? AS TEXT) || SUBSTR(parent, ?) WHERE space = ? AND (parent = ? OR parent LIKE ? ESCAPE '\')`, to, n, space, from, like(from))
	}
	if err == nil {
		err = t.exec(`UPDATE dav_nodes SET parent = ? WHERE space = ? AND path = ?`, DavParent(to), space, to)
	}
	if err == nil {
		err = t.exec(`UPDATE dav_props SET path = CAST(? AS TEXT) || SUBSTR(path, ?) WHERE space = ? AND (path = ? OR path LIKE ? ESCAPE '\')`, to, n, space, from, like(from))
	}
	if err != nil {
		return fmt.Errorf("move dav %s to %s: %w", from, to, err)
	}
	return nil
}

// SetDavProp sets or removes a dead property.
func (t DavTx) SetDavProp(space, path string, p domain.DavProp) error {
	if err := t.exec(`DELETE FROM dav_props WHERE space = ? AND path = ? AND ns = ? AND name = ?`, space, path, p.NS, p.Name); err != nil {
		return fmt.Errorf("set dav prop: %w", err)
	}
	if p.Remove {
		return nil
	}
	if err := t.exec(`INSERT INTO dav_props (space, path, ns, name, lang, xml) VALUES (?, ?, ?, ?, ?, ?)`, space, path, p.NS, p.Name, p.Lang, p.XML); err != nil {
		return fmt.Errorf("set dav prop: %w", err)
	}
	return nil
}

// HideDavDocument records that a document left its letter's folder.
func (t DavTx) HideDavDocument(space, documentID, at string) error {
	var one int
	err := t.queryRow(`SELECT 1 FROM dav_hidden WHERE space = ? AND document_id = ?`, space, documentID).Scan(&one)
	if err == nil {
		return nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("hide dav document: %w", err)
	}
	return t.exec(`INSERT INTO dav_hidden (space, document_id, hidden_at) VALUES (?, ?, ?)`, space, documentID, at)
}

// UnhideDavDocument brings a document back into its letter's folder.
func (t DavTx) UnhideDavDocument(space, documentID string) error {
	return t.exec(`DELETE FROM dav_hidden WHERE space = ? AND document_id = ?`, space, documentID)
}

// InsertDavLock records a lock.
func (t DavTx) InsertDavLock(l *domain.DavLock) error {
	err := t.exec(`INSERT INTO dav_locks (`+davLockCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		l.Token, l.TenantID, l.Root, b2i(l.ZeroDepth), b2i(l.Shared), l.OwnerXML, l.UserID, l.TimeoutS, l.CreatedAt, l.ExpiresAt)
	if err != nil {
		return fmt.Errorf("insert dav lock: %w", err)
	}
	return nil
}

// RefreshDavLock sets a lock's timeout and expiry.
func (t DavTx) RefreshDavLock(tenant, token string, timeoutS int64, expiresAt string) error {
	return t.exec(`UPDATE dav_locks SET timeout_s = ?, expires_at = ? WHERE tenant_id = ? AND token = ?`, timeoutS, expiresAt, tenant, token)
}

// DeleteDavLock removes a lock.
func (t DavTx) DeleteDavLock(tenant, token string) error {
	return t.exec(`DELETE FROM dav_locks WHERE tenant_id = ? AND token = ?`, tenant, token)
}

// DeleteExpiredDavLocks removes the locks of a tenant lapsed at now.
func (t DavTx) DeleteExpiredDavLocks(tenant, now string) error {
	return t.exec(`DELETE FROM dav_locks WHERE tenant_id = ? AND expires_at <> '' AND expires_at <= ?`, tenant, now)
}

// DavSpaceProps reads the dead properties of a whole space, by path.
func (r DavReader) DavSpaceProps(ctx context.Context, space string) (map[string][]domain.DavProp, error) {
	rows, err := r.query(ctx, `SELECT path, ns, name, lang, xml FROM dav_props WHERE space = ? ORDER BY path, ns, name`, space)
	if err != nil {
		return nil, fmt.Errorf("read dav props: %w", err)
	}
	defer rows.Close()
	out := map[string][]domain.DavProp{}
	for rows.Next() {
		var path string
		var p domain.DavProp
		if err := rows.Scan(&path, &p.NS, &p.Name, &p.Lang, &p.XML); err != nil {
			return nil, err
		}
		out[path] = append(out[path], p)
	}
	return out, rows.Err()
}
