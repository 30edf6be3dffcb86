// Package apptest builds a Service over a real store for tests of the
// appliance and its callers (API, web, mail bridge, WebDAV). Commands go
// through Apply in order, as on a single raft node, but without raft: the
// raft path itself is tested in package cluster and by the binary's tests.
package apptest

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"missive/appliance"
	"missive/appliance/blob"
	"missive/appliance/store"
)

// AdminPassword is the password of "admin" in every test tenant.
const AdminPassword = "motdepasse-admin-1"

// Proposer applies each command at once, in order, like a cluster of one.
type Proposer struct {
	mu    sync.Mutex
	index uint64
	A     *appliance.Applier
}

func (p *Proposer) Propose(_ context.Context, cmd []byte) (any, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.index++
	return p.A.Apply(p.index, cmd), nil
}

// Resume makes the next command follow the raft index, as raft goes on
// after a snapshot it restored: a test that loads another store's snapshot
// resumes at the snapshot's applied_index.
func (p *Proposer) Resume(index uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.index = index
}

// Env is a bootstrapped appliance.
type Env struct {
	Svc *appliance.Service
	// Store and Blobs are the Service's own, for tests that look at or
	// tamper with the database and the files directly.
	Store *store.Store
	Blobs *blob.Store
	Admin *appliance.Actor
	Dir   string
	// Proposer applies the Service's commands.
	Proposer *Proposer
	// Secrets is the data dir's key (a fixed one), left out of Svc so that
	// passwords stay in clear as tests expect; HistoryKey, derived from it,
	// signs the history.
	Secrets    *appliance.SecretBox
	HistoryKey []byte
}

// secretKey is the fixed secrets.key of test appliances.
var secretKey = []byte("missive-apptest-secret-key-32-by")

// Logger is quiet unless MISSIVE_TEST_LOG is set.
func Logger() *slog.Logger {
	if os.Getenv("MISSIVE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(discard{}, nil))
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// New opens a store (dsn "" = SQLite in a temp dir), bootstraps the default
// tenant and returns the admin actor.
func New(t testing.TB, dsn string) *Env {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, dir)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	blobs, err := blob.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	log := Logger()
	box, err := appliance.NewSecretBox(secretKey)
	if err != nil {
		t.Fatal(err)
	}
	hkey, err := box.Derive(appliance.HistoryKeyLabel)
	if err != nil {
		t.Fatal(err)
	}
	prop := &Proposer{A: appliance.NewApplier(st, log).WithHistoryKey(hkey)}
	svc := appliance.NewService(st, blobs, prop, log)
	// As missive serve does: secrets.key seals passwords and signs sessions.
	svc.Secrets = box
	if err := svc.Bootstrap(ctx, "Commune de Test", AdminPassword); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	admin, err := svc.Authenticate(ctx, "default", "admin", AdminPassword, "apptest")
	if err != nil {
		t.Fatalf("admin login: %v", err)
	}
	return &Env{Svc: svc, Store: st, Blobs: blobs, Admin: admin, Dir: dir, Proposer: prop, Secrets: box, HistoryKey: hkey}
}

// WriteSecretKey writes the env's fixed key as the data dir's secrets.key,
// for tests that read the data dir as a server would (backups carry it and
// check the history's signatures with it).
func (e *Env) WriteSecretKey() error {
	return os.WriteFile(filepath.Join(e.Dir, appliance.SecretKeyFile), secretKey, 0o600)
}
