package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/blob"
	"missive/appliance/store"
	"missive/cluster"
)

// singleNode is a data dir of one node with the real Applier over SQLite.
type singleNode struct {
	t   *testing.T
	dir string
	n   *cluster.Node
	st  *store.Store
	svc *appliance.Service
}

// tryStart opens the store and the node; the store is closed again if the
// node refuses.
func (s *singleNode) tryStart() error {
	ctx := context.Background()
	st, err := store.Open(ctx, "", s.dir)
	if err != nil {
		return err
	}
	n, err := cluster.Open(cluster.Config{DataDir: s.dir, Applier: appliance.NewApplier(st, apptest.Logger()), Log: apptest.Logger(), ApplyTimeout: 10 * time.Second})
	if err != nil {
		st.Close()
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := n.WaitLeader(wctx); err != nil {
		n.Close()
		st.Close()
		return err
	}
	blobs, err := blob.Open(s.dir)
	if err != nil {
		return err
	}
	s.n, s.st, s.svc = n, st, appliance.NewService(st, blobs, n, apptest.Logger())
	if _, err := st.Reader().Tenant(ctx, "default"); errors.Is(err, store.ErrNotFound) {
		return s.svc.Bootstrap(ctx, "Commune", apptest.AdminPassword)
	}
	return nil
}

func (s *singleNode) start() {
	s.t.Helper()
	if err := s.tryStart(); err != nil {
		s.t.Fatalf("start: %v", err)
	}
}

func (s *singleNode) stop() {
	s.n.Close()
	s.st.Close()
	s.n, s.st = nil, nil
}

func (s *singleNode) register(k int) {
	s.t.Helper()
	ctx := context.Background()
	admin, err := s.svc.Authenticate(ctx, "default", "admin", apptest.AdminPassword, "test")
	if err != nil {
		s.t.Fatal(err)
	}
	for i := 0; i < k; i++ {
		if _, err := s.svc.RegisterLetter(ctx, admin, appliance.RegisterInput{Category: "incoming", Subject: fmt.Sprintf("Courrier %d", i)}); err != nil {
			s.t.Fatal(err)
		}
	}
}

// storeIndex opens the stopped data dir's store and reads its applied index.
func storeIndex(t *testing.T, dir string) uint64 {
	t.Helper()
	st, err := store.Open(context.Background(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := st.AppliedIndex(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// refused checks that a start fails with a StateError that names the data
// dir and says what to do, and that the store did not move.
func refused(t *testing.T, s *singleNode, wantWay string) *cluster.StateError {
	t.Helper()
	before := storeIndex(t, s.dir)
	err := s.tryStart()
	var se *cluster.StateError
	if !errors.As(err, &se) || !errors.Is(err, cluster.ErrBadState) {
		if s.n != nil {
			s.stop()
		}
		t.Fatalf("start: %v, want a StateError", err)
	}
	abs, _ := filepath.Abs(s.dir)
	if msg := err.Error(); !strings.Contains(msg, abs) || !strings.Contains(msg, wantWay) || !strings.Contains(msg, "refuse de démarrer") {
		t.Fatalf("refusal %q: want the data dir %s and %q", msg, abs, wantWay)
	}
	if after := storeIndex(t, s.dir); after != before {
		t.Fatalf("the store moved from %d to %d on a refused start", before, after)
	}
	return se
}

// With DATA/raft/raft.db gone, the node used to bootstrap a new log over
// its store, whose applied index then made it skip every new entry.
func TestMissingRaftStateIsRefused(t *testing.T) {
	t.Parallel()
	s := &singleNode{t: t, dir: t.TempDir()}
	s.start()
	s.register(3)
	s.stop()
	if err := os.Remove(filepath.Join(s.dir, "raft", "raft.db")); err != nil {
		t.Fatal(err)
	}
	se := refused(t, s, "missive backup restore")
	if se.Clustered || !strings.Contains(se.Error(), "état raft a disparu") {
		t.Fatalf("refusal of a single node: %+v", se)
	}
	// Refused again at the next try: nothing was bootstrapped meanwhile.
	refused(t, s, "missive backup restore")
}

// A raft.db copied back from before the last writes ends below the
// store's applied index.
func TestRaftStateOlderThanTheStoreIsRefused(t *testing.T) {
	t.Parallel()
	s := &singleNode{t: t, dir: t.TempDir()}
	s.start()
	s.register(2)
	s.stop()
	db := filepath.Join(s.dir, "raft", "raft.db")
	old, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	s.start()
	s.register(2)
	s.stop()
	if err := os.WriteFile(db, old, 0o600); err != nil {
		t.Fatal(err)
	}
	se := refused(t, s, "missive backup restore")
	if !strings.Contains(se.Error(), "copie plus ancienne") {
		t.Fatalf("refusal: %v", se)
	}
}

// The way out for a node of a cluster: its raft state set aside, it
// receives the leader's snapshot and log, keeping its id and its store.
func TestClusterNodeRejoinsAfterLosingItsRaftState(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 3)
	h.startAll()
	leader := h.leader()
	for i := 0; i < 3; i++ {
		leader.mustRegister(t, fmt.Sprintf("Avant %d", i))
	}
	h.converge()
	lost := h.nodes[2]
	if lost == leader {
		lost = h.nodes[1]
	}
	lost.stop()
	// A snapshot on the leader, and a write this node missed.
	leader = h.leader()
	leader.mustRegister(t, "Pendant")
	if err := leader.node.Snapshot(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(lost.dir, "raft", "raft.db")); err != nil {
		t.Fatal(err)
	}
	err := lost.tryOpen("", "")
	var se *cluster.StateError
	if !errors.As(err, &se) || !se.Clustered || !strings.Contains(err.Error(), "missive cluster rejoin --data") {
		if lost.node != nil {
			lost.stop()
		}
		t.Fatalf("%s without its raft state: %v, want a refusal that says to rejoin", lost.name, err)
	}
	aside, err := cluster.PrepareRejoin(lost.dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(aside, "snapshots")); err != nil {
		t.Fatalf("the raft state set aside: %v", err)
	}
	lost.open(t, "", "")
	h.converge()
	// It takes writes again, forwarded or led.
	lost.mustRegister(t, "Après")
	h.converge()
	nums := numbers(t, lost)
	checkNumbers(t, lost.name, nums)
	if len(nums) != 5 {
		t.Fatalf("%s holds %d letters, want 5", lost.name, len(nums))
	}
	// The next start checks it like any node again.
	lost.stop()
	lost.open(t, "", "")
}
