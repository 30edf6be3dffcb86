package cluster

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// Seed makes a data dir whose store was just restored (a backup, a move to
// PostgreSQL) the first node of a new cluster. Its raft state is a single
// snapshot at the store's applied index, holding the same logical stream,
// with this node as the only voter: the log goes on at appliedIndex+1, so
// the Applier takes the first new write for what it is instead of an
// entry already applied, and a node that joins later receives the
// snapshot like any follower that fell behind. The data dir must have no
// raft state yet.
func Seed(dataDir string, appliedIndex uint64, snapshot io.Reader) error {
	if appliedIndex == 0 {
		return errors.New("seed: the restored store has applied nothing")
	}
	dir := filepath.Join(dataDir, "raft")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create raft dir: %w", err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return err
	}
	defer unlock()
	id, err := nodeID(dataDir)
	if err != nil {
		return err
	}
	logs, err := raftboltdb.NewBoltStore(filepath.Join(dir, "raft.db"))
	if err != nil {
		return fmt.Errorf("open raft log: %w", err)
	}
	defer logs.Close()
	hlog := newHclog(slog.New(slog.DiscardHandler))
	snaps, err := openSnapshots(dir, hlog)
	if err != nil {
		return err
	}
	has, err := raft.HasExistingState(logs, logs, snaps)
	if err != nil {
		return fmt.Errorf("read raft state: %w", err)
	}
	if has {
		return fmt.Errorf("seed %s: this data dir already has a raft state", dataDir)
	}
	// The same address as Open gives a new cluster of one.
	addr, trans := raft.NewInmemTransport(raft.ServerAddress(id))
	conf := raft.Configuration{Servers: []raft.Server{{ID: raft.ServerID(id), Address: addr, Suffrage: raft.Voter}}}
	sink, err := snaps.Create(raft.SnapshotVersionMax, appliedIndex, 1, conf, appliedIndex, trans)
	if err != nil {
		return fmt.Errorf("create raft snapshot: %w", err)
	}
	copyIn := func(w io.Writer) error { _, err := io.Copy(w, snapshot); return err }
	if err := writeSnapshot(sink, copyIn); err != nil {
		sink.Cancel()
		return fmt.Errorf("write raft snapshot: %w", err)
	}
	if err := sink.Close(); err != nil {
		return fmt.Errorf("write raft snapshot: %w", err)
	}
	// The term of the snapshot: the first election starts the next one.
	if err := logs.SetUint64([]byte("CurrentTerm"), 1); err != nil {
		return fmt.Errorf("write raft term: %w", err)
	}
	return nil
}
