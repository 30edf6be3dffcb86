package cluster_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"missive/appliance"
	"missive/cluster"
	"missive/cluster/damage"
)

func decodeCommand(b []byte) error {
	_, err := appliance.DecodeCommand(b)
	return err
}

// copyDataDir copies a stopped data dir, for one damage each.
func copyDataDir(t *testing.T, from string) string {
	t.Helper()
	to := filepath.Join(t.TempDir(), "data")
	if out, err := exec.Command("cp", "-a", from, to).CombinedOutput(); err != nil {
		t.Fatalf("cp -a: %v\n%s", err, out)
	}
	return to
}

// refusedFile checks that a start of dir is refused for a damaged file,
// named, and that missive doctor's Check says the same.
func refusedFile(t *testing.T, dir, file, wantProblem string) {
	t.Helper()
	s := &singleNode{t: t, dir: dir}
	se := refused(t, s, "missive backup restore")
	if se.File != file || !strings.Contains(se.Error(), file) || !strings.Contains(se.Problem, wantProblem) {
		t.Fatalf("refusal names %q: %v; want %s and %q", se.File, se, file, wantProblem)
	}
	t.Logf("refused: %s", se.Problem)
	err := cluster.Check(dir, storeIndex(t, dir), decodeCommand)
	var ce *cluster.StateError
	if !errors.As(err, &ce) || ce.File != file {
		t.Fatalf("Check: %v, want the same refusal", err)
	}
}

// A raft log cut, zeroed or scrambled used to crash the process (SIGBUS,
// index out of range, msgpack panics), or to start it only to die on the
// first write.
func TestDamagedRaftLogIsRefused(t *testing.T) {
	t.Parallel()
	s := &singleNode{t: t, dir: t.TempDir()}
	s.start()
	s.register(30)
	s.stop()
	if err := cluster.Check(s.dir, storeIndex(t, s.dir), decodeCommand); err != nil {
		t.Fatalf("Check of a whole data dir: %v", err)
	}
	for _, k := range damage.Kinds {
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			dir := copyDataDir(t, s.dir)
			if err := damage.Log(dir, k); err != nil {
				t.Fatal(err)
			}
			abs, _ := filepath.Abs(damage.RaftDB(dir))
			refusedFile(t, dir, abs, "endommagé")
		})
	}
}

// Raft checks a snapshot's CRC only when it opens it, and skips one whose
// meta does not read, silently using an older one.
func TestDamagedLatestSnapshotIsRefused(t *testing.T) {
	t.Parallel()
	s := &singleNode{t: t, dir: t.TempDir()}
	s.start()
	s.register(3)
	if err := s.n.Snapshot(); err != nil {
		t.Fatal(err)
	}
	s.register(2)
	if err := s.n.Snapshot(); err != nil {
		t.Fatal(err)
	}
	s.stop()

	t.Run("state", func(t *testing.T) {
		t.Parallel()
		dir := copyDataDir(t, s.dir)
		file, err := damage.Snapshot(dir)
		if err != nil {
			t.Fatal(err)
		}
		abs, _ := filepath.Abs(file)
		refusedFile(t, dir, abs, "instantané endommagé")
	})
	t.Run("meta", func(t *testing.T) {
		t.Parallel()
		dir := copyDataDir(t, s.dir)
		latest, err := damage.LatestSnapshot(dir)
		if err != nil {
			t.Fatal(err)
		}
		meta := filepath.Join(latest, "meta.json")
		if err := os.WriteFile(meta, []byte(`{"Version":1,`), 0o600); err != nil {
			t.Fatal(err)
		}
		abs, _ := filepath.Abs(meta)
		refusedFile(t, dir, abs, "métadonnées")
	})
	// An older snapshot is never used once a later one is whole: it does
	// not stop the node.
	t.Run("older", func(t *testing.T) {
		t.Parallel()
		dir := copyDataDir(t, s.dir)
		latest, err := damage.LatestSnapshot(dir)
		if err != nil {
			t.Fatal(err)
		}
		// One snapshot is kept; a crash between the new one's rename and
		// the removal of the previous one leaves two.
		older := filepath.Join(filepath.Dir(latest), "1-1-1")
		if out, err := exec.Command("cp", "-a", latest, older).CombinedOutput(); err != nil {
			t.Fatalf("cp -a: %v\n%s", err, out)
		}
		snaps, _ := filepath.Glob(filepath.Join(dir, "raft", "snapshots", "*-*-*"))
		if len(snaps) != 2 {
			t.Fatalf("snapshots %v, latest %s: %v", snaps, latest, err)
		}
		if err := os.WriteFile(filepath.Join(older, "state.bin"), []byte("abîmé"), 0o600); err != nil {
			t.Fatal(err)
		}
		o := &singleNode{t: t, dir: dir}
		o.start()
		o.register(1)
		o.stop()
	})
}
