package cluster_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/store"
	"missive/cluster"
)

// Quorum lost: the survivor serves reads from its store and refuses writes
// with ErrNoQuorum, before the caller's deadline: it does not hold the
// request until the deadline to find out.
func TestNoQuorumRefusesWritesAtOnceAndReadsGoOn(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 3)
	h.startAll()
	n1 := h.nodes[0]
	n1.mustRegister(t, "avant la panne")
	h.converge()
	survivor := h.nodes[2]
	h.nodes[0].stop()
	h.nodes[1].stop()
	h.waitFor("the survivor knows no leader", func() bool { return !survivor.node.HasLeader() })
	a := survivor.admin(t)
	for i := range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_, err := survivor.svc.RegisterLetter(ctx, a, appliance.RegisterInput{Category: "incoming", Subject: "sans quorum"})
		ended := ctx.Err()
		cancel()
		if !errors.Is(err, cluster.ErrNoQuorum) || !appliance.IsUnavailable(err) {
			t.Fatalf("write %d without quorum: %v, want ErrNoQuorum", i, err)
		}
		if ended != nil {
			t.Fatalf("write %d without quorum held until the caller's deadline", i)
		}
	}
	if got := appliance.UnavailableReason(errors.Join(errors.New("x"), cluster.ErrNoQuorum)); got == appliance.UnavailableReason(store.ErrUnavailable) {
		t.Fatalf("no quorum is told as %q, the database's reason", got)
	}
	if got := numbers(t, survivor); len(got) != 1 {
		t.Fatalf("read on the survivor: %v", got)
	}
}

// A node removed while it was down learns it at start from the others
// (its certificate is refused everywhere) and says so: it refuses writes
// with ErrRemoved instead of waiting for a leader it will never reach.
func TestNodeRemovedWhileDownSaysSoAtStart(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 3)
	h.startAll()
	n3 := h.nodes[2]
	n3.stop()
	retry(t, "remove n3 while it is down", func() error { return h.nodes[0].node.ChangeMember(context.Background(), "n3", "remove") })
	if err := n3.tryOpen("", ""); err != nil {
		t.Fatalf("restart of the removed node: %v", err)
	}
	if !n3.node.Removed() {
		t.Fatal("the node removed while down does not know it")
	}
	if _, err := n3.register(t, "refusé"); !errors.Is(err, cluster.ErrRemoved) {
		t.Fatalf("write on the removed node: %v, want ErrRemoved", err)
	}
}
