//go:build bench

package main

// TestBenchCluster measures the cluster of issue F on the built binary,
// loopback only, and prints one table: acknowledged registrations per
// second on three nodes against one (and against a three-node etcd with
// the same payload and concurrency), the time from kill -9 of the leader
// to the next write acknowledged to a client, and the catch-up of a node
// joining a cluster that holds many letters. Environment:
//
//	MISSIVE_BENCH_CLUSTER_RUNS     leader kills (default 20)
//	MISSIVE_BENCH_CLUSTER_LETTERS  letters of the catch-up (default 100000,
//	                               seeded once, then cached)

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"missive/appliance/apptest"
	"missive/internal/benchkit"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"
)

const (
	clusterBenchClients = 12
	clusterBenchTime    = 15 * time.Second
)

func TestBenchCluster(t *testing.T) {
	runs := benchkit.EnvInt(t, "MISSIVE_BENCH_CLUSTER_RUNS", 20)
	bin := buildBinary(t)
	var rows [][2]string
	add := func(name, value string) {
		rows = append(rows, [2]string{name, value})
		t.Logf("%s: %s", name, value)
	}

	one := newBenchCluster(t, bin, 1)
	r1 := registrationRate(t, one, clusterBenchClients)
	one.stopAll()
	add(fmt.Sprintf("enregistrements acquittés/s, 1 nœud (%d clients, %v)", clusterBenchClients, clusterBenchTime), fmt.Sprintf("%.0f", r1))
	three := newBenchCluster(t, bin, 3)
	r3 := registrationRate(t, three, clusterBenchClients)
	add("enregistrements acquittés/s, 3 nœuds (clients répartis)", fmt.Sprintf("%.0f", r3))
	add("rapport 3 nœuds / 1 nœud", fmt.Sprintf("%.2f", r3/r1))
	etcd := etcdPutRate(t, clusterBenchClients)
	add("etcd 3.4, 3 membres, PUT /v3/kv/put acquittés/s", fmt.Sprintf("%.0f", etcd))
	add("rapport missive 3 nœuds / etcd 3 membres", fmt.Sprintf("%.2f", r3/etcd))

	failovers := failoverTimes(t, three, runs)
	three.stopAll()
	slices.Sort(failovers)
	add(fmt.Sprintf("kill -9 du leader → 1re écriture acquittée, p50 (%d essais)", len(failovers)), failovers[len(failovers)/2].Round(time.Millisecond).String())
	add("idem, p99 (le pire sur 20)", failovers[min(len(failovers)-1, len(failovers)*99/100)].Round(time.Millisecond).String())

	printRows(rows)
}

// TestBenchClusterCatchUp times a node joining a cluster that holds many
// letters.
func TestBenchClusterCatchUp(t *testing.T) {
	letters := benchkit.EnvInt(t, "MISSIVE_BENCH_CLUSTER_LETTERS", 100000)
	bin := buildBinary(t)
	ready, caught, n := catchUp(t, bin, letters)
	printRows([][2]string{
		{fmt.Sprintf("rattrapage d'un nœud rejoignant %d courriers: prêt", n), ready.Round(time.Millisecond).String()},
		{"idem: même index appliqué que le leader", caught.Round(time.Millisecond).String()},
	})
}

func printRows(rows [][2]string) {
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nmesure\tvaleur")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\n", r[0], r[1])
	}
	tw.Flush()
}

// benchNode is one missive serve process of a bench cluster.
type benchNode struct {
	cmd    *exec.Cmd
	url    string
	exited chan struct{}
}

// startBenchNode starts missive serve and waits until it says it is ready.
func startBenchNode(t *testing.T, bin, data string, args ...string) *benchNode {
	t.Helper()
	logf, err := os.OpenFile(filepath.Join(filepath.Dir(data), "serve.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"serve", "--data", data, "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = missiveEnvBench()
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n := &benchNode{cmd: cmd, exited: make(chan struct{})}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := readyRe.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() { cmd.Wait(); logf.Close(); close(n.exited) }()
	t.Cleanup(n.stop)
	select {
	case n.url = <-urls:
		return n
	case <-n.exited:
	case <-time.After(10 * time.Minute):
	}
	b, _ := os.ReadFile(logf.Name())
	t.Fatalf("missive serve did not get ready:\n%s", b)
	return nil
}

func (n *benchNode) stop() {
	select {
	case <-n.exited:
		return
	default:
	}
	n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.exited:
	case <-time.After(30 * time.Second):
		n.cmd.Process.Kill()
		<-n.exited
	}
}

func (n *benchNode) kill() {
	n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.exited
}

// benchCluster is n nodes on loopback and an admin token.
type benchCluster struct {
	t     *testing.T
	bin   string
	data  []string
	addr  []string
	mu    sync.Mutex
	nodes []*benchNode
	token string
}

func newBenchCluster(t *testing.T, bin string, n int) *benchCluster {
	t.Helper()
	c := &benchCluster{t: t, bin: bin}
	for i := range n {
		c.data = append(c.data, filepath.Join(t.TempDir(), "data"))
		c.addr = append(c.addr, freeAddr(t))
		var more []string
		if i > 0 {
			tok := lastLine(mustRun(t, bin, "cluster", "token", "--data", c.data[0]))
			more = []string{"--join", c.addr[0], "--token", tok}
		}
		c.nodes = append(c.nodes, startBenchNode(t, bin, c.data[i], append([]string{"--cluster-listen", c.addr[i]}, more...)...))
	}
	c.waitVoters(n)
	c.token = strings.TrimSpace(mustRun(t, bin, "token", "create", "--data", c.data[0], "--user", "admin"))
	for i := range n {
		c.waitFor(fmt.Sprintf("the token on node %d", i), func() bool {
			req, _ := http.NewRequest("GET", c.node(i).url+"/api/v1/me", nil)
			req.Header.Set("Authorization", "Bearer "+c.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == 200
		})
	}
	return c
}

func (c *benchCluster) node(i int) *benchNode {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[i]
}

func (c *benchCluster) stopAll() {
	for i := range c.nodes {
		c.node(i).stop()
	}
}

func (c *benchCluster) waitFor(what string, ok func() bool) {
	c.t.Helper()
	apptest.Eventually(c.t, 5*time.Minute, what, ok)
}

// benchStatus is `missive cluster status --json` as the bench reads it.
type benchStatus struct {
	Self   string `json:"self"`
	Leader string `json:"leader"`
	Nodes  []struct {
		ID           string `json:"id"`
		Address      string `json:"address"`
		Voter        bool   `json:"voter"`
		AppliedIndex uint64 `json:"applied_index"`
	} `json:"nodes"`
}

func statusAt(bin, data string) (benchStatus, error) {
	var st benchStatus
	out, err := exec.Command(bin, "cluster", "status", "--data", data, "--json").Output()
	if err != nil {
		return st, err
	}
	return st, json.Unmarshal(out, &st)
}

// waitVoters waits until node 0 sees n voters and a leader.
func (c *benchCluster) waitVoters(n int) {
	c.waitFor(fmt.Sprintf("%d voters", n), func() bool {
		st, err := statusAt(c.bin, c.data[0])
		voters := 0
		for _, nd := range st.Nodes {
			if nd.Voter {
				voters++
			}
		}
		return err == nil && st.Leader != "" && voters == n
	})
}

// leader is the index of the leading node, as node from sees it.
func (c *benchCluster) leader(from int, not string) (int, string) {
	var idx int
	var id string
	c.waitFor("a leader", func() bool {
		st, err := statusAt(c.bin, c.data[from])
		if err != nil || st.Leader == "" || st.Leader == not {
			return false
		}
		for _, nd := range st.Nodes {
			if nd.ID == st.Leader {
				id = nd.ID
				idx = slices.Index(c.addr, nd.Address)
			}
		}
		return idx >= 0 && id != ""
	})
	return idx, id
}

// register is one registration with its Idempotency-Key: 201 or not.
func (c *benchCluster) register(client *http.Client, node int, key string) bool {
	body := fmt.Sprintf(`{"category":"incoming","subject":"Demande %s"}`, key)
	req, _ := http.NewRequest("POST", c.node(node).url+"/api/v1/letters", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == 201
}

// registrationRate is the acknowledged registrations per second of
// clients spread over the nodes.
func registrationRate(t *testing.T, c *benchCluster, clients int) float64 {
	var acked atomic.Int64
	stop := time.Now().Add(clusterBenchTime)
	var wg sync.WaitGroup
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 30 * time.Second}
			for i := 0; time.Now().Before(stop); i++ {
				if c.register(client, w%len(c.nodes), fmt.Sprintf("debit-%d-%d-%d", len(c.nodes), w, i)) {
					acked.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return float64(acked.Load()) / clusterBenchTime.Seconds()
}

// etcdPutRate starts three etcd members on loopback and measures
// acknowledged puts per second through their HTTP/JSON gateway, with the
// body of a registration as value and the same concurrency.
func etcdPutRate(t *testing.T, clients int) float64 {
	t.Helper()
	var peers, urls []string
	for i := range 3 {
		peers = append(peers, fmt.Sprintf("e%d=http://%s", i, freeAddr(t)))
		urls = append(urls, "http://"+freeAddr(t))
	}
	for i := range 3 {
		dir := t.TempDir()
		peer := strings.SplitN(peers[i], "=", 2)[1]
		cmd := exec.Command("etcd", "--name", fmt.Sprintf("e%d", i), "--data-dir", dir,
			"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
			"--listen-client-urls", urls[i], "--advertise-client-urls", urls[i],
			"--initial-cluster", strings.Join(peers, ","), "--initial-cluster-state", "new",
			"--initial-cluster-token", "bench-"+strconv.Itoa(os.Getpid()), "--logger", "zap", "--log-outputs", filepath.Join(dir, "etcd.log"))
		if err := cmd.Start(); err != nil {
			t.Fatalf("etcd: %v", err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	}
	put := func(client *http.Client, i int, key string) bool {
		value := fmt.Sprintf(`{"category":"incoming","subject":"Demande %s"}`, key)
		body, _ := json.Marshal(map[string]string{
			"key":   base64.StdEncoding.EncodeToString([]byte("letters/" + key)),
			"value": base64.StdEncoding.EncodeToString([]byte(value)),
		})
		resp, err := client.Post(urls[i]+"/v3/kv/put", "application/json", bytes.NewReader(body))
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode == 200 && bytes.Contains(b, []byte(`"revision"`))
	}
	for i := range 3 {
		apptest.Eventually(t, time.Minute, fmt.Sprintf("etcd member %d takes a put", i), func() bool { return put(http.DefaultClient, i, "sonde") })
	}
	var acked atomic.Int64
	stop := time.Now().Add(clusterBenchTime)
	var wg sync.WaitGroup
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 30 * time.Second}
			for i := 0; time.Now().Before(stop); i++ {
				if put(client, w%3, fmt.Sprintf("debit-etcd-%d-%d", w, i)) {
					acked.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return float64(acked.Load()) / clusterBenchTime.Seconds()
}

// failoverTimes kills the leader runs times under a steady load of
// registrations spread over the nodes (each sent again to the next node
// after a failure, with a short client timeout) and returns, per kill,
// the time until a registration first sent after the kill is
// acknowledged. The killed node is restarted and caught up between runs.
func failoverTimes(t *testing.T, c *benchCluster, runs int) []time.Duration {
	var (
		mu     sync.Mutex
		killed time.Time // zero: no kill pending
		first  chan time.Time
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 2 * time.Second}
			for i := 0; ; i++ {
				key := fmt.Sprintf("bascule-%d-%d", w, i)
				sent := time.Now()
				for attempt := 0; ; attempt++ {
					select {
					case <-stop:
						return
					default:
					}
					if c.register(client, (w+attempt)%len(c.nodes), key) {
						break
					}
					// A refused client pauses before it retries, as a real one does: this paces the load, it waits on no state.
					time.Sleep(20 * time.Millisecond)
				}
				now := time.Now()
				mu.Lock()
				if !killed.IsZero() && sent.After(killed) {
					first <- now
					killed = time.Time{}
				}
				mu.Unlock()
			}
		}()
	}
	var out []time.Duration
	for run := range runs {
		leader, id := c.leader(0, "")
		from := (leader + 1) % len(c.nodes)
		mu.Lock()
		first = make(chan time.Time, 1)
		c.node(leader).kill()
		killed = time.Now()
		at := killed
		ch := first
		mu.Unlock()
		d := (<-ch).Sub(at)
		out = append(out, d)
		t.Logf("bascule %d: leader %d tué, écriture acquittée après %v", run+1, leader, d.Round(time.Millisecond))
		c.leader(from, id)
		n := startBenchNode(t, c.bin, c.data[leader], "--cluster-listen", c.addr[leader])
		c.mu.Lock()
		c.nodes[leader] = n
		c.mu.Unlock()
		c.waitCaughtUp(leader)
	}
	close(stop)
	wg.Wait()
	return out
}

// waitCaughtUp waits until node i applied as far as the leader.
func (c *benchCluster) waitCaughtUp(i int) {
	c.waitFor(fmt.Sprintf("node %d caught up", i), func() bool {
		st, err := statusAt(c.bin, c.data[i])
		if err != nil || st.Leader == "" {
			return false
		}
		var self, top uint64
		for _, nd := range st.Nodes {
			if nd.ID == st.Self {
				self = nd.AppliedIndex
			}
			top = max(top, nd.AppliedIndex)
		}
		return self > 0 && self+50 >= top
	})
}

// catchUp starts a node on a data dir holding letters (missive dev seed,
// cached under /tmp/missive-bench-cache), makes it
// a cluster, and times a new node's join: until it is ready to serve, and
// until it applied the leader's index at the time of the join.
func catchUp(t *testing.T, bin string, letters int) (ready, caught time.Duration, n int) {
	t.Helper()
	root := t.TempDir()
	data := filepath.Join(root, "data")
	cache := filepath.Join(os.TempDir(), "missive-bench-cache", fmt.Sprintf("cluster-%s-%d", benchCacheVersion, letters))
	if _, err := os.Stat(filepath.Join(cache, "complete")); err != nil {
		os.RemoveAll(cache)
		if err := os.MkdirAll(cache, 0o755); err != nil {
			t.Fatal(err)
		}
		took := seed(t, bin, filepath.Join(cache, "data"), "", letters)
		t.Logf("rattrapage: %d courriers remplis en %v (mis en cache)", letters, took.Round(time.Second))
		if err := os.WriteFile(filepath.Join(cache, "complete"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("cp", "-a", filepath.Join(cache, "data"), data).CombinedOutput(); err != nil {
		t.Fatalf("copy the cached data dir: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	startBenchNode(t, bin, data, "--cluster-listen", addr)
	st, err := statusAt(bin, data)
	if err != nil {
		t.Fatal(err)
	}
	var top uint64
	for _, nd := range st.Nodes {
		top = max(top, nd.AppliedIndex)
	}
	tok := lastLine(mustRun(t, bin, "cluster", "token", "--data", data))
	joiner := filepath.Join(t.TempDir(), "data")
	start := time.Now()
	startBenchNode(t, bin, joiner, "--cluster-listen", freeAddr(t), "--join", addr, "--token", tok)
	ready = time.Since(start)
	caughtUp := func() bool {
		if st, err = statusAt(bin, joiner); err != nil {
			return false
		}
		for _, nd := range st.Nodes {
			if nd.ID == st.Self && nd.AppliedIndex >= top {
				return true
			}
		}
		return false
	}
	// Each look runs the command line: look every 100 ms, not every 20.
	if !apptest.Wait(30*time.Minute, 100*time.Millisecond, caughtUp) {
		t.Fatalf("the new node did not catch up: %+v %v", st, err)
	}
	return ready, time.Since(start), letters
}
