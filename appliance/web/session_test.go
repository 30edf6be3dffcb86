package web

import (
	"strings"
	"testing"
	"time"
)

func TestLimiterBackoff(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	l := newLimiter(func() time.Time { return now })
	// Four failures of a login: no wait yet; the fifth starts at 1 s, and
	// each further one doubles it, up to 15 minutes.
	for i := 0; i < 4; i++ {
		l.fail("login:a", "addr:1")
	}
	if w := l.wait("login:a", "addr:1"); w != 0 {
		t.Fatalf("wait after 4 failures: %v", w)
	}
	var last time.Duration
	for i := 0; i < 14; i++ {
		l.fail("login:a", "addr:1")
		w := l.wait("login:a")
		if i > 0 && i < 10 && w != 2*last {
			t.Errorf("failure %d: wait %v after %v, want it doubled", i+5, w, last)
		}
		last = w
	}
	if last != 15*time.Minute {
		t.Errorf("wait capped at %v, want 15 min", last)
	}
	// Twenty failures from one address across many logins: a wait for the
	// address, short, and a login with no failure is still slowed by it.
	for i := 0; i < 30; i++ {
		l.fail("login:other", "addr:2")
	}
	if w := l.wait("login:new", "addr:2"); w <= 0 || w > time.Minute {
		t.Errorf("address wait %v, want (0, 1 min]", w)
	}
	// A success forgets the login's failures, not the address's.
	l.success("login:a")
	if w := l.wait("login:a"); w != 0 {
		t.Errorf("login wait after success: %v", w)
	}
	// Half an hour later everything is forgotten.
	now = now.Add(31 * time.Minute)
	l.fail("login:x", "addr:2")
	if w := l.wait("login:x", "addr:2"); w != 0 {
		t.Errorf("wait after a quiet half hour: %v", w)
	}
}

func TestSessionCookieSignature(t *testing.T) {
	t.Parallel()
	key := []byte("0123456789abcdef0123456789abcdef")
	other := []byte("fedcba9876543210fedcba9876543210")
	ss := session{Tenant: "default", User: "u1", Issued: 100, Seen: 160, Epoch: 3}
	v := ss.encode(key)
	got, err := verifySession(v, func(string) ([]byte, error) { return key, nil })
	if err != nil || got != ss {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	if _, err := verifySession(v, func(string) ([]byte, error) { return other, nil }); err == nil {
		t.Error("a cookie verifies under another tenant's key")
	}
	// Another user's cookie made by changing the payload, same signature.
	forged := session{Tenant: "default", User: "admin", Issued: 100, Seen: 160, Epoch: 3}.encode(key)
	p, _, _ := strings.Cut(forged, ".")
	_, s, _ := strings.Cut(v, ".")
	if _, err := verifySession(p+"."+s, func(string) ([]byte, error) { return key, nil }); err == nil {
		t.Error("a payload with another's signature verifies")
	}
	for _, bad := range []string{"", ".", "x.y", v + "x", "MXxh.fA"} {
		if _, err := verifySession(bad, func(string) ([]byte, error) { return key, nil }); err == nil {
			t.Errorf("%q verifies", bad)
		}
	}
	if csrfToken(key, ss) == csrfToken(key, session{Tenant: "default", User: "u1", Issued: 100, Seen: 160, Epoch: 4}) {
		t.Error("the CSRF token survives a new epoch")
	}
}
