package cluster

import (
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
)

// Catch-up: a node that was offline for a day, or a new one, receives a
// snapshot and then the log. It says how far it is, in its log (a line
// when a snapshot starts and ends, then one every progressEvery while it
// is behind, never one per entry) and in its status (`cluster status`,
// Administration › Cluster). What it knows comes from the leader's own
// messages, read as they arrive (watchedTransport): the size of the
// snapshot it sends, and its commit index with each batch of entries.

// progressEvery is how often a node that is behind logs its progress.
const progressEvery = 5 * time.Second

// behindMin is how many entries behind the leader make a node say it is
// catching up: fewer is the ordinary delay of a batch in flight.
const behindMin = 100

// CatchUp is how a node catches up with the leader, in its status.
type CatchUp struct {
	// Phase: "instantané" while it receives the leader's snapshot,
	// "restauration" while it loads it into its store, "journal" while
	// it applies the entries that follow.
	Phase string `json:"phase"`
	// SnapshotReceived and SnapshotSize, in bytes, during a snapshot.
	SnapshotReceived int64 `json:"snapshot_received,omitempty"`
	SnapshotSize     int64 `json:"snapshot_size,omitempty"`
	// Behind is how many entries it lacks of what the leader committed.
	Behind uint64 `json:"behind"`
	// Rate is how many entries a second it applied lately.
	Rate float64 `json:"rate"`
	// ETA is the time left at this pace, "" when unknown.
	ETA string `json:"eta,omitempty"`
}

// Phases of a catch-up.
const (
	phaseSnapshot = "instantané"
	phaseRestore  = "restauration"
	phaseLog      = "journal"
)

// String is the "rattrapage" column of the status.
func (c *CatchUp) String() string {
	if c == nil {
		return "-"
	}
	var s string
	switch c.Phase {
	case phaseSnapshot:
		s = fmt.Sprintf("instantané %s / %s", megabytes(c.SnapshotReceived), megabytes(c.SnapshotSize))
	case phaseRestore:
		s = fmt.Sprintf("restauration de l'instantané (%s)", megabytes(c.SnapshotSize))
	default:
		s = fmt.Sprintf("%d entrées de retard", c.Behind)
	}
	if c.ETA != "" {
		s += ", reste ~" + c.ETA
	}
	return s
}

func megabytes(n int64) string { return fmt.Sprintf("%.1f Mo", float64(n)/1e6) }

// catchUp follows this node's progress.
type catchUp struct {
	log     *slog.Logger
	applied *atomic.Uint64
	// leaderCommit is the leader's commit index in its last entries.
	leaderCommit atomic.Uint64
	received     atomic.Int64

	mu sync.Mutex
	// snapSize > 0 while a snapshot is being installed.
	snapSize  int64
	snapIndex uint64
	snapStart time.Time
	// rate: entries applied a second, measured at each tick.
	rate        float64
	lastApplied uint64
	lastTick    time.Time
	// catching: a progress line was logged; the end is logged too.
	catching bool
}

func newCatchUp(log *slog.Logger, applied *atomic.Uint64) *catchUp {
	return &catchUp{log: log, applied: applied}
}

func (c *catchUp) snapshotStarts(size int64, index uint64) {
	c.received.Store(0)
	c.mu.Lock()
	c.snapSize, c.snapIndex, c.snapStart, c.catching = size, index, time.Now(), true
	c.mu.Unlock()
	c.log.Info("cluster catch-up: receiving the leader's snapshot", "bytes", size, "index", index, "behind", c.behind())
}

func (c *catchUp) snapshotEnds(err error) {
	c.mu.Lock()
	size, start := c.snapSize, c.snapStart
	c.snapSize = 0
	c.mu.Unlock()
	if err != nil {
		c.log.Warn("cluster catch-up: snapshot not installed, the leader will send it again", "err", err)
		return
	}
	c.log.Info("cluster catch-up: snapshot installed", "bytes", size, "took", time.Since(start).Round(time.Millisecond).String(), "behind", c.behind())
}

// behind is how many entries this node lacks of the leader's last
// commit index it heard of.
func (c *catchUp) behind() uint64 {
	lc, a := c.leaderCommit.Load(), c.applied.Load()
	if lc > a {
		return lc - a
	}
	return 0
}

// status is the node's catch-up, nil when it is not behind.
func (c *catchUp) status() *CatchUp {
	c.mu.Lock()
	defer c.mu.Unlock()
	cu := &CatchUp{Behind: c.behind(), Rate: math.Round(c.rate*10) / 10}
	if c.snapSize > 0 {
		cu.SnapshotSize, cu.SnapshotReceived = c.snapSize, c.received.Load()
		cu.Phase = phaseSnapshot
		if cu.SnapshotReceived >= cu.SnapshotSize {
			cu.Phase = phaseRestore
		} else if el := time.Since(c.snapStart); cu.SnapshotReceived > 0 {
			left := time.Duration(float64(el) * float64(cu.SnapshotSize-cu.SnapshotReceived) / float64(cu.SnapshotReceived))
			cu.ETA = left.Round(time.Second).String()
		}
		return cu
	}
	if cu.Behind < behindMin {
		return nil
	}
	cu.Phase = phaseLog
	cu.ETA = eta(cu.Behind, c.rate)
	return cu
}

// eta is the time to apply behind entries at rate a second.
func eta(behind uint64, rate float64) string {
	if rate <= 0 {
		return ""
	}
	return time.Duration(float64(behind) / rate * float64(time.Second)).Round(time.Second).String()
}

// tick measures the rate and logs a progress line while behind.
func (c *catchUp) tick(now time.Time) {
	a := c.applied.Load()
	c.mu.Lock()
	if !c.lastTick.IsZero() && a >= c.lastApplied {
		r := float64(a-c.lastApplied) / now.Sub(c.lastTick).Seconds()
		// Smoothed, so that one slow batch does not swing the ETA.
		if c.rate == 0 {
			c.rate = r
		} else {
			c.rate = 0.5*c.rate + 0.5*r
		}
	}
	c.lastApplied, c.lastTick = a, now
	catching := c.catching
	c.mu.Unlock()
	st := c.status()
	switch {
	case st != nil && st.Phase == phaseSnapshot:
		c.log.Info("cluster catch-up: receiving the leader's snapshot", "received", st.SnapshotReceived, "bytes", st.SnapshotSize, "eta", st.ETA)
	case st != nil && st.Phase == phaseRestore:
		c.log.Info("cluster catch-up: loading the snapshot into the store", "bytes", st.SnapshotSize)
	case st != nil:
		c.log.Info("cluster catch-up: applying the log", "behind", st.Behind, "rate", st.Rate, "eta", st.ETA)
		c.setCatching(true)
	case catching:
		c.log.Info("cluster catch-up: caught up with the leader", "applied", a)
		c.setCatching(false)
	}
}

func (c *catchUp) setCatching(v bool) {
	c.mu.Lock()
	c.catching = v
	c.mu.Unlock()
}

// watchedTransport is raft's transport with the leader's messages read on
// their way to raft: the commit index of appended entries, the size of a
// snapshot and how much of it arrived. Embedding the concrete transport
// keeps the interfaces raft looks for on it (Close, pre-vote).
type watchedTransport struct {
	*raft.NetworkTransport
	c     *catchUp
	out   chan raft.RPC
	stop  chan struct{}
	start sync.Once
	end   sync.Once
}

func watchTransport(t *raft.NetworkTransport, c *catchUp) *watchedTransport {
	return &watchedTransport{NetworkTransport: t, c: c, out: make(chan raft.RPC), stop: make(chan struct{})}
}

// Consumer is called once by raft.
func (t *watchedTransport) Consumer() <-chan raft.RPC {
	t.start.Do(func() { go t.relay() })
	return t.out
}

func (t *watchedTransport) Close() error {
	t.end.Do(func() { close(t.stop) })
	return t.NetworkTransport.Close()
}

func (t *watchedTransport) relay() {
	in := t.NetworkTransport.Consumer()
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	for {
		select {
		case rpc := <-in:
			t.watch(&rpc)
			select {
			case t.out <- rpc:
			case <-t.stop:
				return
			}
		case now := <-tick.C:
			t.c.tick(now)
		case <-t.stop:
			return
		}
	}
}

func (t *watchedTransport) watch(rpc *raft.RPC) {
	switch req := rpc.Command.(type) {
	case *raft.AppendEntriesRequest:
		t.c.leaderCommit.Store(req.LeaderCommitIndex)
	case *raft.InstallSnapshotRequest:
		t.c.leaderCommit.Store(max(t.c.leaderCommit.Load(), req.LastLogIndex))
		t.c.snapshotStarts(req.Size, req.LastLogIndex)
		rpc.Reader = &countingReader{r: rpc.Reader, n: &t.c.received}
		// Raft answers once the snapshot is restored into the store.
		answer := rpc.RespChan
		mine := make(chan raft.RPCResponse, 1)
		rpc.RespChan = mine
		go func() {
			select {
			case r := <-mine:
				t.c.snapshotEnds(r.Error)
				answer <- r
			case <-t.stop:
			}
		}()
	}
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// installing says whether a snapshot is being installed here.
func (c *catchUp) installing() bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.snapSize > 0
}

// againstLeader corrects a node's own count with its lag behind the
// leader's applied index, when the status reached the leader: the node
// knows the leader's commit index only as of its last entries.
func (c *CatchUp) againstLeader(lag uint64, known bool) {
	if c == nil || !known || c.Phase != phaseLog {
		return
	}
	c.Behind, c.ETA = lag, eta(lag, c.Rate)
}
