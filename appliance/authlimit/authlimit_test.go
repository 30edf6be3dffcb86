package authlimit

import (
	"testing"
	"time"
)

func TestLimiterBackoff(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	l := New(func() time.Time { return now })
	// Four failures of a login: no wait yet; the fifth starts at 1 s, and
	// each further one doubles it, up to 15 minutes.
	for i := 0; i < 4; i++ {
		l.Fail("login:a", "addr:1")
	}
	if w := l.Wait("login:a", "addr:1"); w != 0 {
		t.Fatalf("wait after 4 failures: %v", w)
	}
	var last time.Duration
	for i := 0; i < 14; i++ {
		l.Fail("login:a", "addr:1")
		w := l.Wait("login:a")
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
		l.Fail("login:other", "addr:2")
	}
	if w := l.Wait("login:new", "addr:2"); w <= 0 || w > time.Minute {
		t.Errorf("address wait %v, want (0, 1 min]", w)
	}
	// A success forgets the login's failures, not the address's.
	l.Success("login:a")
	if w := l.Wait("login:a"); w != 0 {
		t.Errorf("login wait after success: %v", w)
	}
	// Half an hour later everything is forgotten.
	now = now.Add(31 * time.Minute)
	l.Fail("login:x", "addr:2")
	if w := l.Wait("login:x", "addr:2"); w != 0 {
		t.Errorf("wait after a quiet half hour: %v", w)
	}
}
