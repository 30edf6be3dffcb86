package appliance

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"missive/appliance/domain"
)

// AsyncProposer is a Proposer that can queue a command and wait for its
// result apart. Commands are committed in the order they were queued (raft
// keeps the order of Apply calls), so registration stamps a number and
// queues its command under a lock, then waits for the commit outside it:
// the next registration is stamped while the previous one is still being
// committed instead of after it.
type AsyncProposer interface {
	Proposer
	// ProposeAsync queues cmd after every command queued before it and
	// returns at once; wait blocks until cmd is committed and applied here
	// and returns what Apply returned.
	ProposeAsync(ctx context.Context, cmd []byte) (wait func() (any, error))
}

// numbering stamps registration numbers on this node.
type numbering struct {
	// mu serialises stamping and queueing, so that numbers are queued in
	// the order they were stamped.
	mu  sync.Mutex
	seq map[numKey]*numSeq
}

type numKey struct {
	tenant string
	cat    domain.Category
	year   int
}

// numSeq is what this node queued in one sequence: the store's last number
// lags behind it while registrations are in flight.
type numSeq struct {
	// last is the highest number queued in this epoch, 0 for none.
	last int
	// epoch changes when a queued number fails: every number queued after
	// it in the same epoch was stamped on top of it and fails too (Apply
	// takes only the next number), so stamping starts again from the
	// store. Failures of those doomed numbers, reported later, belong to
	// the old epoch and must not reset the new one.
	epoch uint64
}

// stampAndQueue stamps p with the next number of its sequence and queues
// its command. The returned wait gives the Apply result.
func (s *Service) stampAndQueue(ctx context.Context, a *Actor, in *RegisterInput, p *LetterRegister) (func() (any, error), error) {
	if err := s.writable(); err != nil {
		return nil, err
	}
	key := numKey{a.TenantID(), in.Category, p.Year}
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	last, err := s.reader().LastNum(ctx, key.tenant, key.cat, key.year)
	if err != nil {
		return nil, fmt.Errorf("stamp number: %w", err)
	}
	if s.reg.seq == nil {
		s.reg.seq = map[numKey]*numSeq{}
	}
	sq := s.reg.seq[key]
	if sq == nil {
		sq = &numSeq{}
		s.reg.seq[key] = sq
	}
	p.Num = max(last, sq.last) + 1
	p.Number = fmt.Sprintf("%04d/%s/%06d", p.Year, in.Category.Code(), p.Num)
	kind, payload := KindLetterRegister, any(*p)
	if in.wrap != nil {
		if kind, payload, err = in.wrap(p); err != nil {
			return nil, err
		}
	}
	cmd, err := NewCommand(kind, a.TenantID(), a.ID(), s.Now(), payload)
	if err != nil {
		return nil, err
	}
	stampIdem(ctx, cmd)
	b, err := cmd.Encode()
	if err != nil {
		return nil, err
	}
	var wait func() (any, error)
	if ap, ok := s.prop.(AsyncProposer); ok {
		wait = ap.ProposeAsync(ctx, b)
	} else {
		// A proposer that cannot queue keeps the order only if it runs
		// under the lock.
		resp, err := s.prop.Propose(ctx, b)
		wait = func() (any, error) { return resp, err }
	}
	sq.last = p.Num
	epoch := sq.epoch
	return func() (any, error) {
		resp, err := wait()
		v, err := applyResult(ctx, kind, resp, err)
		// A pending registration keeps its number: it is in the log and
		// applies in order once the store answers.
		if err != nil && !errors.Is(err, ErrPending) {
			s.reg.failed(sq, epoch)
		}
		return v, err
	}, nil
}

// failed records that a number queued in epoch failed.
func (n *numbering) failed(sq *numSeq, epoch uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if sq.epoch == epoch {
		sq.epoch++
		sq.last = 0
	}
}

// applyResult unwraps what Apply returned for a proposed command.
func applyResult(ctx context.Context, kind Kind, resp any, err error) (any, error) {
	if err != nil {
		return nil, fmt.Errorf("propose %s: %w", kind, err)
	}
	r, ok := resp.(*Result)
	if !ok {
		return nil, fmt.Errorf("propose %s: unexpected apply result %T", kind, resp)
	}
	noteIdem(ctx, r)
	return r.Value, r.Err
}
