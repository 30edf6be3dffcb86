package store

import (
	"context"
	"fmt"
	"os"
)

// ReadOnly opens the store without writing to its files, for a node that
// starts on a full disk: it serves reads, and its writes are refused
// before they reach the store. SQLite is opened in mode=ro, with no
// journal_mode pragma (setting it writes) and no migration; a database
// whose schema is behind this binary's is refused, since migrating it
// needs room. PostgreSQL keeps its data elsewhere: it opens as usual.
func ReadOnly() Option { return func(s *Store) { s.readOnly = true } }

// readOnlyQuery is the SQLite connection string of a read-only store.
// Even read-only, SQLite creates the WAL's shared-memory file, which a
// full disk refuses (SQLITE_IOERR_SHMSIZE). Without a WAL to read (a
// clean stop checkpoints and removes it) the database is opened
// immutable, which needs neither; a WAL left by a crash holds entries the
// file lacks and must be read, through its shared-memory file if it is
// still there.
func readOnlyQuery(path string) string {
	q := "?mode=ro&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() == 0 {
		q += "&immutable=1"
	}
	return q
}

// checkMigrated stands for migrate in a read-only store: the schema must
// be this binary's already.
func (s *Store) checkMigrated(ctx context.Context, upTo int) error {
	if s.dialect.name() != "sqlite" {
		return s.migrate(ctx, upTo)
	}
	ms, err := s.migrations()
	if err != nil {
		return fmt.Errorf("read embedded migrations: %w", err)
	}
	latest := 0
	if len(ms) > 0 {
		latest = ms[len(ms)-1].version
	}
	var current int
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	switch {
	case current > latest:
		return fmt.Errorf("%w: schéma %d, ce binaire connaît le schéma %d au plus; installez une version plus récente de Missive", ErrTooNew, current, latest)
	case current < latest:
		return fmt.Errorf("la base est au schéma %d et ce binaire la mettrait au schéma %d, ce qui demande de la place: libérez de l'espace disque avant de démarrer cette version", current, latest)
	}
	s.SchemaVersion = current
	return nil
}
