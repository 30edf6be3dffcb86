package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"missive/appliance"

	"github.com/hashicorp/raft"
)

// Writes on every node: a follower forwards a stamped command to the
// leader over the rpc service and waits until its own Applier applied it
// (see DESIGN.md, "Forwarding").

// Expecter is implemented by an Applier that can hand the result of one
// command, applied on this node, to whoever waits for it
// (appliance.Applier: a waiter keyed by the command's id).
type Expecter interface {
	Expect(cmd []byte) (result <-chan any, cancel func())
}

// Admitter checks on the leader a command a follower forwards, and puts it
// in the log with queue under whatever lock its rules need
// (appliance.Service: registration numbers).
type Admitter interface {
	Admit(ctx context.Context, cmd []byte, queue func() (wait func() (any, error))) (wait func() (any, error), err error)
}

// ErrResultLost means a forwarded write was committed but this node could
// not read its result back (it received the state through a snapshot, or
// did not apply it in time). The write is done: retrying would make it
// twice, so it does not wrap ErrUnavailable.
var ErrResultLost = errors.New("écriture enregistrée par le cluster, mais son résultat n'a pas pu être relu sur ce nœud: rechargez la page avant de recommencer")

// errUnknownOutcome wraps ErrUnavailable: the connection to the leader
// broke after the command was sent, so it may or may not be in the log.
func errUnknownOutcome(addr string, err error) error {
	return &appliance.UnavailableError{Reason: fmt.Sprintf("liaison avec le leader du cluster (%s) coupée pendant l'écriture (%v) : elle a peut-être été enregistrée, vérifiez avant de recommencer", addr, err)}
}

// serveProposal is the leader's side: admit and queue the command, say so
// at once (the follower holds its numbering lock until then), then say its
// index once committed.
func (n *Node) serveProposal(ctx context.Context, cmd []byte, send func(*reply) error) error {
	if err := n.writable(); err != nil {
		return send(&reply{Err: toWire(err)})
	}
	if n.raft.State() != raft.Leader {
		return send(&reply{Err: toWire(ErrNotLeader)})
	}
	var f raft.ApplyFuture
	queue := func() func() (any, error) {
		f = n.raft.Apply(cmd, n.cfg.ApplyTimeout)
		return func() (any, error) { return n.await(f) }
	}
	var wait func() (any, error)
	var err error
	if a := n.services(); a != nil {
		wait, err = a.Admit(ctx, cmd, queue)
	} else {
		wait = queue()
	}
	if err != nil {
		return send(&reply{Err: toWire(err)})
	}
	serr := send(&reply{Queued: true})
	if _, err := wait(); err != nil {
		return errors.Join(serr, send(&reply{Err: toWire(err)}))
	}
	if serr != nil {
		return serr
	}
	return send(&reply{Index: f.Index()})
}

// forward is the follower's side of ProposeAsync. It returns once the
// leader queued the command (or refused it); wait gives the result of this
// node's own Apply of it.
func (n *Node) forward(ctx context.Context, cmd []byte) func() (any, error) {
	start := time.Now()
	ctx, cancel := n.applyContext(ctx)
	result, unexpect := (<-chan any)(nil), func() {}
	if e, ok := n.cfg.Applier.(Expecter); ok {
		result, unexpect = e.Expect(cmd)
	}
	done := func() { unexpect(); cancel() }
	fail := func(err error) func() (any, error) {
		done()
		return func() (any, error) { return nil, err }
	}
	for {
		addr, err := n.leaderAddr(ctx)
		if errors.Is(err, errSelfLeader) {
			done()
			f := n.raft.Apply(cmd, n.cfg.ApplyTimeout)
			return func() (any, error) { return n.await(f) }
		}
		if err != nil {
			return fail(err)
		}
		rc, err := n.pool.get(ctx, addr)
		if err != nil {
			// Nothing was sent: try again, the leader may be changing
			// (for as long as an election may take).
			if !n.awaitLeader(start) || !n.pause(ctx) {
				return fail(fmt.Errorf("%w: leader %s: %v", ErrNoQuorum, addr, err))
			}
			continue
		}
		r, err := rc.call(ctx, &request{Op: opPropose, Cmd: cmd})
		if err != nil {
			n.pool.drop(addr, rc)
			return fail(errUnknownOutcome(addr, err))
		}
		if r.Err != nil {
			n.pool.put(addr, rc)
			err := n.revoked(r.Err.err(), addr)
			// Refused before it was queued: safe to send again.
			if errors.Is(err, ErrNotLeader) && n.pause(ctx) {
				continue
			}
			return fail(err)
		}
		return func() (any, error) {
			defer done()
			r, err := rc.read(ctx)
			if err != nil {
				n.pool.drop(addr, rc)
				return nil, errUnknownOutcome(addr, err)
			}
			n.pool.put(addr, rc)
			if err := r.Err.err(); err != nil {
				return nil, err
			}
			return n.awaitLocal(ctx, result, r.Index)
		}
	}
}

// pending says whether this node's Applier holds committed entries its
// store could not take yet (appliance.Applier: the store does not answer).
func (n *Node) pending() bool {
	p, ok := n.cfg.Applier.(interface{ Pending() int })
	return ok && p.Pending() > 0
}

// errPendingHere: the leader committed the write, this node's store does
// not answer; it is applied here once the store does.
var errPendingHere = fmt.Errorf("%w: écriture validée par le cluster, en attente de la base de ce nœud", appliance.ErrPending)

// awaitLocal waits until this node applied the entry at index and returns
// what its Applier produced for it.
func (n *Node) awaitLocal(ctx context.Context, result <-chan any, index uint64) (any, error) {
	if result == nil {
		return nil, n.waitApplied(ctx, index)
	}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case v := <-result:
			return v, nil
		case <-n.closed:
			return nil, ErrShutdown
		case <-ctx.Done():
			return nil, ErrResultLost
		case <-tick.C:
			// Apply hands the result before the entry counts as
			// applied: past the index with nothing handed, the entry
			// came inside a snapshot.
			if n.applied.Load() >= index {
				select {
				case v := <-result:
					return v, nil
				default:
				}
				if n.pending() {
					return nil, errPendingHere
				}
				return nil, ErrResultLost
			}
		}
	}
}

// errSelfLeader: this node leads now; propose locally.
var errSelfLeader = errors.New("ce nœud est le leader")

// leaderAddr waits for a leader and returns its cluster address.
func (n *Node) leaderAddr(ctx context.Context) (string, error) {
	start := time.Now()
	for {
		if err := n.writable(); err != nil {
			return "", err
		}
		addr, id := n.raft.LeaderWithID()
		if id == n.id {
			return "", errSelfLeader
		}
		if addr != "" {
			return string(addr), nil
		}
		// No leader: wait only while an election may be under way
		// (quorum.go).
		if !n.awaitLeader(start) || !n.pause(ctx) {
			return "", ErrNoQuorum
		}
	}
}

// pause waits a little before another try; false once ctx ends or the
// node closes.
func (n *Node) pause(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return false
	case <-n.closed:
		return false
	case <-time.After(20 * time.Millisecond):
		return true
	}
}

func (n *Node) applyContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, n.cfg.ApplyTimeout)
}

// ReadIndex waits until this node has applied every entry committed
// before the call, leadership confirmed by a quorum: a read on this node
// that follows is linearizable. It is also how a starting follower
// catches up before it serves.
func (n *Node) ReadIndex(ctx context.Context) error {
	ctx, cancel := n.applyContext(ctx)
	defer cancel()
	start := time.Now()
	for {
		if n.raft.State() == raft.Leader {
			idx, err := n.leaderReadIndex(ctx)
			if err == nil {
				return n.waitApplied(ctx, idx)
			}
			if !errors.Is(err, ErrNotLeader) || !n.pause(ctx) {
				return err
			}
			continue
		}
		addr, err := n.leaderAddr(ctx)
		if errors.Is(err, errSelfLeader) {
			// Elected, not yet leading: the next turn reads as leader.
			if !n.pause(ctx) {
				return ErrNotLeader
			}
			continue
		}
		if err != nil {
			return err
		}
		if n.pool == nil {
			return ErrNotLeader
		}
		r, err := n.pool.call(ctx, addr, &request{Op: opReadIndex})
		if err == nil {
			return n.waitApplied(ctx, r.Index)
		}
		if errors.Is(n.revoked(err, addr), ErrRemoved) {
			return ErrRemoved
		}
		if !n.awaitLeader(start) || !n.pause(ctx) {
			return &appliance.UnavailableError{Reason: fmt.Sprintf("lecture à jour impossible, le leader du cluster n'a pas répondu (%v)", err)}
		}
	}
}

// leaderReadIndex confirms leadership with a barrier, an entry committed by
// a quorum after the read began, and returns the last entry this leader
// applied before it: every write committed before the read is at or below
// it. (Raft's commit index could name a no-op or barrier entry that never
// reaches a follower's FSM, and it moves before the FSM applies.)
func (n *Node) leaderReadIndex(ctx context.Context) (uint64, error) {
	if err := n.writable(); err != nil {
		return 0, err
	}
	if n.raft.State() != raft.Leader {
		return 0, ErrNotLeader
	}
	timeout := n.cfg.ApplyTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	if err := n.raft.Barrier(timeout).Error(); err != nil {
		return 0, raftError(err)
	}
	return n.applied.Load(), nil
}

// waitApplied waits until this node applied the entry at index.
func (n *Node) waitApplied(ctx context.Context, index uint64) error {
	for n.applied.Load() < index {
		select {
		case <-ctx.Done():
			return &appliance.UnavailableError{Reason: fmt.Sprintf("ce nœud du cluster n'a pas encore rattrapé le leader (entrée %d, appliquée %d) ; réessayez dans un instant", index, n.applied.Load())}
		case <-n.closed:
			return ErrShutdown
		case <-time.After(5 * time.Millisecond):
		}
	}
	if n.pending() {
		return fmt.Errorf("%w: la base de ce nœud ne répond pas, ses lectures seraient en retard", appliance.ErrUnavailable)
	}
	return nil
}
