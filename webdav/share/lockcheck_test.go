package share_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/webdav/share"
)

// WebDAV locks are enforced twice: by the share, before anything is
// proposed, and by Apply, whatever the share concluded. Each check is
// tested here on its own, for a DELETE and a MOVE of a folder holding a
// file someone else locked: without the lock's token, 423 and nothing
// changes.

// countingProposer applies commands in order after the store's last index,
// and counts them by kind: a request the share refused proposed nothing.
type countingProposer struct {
	mu    sync.Mutex
	index uint64
	a     *appliance.Applier
	kinds map[appliance.Kind]int
}

func (p *countingProposer) Propose(_ context.Context, b []byte) (any, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var c struct{ Kind appliance.Kind }
	json.Unmarshal(b, &c)
	p.kinds[c.Kind]++
	p.index++
	return p.a.Apply(p.index, b), nil
}

func (p *countingProposer) count(k appliance.Kind) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.kinds[k]
}

// The share alone: DELETE and MOVE of the folder are refused (423) before
// a command is proposed; with the token they go through.
func TestShareRefusesFolderWithForeignLock(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	idx, err := f.env.Store.AppliedIndex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	prop := &countingProposer{index: idx, a: appliance.NewApplier(f.env.Store, apptest.Logger()), kinds: map[appliance.Kind]int{}}
	svc := appliance.NewService(f.env.Store, f.env.Blobs, prop, apptest.Logger())
	svc.Secrets = f.env.Svc.Secrets
	mux := http.NewServeMux()
	share.New(svc, apptest.Logger()).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f.srv = srv

	dir := f.folderA + "dossier/"
	status(t, f.do(t, "alice", "MKCOL", dir, ""), http.StatusCreated)
	status(t, f.do(t, "alice", "PUT", dir+"reponse.odt", "v1"), http.StatusCreated)
	tok := lock(t, f, "alice", dir+"reponse.odt", "Timeout", "Second-600")
	for _, c := range []struct {
		method string
		kind   appliance.Kind
		hdr    []string
	}{
		{"DELETE", appliance.KindDavDelete, nil},
		{"MOVE", appliance.KindDavMove, []string{"Destination", srv.URL + f.folderA + "renomme/"}},
	} {
		status(t, f.do(t, "admin", c.method, dir, "", c.hdr...), http.StatusLocked)
		if n := prop.count(c.kind); n != 0 {
			t.Fatalf("%s of a folder with a foreign lock: %d %s command(s) proposed; the share must refuse it itself", c.method, n, c.kind)
		}
	}
	// A MOVE onto such a folder is refused the same way.
	status(t, f.do(t, "alice", "MKCOL", f.folderA+"autre/", ""), http.StatusCreated)
	status(t, f.do(t, "admin", "MOVE", f.folderA+"autre/", "", "Destination", srv.URL+dir, "Overwrite", "T"), http.StatusLocked)
	if n := prop.count(appliance.KindDavMove) + prop.count(appliance.KindDavDelete); n != 0 {
		t.Fatalf("MOVE onto a folder with a foreign lock: %d command(s) proposed", n)
	}
	status(t, f.do(t, "alice", "GET", dir+"reponse.odt", ""), http.StatusOK)
	// With the token, the folder moves.
	status(t, f.do(t, "alice", "MOVE", dir, "", "Destination", srv.URL+f.folderA+"renomme/", "If", "<"+srv.URL+dir+"reponse.odt> (<"+tok+">)"), http.StatusCreated)
	status(t, f.do(t, "alice", "GET", f.folderA+"renomme/reponse.odt", ""), http.StatusOK)
}

// Apply alone: the same DELETE and MOVE proposed directly, as a node of
// the cluster would apply them whatever the share did, are refused with
// ErrLocked without the token, and change nothing.
func TestApplyRefusesFolderWithForeignLock(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	dir := f.folderA + "dossier/"
	status(t, f.do(t, "alice", "MKCOL", dir, ""), http.StatusCreated)
	status(t, f.do(t, "alice", "PUT", dir+"reponse.odt", "v1"), http.StatusCreated)
	tok := lock(t, f, "alice", dir+"reponse.odt", "Timeout", "Second-600")
	space, root := "l:"+f.letterA.ID, "/"+appliance.DavLetterFolder(f.letterA.Number)
	apply := func(kind appliance.Kind, payload any) *appliance.Result {
		t.Helper()
		cmd, err := appliance.NewCommand(kind, "default", f.env.Admin.ID(), time.Now(), payload)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := cmd.Encode()
		idx, err := f.env.Store.AppliedIndex(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return appliance.NewApplier(f.env.Store, apptest.Logger()).Apply(idx+1, b).(*appliance.Result)
	}
	del := appliance.DavDelete{Space: space, Path: "/dossier", LetterID: f.letterA.ID, LockRoot: root + "/dossier"}
	mv := appliance.DavMove{Space: space, From: "/dossier", To: "/renomme", LetterID: f.letterA.ID, LockFrom: root + "/dossier", LockTo: root + "/renomme"}
	if r := apply(appliance.KindDavDelete, del); !errors.Is(r.Err, appliance.ErrLocked) {
		t.Fatalf("delete applied past a foreign lock: %v", r.Err)
	}
	if r := apply(appliance.KindDavMove, mv); !errors.Is(r.Err, appliance.ErrLocked) {
		t.Fatalf("move applied past a foreign lock: %v", r.Err)
	}
	status(t, f.do(t, "alice", "GET", dir+"reponse.odt", ""), http.StatusOK)
	// With the token, Apply lets it through.
	mv.Tokens = []string{tok}
	if r := apply(appliance.KindDavMove, mv); r.Err != nil {
		t.Fatalf("move with the token: %v", r.Err)
	}
	status(t, f.do(t, "alice", "GET", f.folderA+"renomme/reponse.odt", ""), http.StatusOK)
}
