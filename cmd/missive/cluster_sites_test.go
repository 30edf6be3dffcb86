//go:build !bench

package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"testing"
)

// TestBinaryLockHeldAcrossNodesAndLeaderLoss: a WebDAV LOCK taken on node
// 1 makes a PUT without its token on node 2 answer 423 Locked, and still
// once the leader has been killed with SIGKILL and another elected; the
// token opens the file on the survivors.
func TestBinaryLockHeldAcrossNodesAndLeaderLoss(t *testing.T) {
	t.Parallel()
	c := startBinCluster(t, 3, nil, nil)
	const path = "/dav/default/~admin/verrou.odt"
	if r := davRequest(t, c.node(0), "PUT", path, c.pw, "", "brouillon"); r.StatusCode/100 != 2 {
		t.Fatalf("PUT on node 1: %d", r.StatusCode)
	}
	lock := davRequest(t, c.node(0), "LOCK", path, c.pw, "", `<?xml version="1.0" encoding="utf-8"?>
<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>site 1</D:owner></D:lockinfo>`)
	token := lock.Header.Get("Lock-Token")
	if lock.StatusCode != http.StatusOK && lock.StatusCode != http.StatusCreated || token == "" {
		t.Fatalf("LOCK on node 1: %d, Lock-Token %q", lock.StatusCode, token)
	}
	if r := davRequest(t, c.node(1), "PUT", path, c.pw, "", "écrasé?"); r.StatusCode != http.StatusLocked {
		t.Fatalf("PUT without the lock token on node 2: %d, want 423", r.StatusCode)
	}

	leader := c.leader(-1)
	c.kill(leader)
	now := c.leader(leader)
	t.Logf("node %d killed; node %d leads", leader, now)
	put := 1
	if leader == put {
		put = 2
	}
	if r := davRequest(t, c.node(put), "PUT", path, c.pw, "", "écrasé?"); r.StatusCode != http.StatusLocked {
		t.Fatalf("PUT without the lock token on node %d after the leader's loss: %d, want 423", put+1, r.StatusCode)
	}
	if r := davRequest(t, c.node(put), "PUT", path, c.pw, "("+token+")", "avec le jeton"); r.StatusCode/100 != 2 {
		t.Fatalf("PUT with the lock token on node %d after the leader's loss: %d", put+1, r.StatusCode)
	}
}

// TestBinaryDocumentUploadedOnOneNodeReadOnAnother: a document uploaded
// through node 2's API is downloaded from node 3 with the same bytes
// (SHA-256), and so from node 1.
func TestBinaryDocumentUploadedOnOneNodeReadOnAnother(t *testing.T) {
	t.Parallel()
	c := startBinCluster(t, 3, nil, nil)
	tok := c.token()
	var l apiLetter
	c.node(1).must(201, "POST", "/api/v1/letters", tok, map[string]any{"category": "incoming", "subject": "Plan cadastral"}, &l)
	content := make([]byte, 3<<20)
	rnd := rand.New(rand.NewPCG(13, 2))
	for i := range content {
		content[i] = byte(rnd.Uint32())
	}
	sum := sha256.Sum256(content)
	want := hex.EncodeToString(sum[:])

	req, _ := http.NewRequest("POST", c.node(1).url+"/api/v1/letters/"+l.ID+"/documents?name=plan.pdf", bytes.NewReader(content))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/pdf")
	resp, err := apiClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var doc apiDocument
	if resp.StatusCode != 201 || json.Unmarshal(b, &doc) != nil || doc.ID == "" {
		t.Fatalf("upload on node 2: %d %s", resp.StatusCode, b)
	}

	for _, i := range []int{2, 0} {
		req, _ := http.NewRequest("GET", c.node(i).url+"/api/v1/documents/"+doc.ID+"/content?consistency=strong", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := apiClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		gotSum := sha256.Sum256(got)
		if resp.StatusCode != 200 || hex.EncodeToString(gotSum[:]) != want {
			t.Fatalf("document from node %d: %d, %d bytes, SHA-256 %x, want %s", i+1, resp.StatusCode, len(got), gotSum, want)
		}
	}
}
