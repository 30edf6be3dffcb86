package store

import (
	"os"
	"path/filepath"
	"testing"
)

// The SQLite files hold every letter: owner-only whoever started the
// server and whatever its umask, and made so again on an older data dir.
func TestSQLiteFilesAreOwnerOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	check := func(when string) {
		t.Helper()
		for _, name := range []string{"missive.db", "missive.db-wal", "missive.db-shm"} {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: %s is %v, want -rw-------", when, name, fi.Mode().Perm())
			}
		}
	}
	s, err := Open(t.Context(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(t.Context(), 1, func(tx *Tx) error { return tx.SetMeta("probe", "1") }); err != nil {
		t.Fatal(err)
	}
	check("fresh data dir")
	// A data dir of an older version, its files world-readable.
	for _, name := range []string{"missive.db", "missive.db-wal", "missive.db-shm"} {
		os.Chmod(filepath.Join(dir, name), 0o644)
	}
	s2, err := Open(t.Context(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	s.Close()
	check("reopened")
}

// An upgraded data dir loses the session key an older version kept in
// web_keys (migration 0016): the database alone forges no session.
func TestUpgradeDropsStoredSessionKey(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dsn, dir string) {
		ctx := t.Context()
		s, err := Open(ctx, dsn, dir)
		if err != nil {
			t.Fatal(err)
		}
		// The database as the previous version left it: schema 15, a key.
		for _, q := range []string{
			`INSERT INTO tenants (id, name, alsace_moselle, created_at) VALUES ('t9', 'T', 0, 'x')`,
			`INSERT INTO web_keys (tenant_id, secret, created_at) VALUES ('t9', 'c2VjcmV0LWRlLWwtYW5jaWVubmUtdmVyc2lvbi0xMjM0NTY', 'x')`,
			`DROP TABLE tls_assets`, `DROP TABLE tls_locks`,
			`DELETE FROM schema_migrations WHERE version >= 16`,
		} {
			if _, err := s.db.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		s.Close()
		s, err = Open(ctx, dsn, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var secret string
		if err := s.db.QueryRowContext(ctx, `SELECT secret FROM web_keys WHERE tenant_id = 't9'`).Scan(&secret); err != nil || secret != "" {
			t.Fatalf("web_keys after the upgrade: %q, %v", secret, err)
		}
	})
}
