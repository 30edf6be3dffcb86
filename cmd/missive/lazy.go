package main

import (
	"io"

	"missive/appliance"
)

// lazyApplier lets raft start (and take the data dir lock) before the store
// is opened. Raft may elect itself and replay committed entries while the
// store is still opening: those wait here until set.
type lazyApplier struct {
	ready chan struct{}
	a     *appliance.Applier
}

func newLazyApplier() *lazyApplier { return &lazyApplier{ready: make(chan struct{})} }

func (l *lazyApplier) set(a *appliance.Applier) { l.a = a; close(l.ready) }

func (l *lazyApplier) get() *appliance.Applier { <-l.ready; return l.a }

func (l *lazyApplier) Apply(index uint64, data []byte) any { return l.get().Apply(index, data) }
func (l *lazyApplier) SnapshotTo() (func(io.Writer) error, func(), error) {
	return l.get().SnapshotTo()
}
func (l *lazyApplier) Restore(r io.Reader) error { return l.get().Restore(r) }
