package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"missive/appliance"
	"missive/appliance/config"
	"missive/cluster"
)

// openBatched reopens the data dir of n (closed here) without raft, its
// Service proposing to a batchProposer: seeding a million letters through
// raft, one commit per command, takes hours, and a measure of search on a
// million letters needs them. The commands are the ones the Service
// builds, applied by the Applier in batches (ApplyBatch, as raft's
// batching FSM does), so the data is what production would have written,
// history chain included. Raft sees none of them: once seeded, finish
// makes the data dir's raft state again as a restore does (reseedRaft).
func openBatched(ctx context.Context, cfg config.Config, log *slog.Logger, n *node, batch int) (*node, func() error, error) {
	id := n.cluster.ID()
	n.close()
	d := &node{}
	if _, err := d.openStore(ctx, cfg, log, id, false); err != nil {
		d.close()
		return nil, nil, err
	}
	applied, err := d.store.AppliedIndex(ctx)
	if err != nil {
		d.close()
		return nil, nil, err
	}
	p := newBatchProposer(d.applier, applied+1, batch)
	d.svc = appliance.NewService(d.store, d.blobs, p, log)
	d.svc.Applier, d.svc.Secrets = d.applier, d.secrets
	finish := func() error {
		p.close()
		return reseedRaft(context.WithoutCancel(ctx), cfg.Data, d)
	}
	return d, finish, nil
}

// reseedRaft replaces the data dir's raft state by one snapshot of the
// store at its applied index (cluster.Seed), the state a restore leaves.
func reseedRaft(ctx context.Context, data string, d *node) error {
	index, err := d.store.AppliedIndex(ctx)
	if err != nil {
		return err
	}
	stream, release, err := d.applier.SnapshotTo()
	if err != nil {
		return err
	}
	defer release()
	if err := os.RemoveAll(filepath.Join(data, "raft")); err != nil {
		return fmt.Errorf("remove the raft state: %w", err)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(stream(pw)) }()
	if err := cluster.Seed(data, index, pr); err != nil {
		pr.CloseWithError(err)
		return fmt.Errorf("raft snapshot at index %d: %w", index, err)
	}
	return nil
}

// batchProposer is the Proposer of seedBatched: commands queue in the
// order they were proposed and are applied by one goroutine, up to max of
// them per ApplyBatch, with consecutive indexes after the store's; the
// commands proposed while a batch applies make the next one, as raft
// groups what arrives during one fsync.
type batchProposer struct {
	applier *appliance.Applier
	max     int

	mu     sync.Mutex
	queue  []proposal
	next   uint64
	wake   chan struct{}
	done   chan struct{}
	closed chan struct{}
}

type proposal struct {
	data []byte
	res  chan any
}

func newBatchProposer(a *appliance.Applier, next uint64, max int) *batchProposer {
	p := &batchProposer{applier: a, max: max, next: next, wake: make(chan struct{}, 1), done: make(chan struct{}), closed: make(chan struct{})}
	go p.run()
	return p
}

func (p *batchProposer) Propose(ctx context.Context, cmd []byte) (any, error) {
	return p.ProposeAsync(ctx, cmd)()
}

func (p *batchProposer) ProposeAsync(ctx context.Context, cmd []byte) func() (any, error) {
	res := make(chan any, 1)
	p.mu.Lock()
	p.queue = append(p.queue, proposal{cmd, res})
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return func() (any, error) {
		select {
		case r := <-res:
			return r, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-p.closed:
			return nil, fmt.Errorf("seeding stopped")
		}
	}
}

func (p *batchProposer) run() {
	defer close(p.closed)
	for {
		select {
		case <-p.done:
			return
		case <-p.wake:
		}
		for {
			p.mu.Lock()
			k := min(len(p.queue), p.max)
			batch := p.queue[:k:k]
			p.queue = p.queue[k:]
			first := p.next
			p.next += uint64(k)
			p.mu.Unlock()
			if k == 0 {
				break
			}
			indexes, data := make([]uint64, k), make([][]byte, k)
			for i, pr := range batch {
				indexes[i], data[i] = first+uint64(i), pr.data
			}
			for i, r := range p.applier.ApplyBatch(indexes, data) {
				batch[i].res <- r
			}
		}
	}
}

func (p *batchProposer) close() {
	close(p.done)
	<-p.closed
}
