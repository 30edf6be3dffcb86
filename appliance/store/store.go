// Package store owns the database of a node: the schema and its migrations
// for SQLite and PostgreSQL, the reads every layer uses, and the writes that
// only the Applier may make (through Update). See DESIGN.md in this folder.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"
)

//go:embed migrations
var migrations embed.FS

// ErrNotFound is returned by reads of a single row that does not exist.
var ErrNotFound = errors.New("introuvable")

// ErrTooNew means the database was written by a newer Missive.
var ErrTooNew = errors.New("base de données plus récente que ce binaire")

// Store is the database of one node.
type Store struct {
	db      *sql.DB
	dialect dialect
	path    string // the SQLite file; "" on PostgreSQL
	// SchemaVersion is the highest migration applied.
	SchemaVersion int
}

// Open opens (and migrates) the store. An empty dsn means the embedded SQLite
// database in dataDir; a postgres:// dsn means PostgreSQL.
func Open(ctx context.Context, dsn, dataDir string) (*Store, error) {
	var s Store
	var err error
	switch {
	case dsn == "" || strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		if path == "" {
			path = filepath.Join(dataDir, "missive.db")
		}
		s.dialect, s.path = sqliteDialect{}, path
		if err := createPrivate(path); err != nil {
			return nil, err
		}
		// WAL lets readers (the UI, a CLI verify) run beside the one writer;
		// synchronous=NORMAL is safe because the raft log is the durable
		// record and replays what a power cut lost (see DESIGN.md).
		q := "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
		s.db, err = sql.Open("sqlite", "file:"+path+q)
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", path, err)
		}
	case strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://"):
		s.dialect = postgresDialect{}
		s.db, err = sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		s.db.SetMaxOpenConns(20)
		// database/sql keeps 2 idle connections by default: under concurrent
		// requests every extra one would be closed after use and reopened
		// (a backend fork and a SCRAM handshake each time).
		s.db.SetMaxIdleConns(20)
	default:
		return nil, fmt.Errorf("base de données %q non reconnue: attendu postgres://… ou vide pour SQLite", redact(dsn))
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	if s.dialect.name() == "sqlite" {
		if err := privateFiles(s.path); err != nil {
			s.db.Close()
			return nil, err
		}
	}
	return &s, nil
}

// createPrivate creates an SQLite database file readable by its owner
// only, before SQLite does with the process's umask: the database holds
// every letter, and SQLite gives its WAL and shared-memory files the
// database file's mode.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		return f.Close()
	case errors.Is(err, fs.ErrExist):
		return nil
	}
	return fmt.Errorf("create sqlite database %s: %w", path, err)
}

// privateFiles makes the database and its companions owner-only, whoever
// made them: a data dir written by an older version, or by root.
func privateFiles(path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("protect %s: %w", p, err)
		}
	}
	return nil
}

func (s *Store) Close() error { return s.db.Close() }

// Dialect names the SQL dialect: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect.name() }

// redact hides a password in a DSN before it reaches a message.
func redact(dsn string) string {
	if i := strings.Index(dsn, "@"); i > 0 {
		if j := strings.Index(dsn, "://"); j > 0 && j < i {
			return dsn[:j+3] + "***" + dsn[i:]
		}
	}
	return dsn
}

type migration struct {
	version int
	name    string
	sql     string
}

func (s *Store) migrations() ([]migration, error) {
	dir := "migrations/" + s.dialect.name()
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		n, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(n)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration file %s: name must be NNNN_name.sql", e.Name())
		}
		b, err := fs.ReadFile(migrations, dir+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{v, e.Name(), string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// LatestSchema is the schema version this binary writes.
func (s *Store) LatestSchema() int {
	ms, _ := s.migrations()
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// migrate applies the missing migrations, each in its own transaction (under
// an advisory lock on PostgreSQL, where several nodes may share a server),
// and refuses a database newer than this binary.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := s.migrations()
	if err != nil {
		return fmt.Errorf("read embedded migrations: %w", err)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := s.dialect.lock(ctx, conn); err != nil {
		return fmt.Errorf("lock schema for migration: %w", err)
	}
	defer s.dialect.unlock(context.WithoutCancel(ctx), conn)
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var current int
	if err := conn.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	latest := 0
	if len(ms) > 0 {
		latest = ms[len(ms)-1].version
	}
	if current > latest {
		return fmt.Errorf("%w: schéma %d, ce binaire connaît le schéma %d au plus; installez une version plus récente de Missive", ErrTooNew, current, latest)
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, s.dialect.rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, CURRENT_TIMESTAMP)`), m.version, m.name); err != nil {
			tx.Rollback()
			return fmt.Errorf("record migration %s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("commit migration %s: %w", m.name, err)
		}
		current = m.version
	}
	s.SchemaVersion = current
	return nil
}

var sqlReadOnly = sql.TxOptions{ReadOnly: true}
