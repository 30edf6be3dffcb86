package kernel

import (
	"context"
	"fmt"
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

// ApplyResult unwraps what Apply returned for a proposed command.
func ApplyResult(ctx context.Context, kind Kind, resp any, err error) (any, error) {
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
