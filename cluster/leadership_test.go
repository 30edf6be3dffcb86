package cluster_test

import (
	"testing"
	"time"
)

// The effects' loops wait on LeaderChanged: when the leader dies, the
// channel of the node elected next is closed, so its loops start at once.
func TestLeaderChangedWakesTheNextLeader(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 3)
	h.startAll()
	old := h.leader()
	waits := map[string]<-chan struct{}{}
	for _, tn := range h.nodes {
		if tn != old {
			waits[tn.name] = tn.node.LeaderChanged()
		}
	}
	old.stop()
	h.waitFor("a new leader", func() bool {
		for _, tn := range h.nodes {
			if tn != old && tn.node.Leader() {
				return true
			}
		}
		return false
	})
	for _, tn := range h.nodes {
		if tn == old || !tn.node.Leader() {
			continue
		}
		select {
		case <-waits[tn.name]:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s leads but its LeaderChanged channel was not closed", tn.name)
		}
	}
}
