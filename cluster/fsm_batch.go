package cluster

import "github.com/hashicorp/raft"

// BatchApplier is implemented by an Applier that applies consecutive
// entries together (appliance.Applier: one store transaction per batch).
// It returns one result per entry, as Apply would have.
type BatchApplier interface {
	ApplyBatch(indexes []uint64, data [][]byte) []any
}

// ApplyBatch makes the fsm raft's BatchingFSM: raft hands over every entry
// that one write of its log committed (up to MaxAppendEntries), commands
// and configuration changes, in log order. The commands go to the Applier
// together; configuration entries only count as applied. The applied
// index moves once the whole batch is applied, so a read that waits for it
// sees every write of the batch.
func (f *fsm) ApplyBatch(logs []*raft.Log) []any {
	out := make([]any, len(logs))
	if len(logs) == 0 {
		return out
	}
	defer f.applied.Store(logs[len(logs)-1].Index)
	var pos []int
	var indexes []uint64
	var data [][]byte
	for i, l := range logs {
		f.logBytes.Add(int64(len(l.Data)) + entryOverhead)
		if l.Type == raft.LogCommand {
			pos = append(pos, i)
			indexes = append(indexes, l.Index)
			data = append(data, l.Data)
		}
	}
	if len(pos) == 0 {
		return out
	}
	b, ok := f.a.(BatchApplier)
	if !ok {
		for j, i := range pos {
			out[i] = f.a.Apply(indexes[j], data[j])
		}
		return out
	}
	res := b.ApplyBatch(indexes, data)
	for j, i := range pos {
		out[i] = res[j]
	}
	return out
}

var _ raft.BatchingFSM = (*fsm)(nil)
