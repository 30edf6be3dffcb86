package cluster

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
