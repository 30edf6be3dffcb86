// Package authlimit slows down password guessing. One Limiter per process
// is shared by every door that takes a password (the web login, WebDAV
// Basic, SMTP AUTH, the current password of a password change), so that a
// guesser gets no more tries by spreading them over the doors.
package authlimit

import (
	"sync"
	"time"
)

// Limits are the brakes; zero fields take the defaults.
type Limits struct {
	// PerLogin attempts of one login in a row before waits start; each
	// further one doubles the wait (1 s, 2 s, 4 s …) up to MaxLoginWait.
	PerLogin     int
	MaxLoginWait time.Duration
	// PerAddress attempts from one client address, across logins: a town
	// hall's agents share one address behind NAT, so the threshold is
	// higher and the wait short (MaxAddrWait): behind a reverse proxy
	// every agent has the proxy's address, and a guesser must not lock
	// them all out for long.
	PerAddress  int
	MaxAddrWait time.Duration
}

// Defaults are the limits of a fresh install.
var Defaults = Limits{PerLogin: 5, MaxLoginWait: 15 * time.Minute, PerAddress: 20, MaxAddrWait: time.Minute}

func (l Limits) orDefaults() Limits {
	if l.PerLogin <= 0 {
		l.PerLogin = Defaults.PerLogin
	}
	if l.MaxLoginWait <= 0 {
		l.MaxLoginWait = Defaults.MaxLoginWait
	}
	if l.PerAddress <= 0 {
		l.PerAddress = Defaults.PerAddress
	}
	if l.MaxAddrWait <= 0 {
		l.MaxAddrWait = Defaults.MaxAddrWait
	}
	return l
}

// Limiter counts password attempts in memory, per login and per client
// address. An attempt is counted when it starts, before the password is
// checked: a burst of parallel guesses is counted as it arrives, so only
// the first few of it reach a password check, instead of all of them
// passing a check of failures that none has recorded yet.
type Limiter struct {
	mu      sync.Mutex
	entries map[string]*limitEntry
	now     func() time.Time
	limits  Limits
}

type limitEntry struct {
	fails int
	until time.Time
	last  time.Time
}

// forgetAfter is how long a quiet key keeps its count.
const forgetAfter = 30 * time.Minute

// New returns a limiter with these limits (zero: the defaults) on this
// clock (nil: time.Now).
func New(now func() time.Time, limits Limits) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{entries: map[string]*limitEntry{}, now: now, limits: limits.orDefaults()}
}

// Limits returns the limits in force.
func (l *Limiter) Limits() Limits { return l.limits }

// Attempt starts an attempt of loginKey from addrKey. It returns how long
// the caller must wait before trying again; then the attempt is refused,
// not counted, and the password must not be checked. 0 means go: the
// attempt is counted as a failure until Success or Release says otherwise.
func (l *Limiter) Attempt(loginKey, addrKey string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var w time.Duration
	for _, k := range []string{loginKey, addrKey} {
		if e, ok := l.entries[k]; ok && e.until.After(now) {
			w = max(w, e.until.Sub(now))
		}
	}
	if w > 0 {
		return w
	}
	l.forgetOld(now)
	l.count(loginKey, 1, l.limits.PerLogin, l.limits.MaxLoginWait, now)
	l.count(addrKey, 1, l.limits.PerAddress, l.limits.MaxAddrWait, now)
	return 0
}

// Success ends an attempt whose password was right: the login's count is
// cleared, and the address gets its attempt back.
func (l *Limiter) Success(loginKey, addrKey string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.entries, loginKey)
	l.count(addrKey, -1, l.limits.PerAddress, l.limits.MaxAddrWait, l.now())
}

// Release ends an attempt that checked no password (the store failed):
// it is not held against the login nor the address.
func (l *Limiter) Release(loginKey, addrKey string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.count(loginKey, -1, l.limits.PerLogin, l.limits.MaxLoginWait, now)
	l.count(addrKey, -1, l.limits.PerAddress, l.limits.MaxAddrWait, now)
}

// count moves a key's count by delta and sets its wait from the new count.
func (l *Limiter) count(key string, delta, threshold int, maxWait time.Duration, now time.Time) {
	e := l.entries[key]
	if e == nil || now.Sub(e.last) > forgetAfter {
		if delta < 0 {
			return
		}
		e = &limitEntry{}
		l.entries[key] = e
	}
	e.fails = max(e.fails+delta, 0)
	e.last = now
	switch {
	case e.fails < threshold:
		e.until = time.Time{}
	case delta > 0:
		d := time.Second << min(e.fails-threshold, 10)
		e.until = now.Add(min(d, maxWait))
	}
}

// forgetOld bounds the memory a stream of distinct logins can take.
func (l *Limiter) forgetOld(now time.Time) {
	if len(l.entries) <= 10000 {
		return
	}
	for k, e := range l.entries {
		if now.Sub(e.last) > forgetAfter {
			delete(l.entries, k)
		}
	}
}
