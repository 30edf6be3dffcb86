package cluster_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"missive/cluster"
)

// snapshotDirs lists the raft snapshots kept in a node's data dir.
func snapshotDirs(t *testing.T, tn *tnode) []string {
	t.Helper()
	dir := filepath.Join(tn.dir, "raft", "snapshots")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}

// A snapshot is taken once the log written since the previous one holds
// as many bytes as that snapshot (and a minimum), not before; it is
// compressed, only the latest is kept, and the log behind it is trimmed
// to the trailing entries.
func TestSnapshotTakenByBytesOneKeptLogTrimmed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 1)
	const minLog, trailing = 8 << 10, 4
	h.nodes[0].tune = func(c *cluster.Config) {
		c.SnapshotMinLog, c.TrailingLogs = minLog, trailing
		cluster.SnapshotEvery(c, time.Hour)
	}
	n := h.start(0, nil, true)
	n.mustRegister(t, "Un seul courrier")
	if due, err := n.node.SnapshotIfDue(); err != nil || due {
		t.Fatalf("snapshot after one small letter: %v, %v; want none below %d bytes of log", due, err, minLog)
	}
	if s := snapshotDirs(t, n); len(s) != 0 {
		t.Fatalf("snapshots %v before any was due", s)
	}
	// Registers until the node takes a snapshot, at most max letters,
	// and checks it came once the log since the latest held want bytes,
	// not before.
	untilSnapshot := func(what string, want int64, max int) {
		t.Helper()
		for i := range max {
			n.mustRegister(t, fmt.Sprintf("%s %d: %s", what, i, bytes.Repeat([]byte("texte du courrier "), 25)))
			logBytes := n.node.LogBytes()
			due, err := n.node.SnapshotIfDue()
			if err != nil {
				t.Fatal(err)
			}
			if due != (logBytes >= want) {
				t.Fatalf("%s: snapshot taken %v with %d bytes of log, want one from %d bytes on", what, due, logBytes, want)
			}
			if due {
				return
			}
		}
		t.Fatalf("%s: no snapshot after %d letters", what, max)
	}
	untilSnapshot("Premier lot", minLog, 200)
	snaps := snapshotDirs(t, n)
	if len(snaps) != 1 {
		t.Fatalf("snapshots kept: %v, want one", snaps)
	}
	state, err := os.ReadFile(filepath.Join(snaps[0], "state.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if logical := dump(t, n); !bytes.HasPrefix(state, []byte{0x28, 0xb5, 0x2f, 0xfd}) || len(state)*2 > len(logical) {
		t.Fatalf("snapshot of %d bytes for a logical stream of %d, starting %x: want zstd, half the size at most", len(state), len(logical), state[:4])
	}
	lo, hi, err := n.node.LogBounds()
	if err != nil {
		t.Fatal(err)
	}
	if hi-lo+1 > trailing+1 {
		t.Fatalf("log %d…%d after the snapshot: want the %d trailing entries only", lo, hi, trailing)
	}
	// At once again: nothing was written since.
	if due, err := n.node.SnapshotIfDue(); err != nil || due {
		t.Fatalf("a second snapshot right after the first: %v, %v", due, err)
	}
	// A larger store, snapshotted: the next snapshot waits for as many
	// bytes of log as this one holds, more than the minimum.
	for i := range 60 {
		n.mustRegister(t, fmt.Sprintf("Lot varié %d: %x", i, sha256.Sum256([]byte(fmt.Sprint(i)))))
	}
	if err := n.node.Snapshot(); err != nil {
		t.Fatal(err)
	}
	snaps = snapshotDirs(t, n)
	big, err := os.Stat(filepath.Join(snaps[0], "state.bin"))
	if err != nil || big.Size() <= minLog {
		t.Fatalf("snapshot of the larger store: %v, %v; want more than %d bytes", big, err, minLog)
	}
	untilSnapshot("Second lot", big.Size(), 400)
	if s := snapshotDirs(t, n); len(s) != 1 || s[0] == snaps[0] {
		t.Fatalf("snapshots kept after the second: %v (first %s), want the new one only", s, snaps[0])
	}
}

// A follower stopped while the leader's log was compacted past it
// receives the snapshot when it comes back, then the log, and holds every
// letter: snapshots are taken by the nodes' own loop.
func TestFollowerBehindTheTrimmedLogGetsTheSnapshot(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 3)
	for _, tn := range h.nodes {
		tn.tune = func(c *cluster.Config) {
			c.SnapshotMinLog, c.TrailingLogs = 1, 2
			cluster.SnapshotEvery(c, 20*time.Millisecond)
		}
	}
	h.startAll()
	l := h.leader()
	var away *tnode
	for _, tn := range h.nodes {
		if tn != l {
			away = tn
			break
		}
	}
	for i := range 5 {
		l.mustRegister(t, fmt.Sprintf("Avant l'arrêt, %d", i))
	}
	h.converge()
	_, awayLast, err := away.node.LogBounds()
	if err != nil {
		t.Fatal(err)
	}
	away.stop()
	i := 0
	h.waitFor("the leader's log compacted past the stopped follower", func() bool {
		l.mustRegister(t, fmt.Sprintf("Pendant l'arrêt, %d", i))
		i++
		first, _, err := l.node.LogBounds()
		return err == nil && first > awayLast+1
	})
	logs := &logLines{}
	away.log = slog.New(logs)
	away.open(t, "", "")
	h.converge()
	if got := logs.matching("cluster catch-up: snapshot installed"); len(got) == 0 {
		t.Errorf("the follower's log lines of a snapshot installed: %q", got)
	}
	if a, b := numbers(t, l), numbers(t, away); !slices.Equal(a, b) || len(b) != 5+i {
		t.Fatalf("letters on the follower: %d, on the leader %d, want %d", len(b), len(a), 5+i)
	}
}
