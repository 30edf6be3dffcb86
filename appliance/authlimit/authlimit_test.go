package authlimit

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLimiterBackoff(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	l := New(func() time.Time { return now }, Limits{})
	// Five attempts of a login go; the wait starts at 1 s, and each further
	// attempt once the wait is over doubles it, up to 15 minutes.
	for i := 0; i < 5; i++ {
		if w := l.Attempt("login:a", "addr:1"); w != 0 {
			t.Fatalf("attempt %d: wait %v", i+1, w)
		}
	}
	w := l.Attempt("login:a", "addr:1")
	if w != time.Second {
		t.Fatalf("6th attempt: wait %v, want 1 s", w)
	}
	var last time.Duration
	for i := 0; i < 14; i++ {
		now = now.Add(w)
		if got := l.Attempt("login:a", "addr:9"); got != 0 {
			t.Fatalf("attempt after the wait: %v", got)
		}
		w = l.Attempt("login:a", "addr:9")
		if i > 0 && i < 9 && w != 2*last {
			t.Errorf("attempt %d: wait %v after %v, want it doubled", i+7, w, last)
		}
		last = w
	}
	if last != 15*time.Minute {
		t.Errorf("wait capped at %v, want 15 min", last)
	}
	// A success forgets the login's count and gives the address its
	// attempt back.
	now = now.Add(last)
	if l.Attempt("login:a", "addr:1") != 0 {
		t.Fatal("attempt after the wait refused")
	}
	l.Success("login:a", "addr:1")
	if w := l.Attempt("login:a", "addr:1"); w != 0 {
		t.Errorf("login wait after success: %v", w)
	}
	// Twenty attempts from one address across many logins: a wait for
	// the address, short, and a login with no failure waits too.
	for i := 0; i < 30; i++ {
		l.Attempt("login:other"+string(rune('a'+i)), "addr:2")
	}
	if w := l.Attempt("login:new", "addr:2"); w <= 0 || w > time.Minute {
		t.Errorf("address wait %v, want (0, 1 min]", w)
	}
	// Released attempts (the store failed) count for nothing.
	for i := 0; i < 10; i++ {
		if w := l.Attempt("login:r", "addr:3"); w != 0 {
			t.Fatalf("released attempt %d: wait %v", i, w)
		}
		l.Release("login:r", "addr:3")
	}
	// Half an hour later everything is forgotten.
	now = now.Add(31 * time.Minute)
	if w := l.Attempt("login:x", "addr:2"); w != 0 {
		t.Errorf("wait after a quiet half hour: %v", w)
	}
}

// A burst of parallel attempts is counted as it arrives: only PerLogin of
// them may check a password, whatever their order.
func TestLimiterParallelBurst(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	l := New(func() time.Time { return now }, Limits{PerLogin: 3})
	var passed atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if l.Attempt("login:a", "addr:"+string(rune('a'+i%7))) == 0 {
				passed.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := passed.Load(); n != 3 {
		t.Fatalf("%d attempts of a burst of 50 went through, want 3", n)
	}
}
