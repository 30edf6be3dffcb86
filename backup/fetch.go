package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"sync"
)

// fetcher reads chunks back from the target: each pack once, whole,
// checked three ways before any byte of it is used: its size against the
// index (a truncated file), its SHA-256 against its name (any altered
// byte), and every chunk's SHA-256 against the chunk's id.
type fetcher struct {
	r   *Repo
	idx *Index
	// keepGoing collects every damaged pack instead of stopping at the
	// first (verify); a restore stops at once.
	keepGoing bool
	onPack    func(size int64)

	mu      sync.Mutex
	damaged []error
}

// fetch calls got with the plain bytes of every wanted chunk (nil: every
// chunk of the packs read). got is never called concurrently.
func (f *fetcher) fetch(ctx context.Context, want []ID, packs []string, got func(id ID, data []byte) error) error {
	byPack, names, err := f.plan(want, packs)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan string)
	var wg sync.WaitGroup
	var gotMu sync.Mutex
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range jobs {
				err := f.readPack(ctx, name, func(id ID, data []byte) error {
					if want != nil && !byPack[name][id] {
						return nil
					}
					gotMu.Lock()
					defer gotMu.Unlock()
					return got(id, data)
				})
				if err == nil {
					continue
				}
				var de *DamageError
				if f.keepGoing && errors.As(err, &de) {
					f.damage(err)
					continue
				}
				cancel(err)
			}
		}()
	}
	for _, n := range names {
		select {
		case jobs <- n:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// plan sorts the wanted chunks by pack, with the packs read whole, and
// gives the order the packs are read in.
func (f *fetcher) plan(want []ID, packs []string) (map[string]map[ID]bool, []string, error) {
	byPack := map[string]map[ID]bool{}
	for _, id := range want {
		_, p, ok := f.idx.lookup(id)
		if !ok {
			err := &DamageError{File: indexDir + "/", Reason: "le morceau " + shortID(id.String()) + " n'est dans aucun index (fichier d'index supprimé?)"}
			if !f.keepGoing {
				return nil, nil, err
			}
			f.damage(err)
			continue
		}
		if byPack[p.name] == nil {
			byPack[p.name] = map[ID]bool{}
		}
		byPack[p.name][id] = true
	}
	for _, p := range packs {
		if byPack[p] == nil {
			byPack[p] = map[ID]bool{}
		}
	}
	// Packs in the order their chunks are wanted: a stream or a document
	// is then assembled from front to back, with few in progress at once.
	names := make([]string, 0, len(byPack))
	listed := map[string]bool{}
	for _, id := range want {
		if _, p, ok := f.idx.lookup(id); ok && !listed[p.name] {
			listed[p.name] = true
			names = append(names, p.name)
		}
	}
	var rest []string
	for n := range byPack {
		if !listed[n] {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	names = append(names, rest...)
	return byPack, names, nil
}

func (f *fetcher) damage(err error) {
	f.mu.Lock()
	f.damaged = append(f.damaged, err)
	f.mu.Unlock()
}

// readPack reads one pack and hands over each of its chunks.
func (f *fetcher) readPack(ctx context.Context, name string, got func(id ID, data []byte) error) error {
	file := dataDir + "/" + name
	info, ok := f.idx.pack(name)
	if !ok {
		return &DamageError{File: file, Reason: "absent de l'index"}
	}
	b, err := f.r.t.Get(ctx, file)
	if isNotExist(err) {
		return &DamageError{File: file, Reason: "absent de la cible"}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", f.r.t, err)
	}
	if f.onPack != nil {
		f.onPack(int64(len(b)))
	}
	if int64(len(b)) != info.size {
		return &DamageError{File: file, Reason: fmt.Sprintf("%d octets au lieu de %d (tronqué ou complété)", len(b), info.size)}
	}
	sum := sha256.Sum256(b)
	if hex.EncodeToString(sum[:]) != name {
		return &DamageError{File: file, Reason: "contenu altéré (son empreinte SHA-256 ne correspond plus à son nom)"}
	}
	return openPack(f.r, name, b, func(rec record) bool {
		loc, p, ok := f.idx.lookup(rec.ID)
		return !ok || p.name != name || loc.rec == rec
	}, got)
}

// openPack decrypts a pack whose bytes were checked and checks every
// chunk's SHA-256 against its id; placed says whether a record is where
// the index (or the writer) put it.
func openPack(r *Repo, name string, b []byte, placed func(record) bool, got func(id ID, data []byte) error) error {
	file := dataDir + "/" + name
	plain, err := r.unseal(file, b)
	if err != nil {
		return err
	}
	var gotErr error
	err = parsePack(plain, func(rec record, data []byte) error {
		if !placed(rec) {
			return fmt.Errorf("morceau %s: place différente de celle de l'index", shortID(rec.ID.String()))
		}
		if err := got(rec.ID, data); err != nil {
			gotErr = err
			return err
		}
		return nil
	})
	if gotErr != nil {
		return gotErr
	}
	if err != nil {
		return &DamageError{File: file, Reason: err.Error(), err: err}
	}
	return nil
}
