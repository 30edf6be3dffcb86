package cluster

import (
	"time"

	"github.com/hashicorp/raft"
)

// WithHeartbeat sets raft's heartbeat and election timeouts of a node, for
// tests that must tell an election at once from one after the timeout.
func WithHeartbeat(cfg Config, d time.Duration) Config {
	cfg.tune = func(rc *raft.Config) { rc.HeartbeatTimeout, rc.ElectionTimeout = d, d }
	return cfg
}

// HeartbeatTimeout is raft's heartbeat timeout on this node now.
func (n *Node) HeartbeatTimeout() time.Duration { return n.raft.ReloadableConfig().HeartbeatTimeout }
