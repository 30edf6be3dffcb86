package cluster_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/blob"
	"missive/appliance/store"
	"missive/cluster"
)

// An in-process cluster for tests, in the manner of rqlite's multi-node
// store tests: each node has its own data dir, SQLite store, Applier and
// Service, and a real cluster port (TCP and mutual TLS) on 127.0.0.1. Every
// connection from node i to node j goes through a TCP proxy of the test's
// own, so that a test cuts a node off (a partition) and heals it.

type harness struct {
	t     *testing.T
	mu    sync.Mutex
	nodes []*tnode
	links map[[2]int]*proxy
}

type tnode struct {
	h      *harness
	i      int
	name   string
	dir    string
	listen string
	node   *cluster.Node
	st     *store.Store
	svc    *appliance.Service
	gate   *gatedApplier
	// hold, when set before open, holds the node's restore of a snapshot
	// until it is closed; log, when set, is the node's logger.
	hold chan struct{}
	log  *slog.Logger
	// ln is the cluster port bound at :0 for the first start; a restart
	// binds the same address again.
	ln net.Listener
	// tune, when set, changes the node's configuration before it opens.
	tune func(*cluster.Config)
}

// gatedApplier lets a test hold a node's Apply back: the node logs what the
// leader sends but applies nothing until the gate opens (a slow site).
type gatedApplier struct {
	*appliance.Applier
	gate sync.RWMutex
	hold chan struct{}
}

func (g *gatedApplier) Restore(r io.Reader) error {
	if g.hold != nil {
		<-g.hold
	}
	return g.Applier.Restore(r)
}

func (g *gatedApplier) Apply(index uint64, data []byte) any {
	g.gate.RLock()
	defer g.gate.RUnlock()
	return g.Applier.Apply(index, data)
}

func (g *gatedApplier) ApplyBatch(indexes []uint64, data [][]byte) []any {
	g.gate.RLock()
	defer g.gate.RUnlock()
	return g.Applier.ApplyBatch(indexes, data)
}

func newHarness(t *testing.T, n int) *harness {
	h := &harness{t: t, links: map[[2]int]*proxy{}}
	for i := range n {
		dir := t.TempDir()
		name := fmt.Sprintf("n%d", i+1)
		if err := os.WriteFile(filepath.Join(dir, "node-id"), []byte(name+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		h.nodes = append(h.nodes, &tnode{h: h, i: i, name: name, dir: dir, listen: ln.Addr().String(), ln: ln})
	}
	t.Cleanup(func() {
		for _, tn := range h.nodes {
			tn.stop()
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, p := range h.links {
			p.close()
		}
	})
	return h
}

// dialFrom routes node i's connections to node j through the link i→j.
func (h *harness) dialFrom(i int) func(ctx context.Context, addr string) (net.Conn, error) {
	return func(ctx context.Context, addr string) (net.Conn, error) {
		var d net.Dialer
		for j, tn := range h.nodes {
			if tn.listen == addr {
				return d.DialContext(ctx, "tcp", h.link(i, j).addr())
			}
		}
		return d.DialContext(ctx, "tcp", addr)
	}
}

func (h *harness) link(i, j int) *proxy {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.links[[2]int{i, j}]
	if p == nil {
		p = newProxy(h.t, h.nodes[j].listen)
		h.links[[2]int{i, j}] = p
	}
	return p
}

// isolate cuts every link to and from node k (or restores them).
func (h *harness) isolate(k int, cut bool) {
	for j := range h.nodes {
		if j == k {
			continue
		}
		for _, p := range []*proxy{h.link(k, j), h.link(j, k)} {
			p.setDown(cut)
		}
	}
}

// start opens node i: the first bootstraps the cluster and the appliance,
// the others join through the node at via with a token it made.
func (h *harness) start(i int, via *tnode, voter bool) *tnode {
	h.t.Helper()
	tn := h.nodes[i]
	if via == nil {
		tn.open(h.t, "", "")
		if err := tn.svc.Bootstrap(context.Background(), "Commune", apptest.AdminPassword); err != nil {
			h.t.Fatalf("%s: bootstrap: %v", tn.name, err)
		}
		return tn
	}
	tok := via.token(h.t, voter)
	tn.open(h.t, via.listen, tok)
	if voter {
		h.waitFor(fmt.Sprintf("%s votes", tn.name), func() bool { return tn.voter() })
	}
	return tn
}

// startAll starts every node, the first one bootstrapping, the others
// joining it as voters.
func (h *harness) startAll() {
	h.t.Helper()
	first := h.start(0, nil, true)
	for i := 1; i < len(h.nodes); i++ {
		h.start(i, first, true)
	}
}

// open starts the node on its data dir and waits until it has caught up.
func (tn *tnode) open(t *testing.T, join, token string) {
	t.Helper()
	if err := tn.tryOpen(join, token); err != nil {
		t.Fatalf("%s: open: %v", tn.name, err)
	}
}

func (tn *tnode) tryOpen(join, token string) error {
	log := apptest.Logger().With("node", tn.name)
	if tn.log != nil {
		log = tn.log
	}
	cfg := cluster.Config{
		DataDir: tn.dir, Log: log, ApplyTimeout: 10 * time.Second, Listen: tn.listen,
		Join: join, Token: token, Dial: tn.h.dialFrom(tn.i),
	}
	if tn.listen != "" {
		cfg.Listener, tn.ln = tn.ln, nil
		if cfg.Listener == nil {
			var err error
			if cfg.Listener, err = net.Listen("tcp", tn.listen); err != nil {
				return err
			}
		}
	}
	if tn.tune != nil {
		tn.tune(&cfg)
	}
	cfg.OpenApplier = func(id string) (cluster.Applier, error) {
		st, err := store.Open(context.Background(), "", tn.dir)
		if err != nil {
			return nil, err
		}
		tn.st = st
		tn.gate = &gatedApplier{Applier: appliance.NewApplier(st, log), hold: tn.hold}
		return tn.gate, nil
	}
	n, err := cluster.Open(cfg)
	if err != nil {
		if tn.st != nil {
			tn.st.Close()
			tn.st = nil
		}
		return err
	}
	tn.node = n
	blobs, err := blob.Open(tn.dir)
	if err != nil {
		return err
	}
	tn.svc = appliance.NewService(tn.st, blobs, n, log)
	if tn.svc.Secrets, err = appliance.OpenSecretBox(tn.dir); err != nil {
		return err
	}
	n.Attach(tn.svc, blobs)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return n.WaitLeader(ctx)
}

// stop closes the node (a clean stop; its data dir stays).
func (tn *tnode) stop() {
	if tn.node != nil {
		tn.node.Close()
		tn.node = nil
	}
	if tn.st != nil {
		tn.st.Close()
		tn.st = nil
	}
}

func (tn *tnode) token(t *testing.T, voter bool) string {
	t.Helper()
	var tok string
	retry(t, tn.name+": token", func() (err error) {
		tok, _, err = tn.node.CreateToken(context.Background(), voter, time.Hour)
		return err
	})
	return tok
}

// retry runs op until it succeeds, again while the cluster cannot take it
// now (an election on a loaded machine, as a client would), for up to 30
// seconds; any other error fails the test.
func retry(t *testing.T, what string, op func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := op()
		if err == nil {
			return
		}
		if !isUnavailable(err) || time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		t.Logf("%s: %v; again", what, err)
		time.Sleep(100 * time.Millisecond)
	}
}

// mustRegister registers a letter, again while the cluster is unavailable.
func (tn *tnode) mustRegister(t *testing.T, subject string) string {
	t.Helper()
	var num string
	retry(t, tn.name+": register", func() (err error) {
		num, err = tn.register(t, subject)
		return err
	})
	return num
}

func (tn *tnode) status() *cluster.Status {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := tn.node.Status(ctx)
	if err != nil {
		return &cluster.Status{}
	}
	return st
}

func (tn *tnode) voter() bool {
	for _, s := range tn.status().Nodes {
		if s.ID == tn.name {
			return s.Voter
		}
	}
	return false
}

// admin is the actor of the user admin on this node. It is resolved
// without the password: an argon2 hash per call would starve raft's
// heartbeats on a small machine.
func (tn *tnode) admin(t *testing.T) *appliance.Actor {
	t.Helper()
	ctx := context.Background()
	u, err := tn.st.Reader().UserByLogin(ctx, "default", "admin")
	if err == nil {
		var a *appliance.Actor
		if a, err = tn.svc.ActorFor(ctx, "default", u.ID); err == nil {
			return a
		}
	}
	t.Fatalf("%s: admin: %v", tn.name, err)
	return nil
}

func (tn *tnode) register(t *testing.T, subject string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	l, err := tn.svc.RegisterLetter(ctx, tn.admin(t), appliance.RegisterInput{Category: "incoming", Subject: subject})
	if err != nil {
		return "", err
	}
	// Read your writes: the node that answered has the letter.
	if _, err := tn.st.Reader().Letter(context.Background(), store.Perimeter{TenantID: "default", All: true}, l.ID); err != nil {
		t.Errorf("%s: letter %s registered here but not readable here: %v", tn.name, l.Number, err)
	}
	return l.Number, nil
}

// leader waits until the running nodes agree on a leader, and returns it.
func (h *harness) leader() *tnode {
	h.t.Helper()
	var found *tnode
	h.waitFor("a leader", func() bool {
		found = nil
		for _, tn := range h.nodes {
			if tn.node != nil && tn.node.Leader() {
				if found != nil {
					return false
				}
				found = tn
			}
		}
		return found != nil
	})
	return found
}

// converge waits until every running node applied as far as the leader,
// and checks that their stores hold the same data.
func (h *harness) converge() {
	h.t.Helper()
	l := h.leader()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := l.node.ReadIndex(ctx); err != nil {
		h.t.Fatalf("leader %s read index: %v", l.name, err)
	}
	for _, tn := range h.nodes {
		if tn.node == nil {
			continue
		}
		if err := tn.node.ReadIndex(ctx); err != nil {
			h.t.Fatalf("%s: catch up: %v", tn.name, err)
		}
	}
	h.waitFor("same applied index everywhere", func() bool {
		var idx []uint64
		for _, tn := range h.nodes {
			if tn.node != nil {
				idx = append(idx, appliedIndex(tn))
			}
		}
		for _, i := range idx {
			if i != idx[0] {
				return false
			}
		}
		return true
	})
	want := dump(h.t, l)
	for _, tn := range h.nodes {
		if tn.node == nil {
			continue
		}
		if got := dump(h.t, tn); !bytes.Equal(got, want) {
			h.t.Fatalf("store of %s differs from the leader %s's (%d bytes against %d)", tn.name, l.name, len(got), len(want))
		}
		res, err := appliance.VerifyHistory(ctx, tn.st.Reader())
		if err != nil || res.BadSeq != 0 {
			h.t.Fatalf("%s: history verify: %+v %v", tn.name, res, err)
		}
	}
}

func appliedIndex(tn *tnode) uint64 {
	v, _ := tn.st.Reader().Meta(context.Background(), "applied_index")
	var n uint64
	fmt.Sscan(v, &n)
	return n
}

func dump(t *testing.T, tn *tnode) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := tn.st.Dump(context.Background(), &b); err != nil {
		t.Fatalf("%s: dump: %v", tn.name, err)
	}
	return b.Bytes()
}

// waitFor polls cond until it holds, for up to 30 seconds.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	apptest.Eventually(h.t, 30*time.Second, what, cond)
}

// proxy is a TCP proxy that a test can cut (it closes every connection
// and refuses new ones) and restore.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	go p.serve()
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.pipe(c)
	}
}

func (p *proxy) pipe(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	go func() { io.Copy(up, c); up.Close(); c.Close() }()
	io.Copy(c, up)
	c.Close()
	up.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

func (p *proxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
		}
	}
}

func (p *proxy) close() {
	p.ln.Close()
	p.setDown(true)
}

// isUnavailable says whether err is a write the cluster could not take now
// (what the API answers 503).
func isUnavailable(err error) bool {
	return errors.Is(err, appliance.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded)
}

// numbers lists the registration numbers a node's store holds, in order.
func numbers(t *testing.T, tn *tnode) []string {
	t.Helper()
	ls, _, err := tn.st.Reader().Letters(context.Background(), store.Perimeter{TenantID: "default", All: true}, store.LetterFilter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range ls {
		out = append(out, l.Number)
	}
	slices.Sort(out)
	return out
}

// checkNumbers fails unless nums are …000001 to …N in order: unique and
// gap-free.
func checkNumbers(t *testing.T, where string, nums []string) {
	t.Helper()
	for i, num := range nums {
		if !strings.HasSuffix(num, fmt.Sprintf("/%06d", i+1)) {
			t.Fatalf("%s: numbers[%d] = %s, want …%06d (a gap or a duplicate): %v", where, i, num, i+1, nums)
		}
	}
}
