package cluster

import (
	"fmt"
	"io"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/raft"
)

// oneByOne is an Applier without ApplyBatch.
type oneByOne struct{ calls []uint64 }

func (o *oneByOne) Apply(index uint64, data []byte) any {
	o.calls = append(o.calls, index)
	return fmt.Sprintf("%d:%s", index, data)
}
func (o *oneByOne) SnapshotTo() (func(io.Writer) error, func(), error) { return nil, nil, nil }
func (o *oneByOne) Restore(io.Reader) error                            { return nil }

// batcher records the batches it is handed.
type batcher struct {
	oneByOne
	batches [][]uint64
}

func (b *batcher) ApplyBatch(indexes []uint64, data [][]byte) []any {
	b.batches = append(b.batches, indexes)
	out := make([]any, len(indexes))
	for i := range indexes {
		out[i] = fmt.Sprintf("%d:%s", indexes[i], data[i])
	}
	return out
}

// TestFSMApplyBatch: the commands of a raft batch reach the Applier in one
// call, configuration entries do not (they have no result), each result
// lands at its entry's place, and the applied index is the batch's last
// entry once it returns. An Applier without ApplyBatch gets them one by one.
func TestFSMApplyBatch(t *testing.T) {
	logs := []*raft.Log{
		{Index: 7, Type: raft.LogCommand, Data: []byte("a")},
		{Index: 8, Type: raft.LogConfiguration},
		{Index: 9, Type: raft.LogCommand, Data: []byte("b")},
		{Index: 10, Type: raft.LogCommand, Data: []byte("c")},
		{Index: 11, Type: raft.LogConfiguration},
	}
	want := []any{"7:a", nil, "9:b", "10:c", nil}
	check := func(name string, a Applier) {
		var applied atomic.Uint64
		out := (&fsm{a: a, applied: &applied}).ApplyBatch(logs)
		if fmt.Sprint(out) != fmt.Sprint(want) {
			t.Errorf("%s: results %v, want %v", name, out, want)
		}
		if got := applied.Load(); got != 11 {
			t.Errorf("%s: applied index %d, want 11", name, got)
		}
	}
	b := &batcher{}
	check("batching applier", b)
	if fmt.Sprint(b.batches) != "[[7 9 10]]" || len(b.calls) != 0 {
		t.Errorf("batches %v and single applies %v, want one batch [7 9 10]", b.batches, b.calls)
	}
	o := &oneByOne{}
	check("applier without ApplyBatch", o)
	if fmt.Sprint(o.calls) != "[7 9 10]" {
		t.Errorf("single applies %v, want [7 9 10]", o.calls)
	}
	var applied atomic.Uint64
	(&fsm{a: b, applied: &applied}).ApplyBatch([]*raft.Log{{Index: 12, Type: raft.LogConfiguration}})
	if applied.Load() != 12 || len(b.batches) != 1 {
		t.Errorf("a batch of one configuration entry: applied %d, batches %v", applied.Load(), b.batches)
	}
}
