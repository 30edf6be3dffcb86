//go:build !bench

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"missive/appliance/store/pgtest"
	"missive/webdav/share/litmustest"
)

// clusterStatus is `missive cluster status --json`, the contract of issue F.
type clusterStatus struct {
	Self   string `json:"self"`
	Leader string `json:"leader"`
	Nodes  []struct {
		ID           string `json:"id"`
		Address      string `json:"address"`
		Voter        bool   `json:"voter"`
		Leader       bool   `json:"leader"`
		AppliedIndex uint64 `json:"applied_index"`
	} `json:"nodes"`
}

func statusOf(t *testing.T, data string) (clusterStatus, error) {
	t.Helper()
	r := runMissive(t, "", "cluster", "status", "--data", data, "--json")
	var st clusterStatus
	if r.code != 0 {
		return st, fmt.Errorf("exit %d: %s", r.code, r.stderr)
	}
	err := json.Unmarshal([]byte(r.stdout), &st)
	return st, err
}

// waitStatus polls a node's status until ok holds.
func waitStatus(t *testing.T, data, what string, ok func(clusterStatus) bool) clusterStatus {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err := statusOf(t, data)
		if err == nil && ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: timed out waiting for %s; last status %+v (%v)", data, what, st, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Three nodes started by the commands of the contract, on 127.0.0.1: a
// letter registered through a follower's API is read on the others, a
// token made on a follower opens the leader's API, a joined node restarts
// without --join, and after kill -9 of the leader the survivors elect
// another and take writes; numbers stay unique and gap-free throughout.
func TestBinaryThreeNodeCluster(t *testing.T) {
	t.Parallel()
	d1, d2, d3 := newDataDir(t), newDataDir(t), newDataDir(t)
	c1, c2, c3 := freeAddr(t), freeAddr(t), freeAddr(t)
	s1 := startMissiveWith(t, d1, []string{"--cluster-listen", c1})
	pw := s1.firstPassword()

	tok := lastLine(mustMissive(t, "", "cluster", "token", "--data", d1))
	s2 := startMissiveWith(t, d2, []string{"--cluster-listen", c2, "--join", c1, "--token", tok})
	// n3's token comes from n2, a follower, and n3 joins through it.
	tok3 := lastLine(mustMissive(t, "", "cluster", "token", "--data", d2))
	s3 := startMissiveWith(t, d3, []string{"--cluster-listen", c3, "--join", c2, "--token", tok3})
	if r := runMissive(t, "", "serve", "--data", newDataDir(t), "--listen", "127.0.0.1:0", "--cluster-listen", freeAddr(t), "--join", c1, "--token", tok); r.code == 0 || !strings.Contains(r.stderr, "déjà utilisé") {
		t.Fatalf("a second node with a used token: exit %d, stderr %q", r.code, r.stderr)
	}

	st := waitStatus(t, d1, "three voters", func(st clusterStatus) bool {
		voters := 0
		for _, n := range st.Nodes {
			if n.Voter {
				voters++
			}
		}
		return len(st.Nodes) == 3 && voters == 3 && st.Leader != ""
	})
	id1 := st.Self
	if st.Leader != id1 {
		t.Fatalf("leader %q, want the first node %q: %+v", st.Leader, id1, st)
	}
	for _, n := range st.Nodes {
		if n.Leader != (n.ID == id1) || !slices.Contains([]string{c1, c2, c3}, n.Address) {
			t.Errorf("status node %+v", n)
		}
	}
	st2, err := statusOf(t, d2)
	if err != nil || st2.Self == id1 || st2.Leader != id1 {
		t.Fatalf("status of node 2: %+v %v", st2, err)
	}

	// A token made on a follower opens the API of the leader and of the
	// other follower at once: a node that has not applied the token's
	// command yet catches up (leader's read index) before it refuses.
	api := s2.token("admin")
	for _, s := range []*missiveServer{s1, s3} {
		if code, b, err := s.call("GET", "/api/v1/me", api, nil); err != nil || code != 200 {
			t.Fatalf("%s: the token made on node 2, used at once: %d %s %v", s.url, code, b, err)
		}
	}

	var acked []string
	register := func(s *missiveServer, subject string) apiLetter {
		t.Helper()
		var l apiLetter
		s.must(201, "POST", "/api/v1/letters", api, map[string]any{"category": "incoming", "subject": subject}, &l)
		acked = append(acked, l.Number)
		return l
	}
	l := register(s2, "Reçu sur le site 2")
	// Read your writes on the follower that took it; strong reads on the
	// others.
	s2.must(200, "GET", "/api/v1/letters/"+l.ID, api, nil, nil)
	for _, s := range []*missiveServer{s1, s3} {
		var got struct{ Letter apiLetter }
		s.must(200, "GET", "/api/v1/letters/"+l.ID+"?consistency=strong", api, nil, &got)
		if got.Letter.Number != l.Number {
			t.Fatalf("letter on another node: %+v, want %s", got, l.Number)
		}
	}

	// WebDAV on a follower: the conformance suite, and a lock taken
	// through the leader holds on the follower.
	litmustest.Run(t, s3.url+"/dav/default/~admin/", "admin", pw)
	lock := davRequest(t, s1, "LOCK", "/dav/default/~admin/verrou.txt", pw, "", `<?xml version="1.0" encoding="utf-8"?>
<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>site 1</D:owner></D:lockinfo>`)
	token := lock.Header.Get("Lock-Token")
	if lock.StatusCode != http.StatusCreated && lock.StatusCode != http.StatusOK || token == "" {
		t.Fatalf("LOCK on the leader: %d, Lock-Token %q", lock.StatusCode, token)
	}
	if r := davRequest(t, s3, "PUT", "/dav/default/~admin/verrou.txt", pw, "", "écrasé?"); r.StatusCode != http.StatusLocked {
		t.Fatalf("PUT without the lock token on a follower: %d, want 423", r.StatusCode)
	}
	if r := davRequest(t, s3, "PUT", "/dav/default/~admin/verrou.txt", pw, "("+token+")", "avec le jeton"); r.StatusCode/100 != 2 {
		t.Fatalf("PUT with the lock token on a follower: %d", r.StatusCode)
	}

	// A joined node restarts without --join.
	s2.stop()
	s2 = startMissiveWith(t, d2, []string{"--cluster-listen", c2})
	register(s2, "Après le redémarrage du site 2")

	// kill -9 of the leader: the survivors elect another and take writes.
	s1.kill()
	waitStatus(t, d2, "a new leader", func(st clusterStatus) bool { return st.Leader != "" && st.Leader != id1 })
	for i, s := range []*missiveServer{s2, s3, s2, s3} {
		register(s, fmt.Sprintf("Après la perte du leader, %d", i))
	}
	var all []string
	for _, l := range s3.allLetters(api) {
		all = append(all, l.Number)
	}
	slices.Sort(all)
	slices.Sort(acked)
	if !slices.Equal(all, acked) {
		t.Fatalf("letters stored %v, acknowledged %v", all, acked)
	}
	for i, num := range all {
		if !strings.HasSuffix(num, fmt.Sprintf("/%06d", i+1)) {
			t.Fatalf("numbers %v: not 1…%d", all, len(all))
		}
	}
	s2.stop()
	s3.stop()
	for _, d := range []string{d2, d3} {
		verifyHistory(t, d)
	}
}

// Each node keeps its own database: a second node started on the
// PostgreSQL database of a first refuses to start, with a French message
// naming both.
func TestBinarySecondNodeOnOneDatabaseRefusesToStart(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	d1, d2 := newDataDir(t), newDataDir(t)
	s1 := startMissiveWith(t, d1, []string{"--db", dsn})
	s1.firstPassword()
	r := runMissive(t, "", "serve", "--data", d2, "--db", dsn, "--listen", "127.0.0.1:0")
	if r.code == 0 || !strings.Contains(r.stderr, "base de données déjà utilisée par un autre nœud") || !strings.Contains(r.stderr, "propre base") {
		t.Fatalf("second node on one database: exit %d\nstderr: %s", r.code, r.stderr)
	}
	// The first is unharmed.
	s1.must(200, "GET", "/api/v1/me", s1.token("admin"), nil, nil)
}

// davRequest makes a WebDAV request as admin and returns the response,
// its body read and closed.
func davRequest(t *testing.T, s *missiveServer, method, path, pw, ifHeader, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("admin", pw)
	if ifHeader != "" {
		req.Header.Set("If", ifHeader)
	}
	if method == "LOCK" {
		req.Header.Set("Content-Type", "application/xml")
		req.Header.Set("Timeout", "Second-600")
	}
	resp, err := s.http().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}
