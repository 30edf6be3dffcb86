package appliance

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"missive/appliance/domain"
	"missive/appliance/kernel"
	"missive/appliance/store"
)

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
	next, sq, err := s.reg.next(ctx, s.reader(), key)
	if err != nil {
		return nil, err
	}
	p.Num = next
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
	kernel.StampIdem(ctx, cmd)
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
		v, err := kernel.ApplyResult(ctx, kind, resp, err)
		// A pending registration keeps its number: it is in the log and
		// applies in order once the store answers.
		if err != nil && !errors.Is(err, ErrPending) {
			// A follower's registration refused by the leader says which
			// number to stamp instead.
			var nt *NumberTakenError
			hint := 0
			if errors.As(err, &nt) {
				hint = nt.Next
			}
			s.reg.failed(sq, epoch, hint)
		}
		return v, err
	}, nil
}

// next is the number to stamp in a sequence: one above the store's last
// and above every number queued here in the current epoch. Call it under
// n.mu.
func (n *numbering) next(ctx context.Context, r store.Reader, key numKey) (int, *numSeq, error) {
	last, err := r.LastNum(ctx, key.tenant, key.cat, key.year)
	if err != nil {
		return 0, nil, fmt.Errorf("stamp number: %w", err)
	}
	if n.seq == nil {
		n.seq = map[numKey]*numSeq{}
	}
	sq := n.seq[key]
	if sq == nil {
		sq = &numSeq{}
		n.seq[key] = sq
	}
	return max(last, sq.last) + 1, sq, nil
}

// failed records that a number queued in epoch failed. next, when not 0,
// is the number the leader expects next: stamping starts again from it
// rather than from this node's store, which may lag behind the leader's.
func (n *numbering) failed(sq *numSeq, epoch uint64, next int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if sq.epoch == epoch {
		sq.epoch++
		sq.last = max(next-1, 0)
	}
}
