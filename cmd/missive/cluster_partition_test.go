//go:build !bench

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// TestBinaryPartitionLinearizable: three nodes, each in a network
// namespace of the test, under a load of writes and strong reads spread
// over all of them, plus one client per node that reads its own writes
// locally. The leader, then a follower, is cut off the others: the node
// alone refuses writes and strong reads with 503 (it does not hang) and
// still serves local reads; the two others elect a leader if needed and go
// on; healed, the node catches up to the same state as the others. The
// whole history is linearizable (porcupine); the same history with local
// reads of the cut-off node, made after writes the majority acknowledged,
// is not: the checker sees the stale reads a client would get without
// ?consistency=strong.
func TestBinaryPartitionLinearizable(t *testing.T) {
	t.Parallel()
	lab := newNetLab(t, 3)
	c := startBinCluster(t, 3, lab, nil)
	tok := c.token()
	load := newRegLoad(t, c, tok, 4)
	var probe apiLetter
	var own [3]apiLetter
	c.node(0).must(201, "POST", "/api/v1/letters", tok, map[string]any{"category": "internal", "subject": initialSubject}, &probe)
	for i := range own {
		c.node(i).must(201, "POST", "/api/v1/letters", tok, map[string]any{"category": "internal", "subject": initialSubject}, &own[i])
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for client := range 4 {
		wg.Add(1)
		go load.run(client, stop, &wg)
	}
	for i := range own {
		wg.Add(1)
		go load.session(10+i, i, own[i].ID, stop, &wg)
	}
	progress := func(n int) {
		t.Helper()
		load.mu.Lock()
		from := load.written
		load.mu.Unlock()
		waitUntil(t, fmt.Sprintf("%d more writes answered", n), 2*time.Minute, func() bool {
			load.mu.Lock()
			defer load.mu.Unlock()
			return load.written >= from+n
		})
	}
	progress(30)

	var stale []porcupine.Operation
	leader := c.leader(-1)
	follower := (leader + 1) % 3
	for _, cut := range []int{leader, follower} {
		lab.cut(cut)
		now := c.leader(cut)
		t.Logf("node %d cut off; node %d leads the others", cut, now)
		progress(10)
		stale = append(stale, c.probeMinority(t, cut, tok, load, probe.ID)...)
		progress(20)
		lab.heal(cut)
		c.caughtUp(cut)
		progress(10)
	}
	close(stop)
	wg.Wait()
	load.finalReads(20)
	c.converge()

	// Nothing the cut-off nodes refused was written.
	for i := range c.nodes {
		var got struct{ Letter apiLetter }
		c.node(i).must(200, "GET", "/api/v1/letters/"+probe.ID+"?consistency=strong", tok, nil, &got)
		if got.Letter.Subject != initialSubject {
			t.Errorf("node %d: the letter only the cut-off nodes were asked to change reads %q", i, got.Letter.Subject)
		}
	}
	load.check(t, "partitions")
	if len(stale) == 0 {
		t.Fatal("no local read of a cut-off node was made")
	}
	if !violates(t, append(load.log.history(), stale...)) {
		t.Error("porcupine accepts local reads of a cut-off node made after writes the majority acknowledged")
	}
}

// minorityPatience is how long a client waits for the answer of a node cut
// off the others. A node without quorum refuses within its election wait
// (8 s after it last saw a leader, cluster/quorum.go); raft's 30 s apply
// timeout, the old behaviour, does not fit in it: a refusal that hangs
// again fails the test.
const minorityPatience = 20 * time.Second

// probeMinority checks the node cut off the others: a write gets 503, as
// does a strong read, and a local read is served from its store. It
// returns local reads of the cut-off node, each made after a write to the
// same letter that the majority acknowledged: stale, and recorded apart.
func (c *binCluster) probeMinority(t *testing.T, cut int, tok string, load *regLoad, probe string) []porcupine.Operation {
	t.Helper()
	// A client that waits longer than the cluster's own deadline for a
	// write (30 s), and no longer: a node that answers nothing by then
	// hangs, and fails here. How long the 503 took is logged. The write
	// and the strong read are sent at once, and the stale reads below
	// made meanwhile, so that a node slow to refuse costs its wait once.
	s := *c.node(cut)
	s.client = &http.Client{Transport: s.http().Transport, Timeout: minorityPatience}
	refused := make(chan string, 2)
	probe503 := func(what string, call func() (int, []byte, error)) {
		start := time.Now()
		code, b, err := call()
		if err != nil || code != 503 {
			refused <- fmt.Sprintf("%s on the cut-off node %d: %d %s %v, want 503", what, cut, code, b, err)
			return
		}
		t.Logf("%s on the cut-off node %d: 503 after %v", what, cut, time.Since(start).Round(time.Millisecond))
		refused <- ""
	}
	go probe503("write", func() (int, []byte, error) {
		code, b, _, err := s.callKeyed("POST", "/api/v1/letters/"+probe+"/actions/qualify", tok, fmt.Sprintf("minorite-%d", cut), map[string]any{"subject": "écrit sur la minorité"})
		return code, b, err
	})
	go probe503("strong read", func() (int, []byte, error) {
		return s.call("GET", "/api/v1/letters/"+probe+"?consistency=strong", tok, nil)
	})
	defer func() {
		for range 2 {
			if msg := <-refused; msg != "" {
				t.Fatal(msg)
			}
		}
	}()

	var stale []porcupine.Operation
	other := (cut + 1) % 3
	for i, key := range load.keys {
		value := fmt.Sprintf("majorite-%d-%d", cut, i)
		load.write(99, other, key, value)
		call := load.log.now()
		code, b, err := s.call("GET", "/api/v1/letters/"+key, tok, nil)
		ret := load.log.now()
		if err != nil || code != 200 {
			t.Fatalf("local read on the cut-off node %d: %d %s %v, want 200", cut, code, b, err)
		}
		var got struct{ Letter apiLetter }
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		stale = append(stale, porcupine.Operation{ClientId: 98, Input: regInput{Key: key}, Output: regOutput{got.Letter.Subject}, Call: call, Return: ret})
	}
	return stale
}
