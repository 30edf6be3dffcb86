package cluster

import (
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
