package cluster

import (
	"bytes"
	"io"
	"time"

	"github.com/hashicorp/raft"
)

// CompactLog takes a snapshot and drops the whole log behind it, so that
// a node that lacks an entry must receive the snapshot: a test need not
// write the 10,240 entries raft keeps by default.
func (n *Node) CompactLog() error {
	rc := n.raft.ReloadableConfig()
	low := rc
	low.TrailingLogs = 0
	if err := n.raft.ReloadConfig(low); err != nil {
		return err
	}
	defer n.raft.ReloadConfig(rc)
	return n.raft.Snapshot().Error()
}

// WithHeartbeat sets raft's heartbeat and election timeouts of a node, for
// tests that must tell an election at once from one after the timeout.
func WithHeartbeat(cfg Config, d time.Duration) Config {
	cfg.tune = func(rc *raft.Config) { rc.HeartbeatTimeout, rc.ElectionTimeout = d, d }
	return cfg
}

// HeartbeatTimeout is raft's heartbeat timeout on this node now.
func (n *Node) HeartbeatTimeout() time.Duration { return n.raft.ReloadableConfig().HeartbeatTimeout }

// SnapshotEvery sets how often a node looks whether a snapshot is due
// (an hour: only SnapshotIfDue takes one).
func SnapshotEvery(cfg *Config, d time.Duration) { cfg.snapshotCheck = d }

// SnapshotIfDue takes a snapshot if the log written since the latest one
// warrants it, as the node's loop does at each check.
func (n *Node) SnapshotIfDue() (bool, error) { return n.snapshotIfDue(n.snapshotMinLog()) }

// LogBounds are the first and last index of this node's raft log.
func (n *Node) LogBounds() (first, last uint64, err error) {
	if first, err = n.logs.FirstIndex(); err != nil {
		return 0, 0, err
	}
	last, err = n.logs.LastIndex()
	return first, last, err
}

// LogBytes is the size of the entries applied since the latest snapshot.
func (n *Node) LogBytes() int64 { return n.fsm.logBytes.Load() }

// LogicalSnapshot is the logical stream a raft snapshot's state.bin holds.
func LogicalSnapshot(state []byte) ([]byte, error) {
	r, err := readSnapshot(io.NopCloser(bytes.NewReader(state)))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}
