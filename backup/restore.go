package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"missive/appliance/blob"
	"missive/appliance/store"
)

// RestoreOptions say where a backup goes.
type RestoreOptions struct {
	// To is the new data dir: it must not exist or be empty.
	To string
	// DB is a PostgreSQL database to restore into (postgres://…); it must
	// be empty. "": SQLite in To.
	DB string
	// Seed makes To the first node of a new cluster whose raft state starts
	// after the restored store (cluster.Seed): without it, a fresh raft
	// log would start at index 1 and every new write would be taken for
	// one the store already applied.
	Seed func(dataDir string, appliedIndex uint64, snapshot io.Reader) error
}

// Restore writes backup m into a new data dir. Nothing is left behind on
// failure but what it says it could not undo.
func Restore(ctx context.Context, r *Repo, m *Manifest, ro RestoreOptions, opts Options) (err error) {
	if ro.To == "" {
		return errors.New("--to est obligatoire: le dossier de données à créer")
	}
	if ro.Seed == nil {
		return errors.New("restore: no raft seeding function")
	}
	created, err := prepareDir(ro.To)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil && created {
			os.RemoveAll(ro.To)
		}
	}()
	idx, err := r.loadIndex(ctx)
	if err != nil {
		return err
	}
	pm := newMeter(opts.Progress)
	fe := &fetcher{r: r, idx: idx, onPack: pm.add}
	tmp, err := os.MkdirTemp(ro.To, ".restore-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	stream := filepath.Join(tmp, "snapshot.jsonl")
	if err := restoreFiles(ctx, fe, pm, m, ro.To, tmp, stream); err != nil {
		return err
	}
	return loadRestored(ctx, fe, pm, m, ro, stream)
}

// restoreFiles is the first phase: everything the backup holds is fetched
// and written out, the database as a snapshot stream in tmp, the keys and
// documents in their places under dir.
func restoreFiles(ctx context.Context, fe *fetcher, pm *meter, m *Manifest, dir, tmp, stream string) error {
	pm.start("base de données", m.DB.Size)
	if err := assemble(ctx, fe, m.DB, stream); err != nil {
		return fmt.Errorf("base de la sauvegarde %s: %w", m.ID, err)
	}
	pm.end()
	if err := restoreKeys(ctx, fe, m, dir); err != nil {
		return err
	}
	refs, err := readBlobList(ctx, fe, m)
	if err != nil {
		return err
	}
	bs, err := blob.Open(dir)
	if err != nil {
		return err
	}
	var total int64
	for _, b := range refs {
		total += b.size
	}
	pm.start("documents", total)
	if err := restoreBlobs(ctx, fe, bs, refs, tmp); err != nil {
		return err
	}
	if err := bs.Sync(); err != nil {
		return err
	}
	pm.end()
	return nil
}

// loadRestored is the second phase: the stream is loaded into an empty
// store, checked against the manifest and its signed history, and the
// raft state of the new node is seeded after it.
func loadRestored(ctx context.Context, fe *fetcher, pm *meter, m *Manifest, ro RestoreOptions, stream string) error {
	pm.start("chargement de la base", 0)
	st, err := store.Open(ctx, ro.DB, ro.To)
	if err != nil {
		return err
	}
	defer st.Close()
	if ro.DB != "" {
		if n, err := st.AppliedIndex(ctx); err != nil || n > 0 {
			if err == nil {
				err = fmt.Errorf("la base %s n'est pas vide (index appliqué %d): restaurez dans une base neuve", redactDSN(ro.DB), n)
			}
			return err
		}
	}
	if err := loadStream(ctx, st, stream, st.Load); err != nil {
		return fmt.Errorf("chargement de la base: %w", err)
	}
	opt, err := historyOptions(ctx, fe, m)
	if err != nil {
		return err
	}
	if err := checkRestored(ctx, st, m, opt); err != nil {
		return err
	}
	f, err := os.Open(stream)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := ro.Seed(ro.To, m.AppliedIndex, f); err != nil {
		return fmt.Errorf("état raft du nouveau nœud: %w", err)
	}
	pm.end()
	return nil
}

// prepareDir creates dir, or accepts it empty.
func prepareDir(dir string) (created bool, err error) {
	des, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return false, fmt.Errorf("créer %s: %w", dir, err)
		}
		return true, nil
	case err != nil:
		return false, err
	case len(des) > 0:
		return false, fmt.Errorf("le dossier %s n'est pas vide: la restauration écrit dans un dossier neuf (ou vide), jamais par-dessus des données", dir)
	}
	return false, nil
}

// restoreKeys writes secrets.key and TLS's files. The cluster's are left
// out: the restored node is the first of a new cluster, with a CA and a
// node certificate of its own (see DESIGN.md), so that the nodes of the old
// cluster that survive neither take it for one of theirs nor let it in.
func restoreKeys(ctx context.Context, fe *fetcher, m *Manifest, dir string) error {
	for _, k := range m.Keys {
		rel := path.Clean(k.Path)
		if path.IsAbs(rel) || rel == "." || strings.HasPrefix(rel, "..") {
			return fmt.Errorf("sauvegarde %s: chemin de clé refusé %q", m.ID, k.Path)
		}
		if rel == clusterKeys || strings.HasPrefix(rel, clusterKeys+"/") {
			continue
		}
		b, err := readSmall(ctx, fe, k.File)
		if err != nil {
			return fmt.Errorf("clé %s: %w", k.Path, err)
		}
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return err
		}
		mode := os.FileMode(k.Mode).Perm() & 0o700
		if mode == 0 {
			mode = 0o600
		}
		if err := os.WriteFile(p, b, mode); err != nil {
			return err
		}
	}
	return nil
}

// restoreBlobs writes every document, fetching each pack once. A document
// of one chunk is written as it arrives; one of several is assembled in a
// temporary file first. blob.Put names each by the hash of what it wrote,
// which must be the document's name.
func restoreBlobs(ctx context.Context, fe *fetcher, bs *blob.Store, refs []blobRef, tmp string) error {
	uses, left, want, err := planChunks(fe, refs)
	if err != nil {
		return err
	}
	// Documents being assembled: their temporary files, opened for each
	// write, so that the number of documents in progress never runs into
	// the limit of open files.
	files := map[int]string{}
	put := func(i int, r io.Reader) error {
		sum, _, err := bs.Import(r)
		if err != nil {
			return err
		}
		if sum != refs[i].sum.String() {
			return fmt.Errorf("document %s reconstitué avec l'empreinte %s", refs[i].sum, sum)
		}
		return nil
	}
	write := func(i int, off int64, data []byte) error {
		p, ok := files[i]
		if !ok {
			p = filepath.Join(tmp, fmt.Sprintf("blob-%d", i))
			files[i] = p
		}
		return writeAt(p, off, data)
	}
	return fe.fetch(ctx, want, nil, func(id ID, data []byte) error {
		for _, p := range uses[id] {
			left[p.blob]--
			if left[p.blob] == 0 && p.off == 0 && files[p.blob] == "" {
				if err := put(p.blob, bytes.NewReader(data)); err != nil {
					return err
				}
				continue
			}
			if err := write(p.blob, p.off, data); err != nil {
				return err
			}
			if left[p.blob] > 0 {
				continue
			}
			f, err := os.Open(files[p.blob])
			if err != nil {
				return err
			}
			err = put(p.blob, f)
			f.Close()
			os.Remove(files[p.blob])
			delete(files, p.blob)
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// chunkUse is one place a chunk goes: the document (its index in refs)
// and the offset in it.
type chunkUse struct {
	blob int
	off  int64
}

// planChunks finds every document's chunks in the index: where each chunk
// goes, how many chunks each document waits for, and the chunks to fetch,
// each once however many documents share it.
func planChunks(fe *fetcher, refs []blobRef) (map[ID][]chunkUse, []int, []ID, error) {
	uses := map[ID][]chunkUse{}
	left := make([]int, len(refs))
	var want []ID
	for i, b := range refs {
		chunks, _, ok := fe.idx.blob(b.sum)
		if !ok {
			return nil, nil, nil, &DamageError{File: indexDir + "/", Reason: "le document " + b.sum.String() + " n'est dans aucun index"}
		}
		var off int64
		for _, c := range chunks {
			if len(uses[c]) == 0 {
				want = append(want, c)
			}
			uses[c] = append(uses[c], chunkUse{i, off})
			loc, _, _ := fe.idx.lookup(c)
			off += int64(loc.rec.Raw)
		}
		left[i] = len(chunks)
	}
	return uses, left, want, nil
}

// writeAt writes data at off in the file p, opened for this write only.
func writeAt(p string, off int64, data []byte) error {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteAt(data, off)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "@"); i > 0 {
		if j := strings.Index(dsn, "://"); j > 0 && j < i {
			return dsn[:j+3] + "***" + dsn[i:]
		}
	}
	return dsn
}
