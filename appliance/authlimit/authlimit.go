// Package authlimit slows down password guessing on every door that takes
// a password: the web login, the WebDAV share's Basic auth.
package authlimit

import (
	"sync"
	"time"
)

// Limiter slows down password guessing, in memory: per login and per
// client address, each failure past a threshold doubles the wait, up to
// maxWait. A success clears the login's count, not the address's.
type Limiter struct {
	mu      sync.Mutex
	entries map[string]*limitEntry
	now     func() time.Time
}

type limitEntry struct {
	fails int
	until time.Time
	last  time.Time
}

const (
	loginThreshold = 5  // failures of one login before waits start
	addrThreshold  = 20 // a town hall's agents share one address behind NAT
	// An address's wait stays short: behind a reverse proxy every agent
	// has the proxy's address, and a guesser must not lock them all out
	// for long. A login's wait may be long: it protects that account.
	maxLoginWait = 15 * time.Minute
	maxAddrWait  = time.Minute
	forgetAfter  = 30 * time.Minute
)

func New(now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{entries: map[string]*limitEntry{}, now: now}
}

// Wait returns how long the caller must wait before trying again (0: go).
func (l *Limiter) Wait(keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var w time.Duration
	for _, k := range keys {
		if e, ok := l.entries[k]; ok && e.until.After(now) {
			w = max(w, e.until.Sub(now))
		}
	}
	return w
}

// Fail counts a failed attempt against a login and a client address.
func (l *Limiter) Fail(loginKey, addrKey string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.entries) > 10000 {
		for k, e := range l.entries {
			if now.Sub(e.last) > forgetAfter {
				delete(l.entries, k)
			}
		}
	}
	for _, k := range []struct {
		key       string
		threshold int
		max       time.Duration
	}{{loginKey, loginThreshold, maxLoginWait}, {addrKey, addrThreshold, maxAddrWait}} {
		e := l.entries[k.key]
		if e == nil || now.Sub(e.last) > forgetAfter {
			e = &limitEntry{}
			l.entries[k.key] = e
		}
		e.fails++
		e.last = now
		if e.fails >= k.threshold {
			d := time.Second << min(e.fails-k.threshold, 10)
			e.until = now.Add(min(d, k.max))
		}
	}
}

// Success clears a login's failures.
func (l *Limiter) Success(loginKey string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.entries, loginKey)
}
