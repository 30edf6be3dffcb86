package mailbridge

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"
)

// The listener is open to anyone on the Internet: what one client, or a
// few, may take of the server is bounded here. Connections are counted
// when accepted (in all and per client address) and refused with a
// temporary 421 beyond the caps; a message's bytes wait on disk (the spool)
// until the memory budget of the messages being turned into letters has
// room for them.

// connLimits bounds the SMTP connections open at once.
type connLimits struct {
	total, perAddr int
	mu             sync.Mutex
	open           int
	byAddr         map[string]int
	refused        atomic.Uint64
}

func newConnLimits(total, perAddr int) *connLimits {
	return &connLimits{total: total, perAddr: perAddr, byAddr: map[string]int{}}
}

// take counts a new connection from addr; false means over a cap.
func (l *connLimits) take(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open >= l.total || l.byAddr[addr] >= l.perAddr {
		l.refused.Add(1)
		return false
	}
	l.open++
	l.byAddr[addr]++
	return true
}

func (l *connLimits) release(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.byAddr[addr]--; l.byAddr[addr] <= 0 {
		delete(l.byAddr, addr)
	}
}

// limitListener refuses connections over the caps before go-smtp sees
// them: the client reads a 421 and tries again later, as RFC 5321 asks.
type limitListener struct {
	net.Listener
	limits *connLimits
}

const tooManyConns = "421 4.7.0 Trop de connexions simultanées, réessayez plus tard\r\n"

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := remoteHost(c.RemoteAddr())
		if l.limits.take(addr) {
			return &limitConn{Conn: c, release: sync.OnceFunc(func() { l.limits.release(addr) })}, nil
		}
		go func() {
			c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			c.Write([]byte(tooManyConns))
			c.Close()
		}()
	}
}

type limitConn struct {
	net.Conn
	release func()
}

func (c *limitConn) Close() error {
	c.release()
	return c.Conn.Close()
}

func remoteHost(a net.Addr) string {
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// memBudget bounds the bytes of messages being parsed and registered at
// once: each holds its raw bytes and its decoded parts in memory for a
// while. A message over the whole budget still goes, alone.
type memBudget struct {
	sem   *semaphore.Weighted
	size  int64
	inUse atomic.Int64
	peak  atomic.Int64
}

func newMemBudget(size int64) *memBudget {
	return &memBudget{sem: semaphore.NewWeighted(size), size: size}
}

// errBusy means the budget had no room for a message in time: the server
// is busy, the sender should try again (451 4.3.1; IMAP: next pass).
var errBusy = errors.New("trop de messages en cours de traitement")

// acquire waits for n bytes of the budget, until ctx ends.
func (m *memBudget) acquire(ctx context.Context, n int64) (func(), error) {
	n = min(max(n, 1), m.size)
	if err := m.sem.Acquire(ctx, n); err != nil {
		return nil, errBusy
	}
	cur := m.inUse.Add(n)
	for {
		p := m.peak.Load()
		if cur <= p || m.peak.CompareAndSwap(p, cur) {
			break
		}
	}
	return sync.OnceFunc(func() {
		m.inUse.Add(-n)
		m.sem.Release(n)
	}), nil
}
