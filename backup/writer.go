package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/restic/chunker"
)

// writer cuts streams into chunks, sends the chunks the repository lacks
// in packs, and records the packs in index files as they land: a run
// killed half-way leaves packs that the next run finds in the index and
// does not send again.
type writer struct {
	r   *Repo
	idx *Index
	ctx context.Context

	jobs chan job
	wg   sync.WaitGroup
	// inflight counts the chunks queued and not yet in a pack (flush).
	inflight sync.WaitGroup

	mu       sync.Mutex
	building map[string]*packBuilder
	queued   map[ID]bool // chunks of this run not yet in the index
	// sent but not yet in an index file
	unindexed []sentPack
	newBlobs  []indexBlob
	lastFlush time.Time
	written   []string // packs this run wrote
	err       error

	sent      atomic.Int64 // bytes written to the target
	added     atomic.Int64 // plain bytes the target did not have
	onStored  func(n int64)
	indexEach time.Duration

	// The producer's chunker and buffer (store).
	chunker *chunker.Chunker
	buf     []byte
}

type sentPack struct {
	info packInfo
	recs []record
}

type job struct {
	kind string
	id   ID
	data []byte
}

// indexEvery bounds how long sent packs wait for an index file: a run
// killed meanwhile sends them again.
const indexEvery = 10 * time.Second

func newWriter(ctx context.Context, r *Repo, idx *Index, onStored func(int64)) *writer {
	w := &writer{r: r, idx: idx, ctx: ctx, jobs: make(chan job, 8), building: map[string]*packBuilder{},
		queued: map[ID]bool{}, lastFlush: time.Now(), onStored: onStored, indexEach: indexEvery}
	if r.indexEach > 0 {
		w.indexEach = r.indexEach
	}
	n := max(2, runtime.GOMAXPROCS(0))
	for range n {
		w.wg.Add(1)
		go w.work()
	}
	return w
}

func (w *writer) fail(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
}

func (w *writer) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	return w.ctx.Err()
}

// add queues a chunk unless the repository or this run has it already.
func (w *writer) add(kind string, id ID, data []byte) error {
	if err := w.failed(); err != nil {
		return err
	}
	if w.idx.hasChunk(id) {
		w.stored(int64(len(data)))
		return nil
	}
	w.mu.Lock()
	dup := w.queued[id]
	w.queued[id] = true
	w.mu.Unlock()
	if dup {
		w.stored(int64(len(data)))
		return nil
	}
	w.added.Add(int64(len(data)))
	w.inflight.Add(1)
	select {
	case w.jobs <- job{kind, id, bytes.Clone(data)}:
		return nil
	case <-w.ctx.Done():
		w.inflight.Done()
		return w.ctx.Err()
	}
}

func (w *writer) stored(n int64) {
	if w.onStored != nil {
		w.onStored(n)
	}
}

func (w *writer) work() {
	defer w.wg.Done()
	for j := range w.jobs {
		w.pack(j)
		w.inflight.Done()
	}
}

// pack compresses a chunk into the pack of its kind, sending it when full.
func (w *writer) pack(j job) {
	if w.failed() != nil {
		return // drain
	}
	z := compress(j.data)
	w.mu.Lock()
	p := w.building[j.kind]
	if p == nil {
		p = newPackBuilder(j.kind, w.r.cfg.PackSize)
		w.building[j.kind] = p
	}
	p.add(j.id, j.data, z)
	full := p.len() >= w.r.cfg.PackSize
	if full {
		delete(w.building, j.kind)
	}
	w.mu.Unlock()
	w.stored(int64(len(j.data)))
	if full {
		if err := w.send(p); err != nil {
			w.fail(err)
		}
	}
}

// flush stores everything of kind queued so far, in a pack of its own if
// need be, and puts it in the index in memory: a check running beside the
// rest of the run can then read it back from the target. Called by the
// producer, between streams.
func (w *writer) flush(kind string) error {
	w.inflight.Wait()
	if err := w.failed(); err != nil {
		return err
	}
	w.mu.Lock()
	p := w.building[kind]
	delete(w.building, kind)
	w.mu.Unlock()
	if p != nil {
		if err := w.sendPack(p, false); err != nil {
			return err
		}
	}
	// Into the index in memory, which the check reads: the index file
	// that names these packs is written with the next ones, as usual.
	w.mu.Lock()
	sent := append([]sentPack(nil), w.unindexed...)
	w.mu.Unlock()
	w.idx.mu.Lock()
	for _, p := range sent {
		w.idx.addPackLocked(p.info, p.recs)
	}
	w.idx.mu.Unlock()
	return nil
}

// send seals a pack, stores it and queues it for the next index file.
func (w *writer) send(p *packBuilder) error { return w.sendPack(p, true) }

// sendPack is send; mayIndex false leaves the index file to the next
// pack: the database's early pack (flush) never makes an index file of its
// own, so the first one still names documents, as a run killed after it
// expects.
func (w *writer) sendPack(p *packBuilder, mayIndex bool) error {
	out := getBuf()
	err := w.r.sealTo(out, p.buf.Bytes())
	p.release()
	defer packBufs.Put(out)
	if err != nil {
		return err
	}
	sealed := out.Bytes()
	sum := sha256.Sum256(sealed)
	name := hex.EncodeToString(sum[:])
	if err := w.r.t.Put(w.ctx, dataDir+"/"+name, sealed); err != nil {
		return fmt.Errorf("%s: %w", w.r.t, err)
	}
	w.sent.Add(int64(len(sealed)))
	if err := w.readBack(name, sealed, p.records); err != nil {
		return err
	}
	info := packInfo{name: name, size: int64(len(sealed)), kind: p.kind}
	w.mu.Lock()
	w.unindexed = append(w.unindexed, sentPack{info, p.records})
	w.written = append(w.written, name)
	due := mayIndex && (len(w.unindexed) >= 4 || time.Since(w.lastFlush) >= w.indexEach)
	w.mu.Unlock()
	if due {
		return w.flushIndex()
	}
	return nil
}

// readBack reads a pack back from the target as soon as it is stored,
// while the next ones are cut and sealed: decrypted, every chunk's hash
// checked, each record where it was put (the after-write verification of
// the pack, done here instead of in a second pass over everything sent).
func (w *writer) readBack(name string, sealed []byte, recs []record) error {
	file := dataDir + "/" + name
	b, err := w.r.t.Get(w.ctx, file)
	if err != nil {
		return fmt.Errorf("relecture de %s sur %s: %w", file, w.r.t, err)
	}
	// The very bytes sent (cheaper than their SHA-256, and as strict).
	if !bytes.Equal(b, sealed) {
		return fmt.Errorf("vérification après écriture: %w", &DamageError{File: file, Reason: fmt.Sprintf("relu différent de ce qui a été envoyé (%d octets relus, %d envoyés)", len(b), len(sealed))})
	}
	placed := make(map[ID]record, len(recs))
	for _, r := range recs {
		placed[r.ID] = r
	}
	seen := 0
	err = openPack(w.r, name, b, func(rec record) bool { return placed[rec.ID] == rec }, func(ID, []byte) error {
		seen++
		return nil
	})
	if err == nil && seen != len(recs) {
		err = &DamageError{File: file, Reason: fmt.Sprintf("%d morceaux relus au lieu de %d", seen, len(recs))}
	}
	if err != nil {
		return fmt.Errorf("vérification après écriture: %w", err)
	}
	return nil
}

// flushIndex writes an index file for the packs sent since the last one.
func (w *writer) flushIndex() error {
	w.mu.Lock()
	packs, blobs := w.unindexed, w.newBlobs
	w.unindexed, w.newBlobs = nil, nil
	w.lastFlush = time.Now()
	w.mu.Unlock()
	if len(packs) == 0 && len(blobs) == 0 {
		return nil
	}
	ips := make([]indexPack, len(packs))
	for i, p := range packs {
		ips[i] = toIndexPack(p.info, p.recs)
	}
	n, err := w.r.saveIndex(w.ctx, w.idx, ips, blobs)
	if err != nil {
		return err
	}
	w.sent.Add(n)
	w.idx.mu.Lock()
	for _, p := range packs {
		w.idx.addPackLocked(p.info, p.recs)
	}
	w.idx.mu.Unlock()
	if err := w.idx.merge(&indexFile{Blobs: blobs}); err != nil {
		return err
	}
	w.mu.Lock()
	for _, p := range packs {
		for _, r := range p.recs {
			delete(w.queued, r.ID)
		}
	}
	w.mu.Unlock()
	return nil
}

// addBlob records a document made of several chunks.
func (w *writer) addBlob(sum ID, size int64, chunks []ID) {
	b := indexBlob{SHA256: sum.String(), Size: size}
	for _, c := range chunks {
		b.Chunks = append(b.Chunks, c.String())
	}
	w.mu.Lock()
	w.newBlobs = append(w.newBlobs, b)
	w.mu.Unlock()
}

// finish sends the packs still being built and the last index file.
func (w *writer) finish() error {
	close(w.jobs)
	w.wg.Wait()
	if err := w.failed(); err != nil {
		return err
	}
	for _, p := range w.building {
		if err := w.send(p); err != nil {
			return err
		}
	}
	w.building = map[string]*packBuilder{}
	return w.flushIndex()
}

// abort stops the workers after a failure; what was sent and indexed stays
// for the next run.
func (w *writer) abort() {
	w.fail(errors.New("abandon"))
	close(w.jobs)
	w.wg.Wait()
}

// store cuts a stream into chunks and stores them. It is called by one
// goroutine at a time (the run's), which lets it reuse the chunker and its
// buffers: a new 4 MiB buffer per document would be most of a run's time.
func (w *writer) store(kind string, rd io.Reader) (File, []ID, error) {
	cfg := w.r.cfg
	if w.chunker == nil {
		w.chunker = chunker.NewWithBoundaries(rd, cfg.Polynomial, cfg.ChunkMin, cfg.ChunkMax)
		w.buf = make([]byte, cfg.ChunkMax)
	} else {
		w.chunker.ResetWithBoundaries(rd, cfg.Polynomial, cfg.ChunkMin, cfg.ChunkMax)
	}
	c, buf := w.chunker, w.buf
	c.SetAverageBits(cfg.ChunkBits)
	h := sha256.New()
	var f File
	var ids []ID
	for {
		ch, err := c.Next(buf)
		if err == io.EOF {
			break
		}
		if err != nil {
			return f, nil, err
		}
		h.Write(ch.Data)
		id := ID(sha256.Sum256(ch.Data))
		ids = append(ids, id)
		f.Chunks = append(f.Chunks, id.String())
		f.Size += int64(len(ch.Data))
		if err := w.add(kind, id, ch.Data); err != nil {
			return f, nil, err
		}
	}
	f.SHA256 = hex.EncodeToString(h.Sum(nil))
	return f, ids, nil
}

// storeStream stores what produce writes.
func (w *writer) storeStream(kind string, produce func(io.Writer) error) (File, error) {
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() { defer close(done); pw.CloseWithError(produce(pw)) }()
	f, _, err := w.store(kind, pr)
	pr.CloseWithError(errors.New("arrêt"))
	// The producer reads a snapshot the caller releases next.
	<-done
	return f, err
}
