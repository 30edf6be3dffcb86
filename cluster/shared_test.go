package cluster_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sync"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/domain"
	"missive/appliance/web"
)

// laggingFollower starts three nodes and holds the second one's Apply
// back until release: it receives the log and applies nothing. It does
// not vote: a node that applies nothing must not become the leader.
func laggingFollower(t *testing.T) (n1, n2 *tnode, release func()) {
	h := newHarness(t, 3)
	n1 = h.start(0, nil, true)
	n2 = h.start(1, n1, false)
	h.start(2, n1, true)
	h.converge()
	n2.gate.gate.Lock()
	release = sync.OnceFunc(n2.gate.gate.Unlock)
	t.Cleanup(release)
	return n1, n2, release
}

// An API token is valid on every node at once: a node that does not know
// it yet (it lags behind the leader) catches up with the leader's read
// index before it refuses, instead of answering 401 to a token made a
// moment ago on another node.
func TestTokenMadeOnOneNodeIsValidOnAnotherAtOnce(t *testing.T) {
	t.Parallel()
	n1, n2, release := laggingFollower(t)
	admin := n1.admin(t)
	var tok string
	retry(t, "token on n1", func() (err error) {
		tok, err = n1.svc.CreateToken(context.Background(), admin, admin.ID(), "script")
		return err
	})
	done := make(chan error, 1)
	go func() {
		_, err := n2.svc.AuthenticateToken(context.Background(), tok)
		done <- err
	}()
	// n2 cannot apply the token's command while gated: it must wait, not
	// refuse.
	select {
	case err := <-done:
		t.Fatalf("n2 answered before it applied the token: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	release()
	if err := <-done; err != nil {
		t.Fatalf("token made on n1, used on n2: %v", err)
	}
}

// A web session is valid on every node at once: the cookie of a user
// created and logged in on one node opens the pages of a node that has
// not applied that user yet, once it caught up (not a bounce to /login).
func TestSessionMadeOnOneNodeIsValidOnAnotherAtOnce(t *testing.T) {
	t.Parallel()
	n1, n2, release := laggingFollower(t)
	site := func(tn *tnode) *httptest.Server {
		mux := http.NewServeMux()
		web.New(tn.svc, apptest.Logger(), web.Options{}).Register(mux)
		s := httptest.NewServer(mux)
		t.Cleanup(s.Close)
		return s
	}
	w1, w2 := site(n1), site(n2)
	retry(t, "user on n1", func() error {
		_, err := n1.svc.CreateUser(context.Background(), n1.admin(t), appliance.UserInput{Login: "camille", Name: "Camille", Role: domain.RoleAdmin,
			Password: "motdepasse-camille-1", Entities: []domain.Membership{}})
		return err
	})
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(w1.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf token on the login page:\n%s", page)
	}
	resp, err = browser.PostForm(w1.URL+"/login", url.Values{"csrf": {string(m[1])}, "login": {"camille"}, "password": {"motdepasse-camille-1"}, "next": {"/"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login on n1: %d", resp.StatusCode)
	}
	// The jar keys cookies by host, not port: n2's server gets n1's cookie.
	done := make(chan *http.Response, 1)
	go func() {
		resp, err := browser.Get(w2.URL + "/")
		if err != nil {
			t.Error(err)
			done <- nil
			return
		}
		resp.Body.Close()
		done <- resp
	}()
	select {
	case r := <-done:
		t.Fatalf("n2 answered before it applied the user: %v", r.Status)
	case <-time.After(500 * time.Millisecond):
	}
	release()
	if r := <-done; r == nil || r.StatusCode != http.StatusOK {
		t.Fatalf("the session made on n1, on n2: %+v", r)
	}
}
