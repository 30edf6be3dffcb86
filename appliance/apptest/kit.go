package apptest

import (
	"net"
	"sync"
	"testing"
	"time"

	"missive/appliance/domain"
	"missive/appliance/store/pgtest"
)

// Clock is a settable clock for Service.Now and the other clocks a test
// moves (schedules, retries), safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock is a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock forward by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set takes a Paris wall-clock time, "2006-01-02T15:04".
func (c *Clock) Set(t testing.TB, paris string) {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02T15:04", paris, domain.Paris)
	if err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	c.t = v
	c.mu.Unlock()
}

// ForEachDialect runs f on SQLite (dsn "") and on PostgreSQL (a fresh
// database of the test binary's throw-away server), in parallel subtests:
// every query must behave the same on both. The package's TestMain must
// run pgtest.Main.
func ForEachDialect(t *testing.T, f func(t *testing.T, dsn string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); f(t, "") })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); f(t, pgtest.DSN(t)) })
}

// FreePort is a loopback port that was free a moment ago. A server the
// test starts itself should rather listen on :0; this is for peers that
// must be told their port, and may have lost it by the time they bind.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Eventually waits until cond holds, looking again every 20 ms, and fails
// the test naming what it waited for once timeout has passed: tests wait
// on a state, never for a fixed time.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Wait(timeout, 20*time.Millisecond, cond) {
		t.Fatalf("%s: still not the case after %v", what, timeout)
	}
}

// Wait waits until cond holds, looking again every interval (a check that
// runs a command or a query looks less often), and says whether it held
// before timeout; the caller fails with what it saw last.
func Wait(timeout, interval time.Duration, cond func() bool) bool {
	if cond() {
		return true
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	deadline := time.After(timeout)
	for {
		select {
		case <-deadline:
			return cond()
		case <-tick.C:
			if cond() {
				return true
			}
		}
	}
}
