package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"missive/appliance/blob"
)

// sweepEvery is how often a node looks for referenced blobs it lacks when
// nothing asked it to: a node that was cut off while a blob was spread
// gets it on the first read, or at the latest here.
const sweepEvery = 10 * time.Minute

// blobProgress is the background pass's progress, shown in the log and in
// `missive cluster status` while a node pulls documents (after a snapshot,
// when it joins or comes back after a long absence).
type blobProgress struct {
	running atomic.Bool
	total   atomic.Int64 // blobs referenced
	seen    atomic.Int64 // blobs looked at
	fetched atomic.Int64 // blobs fetched
	bytes   atomic.Int64 // bytes fetched
	failed  atomic.Int64 // blobs no peer could give
	started atomic.Int64 // unix nanoseconds
}

// sweepBlobs runs the background pass until the node closes.
func (n *Node) sweepBlobs() {
	defer n.wg.Done()
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		n.sweepOnce()
		select {
		case <-n.closed:
			return
		case <-t.C:
		case <-n.sweep.c():
		}
	}
}

// sweepOnce fetches every referenced blob this node lacks.
func (n *Node) sweepOnce() {
	h, bs := n.blobHost(), n.blobs()
	if h == nil || bs == nil || n.pool == nil || n.removed.Load() {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-n.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	var missing []string
	var total int64
	err := h.BlobRefs(ctx, func(sum string) error {
		total++
		if !bs.Has(sum) {
			missing = append(missing, sum)
		}
		return nil
	})
	if err != nil {
		if ctx.Err() == nil {
			n.cfg.Log.Warn("documents: list the referenced documents", "err", err)
		}
		return
	}
	if len(missing) == 0 {
		return
	}
	p := &n.blobProg
	p.total.Store(int64(len(missing)))
	p.seen.Store(0)
	p.fetched.Store(0)
	p.bytes.Store(0)
	p.failed.Store(0)
	p.started.Store(time.Now().UnixNano())
	p.running.Store(true)
	defer p.running.Store(false)
	n.cfg.Log.Info("documents: fetching those this node lacks", "missing", len(missing), "referenced", total)
	last := time.Now()
	for _, sum := range missing {
		if ctx.Err() != nil {
			return
		}
		fctx, fcancel := context.WithTimeout(ctx, blob.SpreadTimeout)
		err := n.Fetch(fctx, sum)
		fcancel()
		p.seen.Add(1)
		if err != nil {
			p.failed.Add(1)
			n.cfg.Log.Warn("documents: not fetched", "sha256", sum, "err", err)
		} else {
			p.fetched.Add(1)
			if f, err := bs.OpenLocal(sum); err == nil {
				if fi, err := f.Stat(); err == nil {
					p.bytes.Add(fi.Size())
				}
				f.Close()
			}
		}
		if time.Since(last) > 5*time.Second {
			last = time.Now()
			n.cfg.Log.Info("documents: catching up", "progress", p.line())
		}
	}
	n.cfg.Log.Info("documents: caught up", "fetched", p.fetched.Load(), "bytes", p.bytes.Load(), "failed", p.failed.Load())
}

// line says where the pass is, with an estimate of the time left.
func (p *blobProgress) line() string {
	seen, total := p.seen.Load(), p.total.Load()
	s := fmt.Sprintf("documents %d/%d (%s reçus)", seen, total, humanBytes(p.bytes.Load()))
	if el := time.Since(time.Unix(0, p.started.Load())); seen > 0 && seen < total {
		eta := time.Duration(float64(el) / float64(seen) * float64(total-seen))
		s += fmt.Sprintf(", fin dans %s environ", eta.Round(time.Second))
	}
	return s
}

func humanBytes(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f Go", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f Mo", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f ko", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d o", b)
}

// BlobReport is one node's check of its documents.
type BlobReport struct {
	Node       string   `json:"node"`
	Referenced int      `json:"referenced"`
	Missing    []string `json:"missing"`
	Corrupt    []string `json:"corrupt"`
	// Repaired lists the blobs fetched again (with repair).
	Repaired []string `json:"repaired,omitempty"`
	Error    string   `json:"error,omitempty"`
}

// CheckBlobs reads every blob this node's store references and checks its
// hash. With repair, an altered blob is moved aside and every missing or
// altered one fetched again from a peer.
func (n *Node) CheckBlobs(ctx context.Context, repair bool) BlobReport {
	rep := BlobReport{Node: string(n.id), Missing: []string{}, Corrupt: []string{}}
	h, bs := n.blobHost(), n.blobs()
	if h == nil || bs == nil {
		rep.Error = "magasin de documents pas encore ouvert"
		return rep
	}
	err := h.BlobRefs(ctx, func(sum string) error {
		rep.Referenced++
		err := bs.Verify(sum)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, blob.ErrNotFound):
			rep.Missing = append(rep.Missing, sum)
		case errors.Is(err, blob.ErrCorrupt):
			rep.Corrupt = append(rep.Corrupt, sum)
		default:
			return err
		}
		return ctx.Err()
	})
	if err != nil {
		rep.Error = err.Error()
		return rep
	}
	if !repair {
		return rep
	}
	for _, sum := range rep.Corrupt {
		if err := bs.Quarantine(sum); err != nil {
			rep.Error = err.Error()
			return rep
		}
	}
	for _, sum := range append(append([]string{}, rep.Missing...), rep.Corrupt...) {
		if err := n.Fetch(ctx, sum); err != nil {
			rep.Error = strings.TrimSpace(rep.Error + " " + err.Error())
			continue
		}
		rep.Repaired = append(rep.Repaired, sum)
	}
	return rep
}

// checkTimeout bounds one node's check: it reads every document.
const checkTimeout = 30 * time.Minute

// CheckCluster asks every node of the configuration to check its
// documents (missive cluster check).
func (n *Node) CheckCluster(ctx context.Context, repair bool) ([]BlobReport, error) {
	if n.removed.Load() || n.pool == nil {
		return []BlobReport{n.CheckBlobs(ctx, repair)}, nil
	}
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, raftError(err)
	}
	servers := f.Configuration().Servers
	out := make([]BlobReport, len(servers))
	done := make(chan struct{}, len(servers))
	for i, s := range servers {
		go func() {
			defer func() { done <- struct{}{} }()
			if s.ID == n.id {
				out[i] = n.CheckBlobs(ctx, repair)
				return
			}
			req := &request{Op: opCheck}
			if repair {
				req.Action = "repair"
			}
			r, err := n.pool.call(ctx, string(s.Address), req)
			switch {
			case err != nil:
				out[i] = BlobReport{Node: string(s.ID), Error: err.Error()}
			case r.Blobs == nil:
				out[i] = BlobReport{Node: string(s.ID), Error: "réponse vide"}
			default:
				out[i] = *r.Blobs
			}
		}()
	}
	for range servers {
		<-done
	}
	return out, nil
}

func formatCheck(reps []BlobReport) (string, bool) {
	var b strings.Builder
	clean := true
	for _, r := range reps {
		switch {
		case r.Error != "" && len(r.Repaired) == 0:
			clean = false
			fmt.Fprintf(&b, "%s: vérification impossible: %s\n", r.Node, r.Error)
			continue
		case len(r.Missing) == 0 && len(r.Corrupt) == 0:
			fmt.Fprintf(&b, "%s: %d documents, tous présents et intègres\n", r.Node, r.Referenced)
			continue
		}
		clean = clean && len(r.Repaired) == len(r.Missing)+len(r.Corrupt)
		fmt.Fprintf(&b, "%s: %d documents, %d manquants, %d altérés\n", r.Node, r.Referenced, len(r.Missing), len(r.Corrupt))
		for _, s := range r.Missing {
			fmt.Fprintf(&b, "  manquant  %s\n", s)
		}
		for _, s := range r.Corrupt {
			fmt.Fprintf(&b, "  altéré    %s\n", s)
		}
		if len(r.Repaired) > 0 {
			fmt.Fprintf(&b, "  %d récupérés auprès d'un autre nœud\n", len(r.Repaired))
		}
		if r.Error != "" {
			fmt.Fprintf(&b, "  erreur: %s\n", r.Error)
		}
	}
	if !clean {
		b.WriteString("Des documents manquent ou sont altérés: « missive cluster check --repair » les récupère auprès des autres nœuds.\n")
	}
	return b.String(), clean
}
