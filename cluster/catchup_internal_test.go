package cluster

import (
	"bytes"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// While a node applies the log behind the leader, each tick logs one line
// with the entries behind, the pace and the time left; the status says
// the same; once caught up, one line says so and the status is clear.
func TestCatchUpPaceAndTimeLeft(t *testing.T) {
	var buf bytes.Buffer
	var applied atomic.Uint64
	c := newCatchUp(slog.New(slog.NewTextHandler(&buf, nil)), &applied)
	c.leaderCommit.Store(1000)
	t0 := time.Now()
	c.tick(t0)
	applied.Store(400)
	c.tick(t0.Add(time.Second)) // 400 entries in a second
	st := c.status()
	if st == nil || st.Phase != phaseLog || st.Behind != 600 || st.Rate != 400 || st.ETA != "2s" {
		t.Fatalf("status while applying the log: %+v", st)
	}
	if got := st.String(); got != "600 entrées de retard, reste ~2s" {
		t.Errorf("rattrapage column %q", got)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "behind=600") || !strings.Contains(lines[1], "eta=2s") {
		t.Fatalf("log lines:\n%s", buf.String())
	}
	applied.Store(1000)
	c.tick(t0.Add(2 * time.Second))
	c.tick(t0.Add(3 * time.Second))
	if st := c.status(); st != nil {
		t.Fatalf("status once caught up: %+v", st)
	}
	if n := strings.Count(buf.String(), "caught up with the leader"); n != 1 {
		t.Fatalf("%d lines saying it caught up:\n%s", n, buf.String())
	}
}
