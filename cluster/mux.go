package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// The cluster port. One TCP port carries every service between nodes: a
// connection is TLS 1.3 first, then one byte names the service. Adding a
// service is a constant here and a mux.handle call in Open.
type service byte

const (
	// serviceRaft carries hashicorp/raft's own RPCs (NetworkTransport).
	serviceRaft service = 1
	// serviceRPC carries forwarded writes, read indexes, status and
	// membership requests between members (rpc.go).
	serviceRPC service = 2
	// serviceJoin admits a new node with a join token (join.go). It is the
	// only service open to a client without a certificate.
	serviceJoin service = 3
	// serviceBlob carries documents between members (blobs.go).
	serviceBlob service = 4
)

// handshakeTimeout bounds a connection's TLS handshake and service byte.
const handshakeTimeout = 10 * time.Second

// mux accepts connections on the cluster port and hands each to the
// handler of its service.
type mux struct {
	ln       net.Listener
	tls      *tls.Config
	log      *slog.Logger
	mu       sync.Mutex
	handlers map[service]func(c net.Conn, peer string)
	// open lists the services that take a client without certificate.
	open map[service]bool
	// revoked says whether a node was removed from the cluster; its
	// certificate is refused from then on.
	revoked func(id string) bool
	// conns are the connections being served, closed by close.
	conns  map[net.Conn]bool
	closed bool
	wg     sync.WaitGroup
}

func newMux(ln net.Listener, cfg *tls.Config, log *slog.Logger) *mux {
	return &mux{ln: ln, tls: cfg, log: log, handlers: map[service]func(net.Conn, string){}, open: map[service]bool{}, conns: map[net.Conn]bool{}}
}

// handle registers a service; open services take clients without a
// certificate.
func (m *mux) handle(s service, open bool, h func(c net.Conn, peer string)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.handlers[s] = h
	m.open[s] = open
}

func (m *mux) serve() {
	for {
		c, err := m.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				m.log.Error("cluster port: accept failed", "err", err)
			}
			return
		}
		if !m.track(c, true) {
			c.Close()
			return
		}
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			defer m.track(c, false)
			m.accept(c)
		}()
	}
}

// accept authenticates a connection and dispatches it. A client without a
// certificate of the CA reaches the join service only; a removed node's
// certificate reaches nothing.
func (m *mux) accept(raw net.Conn) {
	defer func() {
		if r := recover(); r != nil {
			m.log.Error("cluster connection panicked", "remote", raw.RemoteAddr(), "panic", r)
			raw.Close()
		}
	}()
	c := tls.Server(raw, m.tls)
	c.SetDeadline(time.Now().Add(handshakeTimeout))
	if err := c.HandshakeContext(context.Background()); err != nil {
		m.log.Warn("cluster connection refused: TLS handshake failed", "remote", raw.RemoteAddr(), "err", err)
		c.Close()
		return
	}
	var b [1]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		c.Close()
		return
	}
	c.SetDeadline(time.Time{})
	s := service(b[0])
	peer := peerID(c.ConnectionState())
	m.mu.Lock()
	h, open, revoked := m.handlers[s], m.open[s], m.revoked
	m.mu.Unlock()
	switch {
	case h == nil:
		m.log.Warn("cluster connection refused: unknown service", "remote", raw.RemoteAddr(), "service", s)
	case peer == "" && !open:
		m.log.Warn("cluster connection refused: no cluster certificate", "remote", raw.RemoteAddr(), "service", s)
	case peer != "" && revoked != nil && revoked(peer):
		m.log.Warn("cluster connection refused: node removed from the cluster", "remote", raw.RemoteAddr(), "node", peer)
	default:
		h(c, peer)
		return
	}
	c.Close()
}

// track adds or removes a connection being served; false once closed.
func (m *mux) track(c net.Conn, add bool) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !add {
		delete(m.conns, c)
		return true
	}
	if m.closed {
		return false
	}
	m.conns[c] = true
	return true
}

// close stops accepting and ends the connections being served; those
// handed to raft are closed by its transport.
func (m *mux) close() {
	m.ln.Close()
	m.mu.Lock()
	m.closed = true
	for c := range m.conns {
		c.Close()
	}
	m.mu.Unlock()
}

// dialer opens connections to other nodes' services.
type dialer struct {
	tls  *tls.Config
	dial func(ctx context.Context, addr string) (net.Conn, error)
}

// open dials addr, completes the TLS handshake (checking the peer's
// certificate against the CA) and names the service.
func (d *dialer) open(ctx context.Context, addr string, s service) (net.Conn, error) {
	raw, err := d.dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	c := tls.Client(raw, d.tls)
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	} else {
		c.SetDeadline(time.Now().Add(handshakeTimeout))
	}
	if err := c.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, fmt.Errorf("TLS with %s: %w", addr, err)
	}
	if _, err := c.Write([]byte{byte(s)}); err != nil {
		c.Close()
		return nil, fmt.Errorf("open service %d on %s: %w", s, addr, err)
	}
	c.SetDeadline(time.Time{})
	return c, nil
}

func netDial(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

// streamLayer is raft's view of the cluster port: the connections of the
// raft service, and dialing other nodes' raft service.
type streamLayer struct {
	addr   tcpAddr
	d      *dialer
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

var _ raft.StreamLayer = (*streamLayer)(nil)

func newStreamLayer(addr string, d *dialer) *streamLayer {
	return &streamLayer{addr: tcpAddr(addr), d: d, conns: make(chan net.Conn), closed: make(chan struct{})}
}

// deliver is the mux's handler of the raft service.
func (l *streamLayer) deliver(c net.Conn, _ string) {
	select {
	case l.conns <- c:
	case <-l.closed:
		c.Close()
	}
}

func (l *streamLayer) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

// Close stops accepting raft connections; the port itself is the mux's.
func (l *streamLayer) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *streamLayer) Addr() net.Addr { return l.addr }

func (l *streamLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return l.d.open(ctx, string(addr), serviceRaft)
}

// tcpAddr is an advertised address as raft wants it.
type tcpAddr string

func (a tcpAddr) Network() string { return "tcp" }
func (a tcpAddr) String() string  { return string(a) }
