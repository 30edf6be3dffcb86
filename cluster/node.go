// Package cluster owns replication: the hashicorp/raft node whose log every
// change goes through, the FSM that hands committed entries to the
// appliance's Applier, snapshots in the logical format, and (later) the mTLS
// transport, membership and leader forwarding. A single node is a cluster of
// one, bootstrapped automatically: one code path, not two. See DESIGN.md.
package cluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"missive/appliance"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// Sentinel errors of the cluster. Those a caller may retry wrap the
// appliance's ErrUnavailable, so errors.Is works in the API layer, which
// does not know this package.
var (
	ErrNotLeader = fmt.Errorf("%w: ce nœud n'est pas le leader", appliance.ErrUnavailable)
	ErrShutdown  = fmt.Errorf("%w: nœud arrêté", appliance.ErrUnavailable)
	ErrLocked    = errors.New("dossier de données déjà utilisé par un autre processus missive")
)

// LockedError is Open's error when another process holds the data dir; it
// matches ErrLocked with errors.Is.
type LockedError struct {
	Dir string
	// PID of the holder, 0 if unknown.
	PID int
}

func (e *LockedError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("%v (%s, PID %d)", ErrLocked, e.Dir, e.PID)
	}
	return fmt.Sprintf("%v (%s)", ErrLocked, e.Dir)
}

func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Applier is what the FSM delegates to: appliance.Applier implements it.
type Applier interface {
	Apply(index uint64, data []byte) any
	SnapshotTo() (stream func(io.Writer) error, release func(), err error)
	Restore(r io.Reader) error
}

// Persistent is implemented by an Applier whose state outlives the process
// (appliance.Applier: the store records the last index it applied).
type Persistent interface {
	// Behind reads a snapshot stream and says whether it holds applied
	// entries that the state lacks.
	Behind(snapshot io.Reader) (bool, error)
}

// Config of a node.
type Config struct {
	DataDir string
	// Applier receives the committed entries, unless OpenApplier is set.
	Applier Applier
	// OpenApplier opens the state behind the Applier (the store) once the
	// data dir is locked and before raft starts: a second process stops at
	// the lock before touching the database, and no entry is handed to an
	// applier that is not open yet. Its error is Open's, unwrapped.
	OpenApplier func() (Applier, error)
	Log         *slog.Logger
	// ApplyTimeout bounds how long a proposal may wait to be committed.
	ApplyTimeout time.Duration
}

// Node is one raft member with its log in DataDir/raft.
type Node struct {
	raft   *raft.Raft
	id     raft.ServerID
	logs   *raftboltdb.BoltStore
	unlock func()
	cfg    Config
	// closed is closed by Close, before raft shuts down.
	closed    chan struct{}
	closeOnce sync.Once
}

// Open starts the node; on a data dir without raft state it bootstraps a
// cluster of one with itself as the only voter.
func Open(cfg Config) (*Node, error) {
	if cfg.ApplyTimeout == 0 {
		cfg.ApplyTimeout = 30 * time.Second
	}
	dir := filepath.Join(cfg.DataDir, "raft")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create raft dir: %w", err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	n := &Node{unlock: unlock, cfg: cfg, closed: make(chan struct{})}
	ok := false
	defer func() {
		if !ok {
			n.Close()
		}
	}()
	id, err := nodeID(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	n.id = raft.ServerID(id)
	n.logs, err = raftboltdb.NewBoltStore(filepath.Join(dir, "raft.db"))
	if err != nil {
		return nil, fmt.Errorf("open raft log: %w", err)
	}
	hlog := newHclog(cfg.Log)
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, 2, hlog)
	if err != nil {
		return nil, fmt.Errorf("open raft snapshots: %w", err)
	}
	if cfg.OpenApplier != nil {
		if cfg.Applier, err = cfg.OpenApplier(); err != nil {
			return nil, err
		}
	}
	if err := restoreIfBehind(snaps, cfg.Applier, cfg.Log); err != nil {
		return nil, err
	}
	rc := raft.DefaultConfig()
	rc.LocalID = n.id
	rc.Logger = hlog
	// The store is persistent and records the last applied index, so the
	// FSM need not be rebuilt from a snapshot at every start (see DESIGN.md);
	// restoreIfBehind has restored it if it lost entries the snapshot has.
	rc.NoSnapshotRestoreOnStart = true
	rc.SnapshotThreshold = 16384
	// Apply returns as soon as the entry is queued, so that entries queued
	// while the previous batch is fsynced are written in one batch. An
	// entry still queued at shutdown is never answered: ProposeAsync's wait
	// also watches Close.
	rc.BatchApplyCh = true
	rc.TrailingLogs = 10240
	// A cluster of one elects itself at once instead of waiting a second.
	rc.HeartbeatTimeout = 500 * time.Millisecond
	rc.ElectionTimeout = 500 * time.Millisecond
	rc.LeaderLeaseTimeout = 250 * time.Millisecond
	addr, trans := raft.NewInmemTransport(raft.ServerAddress(id))
	has, err := raft.HasExistingState(n.logs, n.logs, snaps)
	if err != nil {
		return nil, fmt.Errorf("read raft state: %w", err)
	}
	if !has {
		conf := raft.Configuration{Servers: []raft.Server{{ID: n.id, Address: addr, Suffrage: raft.Voter}}}
		if err := raft.BootstrapCluster(rc, n.logs, n.logs, snaps, trans, conf); err != nil {
			return nil, fmt.Errorf("bootstrap single-node cluster: %w", err)
		}
		cfg.Log.Info("raft cluster of one bootstrapped", "node", id)
	}
	n.raft, err = raft.NewRaft(rc, &fsm{cfg.Applier}, n.logs, n.logs, snaps, trans)
	if err != nil {
		return nil, fmt.Errorf("start raft: %w", err)
	}
	ok = true
	return n, nil
}

// restoreIfBehind restores the latest raft snapshot into a persistent
// applier that lacks some of the entries it holds. Raft replays only the
// entries after its latest snapshot, so entries before it that the store
// lost (a power cut with SQLite's synchronous=NORMAL, a store copied back
// from an older backup) would otherwise be missing for good.
func restoreIfBehind(snaps raft.SnapshotStore, a Applier, log *slog.Logger) error {
	p, ok := a.(Persistent)
	if !ok {
		return nil
	}
	metas, err := snaps.List()
	if err != nil {
		return fmt.Errorf("list raft snapshots: %w", err)
	}
	if len(metas) == 0 {
		return nil
	}
	latest := metas[0]
	_, rc, err := snaps.Open(latest.ID)
	if err != nil {
		return fmt.Errorf("open raft snapshot %s: %w", latest.ID, err)
	}
	behind, err := p.Behind(rc)
	rc.Close()
	if err != nil {
		return fmt.Errorf("compare the store with raft snapshot %s: %w", latest.ID, err)
	}
	if !behind {
		return nil
	}
	log.Warn("store behind the latest raft snapshot: restoring it before the log is replayed", "snapshot", latest.ID, "index", latest.Index)
	_, rc, err = snaps.Open(latest.ID)
	if err != nil {
		return fmt.Errorf("open raft snapshot %s: %w", latest.ID, err)
	}
	defer rc.Close()
	if err := a.Restore(rc); err != nil {
		return fmt.Errorf("restore raft snapshot %s: %w", latest.ID, err)
	}
	log.Info("raft snapshot restored", "snapshot", latest.ID, "index", latest.Index)
	return nil
}

// WaitLeader blocks until the cluster has a leader and this node has applied
// everything committed before it started (a barrier), so reads that follow
// see every earlier write.
func (n *Node) WaitLeader(ctx context.Context) error {
	for {
		if _, id := n.raft.LeaderWithID(); id != "" {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for raft leader: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if n.raft.State() == raft.Leader {
		if err := n.raft.Barrier(n.cfg.ApplyTimeout).Error(); err != nil {
			return fmt.Errorf("raft barrier: %w", err)
		}
	}
	return nil
}

// Propose appends a command to the log and returns Apply's response once it
// is committed and applied on this node.
func (n *Node) Propose(ctx context.Context, cmd []byte) (any, error) {
	return n.ProposeAsync(ctx, cmd)()
}

// ProposeAsync queues a command and returns at once; wait returns Apply's
// response once it is committed and applied on this node. Commands are
// logged in the order ProposeAsync was called, so a caller that stamps and
// queues under a lock keeps its order without holding the lock through
// the commit (registration numbers).
func (n *Node) ProposeAsync(ctx context.Context, cmd []byte) (wait func() (any, error)) {
	timeout := n.cfg.ApplyTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	f := n.raft.Apply(cmd, timeout)
	return func() (any, error) {
		errc := make(chan error, 1)
		go func() { errc <- f.Error() }()
		var err error
		select {
		case err = <-errc:
		case <-n.closed:
			select {
			case err = <-errc:
			default:
				return nil, ErrShutdown
			}
		}
		if err != nil {
			switch {
			case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipLost):
				return nil, fmt.Errorf("%w: %v", ErrNotLeader, err)
			case errors.Is(err, raft.ErrRaftShutdown):
				return nil, ErrShutdown
			}
			return nil, fmt.Errorf("raft apply: %w", err)
		}
		return f.Response(), nil
	}
}

// Ready says whether this node can take writes now.
func (n *Node) Ready() bool {
	return n.raft != nil && n.raft.State() == raft.Leader
}

// Snapshot forces a raft snapshot (tests, backups).
func (n *Node) Snapshot() error { return n.raft.Snapshot().Error() }

// Close stops raft cleanly and releases the data dir.
func (n *Node) Close() error {
	n.closeOnce.Do(func() { close(n.closed) })
	var errs []error
	if n.raft != nil {
		errs = append(errs, n.raft.Shutdown().Error())
	}
	if n.logs != nil {
		errs = append(errs, n.logs.Close())
	}
	if n.unlock != nil {
		n.unlock()
	}
	return errors.Join(errs...)
}

// nodeID reads DATA/node-id, creating it on first start.
func nodeID(dataDir string) (string, error) {
	p := filepath.Join(dataDir, "node-id")
	b, err := os.ReadFile(p)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read node id: %w", err)
	}
	host, _ := os.Hostname()
	id := fmt.Sprintf("%s-%d", sanitize(host), time.Now().UnixNano()%1_000_000)
	if err := os.WriteFile(p, []byte(id+"\n"), 0o640); err != nil {
		return "", fmt.Errorf("write node id: %w", err)
	}
	return id, nil
}

func sanitize(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, s)
	if s == "" {
		return "node"
	}
	return s
}

// fsm is three one-line methods delegating to the Applier.
type fsm struct{ a Applier }

func (f *fsm) Apply(l *raft.Log) any { return f.a.Apply(l.Index, l.Data) }

func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	stream, release, err := f.a.SnapshotTo()
	return &snapshot{stream, release}, err
}

func (f *fsm) Restore(rc io.ReadCloser) error { defer rc.Close(); return f.a.Restore(rc) }

type snapshot struct {
	stream  func(io.Writer) error
	release func()
}

func (s *snapshot) Persist(sink raft.SnapshotSink) error {
	if err := s.stream(sink); err != nil {
		sink.Cancel()
		return fmt.Errorf("persist snapshot: %w", err)
	}
	return sink.Close()
}

func (s *snapshot) Release() { s.release() }

// newHclog sends raft's own logs to slog, one line per event.
func newHclog(l *slog.Logger) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:   "raft",
		Level:  hclog.Warn,
		Output: &slogWriter{l},
	})
}

type slogWriter struct{ l *slog.Logger }

func (w *slogWriter) Write(p []byte) (int, error) {
	sc := bufio.NewScanner(strings.NewReader(string(p)))
	for sc.Scan() {
		line := sc.Text()
		level := slog.LevelWarn
		if strings.Contains(line, "[ERROR]") {
			level = slog.LevelError
		}
		// hclog lines read "TIME [LEVEL]  raft: message: k=v"; keep the message.
		if _, msg, ok := strings.Cut(line, "raft: "); ok {
			line = msg
		}
		// Every start elects a leader, with no previous one to have lost:
		// that is routine, not a warning a town's IT person should chase.
		if strings.HasPrefix(line, "heartbeat timeout reached, starting election") && strings.Contains(line, "last-leader-addr= ") {
			level = slog.LevelInfo
		}
		w.l.Log(context.Background(), level, line, "component", "raft")
	}
	return len(p), nil
}
