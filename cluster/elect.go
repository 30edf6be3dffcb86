package cluster

import "github.com/hashicorp/raft"

// electAloneAtOnce starts the election of a node that is the only voter of
// its configuration (a single node, or the first of a cluster before
// anyone joined) as soon as raft runs, instead of after a heartbeat
// timeout (between one and two seconds with the cluster's values), which
// was most of a cold start.
//
// Raft has no "campaign now" call. Lowering the heartbeat timeout with
// ReloadConfig makes a follower re-arm its timer at once; the timer then
// finds no contact with any leader ever (a process that just started) and
// the node becomes candidate, and leader on its own vote. The cluster's
// values are put back right after, so every later election, in a cluster
// of several nodes, waits the normal timeouts. A node with other voters in
// its configuration is left alone: calling an election there at each
// restart would depose a leader that is alive.
func (n *Node) electAloneAtOnce(rc *raft.Config) {
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return
	}
	servers := f.Configuration().Servers
	if len(servers) != 1 || servers[0].ID != n.id || servers[0].Suffrage != raft.Voter {
		return
	}
	base := n.raft.ReloadableConfig()
	quick := base
	// The least raft accepts: not below the leader lease.
	quick.HeartbeatTimeout = rc.LeaderLeaseTimeout
	if quick.HeartbeatTimeout >= base.HeartbeatTimeout {
		return
	}
	if err := n.raft.ReloadConfig(quick); err != nil {
		n.cfg.Log.Warn("raft: could not start the election of a single voter at once; it waits for the heartbeat timeout", "err", err)
		return
	}
	if err := n.raft.ReloadConfig(base); err != nil {
		n.cfg.Log.Warn("raft: could not restore the heartbeat timeout", "err", err)
	}
}
