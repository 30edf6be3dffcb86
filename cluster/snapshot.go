package cluster

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/klauspost/compress/zstd"
)

// How the raft directory is kept a fraction of the database (DESIGN.md,
// "Snapshots and the log"). A snapshot is a full logical copy of the
// store, so it is compressed, only the latest is kept, and one is taken
// when the log written since the previous one holds as many bytes as that
// snapshot (minSnapshotLog at least): the log then never outgrows the
// snapshot much, and writing snapshots costs about one byte per byte of
// log, however large the store. After a snapshot the log keeps
// trailingLogs entries, for a follower briefly behind.
const (
	snapshotRetain = 1
	trailingLogs   = 2048
	minSnapshotLog = 64 << 20
	// entryOverhead is what an entry costs in raft.db besides its command
	// (key, term, type, msgpack): many small entries count too.
	entryOverhead = 64
	// snapshotCheck is how often the node looks whether a snapshot is due.
	snapshotCheck = 10 * time.Second
)

// zstdMagic starts every zstd frame; a logical stream starts with '{'.
var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

// openSnapshots opens the raft snapshot store of a data dir's raft dir.
func openSnapshots(dir string, log hclog.Logger) (*raft.FileSnapshotStore, error) {
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, snapshotRetain, log)
	if err != nil {
		return nil, fmt.Errorf("open raft snapshots: %w", err)
	}
	return snaps, nil
}

// writeSnapshot writes a logical stream into a raft snapshot, compressed
// with zstd at its fastest (the stream is text: a third of its size or
// less, at several hundred MB/s).
func writeSnapshot(w io.Writer, stream func(io.Writer) error) error {
	zw, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return err
	}
	if err := stream(zw); err != nil {
		zw.Close()
		return err
	}
	return zw.Close()
}

// readSnapshot gives the logical stream of a raft snapshot: compressed
// (this version) or not (snapshots taken before, or sent by a node not yet
// upgraded). Closing it closes rc.
func readSnapshot(rc io.ReadCloser) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(rc, 64<<10)
	head, err := br.Peek(len(zstdMagic))
	if err != nil && err != io.EOF {
		rc.Close()
		return nil, fmt.Errorf("read raft snapshot: %w", err)
	}
	if !bytes.Equal(head, zstdMagic) {
		return readCloser{br, rc.Close}, nil
	}
	zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("read raft snapshot: %w", err)
	}
	return readCloser{zr, func() error { zr.Close(); return rc.Close() }}, nil
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

// openSnapshot opens the logical stream of the snapshot id of snaps.
func openSnapshot(snaps raft.SnapshotStore, id string) (io.ReadCloser, error) {
	_, rc, err := snaps.Open(id)
	if err != nil {
		return nil, fmt.Errorf("open raft snapshot %s: %w", id, err)
	}
	return readSnapshot(rc)
}

// snapshotDue says whether the log written since the latest snapshot
// (logBytes) warrants a new one, the latest being snapshotBytes long.
func snapshotDue(logBytes, snapshotBytes, minLog int64) bool {
	return logBytes >= max(minLog, snapshotBytes)
}

// noAutoSnapshot is raft's own entry-count trigger, turned off: the
// node's snapshotLoop decides by bytes instead.
const noAutoSnapshot = math.MaxUint64 / 2

// snapshotLoop takes a snapshot whenever one is due (snapshotDue), until
// the node closes.
func (n *Node) snapshotLoop() {
	defer n.wg.Done()
	minLog := n.snapshotMinLog()
	every := snapshotCheck
	if n.cfg.snapshotCheck > 0 {
		every = n.cfg.snapshotCheck
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-n.closed:
			return
		case <-t.C:
		}
		if n.removed.Load() {
			return // its raft is stopped
		}
		if _, err := n.snapshotIfDue(minLog); errors.Is(err, raft.ErrRaftShutdown) {
			return
		} else if err != nil {
			n.cfg.Log.Warn("raft snapshot failed; the log keeps growing until the next one succeeds", "err", err)
		}
	}
}

// snapshotIfDue takes a snapshot if one is due, and says whether it did.
func (n *Node) snapshotIfDue(minLog int64) (bool, error) {
	var last int64
	if metas, err := n.snaps.List(); err == nil && len(metas) > 0 {
		last = metas[0].Size
	}
	logBytes := n.fsm.logBytes.Load()
	if !snapshotDue(logBytes, last, minLog) {
		return false, nil
	}
	if err := n.raft.Snapshot().Error(); errors.Is(err, raft.ErrNothingNewToSnapshot) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if metas, err := n.snaps.List(); err == nil && len(metas) > 0 {
		n.cfg.Log.Info("raft snapshot taken, log trimmed", "index", metas[0].Index, "bytes", metas[0].Size, "log_bytes", logBytes)
	}
	return true, nil
}

func (n *Node) snapshotMinLog() int64 {
	if n.cfg.SnapshotMinLog > 0 {
		return n.cfg.SnapshotMinLog
	}
	return minSnapshotLog
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
	rc, err := openSnapshot(snaps, latest.ID)
	if err != nil {
		return err
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
	if rc, err = openSnapshot(snaps, latest.ID); err != nil {
		return err
	}
	defer rc.Close()
	if err := a.Restore(rc); err != nil {
		return fmt.Errorf("restore raft snapshot %s: %w", latest.ID, err)
	}
	log.Info("raft snapshot restored", "snapshot", latest.ID, "index", latest.Index)
	return nil
}
