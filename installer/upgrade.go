package installer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers "sqlite"
)

// The data dir records which build last opened it, in VersionFile. When a
// different build starts on it, the store is copied to
// snapshots/pre-upgrade-…db before anything is migrated, so that going back
// to the previous build is a file copy (see README, "Mettre à jour").
const (
	VersionFile  = "version"
	SnapshotsDir = "snapshots"
	// KeepSnapshots is how many pre-upgrade snapshots are kept.
	KeepSnapshots = 3
)

// PreUpgrade takes the pre-upgrade snapshot of an embedded SQLite store
// when the build that last opened dataDir is not this one. It returns the
// snapshot's path, or "" when none was needed (a new data dir, the same
// build). It must run before the store is opened, since opening migrates.
// A PostgreSQL store is the database administrator's to back up (pg_dump):
// it is only logged.
func PreUpgrade(ctx context.Context, dataDir, dsn, version string, log *slog.Logger) (string, error) {
	prev, err := os.ReadFile(filepath.Join(dataDir, VersionFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		// Unreadable (left by root, say): not knowing is a reason to copy.
		log.Warn("read the data dir's version", "err", err)
	}
	from := strings.TrimSpace(string(prev))
	if from == version {
		return "", nil
	}
	if dsn != "" && !strings.HasPrefix(dsn, "sqlite:") {
		if from != "" {
			log.Warn("upgrade on PostgreSQL: Missive takes no snapshot of it; keep a pg_dump from before the upgrade", "from", from, "to", version)
		}
		return "", nil
	}
	db := filepath.Join(dataDir, "missive.db")
	if p := strings.TrimPrefix(dsn, "sqlite:"); p != "" {
		db = p
	}
	if _, err := os.Stat(db); errors.Is(err, os.ErrNotExist) {
		return "", nil // a data dir being created: nothing to protect
	}
	if from == "" {
		from = "inconnue"
	}
	dir := filepath.Join(dataDir, SnapshotsDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	name := fmt.Sprintf("pre-upgrade-%s-%s-vers-%s.db", time.Now().UTC().Format("20060102T150405Z"), safeName(from), safeName(version))
	path := filepath.Join(dir, name)
	if err := vacuumInto(ctx, db, path); err != nil {
		os.Remove(path)
		return "", fmt.Errorf("instantané avant mise à jour: %w", err)
	}
	log.Info("pre-upgrade snapshot taken", "from", from, "to", version, "snapshot", path)
	prune(dir, log)
	return path, nil
}

// MarkVersion records that this build opened dataDir; call it once the
// store is open and migrated.
func MarkVersion(dataDir, version string) error {
	return writeAtomic(filepath.Join(dataDir, VersionFile), []byte(version+"\n"), 0o640)
}

// vacuumInto writes a consistent, compact copy of a SQLite database, WAL
// included, without stopping readers: never a raw copy of a live file.
func vacuumInto(ctx context.Context, src, dst string) error {
	db, err := sql.Open("sqlite", "file:"+src+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return err
	}
	return os.Chmod(dst, 0o600)
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._+-]+`)

func safeName(s string) string { return unsafeChars.ReplaceAllString(s, "_") }

func prune(dir string, log *slog.Logger) {
	m, _ := filepath.Glob(filepath.Join(dir, "pre-upgrade-*.db"))
	sort.Strings(m) // the timestamp comes first: oldest first
	for len(m) > KeepSnapshots {
		if err := os.Remove(m[0]); err != nil {
			log.Warn("remove old pre-upgrade snapshot", "file", m[0], "err", err)
		}
		m = m[1:]
	}
}
