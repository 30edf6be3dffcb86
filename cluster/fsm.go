package cluster

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// fsm hands committed entries to the Applier, and counts how far this node
// applied them: raft's own AppliedIndex moves when entries are handed to
// its FSM goroutine, before they are applied, so a read that waited on it
// could miss a write.
type fsm struct {
	a       Applier
	applied *atomic.Uint64
	snaps   raft.SnapshotStore
	// restored is called after a snapshot was installed: the store now
	// references blobs this node may lack.
	restored func()
	// logBytes is the size of the entries applied since the latest
	// snapshot (snapshotLoop). Raft hands the entries after it over again
	// at every start, so it needs no record of its own.
	logBytes atomic.Int64
}

func (f *fsm) Apply(l *raft.Log) any {
	defer f.applied.Store(l.Index)
	f.logBytes.Add(int64(len(l.Data)) + entryOverhead)
	return f.a.Apply(l.Index, l.Data)
}

// StoreConfiguration counts configuration entries as applied: a read
// index may be one.
func (f *fsm) StoreConfiguration(index uint64, _ raft.Configuration) { f.applied.Store(index) }

// Snapshot pins the store at the last entry applied; raft persists it
// from another goroutine while entries go on.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	stream, release, err := f.a.SnapshotTo()
	if err == nil {
		f.logBytes.Store(0)
	}
	return &snapshot{stream, release}, err
}

// Restore installs a snapshot a leader sent; raft has stored it first, so
// the latest snapshot is the one restored.
func (f *fsm) Restore(rc io.ReadCloser) error {
	r, err := readSnapshot(rc)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := f.a.Restore(r); err != nil {
		return err
	}
	f.logBytes.Store(0)
	f.applied.Store(latestSnapshot(f.snaps))
	if f.restored != nil {
		f.restored()
	}
	return nil
}

// latestSnapshot is the index of the latest raft snapshot, 0 for none.
func latestSnapshot(snaps raft.SnapshotStore) uint64 {
	if metas, err := snaps.List(); err == nil && len(metas) > 0 {
		return metas[0].Index
	}
	return 0
}

type snapshot struct {
	stream  func(io.Writer) error
	release func()
}

func (s *snapshot) Persist(sink raft.SnapshotSink) error {
	if err := writeSnapshot(sink, s.stream); err != nil {
		sink.Cancel()
		return fmt.Errorf("persist snapshot: %w", err)
	}
	return sink.Close()
}

func (s *snapshot) Release() { s.release() }

// newHclog sends raft's own logs to slog, one line per event.
func newHclog(l *slog.Logger) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:   "raft",
		Level:  hclog.Warn,
		Output: &slogWriter{l},
	})
}

type slogWriter struct{ l *slog.Logger }

func (w *slogWriter) Write(p []byte) (int, error) {
	sc := bufio.NewScanner(strings.NewReader(string(p)))
	for sc.Scan() {
		line := sc.Text()
		level := slog.LevelWarn
		if strings.Contains(line, "[ERROR]") {
			level = slog.LevelError
		}
		// hclog lines read "TIME [LEVEL]  raft: message: k=v"; keep the message.
		if _, msg, ok := strings.Cut(line, "raft: "); ok {
			line = msg
		}
		// Every start elects a leader, with no previous one to have lost,
		// and a node that joins starts with an empty log that the leader
		// fills: that is routine, not a warning a town's IT person should
		// chase.
		switch {
		case strings.HasPrefix(line, "heartbeat timeout reached, starting election") && strings.Contains(line, "last-leader-addr= "),
			strings.HasPrefix(line, "failed to get previous log") && strings.Contains(line, "last-index=0 "),
			strings.HasPrefix(line, "appendEntries rejected, sending older logs"):
			level = slog.LevelInfo
		}
		w.l.Log(context.Background(), level, line, "component", "raft")
	}
	return len(p), nil
}
