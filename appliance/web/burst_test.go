package web_test

import (
	"net/http"
	"net/url"
	"sync"
	"testing"
)

// burst sends n requests at once and counts their statuses.
func burst(n int, send func(i int) int) map[int]int {
	var mu sync.Mutex
	got := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			code := send(i)
			mu.Lock()
			got[code]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return got
}

// Twenty-nine wrong logins at once: the attempts are counted as they
// arrive, so no more than five reach a password check; the others wait
// (429), and so does the right password sent just after.
func TestLoginBurst(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	const n = 29
	bs := make([]*browser, n+1)
	for i := range bs {
		bs[i] = s.browser(t)
		bs[i].get("/login") // the login form's CSRF cookie and token
	}
	got := burst(n, func(i int) int {
		return bs[i].post("/login", url.Values{"login": {"julien"}, "password": {"mauvais-" + string(rune('a'+i))}}).Code
	})
	if got[http.StatusUnauthorized] > 5 || got[http.StatusTooManyRequests] != n-got[http.StatusUnauthorized] {
		t.Fatalf("a burst of %d wrong logins: %v; want at most 5 checked, the rest 429", n, got)
	}
	must(t, bs[n].post("/login", url.Values{"login": {"julien"}, "password": {agentPassword}}), http.StatusTooManyRequests)
}

// The current password of a password change is a password door too: a
// stolen session does not make it a guessing oracle.
func TestPasswordChangeBurst(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	b := s.browser(t)
	b.login("julien", agentPassword)
	b.get("/password")
	csrf := b.csrf
	got := burst(30, func(i int) int {
		form := url.Values{"csrf": {csrf}, "current": {"devine-" + string(rune('a'+i))}, "password": {"nouveau-mot-de-passe"}, "confirm": {"nouveau-mot-de-passe"}}
		return b.post("/password", form).Code
	})
	if got[http.StatusUnprocessableEntity] > 5 || got[http.StatusTooManyRequests] != 30-got[http.StatusUnprocessableEntity] {
		t.Fatalf("a burst of 30 password changes: %v; want at most 5 checked, the rest 429", got)
	}
}

// One limiter for every door: failures at the web login hold at the
// password change of another session of the same user.
func TestLoginLimiterIsShared(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	ok := s.browser(t)
	ok.login("julien", agentPassword)
	for i := 0; i < 5; i++ {
		b := s.browser(t)
		b.get("/login")
		must(t, b.post("/login", url.Values{"login": {"julien"}, "password": {"faux"}}), http.StatusUnauthorized)
	}
	ok.get("/password")
	must(t, ok.post("/password", url.Values{"current": {agentPassword}, "password": {"nouveau-mot-de-passe"}, "confirm": {"nouveau-mot-de-passe"}}), http.StatusTooManyRequests)
}
