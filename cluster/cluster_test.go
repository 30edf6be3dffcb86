package cluster_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/store"
	"missive/cluster"
)

// Three nodes: n1 bootstraps, n2 joins as a voter with a token of n1, n3 as
// a non-voter with a token made on n2 (a follower: the token's command is
// forwarded to the leader). Registrations on every node at once get
// numbers 1…k, each once; every node ends with the same store.
func TestClusterJoinsAndTakesWritesOnEveryNode(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 3)
	n1 := h.start(0, nil, true)
	before := n1.mustRegister(t, "Avant l'arrivée des autres sites")
	n2 := h.start(1, n1, true)
	n3 := h.start(2, n2, false)

	st := n3.status()
	if st.Self != "n3" || st.Leader != "n1" || len(st.Nodes) != 3 {
		t.Fatalf("status seen from n3: %+v", st)
	}
	for _, s := range st.Nodes {
		wantVoter := s.ID != "n3"
		if s.Voter != wantVoter || s.Leader != (s.ID == "n1") || s.Address == "" || s.State == "injoignable" {
			t.Errorf("status of %s: %+v", s.ID, s)
		}
	}
	// n3 joined after the first letter: it has it.
	if _, err := n3.st.Reader().LetterByNumber(context.Background(), store.Perimeter{TenantID: "default", All: true}, before); err != nil {
		t.Fatalf("n3 lacks %s, registered before it joined: %v", before, err)
	}

	const per = 15
	var mu sync.Mutex
	acked := map[string]string{}
	var wg sync.WaitGroup
	for _, tn := range []*tnode{n1, n2, n3} {
		for i := range per {
			wg.Go(func() {
				num, err := tn.register(t, fmt.Sprintf("Courrier %d reçu sur %s", i, tn.name))
				if err != nil {
					// A write the cluster could not take now (an election
					// on a loaded machine) is a 503, never a wrong answer.
					if !isUnavailable(err) {
						t.Errorf("%s: register: %v", tn.name, err)
					}
					t.Logf("%s: register: %v", tn.name, err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if other, dup := acked[num]; dup {
					t.Errorf("number %s given to two registrations (%s and %s)", num, other, tn.name)
				}
				acked[num] = tn.name
			})
		}
	}
	wg.Wait()
	h.converge()
	stored := numbers(t, n1)
	checkNumbers(t, "n1", stored)
	for num := range acked {
		if !slices.Contains(stored, num) {
			t.Errorf("registration %s was acknowledged but is not stored", num)
		}
	}
	if len(acked) == 0 {
		t.Fatalf("none of %d registrations acknowledged", 3*per)
	}
}

// The leader's raft stops: the two other voters elect one of them, and
// writes go on there, on either survivor; the old leader, back, catches up.
func TestLeaderLossElectsAnotherAndWritesGoOn(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 3)
	h.startAll()
	old := h.leader()
	old.stop()
	l := h.leader()
	if l == old {
		t.Fatal("the stopped node is still the leader")
	}
	for _, tn := range h.nodes {
		if tn.node == nil {
			continue
		}
		tn.mustRegister(t, "Après la perte du leader, sur "+tn.name)
	}
	old.open(t, "", "")
	h.converge()
}

// The leader is cut off from the others by the test's proxies: the
// majority elects another leader and takes writes; the old leader, alone,
// refuses them; healed, it converges with the others.
func TestPartitionedLeaderRefusesWritesAndHeals(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 3)
	h.startAll()
	old := h.leader()
	h.isolate(old.i, true)
	var l *tnode
	h.waitFor("a leader in the majority", func() bool {
		for _, tn := range h.nodes {
			if tn != old && tn.node.Leader() {
				l = tn
				return true
			}
		}
		return false
	})
	l.mustRegister(t, "Écrit par la majorité")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	_, err := old.svc.RegisterLetter(ctx, old.admin(t), appliance.RegisterInput{Category: "incoming", Subject: "Écrit par la minorité"})
	cancel()
	if err == nil || !isUnavailable(err) {
		t.Fatalf("the isolated old leader took a write: %v (want ErrUnavailable)", err)
	}
	h.isolate(old.i, false)
	h.converge()
	old.mustRegister(t, "Écrit par l'ancien leader, guéri")
	h.converge()
}

// A token admits one node once, before it expires, with the CA it pins.
func TestJoinTokenIsUsedOnceAndChecked(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 4)
	n1 := h.start(0, nil, true)
	// An unknown token is refused before anything reaches the log.
	before := n1.status().Nodes[0].AppliedIndex
	unknown := n1.token(t, true)
	unknown = unknown[:3] + "AAAAAAAAAAAAAAAAAAAAAAAAAAA" + unknown[30:]
	if err := h.nodes[1].tryOpen(n1.listen, unknown); !errors.Is(err, appliance.ErrForbidden) {
		t.Fatalf("join with an unknown token: %v, want ErrForbidden", err)
	}
	h.nodes[1].stop()
	if after := n1.status().Nodes[0].AppliedIndex; after != before+1 { // +1: the token made above
		t.Fatalf("applied index %d → %d: a refused join reached the log", before, after)
	}
	tok := n1.token(t, true)
	h.nodes[1].open(t, n1.listen, tok)
	// A copy of a member's data dir (same node id) cannot join.
	if err := os.WriteFile(filepath.Join(h.nodes[2].dir, "node-id"), []byte("n2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := h.nodes[2].tryOpen(n1.listen, n1.token(t, true)); !errors.Is(err, appliance.ErrConflict) {
		t.Fatalf("join with a member's node id: %v, want ErrConflict", err)
	}
	h.nodes[2].stop()
	os.RemoveAll(h.nodes[2].dir)
	os.MkdirAll(h.nodes[2].dir, 0o700)
	if err := h.nodes[2].tryOpen(n1.listen, tok); err == nil || !errors.Is(err, appliance.ErrForbidden) {
		t.Fatalf("second join with one token: %v, want refused (ErrForbidden)", err)
	}
	h.nodes[2].stop()

	var short string
	retry(t, "short token", func() (err error) {
		short, _, err = n1.node.CreateToken(context.Background(), true, time.Millisecond)
		return err
	})
	time.Sleep(5 * time.Millisecond)
	if err := h.nodes[3].tryOpen(n1.listen, short); err == nil || !errors.Is(err, appliance.ErrForbidden) {
		t.Fatalf("join with an expired token: %v, want refused", err)
	}
	h.nodes[3].stop()

	// A token whose CA fingerprint is another cluster's: the joiner does
	// not even send it.
	other := newHarness(t, 1)
	o1 := other.start(0, nil, true)
	foreign := o1.token(t, true)
	forged := tok[:len(tok)-43] + foreign[len(foreign)-43:]
	if err := h.nodes[3].tryOpen(n1.listen, forged); err == nil || !errors.Is(err, cluster.ErrWrongCluster) {
		t.Fatalf("join with a token of another CA: %v, want ErrWrongCluster", err)
	}
}

// A removed node is told so: it refuses writes with ErrRemoved, also after
// a restart, and the others refuse its certificate.
func TestRemovedNodeRefusesWrites(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 3)
	n1 := h.start(0, nil, true)
	h.start(1, n1, true)
	n3 := h.start(2, n1, false)
	ctx := context.Background()
	retry(t, "remove n3 (asked on a follower)", func() error { return h.nodes[1].node.ChangeMember(ctx, "n3", "remove") })
	h.waitFor("n3 knows it was removed", func() bool {
		_, err := n3.register(t, "refusé")
		return errors.Is(err, cluster.ErrRemoved)
	})
	if len(n1.status().Nodes) != 2 {
		t.Fatalf("n3 still in the configuration: %+v", n1.status())
	}
	n3.stop()
	n3.open(t, "", "")
	if _, err := n3.register(t, "refusé après redémarrage"); !errors.Is(err, cluster.ErrRemoved) {
		t.Fatalf("removed node after restart: %v, want ErrRemoved", err)
	}
	if err := n3.node.ReadIndex(ctx); !errors.Is(err, cluster.ErrRemoved) {
		t.Fatalf("strong read on a removed node: %v", err)
	}
	n1.mustRegister(t, "la suite")
}

// Promote and demote change the raft suffrage; the last voter cannot go.
func TestPromoteDemote(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 2)
	n1 := h.start(0, nil, true)
	n2 := h.start(1, n1, false)
	ctx := context.Background()
	if n2.voter() {
		t.Fatal("a non-voter token made a voter")
	}
	retry(t, "promote n2", func() error { return n2.node.ChangeMember(ctx, "n2", "promote") })
	h.waitFor("n2 a voter, as n2 sees it", n2.voter)
	retry(t, "demote n2 by address", func() error { return n1.node.ChangeMember(ctx, n2.listen, "demote") })
	h.waitFor("n2 no longer a voter", func() bool { return !n2.voter() })
	if err := n1.node.ChangeMember(ctx, "n1", "remove"); !errors.Is(err, appliance.ErrConflict) {
		t.Fatalf("removing the last voter: %v, want ErrConflict", err)
	}
	if err := n1.node.ChangeMember(ctx, "n9", "promote"); !errors.Is(err, appliance.ErrNotFound) {
		t.Fatalf("promoting an unknown node: %v, want ErrNotFound", err)
	}
}

// A data dir that ran alone (in-memory transport) restarts with a cluster
// port and becomes the first node of a cluster, its data kept.
func TestSingleNodeDataDirBecomesACluster(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 2)
	n1 := h.nodes[0]
	listen := n1.listen
	n1.listen = ""
	h.start(0, nil, true)
	num := n1.mustRegister(t, "Écrit sans cluster")
	if n1.node.Clustered() {
		t.Fatal("a node without Listen has a cluster port")
	}
	n1.stop()
	n1.listen = listen
	n1.open(t, "", "")
	if !n1.node.Clustered() || n1.status().Nodes[0].Address != listen {
		t.Fatalf("after restart with a cluster port: %+v", n1.status())
	}
	n2 := h.start(1, n1, true)
	if _, err := n2.st.Reader().LetterByNumber(context.Background(), store.Perimeter{TenantID: "default", All: true}, num); err != nil {
		t.Fatalf("the new node lacks the letter written before the cluster: %v", err)
	}
	n2.mustRegister(t, "Écrit en cluster")
	h.converge()
}

// A strong read on a follower that lags waits until it has applied what the
// cluster committed before the read: a local read would miss the letter.
func TestStrongReadOnALaggingFollower(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 3)
	n1 := h.start(0, nil, true)
	// n2, gated below, does not vote: a node that applies nothing must
	// not become the leader.
	n2 := h.start(1, n1, false)
	h.start(2, n1, true)
	n2.gate.gate.Lock() // n2 stops applying; n1 and n3 commit without it
	release := sync.OnceFunc(n2.gate.gate.Unlock)
	t.Cleanup(release) // before the nodes close: a closing node finishes its Apply
	num := n1.mustRegister(t, "Écrit pendant que n2 traîne")
	p := store.Perimeter{TenantID: "default", All: true}
	if _, err := n2.st.Reader().LetterByNumber(context.Background(), p, num); err == nil {
		t.Fatal("n2 applied while its gate was closed: the test proves nothing")
	}
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := n2.svc.ReadConsistent(ctx); err != nil {
			done <- err
			return
		}
		_, err := n2.st.Reader().LetterByNumber(context.Background(), p, num)
		done <- err
	}()
	// Time for a read that does not wait to show itself.
	select {
	case err := <-done:
		t.Fatalf("strong read on n2 returned before n2 applied the letter: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	release()
	if err := <-done; err != nil {
		t.Fatalf("strong read on n2: %v", err)
	}
}

// The join carries secrets.key: what one node seals, another opens, keys
// derived from it (web sessions) are the same, and an API token made on a
// follower opens the API of the leader.
func TestSecretsReachJoiningNodes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 3)
	n1 := h.start(0, nil, true)
	n2 := h.start(1, n1, true)
	n3 := h.start(2, n2, false)
	k1, err := os.ReadFile(filepath.Join(n1.dir, appliance.SecretKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, tn := range []*tnode{n2, n3} {
		k, err := os.ReadFile(filepath.Join(tn.dir, appliance.SecretKeyFile))
		if err != nil || !bytes.Equal(k, k1) {
			t.Fatalf("%s: secrets.key differs from n1's (%v)", tn.name, err)
		}
		fi, _ := os.Stat(filepath.Join(tn.dir, appliance.SecretKeyFile))
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: secrets.key mode %v", tn.name, fi.Mode().Perm())
		}
	}
	sealed := n3.svc.Secrets.Seal("relay", "mot de passe du relais")
	if plain, err := n1.svc.OpenSecret("relay", sealed); err != nil || plain != "mot de passe du relais" {
		t.Fatalf("n1 opens what n3 sealed: %q %v", plain, err)
	}
	d1, _ := n1.svc.Secrets.Derive("web-session")
	d2, _ := n2.svc.Secrets.Derive("web-session")
	if !bytes.Equal(d1, d2) {
		t.Fatal("web session keys differ between nodes")
	}
	ctx := context.Background()
	admin := n2.admin(t)
	var tok string
	retry(t, "API token on a follower", func() (err error) {
		tok, err = n2.svc.CreateToken(ctx, admin, admin.ID(), "script")
		return err
	})
	for _, tn := range []*tnode{n1, n3} {
		if err := tn.svc.ReadConsistent(ctx); err != nil {
			t.Fatal(err)
		}
		if a, err := tn.svc.AuthenticateToken(ctx, tok); err != nil || a.User.Login != "admin" {
			t.Fatalf("%s: token made on n2: %v", tn.name, err)
		}
	}
}

// A follower whose store lags stamps a number the leader has given
// already: the leader refuses it and names the next one, and the follower
// stamps that one at once (from its own store it would stamp the same
// taken number again and again).
func TestLaggingFollowerStampsTheLeadersNextNumber(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 3)
	n1 := h.start(0, nil, true)
	// n2, gated below, does not vote: a node that applies nothing must
	// not become the leader.
	n2 := h.start(1, n1, false)
	h.start(2, n1, true)
	first := n1.mustRegister(t, "Premier")
	fifth := strings.TrimSuffix(first, "1") + "5" // the year of this run
	h.converge()
	n2.gate.gate.Lock()
	release := sync.OnceFunc(n2.gate.gate.Unlock)
	t.Cleanup(release)
	for i := range 3 {
		n1.mustRegister(t, fmt.Sprintf("Sur le leader %d", i))
	}
	type result struct {
		num string
		err error
	}
	done := make(chan result, 1)
	go func() {
		// Again while the cluster is unavailable (an election on a
		// loaded machine); a refused number is not that.
		for {
			num, err := n2.register(t, "Sur le site en retard")
			if err == nil || !isUnavailable(err) {
				done <- result{num, err}
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	p := store.Perimeter{TenantID: "default", All: true}
	h.waitFor("the follower's letter committed on the leader", func() bool {
		select {
		case r := <-done:
			t.Fatalf("n2 answered before it could apply its own letter: %+v", r)
		default:
		}
		_, err := n1.st.Reader().LetterByNumber(context.Background(), p, fifth)
		return err == nil
	})
	release()
	r := <-done
	// …000005 unless an election lost the answer to a first try that
	// committed: then a later number, never an error.
	if r.err != nil || r.num < fifth {
		t.Fatalf("lagging follower's registration: %q %v, want %s", r.num, r.err, fifth)
	}
	h.converge()
	checkNumbers(t, "n2", numbers(t, n2))
}
