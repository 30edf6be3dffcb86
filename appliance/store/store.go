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
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
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
	// db writes: migrations, Update, Load, Claim. rdb reads: on SQLite a
	// pool of query-only connections to the same WAL file; on PostgreSQL
	// db itself.
	db, rdb        *sql.DB
	wstmts, rstmts *stmtCache
	dialect        dialect
	path           string // the SQLite file; "" on PostgreSQL
	// SchemaVersion is the highest migration applied.
	SchemaVersion int
	// log tells what a migration changed in the data (missive:report).
	log *slog.Logger
	// readOnly: opened without writing (readonly.go).
	readOnly bool
	// scratch: a throw-away SQLite store (Scratch).
	scratch bool
}

// Option tunes Open.
type Option func(*Store)

// WithLog gives the store the logger that says what migrations changed in
// the data; without it they change it silently.
func WithLog(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// Scratch opens an SQLite store that is thrown away after use (a backup's
// verification loads its database into one): no journal (the rows are not
// written twice, to the WAL then to the file) and no fsync. A crash leaves
// a file nobody opens again.
func Scratch() Option { return func(s *Store) { s.scratch = true } }

// Open opens (and migrates) the store. An empty dsn means the embedded SQLite
// database in dataDir; a postgres:// dsn means PostgreSQL.
func Open(ctx context.Context, dsn, dataDir string, opts ...Option) (*Store, error) {
	return open(ctx, dsn, dataDir, math.MaxInt, opts...)
}

// open opens the store migrated up to schema upTo: tests build the
// database an older binary left.
func open(ctx context.Context, dsn, dataDir string, upTo int, opts ...Option) (*Store, error) {
	s := Store{log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(&s)
	}
	var err error
	switch {
	case dsn == "" || strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		if path == "" {
			path = filepath.Join(dataDir, "missive.db")
		}
		s.dialect, s.path = sqliteDialect{}, path
		if err := createPrivate(path); err != nil && !s.readOnly {
			return nil, err
		}
		// WAL lets readers (the UI, a CLI verify) run beside the one writer;
		// synchronous=NORMAL is safe because the raft log is the durable
		// record and replays what a power cut lost (see DESIGN.md).
		q := "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)" + sqliteCache(writerCacheKB)
		switch {
		case s.readOnly:
			q = readOnlyQuery(path)
		case s.scratch:
			q = "?_pragma=journal_mode(OFF)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(OFF)"
		}
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
	migrate := s.migrate
	if s.readOnly {
		migrate = s.checkMigrated
	}
	if err := migrate(ctx, upTo); err != nil {
		s.db.Close()
		return nil, err
	}
	s.rdb = s.db
	if s.dialect.name() == "sqlite" {
		if err := privateFiles(s.path); err != nil {
			s.db.Close()
			return nil, err
		}
		// A read-only start (full disk) and a throw-away store read
		// through their one pool: the read pool would need the WAL's
		// shared memory, and a scratch store is read once.
		if !s.readOnly && !s.scratch {
			if s.rdb, err = openReadPool(ctx, s.path); err != nil {
				s.db.Close()
				return nil, err
			}
		}
	}
	s.wstmts, s.rstmts = newStmtCache(s.db, s.dialect), newStmtCache(s.rdb, s.dialect)
	if s.rdb == s.db {
		s.rstmts = s.wstmts
	}
	return &s, nil
}

// Page cache of each SQLite connection, in kB (SQLite's default is 2 MB),
// and the length of the file read through mmap instead of read() into
// that cache (SQLite's default is none). Without them, sixteen agents
// searching at once spent their time copying pages from the kernel into
// caches too small to keep them, and the same search answered at a
// tenth of its single-client rate. Mapped pages are the kernel's page
// cache, shared by every connection; they count in the resident memory
// but the kernel reclaims them like any cached file. The map is as long
// as SQLite allows (SQLITE_MAX_MMAP_SIZE, 2 GB); the rest of a larger
// file is read as before.
const (
	writerCacheKB = 32 << 10
	readerCacheKB = 16 << 10
	mmapBytes     = 0x7fff0000 // SQLITE_MAX_MMAP_SIZE
)

func sqliteCache(kb int) string {
	return fmt.Sprintf("&_pragma=cache_size(-%d)&_pragma=mmap_size(%d)", kb, mmapBytes)
}

// openReadPool opens the connections every read goes through, beside the
// writer: WAL lets them read while Apply writes, each sees the last
// commit at its first read, and query_only makes a write through them an
// error instead of a second writer. They stay open (as many idle as
// open), so their page caches and prepared statements outlive a request:
// database/sql keeps two idle connections by default and closed the
// others after each burst.
func openReadPool(ctx context.Context, path string) (*sql.DB, error) {
	q := "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=query_only(1)" + sqliteCache(readerCacheKB)
	db, err := sql.Open("sqlite", "file:"+path+q)
	if err != nil {
		return nil, fmt.Errorf("open sqlite read pool %s: %w", path, err)
	}
	n := readConns()
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite read pool %s: %w", path, err)
	}
	return db, nil
}

// readConns sizes the read pool to the cores: SQLite reads are CPU work
// once the file is in memory, and more connections than cores only
// share them, each with its own cache. Twice the cores, at least four,
// so that a read waiting on the disk, or a snapshot streaming for
// minutes, does not hold up the others.
func readConns() int { return max(4, 2*runtime.GOMAXPROCS(0)) }

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

func (s *Store) Close() error {
	s.rstmts.close()
	s.wstmts.close()
	if s.rdb != s.db {
		s.rdb.Close()
	}
	return s.db.Close()
}

// Check makes a cheap query, for readiness probes: a database that does
// not answer it cannot serve anything else either.
func (s *Store) Check(ctx context.Context) error {
	var n int
	if err := s.rdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		return fmt.Errorf("database check: %w", err)
	}
	return nil
}

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

// migration is one NNNN_name.sql file. Its SQL may end with two marked
// sections, each starting on a line of its own:
//
//	-- missive:data
//	statements that change rows rather than the schema: they run with the
//	migration, and again when Load reads a snapshot written before it, whose
//	rows never went through them;
//	-- missive:report what was done, in words for the log
//	one SELECT listing the rows the data statements changed; each row is
//	logged with the message, its columns as attributes.
type migration struct {
	version int
	name    string
	sql     string // the whole file but the report
	data    string // the data section, "" when none
	message string // the report's message
	report  string // the report's SELECT, "" when none
}

const (
	dataMarker   = "-- missive:data"
	reportMarker = "-- missive:report"
)

func parseMigration(version int, name, src string) migration {
	m := migration{version: version, name: name, sql: src}
	if i := strings.Index(src, "\n"+reportMarker); i >= 0 {
		m.sql = src[:i+1]
		line, rest, _ := strings.Cut(src[i+1+len(reportMarker):], "\n")
		m.message, m.report = strings.TrimSpace(line), strings.TrimSpace(rest)
	}
	if i := strings.Index(m.sql, "\n"+dataMarker); i >= 0 {
		m.data = m.sql[i+1:]
	}
	return m
}

// migrations reads the one migration tree: NNNN_name.sql serves both
// dialects; where SQLite and PostgreSQL differ, NNNN_name.sqlite.sql and
// NNNN_name.postgres.sql stand in its place, both present. The name
// recorded in schema_migrations is NNNN_name.sql either way.
func (s *Store) migrations() ([]migration, error) {
	return readMigrations(migrations, "migrations", s.dialect.name())
}

var dialects = []string{"sqlite", "postgres"}

func readMigrations(fsys fs.FS, dir, dialect string) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	type files struct{ common, mine, other string }
	byVersion := map[int]*files{}
	names := map[int]string{}
	for _, e := range entries {
		n, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(n)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration file %s: name must be NNNN_name.sql (or NNNN_name.sqlite.sql and NNNN_name.postgres.sql)", e.Name())
		}
		base, d := strings.TrimSuffix(e.Name(), ".sql"), ""
		for _, x := range dialects {
			if b, ok := strings.CutSuffix(base, "."+x); ok {
				base, d = b, x
			}
		}
		if prev, ok := names[v]; ok && prev != base+".sql" {
			return nil, fmt.Errorf("migrations %s and %s share version %d", prev, base+".sql", v)
		}
		names[v] = base + ".sql"
		f := byVersion[v]
		if f == nil {
			f = &files{}
			byVersion[v] = f
		}
		switch d {
		case "":
			f.common = e.Name()
		case dialect:
			f.mine = e.Name()
		default:
			f.other = e.Name()
		}
	}
	var out []migration
	for v, f := range byVersion {
		if f.common != "" && (f.mine != "" || f.other != "") {
			return nil, fmt.Errorf("migration %s: both a common file and a per-dialect one", names[v])
		}
		if f.common == "" && (f.mine == "" || f.other == "") {
			return nil, fmt.Errorf("migration %s: a per-dialect migration needs a file for each of %s", names[v], strings.Join(dialects, " and "))
		}
		file := f.common
		if file == "" {
			file = f.mine
		}
		b, err := fs.ReadFile(fsys, dir+"/"+file)
		if err != nil {
			return nil, err
		}
		out = append(out, parseMigration(v, names[v], string(b)))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: versions must follow each other from 0001 (%04d expected)", m.name, i+1)
		}
	}
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

// migrate applies the missing migrations up to version upTo, each in its
// own transaction (under an advisory lock on PostgreSQL, where several
// nodes may share a server), and refuses a database newer than this binary.
func (s *Store) migrate(ctx context.Context, upTo int) error {
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
		if m.version <= current || m.version > upTo {
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
		changed, err := reportRows(ctx, tx, m)
		if err != nil {
			tx.Rollback()
			return err
		}
		if _, err := tx.ExecContext(ctx, s.dialect.rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, CURRENT_TIMESTAMP)`), m.version, m.name); err != nil {
			tx.Rollback()
			return fmt.Errorf("record migration %s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("commit migration %s: %w", m.name, err)
		}
		s.logChanges(m, "migration", changed)
		current = m.version
	}
	s.SchemaVersion = current
	return nil
}

// queryer is what a report reads through: a migration's or a Load's
// transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// reportRows runs a migration's report: each row as column, value pairs.
func reportRows(ctx context.Context, q queryer, m migration) ([][]any, error) {
	if m.report == "" {
		return nil, nil
	}
	rows, err := q.QueryContext(ctx, m.report)
	if err != nil {
		return nil, fmt.Errorf("migration %s: report: %w", m.name, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]any
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("migration %s: report: %w", m.name, err)
		}
		attrs := make([]any, 0, 2*len(cols))
		for i, c := range cols {
			attrs = append(attrs, c, vals[i].String)
		}
		out = append(out, attrs)
	}
	return out, rows.Err()
}

// logChanges writes one line per row a migration changed, once committed.
func (s *Store) logChanges(m migration, by string, changed [][]any) {
	for _, attrs := range changed {
		s.log.Info(m.message, append([]any{by, m.name}, attrs...)...)
	}
}

var sqlReadOnly = sql.TxOptions{ReadOnly: true}
