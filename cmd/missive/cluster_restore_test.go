//go:build !bench

package main

import (
	"bytes"
	"fmt"
	"missive/appliance/apptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The first node of a new cluster restored from a backup, the others
// joining it: on the built binary, a node of a cluster writes letters and
// is backed up; the backup is restored into a new data dir, started with a
// cluster port, and a fresh node joins it with a token and receives the
// snapshot: the same letters, an intact history. The restored node is a
// new cluster — its own CA and node id — so that the old cluster, still
// running, neither takes it for one of its nodes nor lets its tokens in.
func TestBinaryRestoreFirstNodeOfNewCluster(t *testing.T) {
	t.Parallel()
	old := newDataDir(t)
	oldPort := freeAddr(t)
	s0 := startMissiveWith(t, old, []string{"--cluster-listen", oldPort})
	tok := s0.token("admin")
	var subjects []string
	for i := range 12 {
		var l apiLetter
		s0.must(201, "POST", "/api/v1/letters", tok, map[string]any{"category": "incoming", "subject": fmt.Sprintf("Avant la sauvegarde, %d", i)}, &l)
		subjects = append(subjects, l.Number)
	}
	target := filepath.Join(filepath.Dir(old), "nas")
	mustMissive(t, testPassphrase+"\n", "backup", "run", "--data", old, "--target", "file://"+target, "--passphrase-stdin")
	oldSt, err := statusOf(t, old)
	if err != nil {
		t.Fatal(err)
	}

	restored := filepath.Join(filepath.Dir(old), "restaure")
	mustMissive(t, testPassphrase+"\n", "backup", "restore", "--target", "file://"+target, "--passphrase-stdin", "--to", restored)
	if _, err := os.Stat(filepath.Join(restored, "cluster")); !os.IsNotExist(err) {
		t.Fatalf("the restore wrote the old cluster's certificates: %v", err)
	}
	c1, c2 := freeAddr(t), freeAddr(t)
	s1 := startMissiveWith(t, restored, []string{"--cluster-listen", c1})
	st := waitStatus(t, restored, "the restored node leads", func(st clusterStatus) bool { return st.Leader != "" && st.Leader == st.Self })
	if st.Self == oldSt.Self {
		t.Fatalf("the restored node kept the old node's id %s", st.Self)
	}
	oldCA, _ := os.ReadFile(filepath.Join(old, "cluster", "ca.crt"))
	newCA, err := os.ReadFile(filepath.Join(restored, "cluster", "ca.crt"))
	if err != nil || len(oldCA) == 0 || bytes.Equal(oldCA, newCA) {
		t.Fatalf("the restored node's CA is the old cluster's (or missing: %v)", err)
	}

	// A token of the old cluster does not open the new one.
	oldTok := lastLine(mustMissive(t, "", "cluster", "token", "--data", old))
	if r := runMissive(t, "", "serve", "--data", newDataDir(t), "--listen", "127.0.0.1:0", "--cluster-listen", freeAddr(t), "--join", c1, "--token", oldTok); r.code == 0 || !strings.Contains(r.stderr, "autorité du cluster") {
		t.Fatalf("joining the restored node with the old cluster's token: exit %d, stderr %q", r.code, r.stderr)
	}

	// A fresh node joins the restored one and receives its snapshot.
	joiner := newDataDir(t)
	newTok := lastLine(mustMissive(t, "", "cluster", "token", "--data", restored))
	s2 := startMissiveWith(t, joiner, []string{"--cluster-listen", c2, "--join", c1, "--token", newTok})
	waitStatus(t, restored, "two voters caught up", func(st clusterStatus) bool {
		if len(st.Nodes) != 2 {
			return false
		}
		for _, n := range st.Nodes {
			if !n.Voter || n.AppliedIndex != st.Nodes[0].AppliedIndex {
				return false
			}
		}
		return true
	})
	tok1 := s1.token("admin")
	var code int
	var callErr error
	if !apptest.Wait(20*time.Second, 50*time.Millisecond, func() bool {
		code, _, callErr = s2.call("GET", "/api/v1/me", tok1, nil)
		return callErr == nil && code == 200
	}) {
		t.Fatalf("the restored node's token on the joiner: %d %v", code, callErr)
	}
	var got []string
	for _, l := range s2.allLetters(tok1) {
		got = append(got, l.Number)
	}
	slices.Sort(got)
	if !slices.Equal(got, subjects) {
		t.Fatalf("letters on the joiner %v, written on the old node %v", got, subjects)
	}
	// The new cluster takes writes on both nodes, numbers going on.
	var l apiLetter
	s2.must(201, "POST", "/api/v1/letters", tok1, map[string]any{"category": "incoming", "subject": "Après la restauration"}, &l)
	if !strings.HasSuffix(l.Number, fmt.Sprintf("/%06d", len(subjects)+1)) {
		t.Fatalf("first number after the restore %s, want %d", l.Number, len(subjects)+1)
	}
	s2.stop()
	s1.stop()
	s0.stop()
	if a, b := verifyHistory(t, restored), verifyHistory(t, joiner); a != b {
		t.Fatalf("history: %d entries on the restored node, %d on the joiner", a, b)
	}
}
