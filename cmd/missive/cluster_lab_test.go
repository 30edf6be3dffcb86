//go:build !bench

package main

// A cluster of the built binary for the failure tests: three nodes
// started by the commands of issue F's contract, on loopback or each in a
// network namespace of the test's own (netLab), which can cut a node off
// the others and let it back.

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"missive/appliance/apptest"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// binCluster is a running cluster of missive processes.
type binCluster struct {
	t   *testing.T
	lab *netLab // nil: every node on 127.0.0.1
	pw  string  // admin's password, printed by the first node

	mu    sync.Mutex
	nodes []*missiveServer
	ids   []string // node ids, from cluster status
	data  []string
	addr  []string   // cluster ports
	extra [][]string // more arguments to serve, per node
	smtp  []string   // SMTP address of each node's current process, if it listens
}

var smtpReadyRe = regexp.MustCompile(`^Missive reçoit le courrier SMTP sur (\S+)$`)

// startBinCluster starts n voters: the first bootstraps, the others join
// with a token of the first. extra gives more arguments to serve for
// node i (nil for none).
func startBinCluster(t *testing.T, n int, lab *netLab, extra func(i int) []string) *binCluster {
	t.Helper()
	c := &binCluster{t: t, lab: lab}
	for i := range n {
		c.data = append(c.data, newDataDir(t))
		if lab != nil {
			c.addr = append(c.addr, lab.ip(i)+":7000")
		} else {
			c.addr = append(c.addr, freeAddr(t))
		}
		var more []string
		if extra != nil {
			more = extra(i)
		}
		c.extra = append(c.extra, more)
		c.nodes = append(c.nodes, nil)
		c.smtp = append(c.smtp, "")
	}
	c.start(0, nil)
	c.pw = c.nodes[0].firstPassword()
	for i := 1; i < n; i++ {
		tok := lastLine(mustMissive(t, "", "cluster", "token", "--data", c.data[0]))
		c.start(i, []string{"--join", c.addr[0], "--token", tok})
	}
	st := waitStatus(t, c.data[0], fmt.Sprintf("%d voters", n), func(st clusterStatus) bool {
		voters := 0
		for _, nd := range st.Nodes {
			if nd.Voter {
				voters++
			}
		}
		return voters == n && st.Leader != ""
	})
	c.ids = make([]string, n)
	for _, nd := range st.Nodes {
		for i, a := range c.addr {
			if nd.Address == a {
				c.ids[i] = nd.ID
			}
		}
	}
	return c
}

// start starts node i's process (again), with more arguments.
func (c *binCluster) start(i int, more []string) {
	c.t.Helper()
	var prefix []string
	if c.lab != nil {
		prefix = []string{"ip", "netns", "exec", c.lab.ns(i)}
	}
	args := append(append([]string{"--cluster-listen", c.addr[i]}, c.extra[i]...), more...)
	s := startMissiveVia(c.t, prefix, c.data[i], args)
	if c.lab != nil {
		s.client = c.lab.client(i)
	}
	var smtp string
	if strings.Contains(strings.Join(args, " "), "--smtp") {
		m := s.stdout.wait(smtpReadyRe, time.Second)
		if m == nil {
			c.t.Fatalf("node %d announced no SMTP listener:\n%s", i, s.stdout)
		}
		smtp = m[1]
	}
	c.mu.Lock()
	c.nodes[i], c.smtp[i] = s, smtp
	c.mu.Unlock()
}

// node is node i's current process.
func (c *binCluster) node(i int) *missiveServer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[i]
}

func (c *binCluster) smtpAddr(i int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.smtp[i]
}

// token is an API token of admin, valid on every node once they applied
// it.
func (c *binCluster) token() string {
	c.t.Helper()
	tok := c.node(0).token("admin")
	for i := range c.nodes {
		waitUntil(c.t, fmt.Sprintf("the token on node %d", i), 30*time.Second, func() bool {
			code, _, err := c.node(i).call("GET", "/api/v1/me", tok, nil)
			return err == nil && code == 200
		})
	}
	return tok
}

// leader is the index of the node that leads, as a node other than skip
// (-1: none) sees it; it waits for one.
func (c *binCluster) leader(skip int) int {
	c.t.Helper()
	from := 0
	if skip == 0 {
		from = 1
	}
	st := waitStatus(c.t, c.data[from], "a leader", func(st clusterStatus) bool {
		return st.Leader != "" && (skip < 0 || st.Leader != c.ids[skip])
	})
	for i, id := range c.ids {
		if id == st.Leader {
			return i
		}
	}
	c.t.Fatalf("leader %q is none of the nodes %v", st.Leader, c.ids)
	return -1
}

// kill ends node i with SIGKILL.
func (c *binCluster) kill(i int) { c.node(i).kill() }

// restart starts node i again after a kill, with neither --join nor a
// token: its data dir knows its cluster.
func (c *binCluster) restart(i int) { c.start(i, nil) }

// stateOf is `missive history verify --json` on a data dir: the history
// verifies (exit 0), and the replicated state's digest at an index.
type verifiedState struct {
	Entries      int64  `json:"entries"`
	AppliedIndex uint64 `json:"applied_index"`
	StateSHA256  string `json:"state_sha256"`
}

func stateOf(t *testing.T, data string) verifiedState {
	t.Helper()
	var v verifiedState
	out := mustMissive(t, "", "history", "verify", "--data", data, "--json")
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.StateSHA256 == "" || v.AppliedIndex == 0 {
		t.Fatalf("history verify --json on %s: %v\n%s", data, err, out)
	}
	return v
}

// converge waits until every node's history verifies and all applied
// the same index, and then requires the same state digest: nodes at one
// index that differ have diverged for good.
func (c *binCluster) converge() verifiedState {
	c.t.Helper()
	var states []verifiedState
	sameIndex := func() bool {
		states = states[:0]
		for _, d := range c.data {
			states = append(states, stateOf(c.t, d))
		}
		for _, s := range states[1:] {
			if s.AppliedIndex != states[0].AppliedIndex {
				return false
			}
		}
		return true
	}
	// Each look runs history verify on every node: every 200 ms.
	if !apptest.Wait(2*time.Minute, 200*time.Millisecond, sameIndex) {
		c.t.Fatalf("the nodes did not reach one applied index: %+v", states)
	}
	for i, s := range states[1:] {
		if s.StateSHA256 != states[0].StateSHA256 || s.Entries != states[0].Entries {
			c.t.Fatalf("node %d and node 0 differ at applied index %d: %+v, %+v", i+1, s.AppliedIndex, s, states[0])
		}
	}
	return states[0]
}

// caughtUp waits until node i applied every entry another node had
// applied when the wait began: under a load the indexes never meet, so
// converge is for once the load has stopped.
func (c *binCluster) caughtUp(i int) {
	c.t.Helper()
	target := stateOf(c.t, c.data[(i+1)%len(c.data)]).AppliedIndex
	applied := func() bool { return stateOf(c.t, c.data[i]).AppliedIndex >= target }
	if !apptest.Wait(2*time.Minute, 200*time.Millisecond, applied) {
		c.t.Fatalf("node %d did not apply index %d in 2 minutes", i, target)
	}
}

// netLab is one network namespace per node, each with one interface on a
// bridge in a namespace of its own (the "switch"). Cutting a node takes
// its port of the bridge down: packets to and from it are dropped, as on
// a broken link between sites, and TCP connections hang rather than
// fail. Nothing of the machine's own network changes.
type netLab struct {
	t    *testing.T
	name string
	n    int
}

func newNetLab(t *testing.T, n int) *netLab {
	t.Helper()
	l := &netLab{t: t, name: fmt.Sprintf("mv%d-%d", os.Getpid()%100000, rand.IntN(100000)), n: n}
	l.add(l.sw())
	l.ip2(l.sw(), "link", "add", "br0", "type", "bridge")
	l.ip2(l.sw(), "link", "set", "br0", "up")
	for i := range n {
		ns := l.ns(i)
		l.add(ns)
		l.ip2(ns, "link", "set", "lo", "up")
		port := fmt.Sprintf("p%d", i)
		l.ip2(l.sw(), "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns)
		l.ip2(l.sw(), "link", "set", port, "master", "br0", "up")
		l.ip2(ns, "addr", "add", l.ip(i)+"/24", "dev", "eth0")
		l.ip2(ns, "link", "set", "eth0", "up")
	}
	return l
}

func (l *netLab) sw() string          { return l.name + "-sw" }
func (l *netLab) ns(i int) string     { return fmt.Sprintf("%s-n%d", l.name, i) }
func (l *netLab) ip(i int) string     { return fmt.Sprintf("10.77.0.%d", i+1) }
func (l *netLab) nsPath(i int) string { return "/run/netns/" + l.ns(i) }

// add makes a namespace, deleted when the test ends (after the processes
// started in it, whose cleanups were registered later and so run first).
func (l *netLab) add(ns string) {
	l.t.Helper()
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		l.t.Fatalf("ip netns add %s: %v\n%s", ns, err, out)
	}
	l.t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
}

// ip2 runs `ip -n NS args…`.
func (l *netLab) ip2(ns string, args ...string) {
	l.t.Helper()
	if out, err := exec.Command("ip", append([]string{"-n", ns}, args...)...).CombinedOutput(); err != nil {
		l.t.Fatalf("ip -n %s %s: %v\n%s", ns, strings.Join(args, " "), err, out)
	}
}

// cut takes node i off the network; heal puts it back.
func (l *netLab) cut(i int)  { l.ip2(l.sw(), "link", "set", fmt.Sprintf("p%d", i), "down") }
func (l *netLab) heal(i int) { l.ip2(l.sw(), "link", "set", fmt.Sprintf("p%d", i), "up") }

// client reaches the servers of node i's namespace (its 127.0.0.1).
func (l *netLab) client(i int) *http.Client {
	ns := l.nsPath(i)
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialIn(ctx, ns, network, addr)
		},
		MaxIdleConnsPerHost: 16,
	}
	return &http.Client{Transport: tr, Timeout: labPatience}
}

// labPatience is how long the load's clients wait for an answer before
// they send the request again to another node, as a careful client does
// rather than wait for the cluster's own deadline of a write (30 s).
const labPatience = 10 * time.Second

// dialIn opens a connection from inside a network namespace: the socket
// is made while this goroutine's thread is in the namespace, and keeps it.
func dialIn(ctx context.Context, nsPath, network, addr string) (net.Conn, error) {
	runtime.LockOSThread()
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	defer self.Close()
	target, err := os.Open(nsPath)
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("setns %s: %w", nsPath, err)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if rerr := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); rerr != nil {
		// The thread stays locked: it ends with this goroutine and never
		// runs another one in the wrong namespace.
		if conn != nil {
			conn.Close()
		}
		return nil, fmt.Errorf("setns back: %w", rerr)
	}
	runtime.UnlockOSThread()
	return conn, err
}
