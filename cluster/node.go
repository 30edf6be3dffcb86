// Package cluster owns replication: the hashicorp/raft node whose log every
// change goes through, the FSM that hands committed entries to the
// appliance's Applier, snapshots in the logical format, the cluster port
// (mutual TLS, one port for raft, forwarding and joins), membership and the
// forwarding of writes from a follower to the leader. A single node is a
// cluster of one, bootstrapped automatically: one code path, not two. See
// DESIGN.md.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"missive/appliance"
	"missive/appliance/blob"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// Sentinel errors of the cluster. Those a caller may retry wrap the
// appliance's ErrUnavailable, so errors.Is works in the API layer, which
// does not know this package.
var (
	ErrNotLeader = &appliance.UnavailableError{Reason: "le leader du cluster vient de changer pendant la demande ; réessayez dans un instant"}
	ErrShutdown  = &appliance.UnavailableError{Reason: "ce nœud du cluster s'arrête ; réessayez dans un instant ou sur un autre site"}
	// ErrNoQuorum: no leader could be found or reached in time, or the
	// leader could not commit: too few voters answer.
	ErrNoQuorum = &appliance.UnavailableError{Reason: "pas de quorum : ce site ne joint pas la majorité des nœuds votants du cluster (aucun leader), " +
		"les modifications sont refusées et rien n'a été enregistré ; les données affichées peuvent ne pas être à jour. " +
		"Réessayez quand les sites seront de nouveau reliés (si un site est perdu pour de bon : missive cluster recover)"}
	// ErrRemoved: the node was removed from the cluster; it serves what
	// it has but takes no write. Another node may.
	ErrRemoved = &appliance.UnavailableError{Reason: "ce nœud a été retiré du cluster et n'accepte plus d'écritures ; écrivez sur un autre site, ou videz son dossier de données et faites-le rejoindre avec un nouveau jeton (missive cluster token)"}
	ErrLocked  = errors.New("dossier de données déjà utilisé par un autre processus missive")
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
	// applier that is not open yet. A node that joins has received
	// secrets.key by then. It gets the node's id, for the store to claim.
	// Its error is Open's, unwrapped.
	OpenApplier func(nodeID string) (Applier, error)
	Log         *slog.Logger
	// ApplyTimeout bounds how long a proposal may wait to be committed.
	ApplyTimeout time.Duration
	// Listen is the cluster port, host:port (cluster_listen). Empty: the
	// address recorded by an earlier start in a cluster, else none (a
	// cluster of one on an in-memory transport, as before clusters).
	Listen string
	// Advertise is the address other nodes dial, when it differs from
	// Listen (a NAT between sites). Default Listen.
	Advertise string
	// Listener, when set, is the cluster port already open on Listen
	// (tests bind :0 first); the node closes it.
	Listener net.Listener
	// Join and Token make an empty data dir join the cluster of the node
	// at Join (its cluster port) with a token of `missive cluster token`.
	// Ignored once the node has joined.
	Join, Token string
	// Dial opens a TCP connection to another node; nil dials directly.
	Dial func(ctx context.Context, addr string) (net.Conn, error)
	// TrailingLogs is how many entries a snapshot leaves in the log
	// (trailingLogs when 0): a node further behind catches up from a
	// snapshot. Tests set it low.
	TrailingLogs uint64
	// SnapshotMinLog is how many bytes of log, at least, are written
	// between two snapshots (minSnapshotLog when 0). Tests set it low.
	SnapshotMinLog int64
	// snapshotCheck is how often a snapshot's being due is looked at
	// (snapshotCheck when 0; tests only).
	snapshotCheck time.Duration
	// ReadOnly, when set, says why the node must not write (a full disk):
	// it opens its Applier and serves reads, starts no raft, and refuses
	// every write with this reason (readonly.go).
	ReadOnly string
	// tune changes raft's configuration before it starts (tests only,
	// export_test.go).
	tune func(*raft.Config)
}

// Node is one raft member with its log in DataDir/raft.
type Node struct {
	raft   *raft.Raft
	id     raft.ServerID
	logs   *raftboltdb.BoltStore
	snaps  raft.SnapshotStore
	fsm    *fsm
	unlock func()
	cfg    Config
	// closed is closed by Close, before raft shuts down.
	closed    chan struct{}
	closeOnce sync.Once

	// addr is the advertised cluster address; "" without a cluster port.
	addr  string
	trans interface{ Close() error }
	pki   *pki
	mux   *mux
	pool  *pool
	// state is DATA/cluster/state.json, changed under stateMu.
	stateMu sync.Mutex
	state   *state
	svc     atomic.Pointer[Services]
	removed atomic.Bool
	// applied is the index of the last entry applied here (fsm).
	applied atomic.Uint64
	// catchUp follows how far behind the leader this node is (cluster
	// port only).
	catchUp *catchUp
	wg      sync.WaitGroup
	// sweep wakes the background pass over referenced blobs, blobProg is
	// its progress, attachOnce starts it (blobs.go, blobsweep.go).
	sweep      blobSignal
	blobProg   blobProgress
	attachOnce sync.Once
	// leaders wakes the effects' loops at a change of leadership
	// (leadership.go).
	leaders leaderWatch
	// blobStore is this node's document store, given to Attach.
	blobStore atomic.Pointer[blob.Store]
	// leaderGone is when this node last lost sight of a leader (unix
	// nanoseconds, 0 while it knows one; quorum.go).
	leaderGone atomic.Int64
}

// Open starts the node. On a data dir without raft state it bootstraps a
// cluster of one with itself as the only voter, or, with cfg.Join, joins
// the cluster of another node.
func Open(cfg Config) (*Node, error) {
	if cfg.ApplyTimeout == 0 {
		cfg.ApplyTimeout = 30 * time.Second
	}
	if cfg.Dial == nil {
		cfg.Dial = netDial
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
			if n.mux == nil && cfg.Listener != nil {
				cfg.Listener.Close()
			}
			n.Close()
		}
	}()
	id, err := nodeID(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	n.id = raft.ServerID(id)
	if err := checkFiles(cfg.DataDir, cfg.Log); err != nil {
		return nil, err
	}
	if cfg.ReadOnly != "" {
		if err := n.openReadOnly(); err != nil {
			return nil, err
		}
		ok = true
		return n, nil
	}
	if err := n.openRaft(dir); err != nil {
		return nil, err
	}
	if n.mux != nil {
		go n.mux.serve()
	}
	ok = true
	return n, nil
}

// openRaft opens the raft log and snapshots in dir, the cluster port,
// and the Applier; sets up the raft state a first start, a recovery from
// peers.json or a moved address needs; then starts raft.
func (n *Node) openRaft(dir string) error {
	cfg, id := &n.cfg, string(n.id)
	var err error
	n.logs, err = raftboltdb.NewBoltStore(filepath.Join(dir, "raft.db"))
	if err != nil {
		return fmt.Errorf("open raft log: %w", err)
	}
	hlog := newHclog(cfg.Log)
	snaps, err := openSnapshots(dir, hlog)
	if err != nil {
		return err
	}
	has, err := raft.HasExistingState(n.logs, n.logs, snaps)
	if err != nil {
		return fmt.Errorf("read raft state: %w", err)
	}
	// The cluster port first: a node that joins receives secrets.key, which
	// the Applier derives its history key from.
	trans, err := n.transport(has, hlog)
	if err != nil {
		return err
	}
	if c, ok := trans.(interface{ Close() error }); ok {
		n.trans = c
	}
	if cfg.OpenApplier != nil {
		if cfg.Applier, err = cfg.OpenApplier(id); err != nil {
			return err
		}
	}
	if err := n.checkAgreement(has, snaps); err != nil {
		return err
	}
	if err := restoreIfBehind(snaps, cfg.Applier, cfg.Log); err != nil {
		return err
	}
	rc := n.raftConfig(hlog)
	switch {
	case !has && !n.state.Joined:
		addr := trans.LocalAddr()
		conf := raft.Configuration{Servers: []raft.Server{{ID: n.id, Address: addr, Suffrage: raft.Voter}}}
		if err := raft.BootstrapCluster(rc, n.logs, n.logs, snaps, trans, conf); err != nil {
			return fmt.Errorf("bootstrap single-node cluster: %w", err)
		}
		cfg.Log.Info("raft cluster of one bootstrapped", "node", id, "address", addr)
	case has && hasPeersFile(cfg.DataDir):
		if err := n.recoverFromPeers(rc, snaps, trans); err != nil {
			return err
		}
	case has && n.addr != "":
		if err := n.moveOwnAddress(rc, snaps, trans); err != nil {
			return err
		}
	}
	// Raft replays the log from its latest snapshot, which the store has.
	n.applied.Store(latestSnapshot(snaps))
	n.fsm = &fsm{a: cfg.Applier, applied: &n.applied, snaps: snaps, restored: n.sweep.kick}
	n.snaps = snaps
	n.raft, err = raft.NewRaft(rc, n.fsm, n.logs, n.logs, snaps, trans)
	if err != nil {
		return fmt.Errorf("start raft: %w", err)
	}
	n.watchLeadership()
	n.wg.Add(1)
	go n.snapshotLoop()
	if !n.removed.Load() {
		n.electAloneAtOnce(rc)
	}
	if n.removed.Load() {
		cfg.Log.Warn("this node was removed from the cluster: it serves what it has and refuses writes", "removed", n.state.Removed)
		n.raft.Shutdown().Error()
		if n.trans != nil {
			n.trans.Close()
		}
	} else if n.state.PendingVoter {
		n.wg.Add(1)
		go n.promoteWhenCaughtUp()
	}
	return nil
}

func (n *Node) clusterDir() string { return filepath.Join(n.cfg.DataDir, "cluster") }

// raftConfig is the raft configuration of this node.
func (n *Node) raftConfig(hlog hclog.Logger) *raft.Config {
	rc := raft.DefaultConfig()
	rc.LocalID = n.id
	rc.Logger = hlog
	// The store is persistent and records the last applied index, so the
	// FSM need not be rebuilt from a snapshot at every start (see DESIGN.md);
	// restoreIfBehind has restored it if it lost entries the snapshot has.
	rc.NoSnapshotRestoreOnStart = true
	// Snapshots are taken by snapshotLoop, by bytes (snapshot.go).
	rc.SnapshotThreshold = noAutoSnapshot
	// Apply returns as soon as the entry is queued, so that entries queued
	// while the previous batch is fsynced are written in one batch. An
	// entry still queued at shutdown is never answered: ProposeAsync's wait
	// also watches Close.
	rc.BatchApplyCh = true
	rc.TrailingLogs = trailingLogs
	if n.cfg.TrailingLogs > 0 {
		rc.TrailingLogs = n.cfg.TrailingLogs
	}
	if n.cfg.tune != nil {
		n.cfg.tune(rc)
	}
	return rc
}

// WaitLeader blocks until the cluster has a leader and this node has applied
// everything committed before it started (a barrier, or a read index on a
// follower), so reads that follow see every earlier write. A node removed
// from the cluster does not wait: it serves what it has.
func (n *Node) WaitLeader(ctx context.Context) error {
	if n.removed.Load() || n.raft == nil {
		return nil
	}
	probe := time.Now().Add(2 * time.Second)
	for {
		// Taken before the check: a leader elected in between closes it.
		changed := n.LeaderChanged()
		if _, id := n.raft.LeaderWithID(); id != "" {
			break
		}
		if time.Now().After(probe) {
			// A node of a cluster asks the others whether it was removed.
			if n.addr != "" && n.probeRemoved(ctx) {
				return nil
			}
			probe = time.Now().Add(2 * time.Second)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for raft leader: %w", ctx.Err())
		case <-changed:
		case <-time.After(time.Until(probe)):
		}
	}
	if n.addr != "" {
		if err := n.ReadIndex(ctx); err != nil {
			if n.removed.Load() {
				return nil // told so by a peer: it serves what it has
			}
			return err
		}
		// Caught up: the store may reference documents sent while this
		// node was away.
		n.sweep.kick()
		return nil
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
// the commit (registration numbers). On a follower, "queued" means the
// leader queued it: the call takes a round trip to the leader.
func (n *Node) ProposeAsync(ctx context.Context, cmd []byte) (wait func() (any, error)) {
	if err := n.writable(); err != nil {
		return func() (any, error) { return nil, err }
	}
	if n.raft.State() == raft.Leader || n.pool == nil {
		timeout := n.cfg.ApplyTimeout
		if dl, ok := ctx.Deadline(); ok {
			timeout = time.Until(dl)
		}
		f := n.raft.Apply(cmd, timeout)
		return func() (any, error) { return n.await(f) }
	}
	return n.forward(ctx, cmd)
}

// await waits for a local proposal.
func (n *Node) await(f raft.ApplyFuture) (any, error) {
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
		return nil, raftError(err)
	}
	return f.Response(), nil
}

// raftError turns raft's errors into the cluster's sentinels.
func raftError(err error) error {
	switch {
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipLost):
		return fmt.Errorf("%w: %v", ErrNotLeader, err)
	case errors.Is(err, raft.ErrRaftShutdown):
		return ErrShutdown
	case errors.Is(err, raft.ErrEnqueueTimeout):
		return fmt.Errorf("%w: %v", ErrNoQuorum, err)
	}
	return fmt.Errorf("raft: %w", err)
}

// writable is nil while this node may take writes.
func (n *Node) writable() error {
	select {
	case <-n.closed:
		return ErrShutdown
	default:
	}
	if n.removed.Load() {
		return ErrRemoved
	}
	if n.cfg.ReadOnly != "" {
		return &appliance.ReadOnlyError{Reason: n.cfg.ReadOnly}
	}
	return nil
}

// Ready says whether this node can take writes now: it knows a leader
// (itself, or one to forward to) and was not removed.
func (n *Node) Ready() bool {
	if n.raft == nil || n.writable() != nil {
		return false
	}
	_, id := n.raft.LeaderWithID()
	return id != "" && (n.pool != nil || id == n.id)
}

// Leader says whether this node leads: effects on the outside world (the
// outbox, IMAP polling, GED export) run there only.
func (n *Node) Leader() bool {
	return n.raft != nil && n.writable() == nil && n.raft.State() == raft.Leader
}

// ID is this node's id (DATA/node-id).
func (n *Node) ID() string { return string(n.id) }

// Clustered says whether this node has a cluster port.
func (n *Node) Clustered() bool { return n.addr != "" }

// Address is this node's cluster address, "" without a cluster port.
func (n *Node) Address() string { return n.addr }

// Joined says whether this node joined another's cluster, rather than
// started it: its store is filled by replication, never initialised here.
func (n *Node) Joined() bool { return n.state != nil && n.state.Joined }

// Snapshot forces a raft snapshot (tests, backups).
func (n *Node) Snapshot() error {
	if n.raft == nil {
		return n.writable()
	}
	return n.raft.Snapshot().Error()
}

// Close stops raft cleanly and releases the data dir.
func (n *Node) Close() error {
	n.closeOnce.Do(func() { close(n.closed) })
	var errs []error
	if n.mux != nil {
		n.mux.close()
	}
	if n.raft != nil {
		errs = append(errs, n.raft.Shutdown().Error())
	}
	if n.trans != nil {
		n.trans.Close()
	}
	n.wg.Wait()
	if n.pool != nil {
		n.pool.close()
	}
	if n.mux != nil {
		n.mux.wg.Wait()
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
