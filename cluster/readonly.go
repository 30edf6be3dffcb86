package cluster

// A node whose disk is full cannot start raft: an election writes the
// term, a bootstrap the configuration, and raft stops the process when its
// stable store fails. Open with Config.ReadOnly therefore opens only the
// Applier (the store, read-only), starts no raft and no cluster port, and
// refuses every write with the reason (writable): the server serves what
// the store holds and says why it takes no write. The entries the store
// lacks stay in the raft log, applied at the next start with room.

// openReadOnly is Open's path for Config.ReadOnly.
func (n *Node) openReadOnly() error {
	st, err := loadState(n.clusterDir())
	if err != nil {
		return err
	}
	n.state = st
	if n.cfg.OpenApplier != nil {
		if n.cfg.Applier, err = n.cfg.OpenApplier(string(n.id)); err != nil {
			return err
		}
	}
	n.cfg.Log.Warn("started read-only: reads are served, writes refused", "node", n.id, "reason", n.cfg.ReadOnly)
	return nil
}
