package kernel

import (
	"time"
)

// Entries that wait for the store. Raft commits an entry before the
// Applier applies it; if the store does not answer then (PostgreSQL
// stopped, disk full), the entry is in the log on disk and must be applied,
// not skipped nor reported refused. The Applier keeps it, and every entry
// after it (they must apply in order), answers their proposers "pending",
// and retries in the background until the store answers. A crash in the
// meantime loses nothing: the store's applied index is below those entries,
// so raft replays them at the next start (and no snapshot is taken while
// entries wait, see SnapshotTo).

const (
	retryMin = 100 * time.Millisecond
	retryMax = 2 * time.Second
)

type pendingEntry struct {
	index uint64
	cmd   *Command
}

// hold keeps the first entry the store could not take and starts retrying.
func (a *Applier) hold(index uint64, cmd *Command, err error) {
	a.log.Error("store unavailable: committed entry kept, applied as soon as the store answers",
		"index", index, "kind", cmd.Kind, "tenant", cmd.Tenant, "command", cmd.ID, "err", err)
	a.queue(index, cmd)
	if !a.retrying {
		a.retrying = true
		go a.retry()
	}
}

func (a *Applier) queue(index uint64, cmd *Command) {
	a.pending = append(a.pending, pendingEntry{index, cmd})
	a.npending.Store(int64(len(a.pending)))
}

// drainLocked applies the waiting entries in order while the store takes
// them, and says whether none is left. The caller holds a.mu.
func (a *Applier) drainLocked() bool {
	if len(a.pending) == 0 {
		return true
	}
	for len(a.pending) > 0 {
		p := a.pending[0]
		res, err := a.apply(p.index, p.cmd)
		if err != nil {
			return false
		}
		a.pending = a.pending[1:]
		a.npending.Store(int64(len(a.pending)))
		if res.Err != nil {
			a.log.Warn("pending command refused once the store answered: its client had been told it was pending",
				"index", p.index, "kind", p.cmd.Kind, "tenant", p.cmd.Tenant, "command", p.cmd.ID, "err", res.Err)
		}
		if len(a.pending) == 0 {
			a.log.Info("store answers again: pending entries applied", "last_index", p.index)
		}
	}
	a.pending = nil
	return true
}

// retry applies the waiting entries as soon as the store takes them.
func (a *Applier) retry() {
	delay := retryMin
	for {
		select {
		case <-a.closed:
			return
		case <-time.After(delay):
		}
		a.mu.Lock()
		done := a.drainLocked()
		if done {
			a.retrying = false
		}
		a.mu.Unlock()
		if done {
			return
		}
		delay = min(2*delay, retryMax)
	}
}

// Pending is the number of committed entries waiting for the store.
func (a *Applier) Pending() int { return int(a.npending.Load()) }

// Drain tries at once to apply what waits for the store and says whether
// nothing waits any more. It does not wait for an apply in progress.
func (a *Applier) Drain() bool {
	if a.npending.Load() == 0 {
		return true
	}
	if !a.mu.TryLock() {
		return false
	}
	defer a.mu.Unlock()
	return a.drainLocked()
}

// Close stops the retries. What still waits is in the raft log, above the
// store's applied index: the next start applies it.
func (a *Applier) Close() {
	a.once.Do(func() { close(a.closed) })
}
