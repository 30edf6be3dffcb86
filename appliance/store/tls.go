package store

import (
	"context"
	"database/sql"
	"errors"
	"missive/appliance/domain"
	"unicode/utf8"
)

// TLS assets and locks (migration 0018): certmagic's storage, shared by
// the nodes of a cluster. Keys are certmagic's: slash-separated, no
// leading or trailing slash. Values are sealed by the Service.

// domain.TLSAsset reads one key; ErrNotFound when it is not stored.
func (r SiteReader) TLSAsset(ctx context.Context, key string) (*domain.TLSAsset, error) {
	a := domain.TLSAsset{Key: key}
	err := r.queryRow(ctx, `SELECT value, size, modified_at FROM tls_assets WHERE key = ?`, key).Scan(&a.Value, &a.Size, &a.ModifiedAt)
	if err := notFound(err, "élément TLS "+key); err != nil {
		return nil, err
	}
	return &a, nil
}

// TLSAssets lists the keys under prefix ("a" covers "a/b", not "ab"; ""
// covers everything), without their values, in key order.
func (r SiteReader) TLSAssets(ctx context.Context, prefix string) ([]domain.TLSAsset, error) {
	q, args := `SELECT key, size, modified_at FROM tls_assets`, []any{}
	if prefix != "" {
		// substr, not LIKE: keys may hold '_' and '%'.
		p := prefix + "/"
		q += ` WHERE substr(key, 1, ?) = ?`
		args = append(args, utf8.RuneCountInString(p), p)
	}
	rows, err := r.query(ctx, q+` ORDER BY key`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.TLSAsset
	for rows.Next() {
		var a domain.TLSAsset
		if err := rows.Scan(&a.Key, &a.Size, &a.ModifiedAt); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// domain.TLSLock reads a lock; nil when nobody holds it (expired ones included).
func (r SiteReader) TLSLock(ctx context.Context, name string) (*domain.TLSLock, error) {
	l := domain.TLSLock{Name: name}
	err := r.queryRow(ctx, `SELECT owner, expires_at FROM tls_locks WHERE name = ?`, name).Scan(&l.Owner, &l.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// PutTLSAsset stores a key, replacing its value.
func (t SiteTx) PutTLSAsset(a *domain.TLSAsset) error {
	if err := t.exec(`DELETE FROM tls_assets WHERE key = ?`, a.Key); err != nil {
		return err
	}
	return t.exec(`INSERT INTO tls_assets (key, value, size, modified_at) VALUES (?, ?, ?, ?)`, a.Key, a.Value, a.Size, a.ModifiedAt)
}

// DeleteTLSAssets deletes key and every key under it; it returns how many
// went.
func (t SiteTx) DeleteTLSAssets(key string) (int64, error) {
	p := key + "/"
	res, err := t.tx.ExecContext(t.ctx, t.d.rebind(`DELETE FROM tls_assets WHERE key = ? OR substr(key, 1, ?) = ?`), key, utf8.RuneCountInString(p), p)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// SetTLSLock records l as the lock's holder.
func (t SiteTx) SetTLSLock(l *domain.TLSLock) error {
	if err := t.exec(`DELETE FROM tls_locks WHERE name = ?`, l.Name); err != nil {
		return err
	}
	return t.exec(`INSERT INTO tls_locks (name, owner, expires_at) VALUES (?, ?, ?)`, l.Name, l.Owner, l.ExpiresAt)
}

// DeleteTLSLock frees a lock.
func (t SiteTx) DeleteTLSLock(name string) error {
	return t.exec(`DELETE FROM tls_locks WHERE name = ?`, name)
}
