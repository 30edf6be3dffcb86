package cluster_test

import (
	"context"
	"testing"
	"time"

	"missive/appliance/apptest"
	"missive/cluster"
)

// TestSingleVoterElectsItselfAtOnce: a node alone in its configuration
// leads without waiting for a heartbeat timeout, so a cold start is not a
// second of raft waiting. The timeouts here are an hour: only the election
// at start can make it leader within the test, after a first start
// (bootstrap) and after a restart alike. The cluster's timeouts are back
// once it leads, for every later election.
func TestSingleVoterElectsItselfAtOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, start := range []string{"first start", "restart"} {
		cfg := cluster.WithHeartbeat(cluster.Config{DataDir: dir, Applier: newCounter(), Log: apptest.Logger(), ApplyTimeout: 10 * time.Second}, time.Hour)
		n, err := cluster.Open(cfg)
		if err != nil {
			t.Fatalf("%s: %v", start, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = n.WaitLeader(ctx)
		cancel()
		if err != nil {
			n.Close()
			t.Fatalf("%s: a single voter with an hour of heartbeat timeout did not elect itself: %v", start, err)
		}
		if !n.Leader() || !n.Ready() {
			t.Errorf("%s: leader %v, ready %v", start, n.Leader(), n.Ready())
		}
		if got := n.HeartbeatTimeout(); got != time.Hour {
			t.Errorf("%s: heartbeat timeout %v once leader, want the configured hour back", start, got)
		}
		propose(t, n, "écrit "+start)
		if err := n.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
