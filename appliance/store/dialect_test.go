package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strings"
	"testing"

	"missive/appliance/store/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// forEachDialect runs fn on a fresh database of each dialect: dsn is what
// Open takes ("" for SQLite in dir).
func forEachDialect(t *testing.T, fn func(t *testing.T, dsn, dir string)) {
	t.Helper()
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			dsn := ""
			if dialect == "postgres" {
				dsn = pgtest.DSN(t)
			}
			fn(t, dsn, t.TempDir())
		})
	}
}

func TestRebind(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`SELECT 1`:                                        `SELECT 1`,
		`SELECT * FROM t WHERE a = ? AND b = ?`:           `SELECT * FROM t WHERE a = $1 AND b = $2`,
		`SELECT '?' FROM t WHERE a = ?`:                   `SELECT '?' FROM t WHERE a = $1`,
		`SELECT 'it''s ?' FROM t WHERE a = ? OR b = '??'`: `SELECT 'it''s ?' FROM t WHERE a = $1 OR b = '??'`,
		`INSERT INTO t (a, b, c) VALUES (?, ?, ?)`:        `INSERT INTO t (a, b, c) VALUES ($1, $2, $3)`,
	} {
		if got := (postgresDialect{}).rebind(in); got != want {
			t.Errorf("postgres rebind(%q) = %q, want %q", in, got, want)
		}
		if got := (sqliteDialect{}).rebind(in); got != in {
			t.Errorf("sqlite rebind(%q) = %q", in, got)
		}
	}
}

func TestPerimeterClauseArgs(t *testing.T) {
	t.Parallel()
	for _, p := range []Perimeter{
		{TenantID: "t", All: true},
		{TenantID: "t", AllOpen: true, UserID: "u"},
		{TenantID: "t", UserID: "u"},
		{TenantID: "t", UserID: "u", Entities: []string{"a", "b", "c"}},
		{TenantID: "t", AllOpen: true, UserID: "u", Entities: []string{"a"}},
	} {
		q, args := p.clause()
		if n := strings.Count(q, "?"); n != len(args) {
			t.Errorf("%+v: %d placeholders, %d args: %s", p, n, len(args), q)
		}
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dsn, dir string) {
		ctx := t.Context()
		s, err := Open(ctx, dsn, dir)
		if err != nil {
			t.Fatal(err)
		}
		latest := s.LatestSchema()
		if s.SchemaVersion != latest || latest == 0 {
			t.Fatalf("fresh store at schema %d, binary knows %d", s.SchemaVersion, latest)
		}
		s.Close()
		// Opening again migrates nothing and changes nothing.
		s, err = Open(ctx, dsn, dir)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		if s.SchemaVersion != latest {
			t.Fatalf("reopened at schema %d, want %d", s.SchemaVersion, latest)
		}
		// A newer Missive ran on this database.
		if _, err := s.db.ExecContext(ctx, s.dialect.rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, CURRENT_TIMESTAMP)`),
			latest+1, "9999_future.sql"); err != nil {
			t.Fatal(err)
		}
		s.Close()
		_, err = Open(ctx, dsn, dir)
		if !errors.Is(err, ErrTooNew) {
			t.Fatalf("open a newer database: %v, want ErrTooNew", err)
		}
		for _, part := range []string{"base de données plus récente que ce binaire", "installez une version plus récente de Missive"} {
			if !strings.Contains(err.Error(), part) {
				t.Errorf("message %q lacks %q", err, part)
			}
		}
		if strings.Contains(err.Error(), "://") {
			t.Errorf("message %q shows the DSN", err)
		}
		// The refusal left the database as the newer binary wrote it.
		db := rawOpen(t, dsn, dir)
		var max int
		if err := db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&max); err != nil || max != latest+1 {
			t.Fatalf("schema version after refusal: %d, %v", max, err)
		}
	})
}

func TestOpenUnknownDSN(t *testing.T) {
	t.Parallel()
	_, err := Open(context.Background(), "mysql://root:hunter2@db/missive", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "non reconnue") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("unknown DSN: %v, want a French refusal without the password", err)
	}
}

func rawOpen(t *testing.T, dsn, dir string) *sql.DB {
	t.Helper()
	driver, src := "pgx", dsn
	if dsn == "" {
		driver, src = "sqlite", "file:"+dir+"/missive.db"
	}
	db, err := sql.Open(driver, src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
