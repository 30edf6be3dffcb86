package share_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/control"
	"missive/appliance/domain"
	"missive/appliance/drafts"
)

// docs lists a letter's documents as the admin sees them.
func (f *fixture) docs(t testing.TB, l *domain.Letter) []domain.Document {
	t.Helper()
	v, err := f.env.Svc.View(context.Background(), f.env.Admin, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	return v.Documents
}

func TestPerimeter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// Alice sees her service's letter, not the other one.
	status(t, f.do(t, "alice", "PROPFIND", f.folderA, "", "Depth", "1"), http.StatusMultiStatus)
	status(t, f.do(t, "alice", "PROPFIND", f.folderB, "", "Depth", "1"), http.StatusNotFound)
	status(t, f.do(t, "alice", "GET", f.folderB+"x.odt", ""), http.StatusNotFound)
	status(t, f.do(t, "alice", "PUT", f.folderB+"x.odt", "intrus"), http.StatusNotFound)
	status(t, f.do(t, "alice", "MKCOL", f.folderB+"d/", ""), http.StatusNotFound)
	if d := f.docs(t, f.letterB); len(d) != 0 {
		t.Fatalf("letter B changed from outside its perimeter: %+v", d)
	}
	root := body(f.do(t, "alice", "PROPFIND", "/dav/default/", "", "Depth", "1"))
	if !strings.Contains(root, strings.TrimSuffix(f.folderA, "/")) || strings.Contains(root, strings.TrimSuffix(f.folderB, "/")) {
		t.Fatalf("root listing of alice:\n%s", root)
	}
	status(t, f.do(t, "alice", "PROPFIND", "/dav/default/", "", "Depth", "infinity"), http.StatusForbidden)
	// Another user's working folder.
	status(t, f.do(t, "alice", "PUT", "/dav/default/~alice/mien.odt", "v1"), http.StatusCreated)
	status(t, f.do(t, "bob", "GET", "/dav/default/~alice/mien.odt", ""), http.StatusForbidden)
	status(t, f.do(t, "bob", "PROPFIND", "/dav/default/~alice/", "", "Depth", "1"), http.StatusForbidden)
	status(t, f.do(t, "bob", "DELETE", "/dav/default/~alice/mien.odt", ""), http.StatusForbidden)
	// An elected official reads but never writes.
	status(t, f.do(t, "elu", "PROPFIND", f.folderA, "", "Depth", "1"), http.StatusMultiStatus)
	status(t, f.do(t, "elu", "PUT", f.folderA+"elu.odt", "x"), http.StatusForbidden)
	// The read-only places.
	status(t, f.do(t, "alice", "PUT", "/dav/default/modeles/x.odt", "x"), http.StatusForbidden)
	status(t, f.do(t, "alice", "MKCOL", "/dav/default/nouveau/", ""), http.StatusNotFound)
	status(t, f.do(t, "alice", "PUT", "/dav/default/racine.odt", "x"), http.StatusNotFound)
	// Another tenant: the credentials are of tenant default only.
	status(t, f.do(t, "alice", "PROPFIND", "/dav/autre/~alice/", "", "Depth", "0"), http.StatusUnauthorized)
	// No password, wrong password.
	req, _ := http.NewRequest("PROPFIND", f.srv.URL+"/dav/default/~alice/", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("anonymous: %d %v", resp.StatusCode, resp.Header)
	}
	f.password = "faux"
	status(t, f.do(t, "alice", "PROPFIND", "/dav/default/~alice/", "", "Depth", "0"), http.StatusUnauthorized)
	f.password = userPassword

	// MOVE and COPY never leave their folder.
	status(t, f.do(t, "alice", "PUT", f.folderA+"projet.odt", "brouillon"), http.StatusCreated)
	for _, dst := range []string{f.folderB + "projet.odt", "/dav/default/~alice/projet.odt", "/dav/default/~bob/projet.odt", "/dav/autre/~alice/projet.odt", "/dav/default/modeles/projet.odt"} {
		for _, m := range []string{"MOVE", "COPY"} {
			resp := f.do(t, "alice", m, f.folderA+"projet.odt", "", "Destination", f.srv.URL+dst)
			if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
				t.Fatalf("%s to %s: %d", m, dst, resp.StatusCode)
			}
		}
	}
	status(t, f.do(t, "alice", "COPY", f.folderA+"projet.odt", "", "Destination", "http://ailleurs.example"+f.folderA+"copie.odt"), http.StatusBadGateway)
	status(t, f.do(t, "alice", "GET", f.folderA+"projet.odt", ""), http.StatusOK)
	if d := f.docs(t, f.letterB); len(d) != 0 {
		t.Fatalf("letter B changed by a MOVE or COPY: %+v", d)
	}
	status(t, f.do(t, "alice", "GET", "/dav/default/~alice/projet.odt", ""), http.StatusNotFound)
}

var tokenRE = regexp.MustCompile(`<(urn:uuid:[^>]+)>`)

func lock(t *testing.T, f *fixture, login, path string, hdr ...string) string {
	t.Helper()
	resp := f.do(t, login, "LOCK", path, `<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>`+login+`</D:owner></D:lockinfo>`, hdr...)
	status(t, resp, http.StatusOK, http.StatusCreated)
	m := tokenRE.FindStringSubmatch(resp.Header.Get("Lock-Token"))
	if m == nil {
		t.Fatalf("no lock token: %v", resp.Header)
	}
	return m[1]
}

func TestLocks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	draft := f.folderA + "reponse.odt"
	status(t, f.do(t, "alice", "PUT", draft, "v1"), http.StatusCreated)
	tok := lock(t, f, "alice", draft, "Timeout", "Second-600")
	// Someone else, and alice herself without the token, get 423.
	status(t, f.do(t, "admin", "PUT", draft, "écrasé"), http.StatusLocked)
	status(t, f.do(t, "alice", "PUT", draft, "sans jeton"), http.StatusLocked)
	status(t, f.do(t, "admin", "DELETE", draft, ""), http.StatusLocked)
	status(t, f.do(t, "admin", "MOVE", draft, "", "Destination", f.srv.URL+f.folderA+"autre.odt"), http.StatusLocked)
	status(t, f.do(t, "admin", "LOCK", draft, `<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>`), http.StatusLocked)
	status(t, f.do(t, "alice", "PUT", draft, "v2", "If", "(<"+tok+">)"), http.StatusCreated, http.StatusNoContent)
	// Refresh keeps the token.
	status(t, f.do(t, "alice", "LOCK", draft, "", "If", "(<"+tok+">)", "Timeout", "Second-900"), http.StatusOK)
	locks, err := f.env.Svc.DavLocks(ctx, "default")
	if err != nil || len(locks) != 1 || locks[0].TimeoutS != 900 {
		t.Fatalf("locks after refresh: %+v %v", locks, err)
	}
	// An administrator breaks it.
	if err := f.env.Svc.DavBreakLock(ctx, f.alice, tok); err == nil {
		t.Fatal("an agent broke a lock")
	}
	if err := f.env.Svc.DavBreakLock(ctx, f.env.Admin, tok); err != nil {
		t.Fatal(err)
	}
	status(t, f.do(t, "admin", "PUT", draft, "v3"), http.StatusCreated, http.StatusNoContent)
	status(t, f.do(t, "alice", "UNLOCK", draft, "", "Lock-Token", "<"+tok+">"), http.StatusConflict)

	// A stale lock lapses: its expiry was stamped when it was taken.
	tok = lock(t, f, "alice", draft, "Timeout", "Second-60")
	status(t, f.do(t, "admin", "PUT", draft, "v4"), http.StatusLocked)
	f.env.Svc.Now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	status(t, f.do(t, "admin", "PUT", draft, "v4"), http.StatusCreated, http.StatusNoContent)
	status(t, f.do(t, "alice", "UNLOCK", draft, "", "Lock-Token", "<"+tok+">"), http.StatusConflict)
	// An infinite request is capped: the lock still lapses.
	tok = lock(t, f, "alice", draft, "Timeout", "Infinite")
	locks, _ = f.env.Svc.DavLocks(ctx, "default")
	if len(locks) != 1 || locks[0].Token != tok || locks[0].ExpiresAt == "" {
		t.Fatalf("infinite lock not capped: %+v", locks)
	}
	status(t, f.do(t, "alice", "UNLOCK", draft, "", "Lock-Token", "<"+tok+">"), http.StatusNoContent)

	// The administrator's CLI (missive dav unlock --path) breaks a lock.
	lock(t, f, "alice", draft)
	res := control.Run(ctx, f.env.Svc, control.Request{Op: "dav.unlock", DAV: &control.DAVRequest{Path: strings.TrimPrefix(draft, "/dav/default")}})
	if res.Error != "" || !strings.Contains(res.Output, "reponse.odt") {
		t.Fatalf("dav.unlock: %+v", res)
	}
	status(t, f.do(t, "admin", "PUT", draft, "v5"), http.StatusCreated, http.StatusNoContent)
}

func TestVersions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	draft := f.folderA + "reponse.odt"
	status(t, f.do(t, "alice", "PUT", draft, "version un"), http.StatusCreated)
	status(t, f.do(t, "alice", "PUT", draft, "version un"), http.StatusCreated, http.StatusNoContent)
	status(t, f.do(t, "alice", "PUT", draft, "version deux"), http.StatusCreated, http.StatusNoContent)
	docs := f.docs(t, f.letterA)
	if len(docs) != 1 || len(docs[0].Versions) != 2 || docs[0].Role != domain.DocDraft || docs[0].Name != "reponse.odt" {
		t.Fatalf("documents: %+v", docs)
	}
	if got := body(f.do(t, "alice", "GET", draft, "")); got != "version deux" {
		t.Fatalf("GET: %q", got)
	}
	if _, err := f.env.Svc.RestoreVersion(ctx, f.alice, f.letterA.ID, docs[0].ID, 1); err != nil {
		t.Fatal(err)
	}
	if got := body(f.do(t, "alice", "GET", draft, "")); got != "version un" {
		t.Fatalf("GET after restore: %q", got)
	}
	v, err := f.env.Svc.View(ctx, f.env.Admin, f.letterA.ID)
	if err != nil {
		t.Fatal(err)
	}
	saves, restores := 0, 0
	for _, h := range v.History {
		saves += strings.Count(h.Summary, "enregistré par WebDAV (version")
		restores += strings.Count(h.Summary, "version 1 restaurée (version 3)")
	}
	if saves != 2 || restores != 1 || len(v.Documents[0].Versions) != 3 {
		t.Fatalf("history: %d saves, %d restores; versions %+v", saves, restores, v.Documents[0].Versions)
	}
	// A document attached elsewhere shows in the folder; saving it there
	// makes its next version; removing it from the folder keeps it.
	d, err := f.env.Svc.Attach(ctx, f.env.Admin, f.letterA.ID, "", appliance.Upload{Name: "scan.pdf", Body: strings.NewReader("%PDF-1.4 scan")})
	if err != nil {
		t.Fatal(err)
	}
	list := body(f.do(t, "alice", "PROPFIND", f.folderA, "", "Depth", "1"))
	if !strings.Contains(list, "scan.pdf") {
		t.Fatalf("listing without the attached document:\n%s", list)
	}
	status(t, f.do(t, "alice", "PUT", f.folderA+"scan.pdf", "%PDF-1.4 annoté"), http.StatusCreated, http.StatusNoContent)
	status(t, f.do(t, "alice", "DELETE", f.folderA+"scan.pdf", ""), http.StatusNoContent)
	status(t, f.do(t, "alice", "GET", f.folderA+"scan.pdf", ""), http.StatusNotFound)
	for _, doc := range f.docs(t, f.letterA) {
		if doc.ID == d.ID && len(doc.Versions) != 2 {
			t.Fatalf("scan.pdf versions: %+v", doc.Versions)
		}
	}
	if len(f.docs(t, f.letterA)) != 2 {
		t.Fatal("a DELETE over WebDAV removed a document from its letter")
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	home := "/dav/default/~alice/"
	status(t, f.do(t, "alice", "PUT", home+"a.txt", "a"), http.StatusCreated)
	for _, p := range []string{home + "..%2f..%2fetc%2fpasswd", home + "a%00.txt", home + "%2e%2e/%2e%2e/~bob/", home + "x%5c..%5cy", "/dav/default/%7ebob%2fa.txt"} {
		req, _ := http.NewRequest("GET", f.srv.URL+p, nil)
		req.SetBasicAuth("alice", userPassword)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMovedPermanently {
			t.Fatalf("GET %s: %d", p, resp.StatusCode)
		}
	}
	// An entity bomb and a huge PROPFIND are refused before any parsing.
	bomb := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><D:propfind xmlns:D="DAV:"><D:prop><D:displayname>&lol2;</D:displayname></D:prop></D:propfind>`
	status(t, f.do(t, "alice", "PROPFIND", home, bomb, "Depth", "1"), http.StatusBadRequest)
	status(t, f.do(t, "alice", "PROPPATCH", home+"a.txt", bomb), http.StatusBadRequest)
	huge := `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop>` + strings.Repeat(`<D:displayname/>`, 1<<17) + `</D:prop></D:propfind>`
	status(t, f.do(t, "alice", "PROPFIND", home, huge, "Depth", "1"), http.StatusRequestEntityTooLarge)
	// Over the upload limit: 413 and nothing stored.
	f.env.Svc.MaxUpload = 1024
	status(t, f.do(t, "alice", "PUT", home+"gros.bin", strings.Repeat("x", 2048)), http.StatusRequestEntityTooLarge)
	status(t, f.do(t, "alice", "PUT", f.folderA+"gros.bin", strings.Repeat("x", 2048)), http.StatusRequestEntityTooLarge)
	// Without Content-Length the limit holds while streaming.
	req, _ := http.NewRequest("PUT", f.srv.URL+home+"flux.bin", strings.NewReader(strings.Repeat("y", 4096)))
	req.ContentLength = -1
	req.SetBasicAuth("alice", userPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked PUT over the limit: %d", resp.StatusCode)
	}
	for _, p := range []string{home + "gros.bin", home + "flux.bin", f.folderA + "gros.bin"} {
		status(t, f.do(t, "alice", "GET", p, ""), http.StatusNotFound)
	}
	if d := f.docs(t, f.letterA); len(d) != 0 {
		t.Fatalf("a refused PUT left a document: %+v", d)
	}
}

func TestToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok, err := f.env.Svc.CreateToken(context.Background(), f.env.Admin, f.alice.ID(), "webdav")
	if err != nil {
		t.Fatal(err)
	}
	// An API token works as the Basic password of its own user only.
	f.password = tok
	status(t, f.do(t, "alice", "PROPFIND", "/dav/default/~alice/", "", "Depth", "0"), http.StatusMultiStatus)
	status(t, f.do(t, "bob", "PROPFIND", "/dav/default/~bob/", "", "Depth", "0"), http.StatusUnauthorized)
}

// The reply draft made from a template opens at the address the letter
// page and the API give (drafts.DAVPath), and saving it there makes its
// next version.
func TestDraftOverDAV(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	d, err := f.env.Svc.CreateDraft(ctx, f.alice, f.letterA.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	p := drafts.DAVPath("default", f.letterA.Number, d.Document.Name)
	status(t, f.do(t, "alice", "GET", p, ""), http.StatusOK)
	tok := lock(t, f, "alice", p)
	status(t, f.do(t, "alice", "PUT", p, "projet modifié", "If", "(<"+tok+">)"), http.StatusCreated, http.StatusNoContent)
	status(t, f.do(t, "alice", "UNLOCK", p, "", "Lock-Token", "<"+tok+">"), http.StatusNoContent)
	doc, err := f.env.Svc.Document(ctx, f.alice, d.Document.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Versions) != 2 {
		t.Fatalf("draft versions after a save over WebDAV: %+v", doc.Versions)
	}
}

// A lock taken over WebDAV also holds against an upload or a restore made
// in the browser or the API; an administrator lists and breaks locks
// through the API.
func TestLockHoldsOutsideTheShare(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	draft := f.folderA + "reponse.odt"
	status(t, f.do(t, "alice", "PUT", draft, "v1"), http.StatusCreated)
	status(t, f.do(t, "alice", "PUT", draft, "v2"), http.StatusCreated, http.StatusNoContent)
	doc := f.docs(t, f.letterA)[0]
	lock(t, f, "alice", draft)
	_, err := f.env.Svc.Attach(ctx, f.env.Admin, f.letterA.ID, doc.ID, appliance.Upload{Body: strings.NewReader("v3 du navigateur")})
	if !errors.Is(err, appliance.ErrLocked) {
		t.Fatalf("upload of a new version under a lock: %v", err)
	}
	if _, err := f.env.Svc.RestoreVersion(ctx, f.env.Admin, f.letterA.ID, doc.ID, 1); !errors.Is(err, appliance.ErrLocked) {
		t.Fatalf("restore under a lock: %v", err)
	}
	tok, err := f.env.Svc.CreateToken(ctx, f.env.Admin, f.env.Admin.ID(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	apiDo := func(method, path string) *http.Response {
		req, _ := http.NewRequest(method, f.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	resp := apiDo("GET", "/api/v1/dav/locks")
	var locks []struct{ Token, Root string }
	if err := json.NewDecoder(resp.Body).Decode(&locks); err != nil || len(locks) != 1 || locks[0].Root != strings.TrimPrefix(draft, "/dav/default") {
		t.Fatalf("GET /api/v1/dav/locks: %d %+v %v", resp.StatusCode, locks, err)
	}
	status(t, apiDo("POST", "/api/v1/documents/"+doc.ID+"/versions/1/restore"), http.StatusLocked)
	status(t, apiDo("DELETE", "/api/v1/dav/locks/"+locks[0].Token), http.StatusNoContent)
	status(t, apiDo("POST", "/api/v1/documents/"+doc.ID+"/versions/1/restore"), http.StatusCreated)
	if got := body(f.do(t, "alice", "GET", draft, "")); got != "v1" {
		t.Fatalf("after restore over the API: %q", got)
	}
}

// A changed password stops working at once, though checked passwords are
// remembered; and a guesser is slowed down like at the web login.
func TestPasswordChangeAndGuessing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	status(t, f.do(t, "alice", "PROPFIND", "/dav/default/~alice/", "", "Depth", "0"), http.StatusMultiStatus)
	if err := f.env.Svc.SetPassword(ctx, f.env.Admin, f.alice.ID(), "un-tout-nouveau-mot-de-passe"); err != nil {
		t.Fatal(err)
	}
	status(t, f.do(t, "alice", "PROPFIND", "/dav/default/~alice/", "", "Depth", "0"), http.StatusUnauthorized)
	f.password = "un-tout-nouveau-mot-de-passe"
	status(t, f.do(t, "alice", "PROPFIND", "/dav/default/~alice/", "", "Depth", "0"), http.StatusMultiStatus)

	// Five wrong passwords for bob: even the right one is refused for a while.
	f.password = "faux"
	for i := 0; i < 5; i++ {
		status(t, f.do(t, "bob", "PROPFIND", "/dav/default/~bob/", "", "Depth", "0"), http.StatusUnauthorized)
	}
	f.password = userPassword
	status(t, f.do(t, "bob", "PROPFIND", "/dav/default/~bob/", "", "Depth", "0"), http.StatusTooManyRequests)
}

// Thirty wrong passwords at once: the attempts are counted as they arrive,
// so at most five reach a password check, the others wait (429), and so
// does the right password sent right after.
func TestBasicAuthBurst(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// A still clock: no wait lapses during the burst, whatever the load.
	now := time.Now()
	f.env.Svc.Now = func() time.Time { return now }
	var mu sync.Mutex
	got := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("PROPFIND", f.srv.URL+"/dav/default/~bob/", nil)
			req.Header.Set("Depth", "0")
			req.SetBasicAuth("bob", fmt.Sprintf("devine-%d", i))
			<-start
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			got[resp.StatusCode]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	if got[http.StatusUnauthorized] > 5 || got[http.StatusTooManyRequests] != 30-got[http.StatusUnauthorized] {
		t.Fatalf("a burst of 30 wrong passwords: %v; want at most 5 checked, the rest 429", got)
	}
	status(t, f.do(t, "bob", "PROPFIND", "/dav/default/~bob/", "", "Depth", "0"), http.StatusTooManyRequests)
}

// A lock token in the wrong hands: someone who cannot see the folder can
// neither refresh nor release the lock, and learns nothing of it (its
// path, its owner).
func TestForeignLockTokenOutsideThePerimeter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	draft := f.folderA + "reponse.odt"
	status(t, f.do(t, "alice", "PUT", draft, "v1"), http.StatusCreated)
	tok := lock(t, f, "alice", draft, "Timeout", "Second-600")
	// Bob, of service B, holds alice's token.
	resp := f.do(t, "bob", "LOCK", "/dav/default/~bob/", "", "If", "(<"+tok+">)", "Timeout", "Second-3600")
	status(t, resp, http.StatusPreconditionFailed)
	if b := body(resp); strings.Contains(b, strings.TrimPrefix(draft, "/dav/default")) || strings.Contains(b, "alice") {
		t.Fatalf("the refresh reveals the lock: %s", b)
	}
	status(t, f.do(t, "bob", "UNLOCK", "/dav/default/~bob/", "", "Lock-Token", "<"+tok+">"), http.StatusConflict)
	bob, err := f.env.Svc.Authenticate(ctx, "default", "bob", userPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.env.Svc.DavRefresh(ctx, bob, tok, time.Hour); !errors.Is(err, appliance.ErrNotFound) {
		t.Fatalf("refresh through the Service: %v", err)
	}
	if err := f.env.Svc.DavUnlock(ctx, bob, tok); !errors.Is(err, appliance.ErrNotFound) {
		t.Fatalf("unlock through the Service: %v", err)
	}
	locks, err := f.env.Svc.DavLocks(ctx, "default")
	if err != nil || len(locks) != 1 || locks[0].TimeoutS != 600 {
		t.Fatalf("alice's lock after bob's tries: %+v %v", locks, err)
	}
	// Alice still refreshes and releases it.
	status(t, f.do(t, "alice", "LOCK", draft, "", "If", "(<"+tok+">)", "Timeout", "Second-900"), http.StatusOK)
	status(t, f.do(t, "alice", "UNLOCK", draft, "", "Lock-Token", "<"+tok+">"), http.StatusNoContent)
}
