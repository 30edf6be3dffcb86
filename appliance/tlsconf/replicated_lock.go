package tlsconf

import (
	"context"
	"errors"
	"fmt"
	"time"

	"missive/appliance"
)

// Lock takes name for this node, cluster-wide: it waits while another
// owner's lock is live (asking again with a growing delay) or the cluster
// cannot take writes, until ctx ends. Once granted, the lock is extended in
// the background until Unlock.
func (r *replicated) Lock(ctx context.Context, name string) error {
	h, err := r.localLock(ctx, name)
	if err != nil {
		return err
	}
	delay := lockRetryMin
	for {
		err := r.svc.TLSLock(ctx, name, r.owner, r.ttl)
		if err == nil {
			break
		}
		// Held elsewhere, or no quorum for now (an outcome unknown is
		// settled by asking again: the same owner extends its lock).
		if !errors.Is(err, appliance.ErrTLSLockHeld) && !errors.Is(err, appliance.ErrUnavailable) {
			r.localUnlock(name, h)
			return fmt.Errorf("verrou TLS %s: %w", name, err)
		}
		select {
		case <-ctx.Done():
			r.localUnlock(name, h)
			return fmt.Errorf("verrou TLS %s: %w", name, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(2*delay, lockRetryMax)
	}
	rctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	h.stop, h.done = stop, make(chan struct{})
	go r.refresh(rctx, name, h.done)
	return nil
}

// refresh extends the lock until ctx ends, so that an ACME order longer
// than its life keeps it.
func (r *replicated) refresh(ctx context.Context, name string, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(r.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := r.svc.TLSLock(ctx, name, r.owner, r.ttl); err != nil && ctx.Err() == nil {
				r.log.Warn("TLS lock not extended", "lock", name, "err", err)
			}
		}
	}
}

// RenewLockLease extends a held lock (certmagic asks before each attempt
// of an order, and holds the lock while it waits between attempts). The
// lease asked for (up to days) is not taken: the refresher keeps the lock
// while this node lives, and a longer lease would only make a node that
// died holding it block the others longer.
func (r *replicated) RenewLockLease(ctx context.Context, name string, _ time.Duration) error {
	return r.svc.TLSLock(ctx, name, r.owner, r.ttl)
}

// Unlock frees name cluster-wide and in this process.
func (r *replicated) Unlock(ctx context.Context, name string) error {
	r.mu.Lock()
	h := r.held[name]
	r.mu.Unlock()
	if h == nil {
		return fmt.Errorf("verrou TLS %s: pas tenu par ce nœud", name)
	}
	if h.stop != nil {
		h.stop()
		<-h.done
	}
	err := r.svc.TLSUnlock(ctx, name, r.owner)
	r.localUnlock(name, h)
	if err != nil {
		return fmt.Errorf("libérer le verrou TLS %s: %w", name, err)
	}
	return nil
}

// localLock makes this goroutine the only one of the process to hold or
// take name.
func (r *replicated) localLock(ctx context.Context, name string) (*heldLock, error) {
	for {
		r.mu.Lock()
		h, busy := r.held[name]
		if !busy {
			h = &heldLock{free: make(chan struct{})}
			r.held[name] = h
			r.mu.Unlock()
			return h, nil
		}
		r.mu.Unlock()
		select {
		case <-h.free:
		case <-ctx.Done():
			return nil, fmt.Errorf("verrou TLS %s: %w", name, ctx.Err())
		}
	}
}

func (r *replicated) localUnlock(name string, h *heldLock) {
	r.mu.Lock()
	if r.held[name] == h {
		delete(r.held, name)
	}
	r.mu.Unlock()
	close(h.free)
}
