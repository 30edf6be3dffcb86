package kernel

import (
	"context"
	"fmt"

	"missive/appliance/store"
)

// ApplyBatch applies consecutive raft entries (indexes[i] holds data[i])
// in one store transaction: raft hands over what one fsync of its log
// committed, and one commit of the store for all of it instead of one per
// entry is most of what applying costs under load. It returns one result
// per entry, exactly what Apply would have returned for it:
//   - each entry runs in its own savepoint (store.UpdateBatch), so a
//     refused command rolls back its own writes and the others stay;
//   - each applied command appends its own history entry, chained to the
//     previous one in the same transaction;
//   - whoever waits for a command here (Expect) is answered once the
//     batch is committed, never before.
//
// If the store cannot take the batch (it does not answer), nothing of it
// was written: the entries are applied one by one as Apply does, so that
// the first one the store cannot take waits with every entry after it
// (pending.go).
func (a *Applier) ApplyBatch(indexes []uint64, data [][]byte) []any {
	cmds := make([]*Command, len(data))
	for i, d := range data {
		cmd, err := a.reg.Decode(d)
		if err != nil {
			panic(fmt.Sprintf("raft entry %d: %v", indexes[i], err))
		}
		cmds[i] = cmd
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]any, len(cmds))
	if len(cmds) > 1 && a.drainLocked() {
		res, err := a.applyBatch(indexes, cmds)
		if err == nil {
			return res
		}
		a.log.Warn("store could not take a batch of entries: applying them one by one", "first_index", indexes[0], "entries", len(cmds), "err", err)
	}
	for i, cmd := range cmds {
		out[i] = a.applyLocked(indexes[i], cmd)
	}
	return out
}

// applyBatch applies the entries in one transaction. Its error means the
// store could not take the batch and none of it was applied.
func (a *Applier) applyBatch(indexes []uint64, cmds []*Command) ([]any, error) {
	ctx := context.Background()
	res := make([]*Result, len(cmds))
	for i := range res {
		res[i] = &Result{}
	}
	errs, err := a.store.UpdateBatch(ctx, indexes, func(i int, tx *store.Tx) error {
		return a.run(ctx, tx, cmds[i], res[i])
	})
	if err != nil {
		return nil, err
	}
	out := make([]any, len(cmds))
	for i, err := range errs {
		out[i] = a.settle(indexes[i], cmds[i], res[i], err)
	}
	return out, nil
}
