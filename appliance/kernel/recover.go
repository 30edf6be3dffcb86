package kernel

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"missive/appliance/store"
)

// Behind reads a snapshot stream and says whether it holds applied commands
// that the store lacks: its applied index is above the store's. The raft
// index of the snapshot itself is no measure, since entries that change
// nothing (raft's own, refused commands) do not move the applied index.
func (a *Applier) Behind(snapshot io.Reader) (bool, error) {
	meta, err := store.SnapshotMeta(snapshot)
	if err != nil {
		return false, err
	}
	var snap uint64
	if v := meta["applied_index"]; v != "" {
		if snap, err = strconv.ParseUint(v, 10, 64); err != nil {
			return false, fmt.Errorf("snapshot applied index %q: %w", v, err)
		}
	}
	have, err := a.store.AppliedIndex(context.Background())
	if err != nil {
		return false, fmt.Errorf("read the store's applied index: %w", err)
	}
	// The cluster logs the restore; the indexes compared are for debugging.
	a.log.Debug("store compared with the raft snapshot", "store_index", have, "snapshot_index", snap)
	return have < snap, nil
}

// AppliedIndex is the raft index of the last entry the store applied: the
// cluster refuses a raft state that ends before it.
func (a *Applier) AppliedIndex() (uint64, error) {
	return a.store.AppliedIndex(context.Background())
}

// CheckEntry says why Apply would refuse to decode a raft entry, nil if
// it would not: the cluster refuses to start on a log holding such an
// entry, rather than stop when raft hands it over.
func (a *Applier) CheckEntry(data []byte) error {
	_, err := a.reg.Decode(data)
	return err
}
