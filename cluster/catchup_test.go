package cluster_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"missive/cluster"
)

// logLines keeps the messages a node logs.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Enabled(context.Context, slog.Level) bool { return true }
func (l *logLines) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logLines) WithGroup(string) slog.Handler            { return l }
func (l *logLines) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	l.mu.Lock()
	l.lines = append(l.lines, b.String())
	l.mu.Unlock()
	return nil
}

func (l *logLines) matching(prefix string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, s := range l.lines {
		if strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	return out
}

func nodeStatus(st *cluster.Status, id string) *cluster.NodeStatus {
	for i := range st.Nodes {
		if st.Nodes[i].ID == id {
			return &st.Nodes[i]
		}
	}
	return nil
}

// A new node joins a cluster whose log was compacted into a snapshot: it
// receives the snapshot, says so in its log and in the status (bytes of
// the snapshot, entries behind), then catches up; the status then shows
// no catch-up and no lag, and it holds every letter.
func TestJoinerCatchesUpFromSnapshotWithProgress(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 2)
	first := h.start(0, nil, true)
	const letters = 150
	for i := range letters {
		first.mustRegister(t, fmt.Sprintf("Avant l'arrivée du nœud 2, %d", i))
	}
	if err := first.node.CompactLog(); err != nil {
		t.Fatal(err)
	}
	joiner := h.nodes[1]
	joiner.hold = make(chan struct{})
	release := sync.OnceFunc(func() { close(joiner.hold) })
	// Registered after the harness's: runs first, so a failed test does
	// not leave the joiner's close waiting on its restore.
	t.Cleanup(release)
	logs := &logLines{}
	joiner.log = slog.New(logs)
	tok := first.token(t, false)
	opened := make(chan error, 1)
	go func() { opened <- joiner.tryOpen(first.listen, tok) }()

	// While its store loads the snapshot (held by the test), the leader's
	// status shows the whole snapshot received and the entries behind.
	var cu *cluster.CatchUp
	h.waitFor("the joiner loading the snapshot", func() bool {
		n := nodeStatus(first.status(), joiner.name)
		if n != nil && n.CatchUp != nil && n.CatchUp.Phase == "restauration" {
			cu = n.CatchUp
			return true
		}
		return false
	})
	if cu.SnapshotSize <= 0 || cu.SnapshotReceived != cu.SnapshotSize || cu.Behind < letters {
		t.Fatalf("catch-up while restoring: %+v; want the snapshot's size received and at least %d entries behind", cu, letters)
	}
	if !strings.Contains(cu.String(), "restauration de l'instantané") {
		t.Errorf("the rattrapage column reads %q", cu.String())
	}
	if got := logs.matching("cluster catch-up: receiving the leader's snapshot"); len(got) == 0 || !strings.Contains(got[0], fmt.Sprintf("bytes=%d", cu.SnapshotSize)) {
		t.Errorf("log lines of the snapshot's start: %q", got)
	}
	release()
	if err := <-opened; err != nil {
		t.Fatalf("the joiner: %v", err)
	}

	h.waitFor("the joiner caught up", func() bool {
		n := nodeStatus(first.status(), joiner.name)
		return n != nil && n.Error == "" && n.CatchUp == nil && n.Lag == 0 && n.AppliedIndex > 0
	})
	if got := logs.matching("cluster catch-up: snapshot installed"); len(got) != 1 {
		t.Errorf("log lines of the snapshot's end: %q", got)
	}
	if n := len(logs.matching("cluster catch-up")); n > 10 {
		t.Errorf("%d catch-up lines for %d entries: a few lines, not one per entry", n, letters)
	}
	if a, b := numbers(t, first), numbers(t, joiner); !slices.Equal(a, b) || len(b) != letters {
		t.Fatalf("letters on the joiner: %d, on the leader %d", len(b), len(a))
	}
}

// A follower whose store falls behind (its Apply held by the test, a slow
// site) says how many entries it lacks, in the log phase.
func TestLaggingFollowerShowsEntriesBehind(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 2)
	first := h.start(0, nil, true)
	slow := h.start(1, first, false)
	slow.gate.gate.Lock()
	release := sync.OnceFunc(slow.gate.gate.Unlock)
	t.Cleanup(release)
	const letters = 120
	for i := range letters {
		first.mustRegister(t, fmt.Sprintf("Pendant que le site 2 traîne, %d", i))
	}
	var cu *cluster.CatchUp
	h.waitFor("the follower counting what it lacks", func() bool {
		n := nodeStatus(first.status(), slow.name)
		if n != nil && n.CatchUp != nil {
			cu = n.CatchUp
			return cu.Behind >= letters
		}
		return false
	})
	if cu.Phase != "journal" || !strings.Contains(cu.String(), "entrées de retard") {
		t.Fatalf("catch-up of a lagging follower: %+v (%s)", cu, cu)
	}
	release()
	h.waitFor("the follower caught up", func() bool {
		n := nodeStatus(first.status(), slow.name)
		return n != nil && n.CatchUp == nil && n.Lag == 0
	})
}
