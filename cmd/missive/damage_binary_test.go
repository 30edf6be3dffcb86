//go:build !bench

package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"missive/appliance/config"
	"missive/cluster/damage"
)

// registerLetters registers n letters through the API.
func (s *missiveServer) registerLetters(token string, n int, tag string) {
	s.t.Helper()
	for i := range n {
		s.must(201, "POST", "/api/v1/letters", token, map[string]any{"category": "incoming", "subject": fmt.Sprintf("%s %d", tag, i)}, nil)
	}
}

// copyDir copies a stopped data dir, for one damage each.
func copyDir(t *testing.T, from string) string {
	t.Helper()
	to := newDataDir(t)
	if out, err := exec.Command("cp", "-a", from, to).CombinedOutput(); err != nil {
		t.Fatalf("cp -a %s %s: %v\n%s", from, to, err, out)
	}
	return to
}

// refusedStart runs serve on a data dir it must refuse: exit code 1, a
// message that names each of want, and no trace of a crash.
func refusedStart(t *testing.T, data string, want ...string) string {
	t.Helper()
	r := runMissive(t, "", "serve", "--data", data, "--listen", "127.0.0.1:0")
	if r.code != 1 || strings.Contains(r.stdout, "Missive est prêt") {
		t.Fatalf("serve on a damaged data dir: exit %d, want 1 and a refusal\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	for _, crash := range []string{"panic", "goroutine ", "SIGBUS", "SIGSEGV", "fatal error", "unexpected fault"} {
		if strings.Contains(r.stderr, crash) {
			t.Fatalf("serve crashed (%q) instead of refusing:\n%s", crash, r.stderr)
		}
	}
	abs, _ := filepath.Abs(data)
	for _, w := range append(want, "refuse de démarrer sur le dossier de données "+abs) {
		if !strings.Contains(r.stderr, w) {
			t.Fatalf("refusal does not say %q:\n%s", w, r.stderr)
		}
	}
	return r.stderr
}

// A data dir whose raft.db was deleted used to bootstrap a new log over
// its store and drop every write at or below the store's applied index.
func TestBinaryRefusesAStoreWithoutItsRaftState(t *testing.T) {
	t.Parallel()
	data := newDataDir(t)
	s := startMissive(t, data)
	s.registerLetters(s.token("admin"), 3, "Courrier")
	s.stop()

	gone := copyDir(t, data)
	if err := os.Remove(filepath.Join(gone, "raft", "raft.db")); err != nil {
		t.Fatal(err)
	}
	refusedStart(t, gone, "état raft a disparu", "missive backup restore")
	// Still refused: the first refusal bootstrapped nothing.
	refusedStart(t, gone, "état raft a disparu")

	// The data dir itself still starts and takes writes.
	s = startMissive(t, data)
	s.registerLetters(s.token("admin"), 1, "Après")
	s.stop()
}

// snapshotOf makes a raft snapshot of a stopped data dir, as the server
// does once the log since the latest one holds as many bytes as it.
func snapshotOf(t *testing.T, data string) {
	t.Helper()
	cfg := config.Default()
	cfg.Data = data
	n, err := openServeNode(context.Background(), cfg, slog.New(slog.DiscardHandler), clusterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.close()
	if err := n.cluster.Snapshot(); err != nil {
		t.Fatal(err)
	}
}

// A damaged raft log used to crash the binary (SIGBUS, index out of range,
// msgpack panics), or to let it say "Missive est prêt" and die on the
// first write. Each damage is refused, naming the file, and missive doctor
// says the same.
func TestBinaryRefusesDamagedRaftFiles(t *testing.T) {
	t.Parallel()
	data := newDataDir(t)
	s := startMissive(t, data)
	s.registerLetters(s.token("admin"), 20, "Courrier")
	s.stop()
	for i, k := range damage.Kinds {
		dir := copyDir(t, data)
		if err := damage.Log(dir, k); err != nil {
			t.Fatal(err)
		}
		db, _ := filepath.Abs(damage.RaftDB(dir))
		refusedStart(t, dir, "Le journal raft "+db+" est endommagé", "missive backup restore")
		if i == 0 {
			r := runMissive(t, "", "doctor", "--data", dir, "--listen", "127.0.0.1:1")
			if r.code != 1 || !strings.Contains(r.stdout, "À CORRIGER  Le journal raft "+db+" est endommagé") || !strings.Contains(r.stdout, "missive backup restore") {
				t.Fatalf("doctor on a damaged raft log: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
		}
	}

	snapshotOf(t, data)
	dir := copyDir(t, data)
	file, err := damage.Snapshot(dir)
	if err != nil {
		t.Fatal(err)
	}
	file, _ = filepath.Abs(file)
	refusedStart(t, dir, "Le dernier instantané raft est endommagé: "+file)

	// The undamaged data dir starts, with its snapshot, and takes writes.
	s = startMissive(t, data)
	s.registerLetters(s.token("admin"), 1, "Après")
	s.stop()
}
