package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"missive/appliance/domain"
	"missive/appliance/store"
)

// Applier applies committed commands to the local store. It is the only
// writer of the store; the cluster's FSM delegates to it on every node, in
// log order, so it must be deterministic: no clock, no randomness, no I/O
// but the store.
type Applier struct {
	store *store.Store
	reg   *Registry
	log   *slog.Logger

	// mu serialises applying: raft's FSM goroutine and the retrier of
	// entries that wait for the store (pending.go).
	mu sync.Mutex
	// pending are committed entries the store could not take yet, in log
	// order; npending is their number, read without the lock.
	pending  []pendingEntry
	npending atomic.Int64
	retrying bool
	closed   chan struct{}
	once     sync.Once

	// key signs history entries (history.go); nil leaves them unsigned.
	key []byte

	// waiting maps a command id to whoever waits for its result here: a
	// follower that forwarded the command to the leader (Expect).
	wmu     sync.Mutex
	waiting map[string]chan any
}

// WithHistoryKey makes the Applier sign history entries with key, derived
// from secrets.key (HistoryKeyLabel): every node of a cluster must hold the
// same secrets.key, or their stores differ.
func (a *Applier) WithHistoryKey(key []byte) *Applier {
	a.key = key
	return a
}

// NewApplier applies commands of the kinds in reg to s.
func NewApplier(s *store.Store, reg *Registry, log *slog.Logger) *Applier {
	return &Applier{store: s, reg: reg, log: log, closed: make(chan struct{}), waiting: map[string]chan any{}}
}

// Expect registers interest in the result of a command, applied here. A
// follower forwards a command to the leader and waits for its own Apply
// of it: Apply is deterministic, so the typed result is the one the
// leader got, and a read on this node that follows sees the write.
// cancel stops waiting; the result channel receives at most one value,
// once the command is applied or refused here (not while it is pending).
func (a *Applier) Expect(data []byte) (result <-chan any, cancel func()) {
	var env struct {
		ID string `json:"id"`
	}
	json.Unmarshal(data, &env)
	ch := make(chan any, 1)
	a.wmu.Lock()
	a.waiting[env.ID] = ch
	a.wmu.Unlock()
	return ch, func() {
		a.wmu.Lock()
		if a.waiting[env.ID] == ch {
			delete(a.waiting, env.ID)
		}
		a.wmu.Unlock()
	}
}

// deliver hands a result to whoever waits for the command here.
func (a *Applier) deliver(id string, r *Result) {
	a.wmu.Lock()
	ch := a.waiting[id]
	delete(a.waiting, id)
	a.wmu.Unlock()
	if ch != nil {
		ch <- r
	}
}

// Result is what Apply returns to the proposer through the raft future.
type Result struct {
	Value any
	Err   error
	// Idem is the key the command recorded, if it carried one.
	Idem *store.IdemRecord
}

// Ctx is what a handler sees of the command being applied.
type Ctx struct {
	Ctx context.Context
	// Tx is the one place a command writes.
	Tx  *store.Tx
	Cmd *Command
	At  string // Cmd.At in TimeLayout
	// Set by the handler for the history entry.
	LetterID string
	Summary  string
	// payload recorded in history; defaults to the command payload.
	Payload []byte
	// key signs history entries, nil for none.
	key []byte
}

type handler func(a *Ctx) (any, error)

// Apply applies the raft entry at index. A corrupt entry panics: the log is
// the source of truth and a node must not go on without it. A command that
// breaks a rule changes nothing and returns its error in the Result. An
// entry the store cannot take now (it does not answer) is neither skipped
// nor refused: it waits, with every entry after it, until the store answers
// again, and its proposer is told it is pending (pending.go).
func (a *Applier) Apply(index uint64, data []byte) any {
	cmd, err := a.reg.Decode(data)
	if err != nil {
		panic(fmt.Sprintf("raft entry %d: %v", index, err))
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.applyLocked(index, cmd)
}

// applyLocked is Apply once the entry is decoded and a.mu held.
func (a *Applier) applyLocked(index uint64, cmd *Command) any {
	if a.drainLocked() {
		res, err := a.apply(index, cmd)
		if err == nil {
			return res
		}
		a.hold(index, cmd, err)
	} else {
		a.queue(index, cmd)
	}
	return &Result{Err: &PendingError{CommandID: cmd.ID}}
}

// apply applies one entry in one store transaction. Its error means the
// store could not be reached and nothing was applied; a refusal is in the
// Result.
func (a *Applier) apply(index uint64, cmd *Command) (*Result, error) {
	res := &Result{}
	ctx := context.Background()
	err := a.store.Update(ctx, index, func(tx *store.Tx) error { return a.run(ctx, tx, cmd, res) })
	if IsUnavailable(err) {
		return nil, err
	}
	return a.settle(index, cmd, res, err), nil
}

// run runs a command's handler in tx and appends its history entry; its
// result goes in res.
func (a *Applier) run(ctx context.Context, tx *store.Tx, cmd *Command, res *Result) error {
	ac := &Ctx{Ctx: ctx, Tx: tx, Cmd: cmd, At: cmd.At.UTC().Format(domain.TimeLayout), Payload: cmd.Payload, key: a.key}
	h := a.reg.handler(cmd.Kind)
	var v any
	var err error
	if cmd.Idem != nil {
		v, res.Idem, err = ApplyKeyed(ac, cmd.Idem, h)
	} else {
		v, err = h(ac)
	}
	if err != nil {
		res.Idem = nil
		return err
	}
	res.Value = v
	return appendHistory(ac)
}

// settle turns the outcome of a committed entry into its Result and hands
// it to whoever waits for it here. err is the entry's own error: a
// refusal, or ErrApplied for an entry applied before a restart.
func (a *Applier) settle(index uint64, cmd *Command, res *Result, err error) *Result {
	switch {
	case errors.Is(err, store.ErrApplied):
		return &Result{}
	case err != nil:
		res.Err = err
		a.log.Debug("command refused", "kind", cmd.Kind, "tenant", cmd.Tenant, "index", index, "err", err)
	}
	a.deliver(cmd.ID, res)
	return res
}

// SnapshotTo starts a consistent snapshot of the store now and returns the
// function that streams it, which may run while later commands apply. It
// refuses while entries wait for the store: raft would record them as in
// the snapshot and drop them from its log.
func (a *Applier) SnapshotTo() (func(io.Writer) error, func(), error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if n := len(a.pending); n > 0 {
		return nil, nil, fmt.Errorf("snapshot: %d committed entries wait for the store: %w", n, ErrUnavailable)
	}
	snap, err := a.store.BeginSnapshot(context.Background())
	if err != nil {
		return nil, nil, err
	}
	return snap.Stream, snap.Release, nil
}

// Restore replaces the store with a snapshot stream. Raft restores a
// snapshot past every entry it handed over, so nothing waits any more.
func (a *Applier) Restore(r io.Reader) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.store.Load(context.Background(), r); err != nil {
		return err
	}
	a.pending = nil
	a.npending.Store(0)
	return nil
}

func Decode[T any](a *Ctx) (*T, error) {
	var p T
	if err := StrictUnmarshal(a.Cmd.Payload, &p); err != nil {
		return nil, fmt.Errorf("%s payload: %w", a.Cmd.Kind, err)
	}
	return &p, nil
}

// Conflict turns a uniqueness violation into ErrConflict with a message.
func Conflict(err error, msg string) error {
	if err == nil {
		return nil
	}
	s := strings.ToLower(err.Error())
	if strings.Contains(s, "unique") || strings.Contains(s, "duplicate key") {
		return fmt.Errorf("%w: %s", ErrConflict, msg)
	}
	return err
}
