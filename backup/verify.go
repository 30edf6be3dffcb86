package backup

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"missive/appliance"
	"missive/appliance/store"
)

// blobRef is one line of a backup's document list.
type blobRef struct {
	sum  ID
	size int64
}

// chunkIDs parses a file's chunk list.
func chunkIDs(f File) ([]ID, error) {
	out := make([]ID, len(f.Chunks))
	for i, c := range f.Chunks {
		id, err := parseID(c)
		if err != nil {
			return nil, err
		}
		out[i] = id
	}
	return out, nil
}

// readSmall reassembles a small file (the document list, a key) in memory.
func readSmall(ctx context.Context, fe *fetcher, f File) ([]byte, error) {
	ids, err := chunkIDs(f)
	if err != nil {
		return nil, err
	}
	parts := map[ID][]byte{}
	if err := fe.fetch(ctx, ids, nil, func(id ID, data []byte) error {
		parts[id] = bytes.Clone(data)
		return nil
	}); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	for _, id := range ids {
		p, ok := parts[id]
		if !ok {
			return nil, fmt.Errorf("morceau %s introuvable", shortID(id.String()))
		}
		out.Write(p)
	}
	if sha256Hex(out.Bytes()) != f.SHA256 || int64(out.Len()) != f.Size {
		return nil, errors.New("contenu reconstitué différent de l'original")
	}
	return out.Bytes(), nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// readBlobList reads a backup's document list.
func readBlobList(ctx context.Context, fe *fetcher, m *Manifest) ([]blobRef, error) {
	b, err := readSmall(ctx, fe, m.Blobs)
	if err != nil {
		return nil, fmt.Errorf("liste des documents de la sauvegarde %s: %w", m.ID, err)
	}
	var out []blobRef
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		sum, size, ok := strings.Cut(sc.Text(), " ")
		id, err := parseID(sum)
		n, serr := strconv.ParseInt(size, 10, 64)
		if !ok || err != nil || serr != nil {
			return nil, fmt.Errorf("liste des documents de la sauvegarde %s: ligne illisible %q", m.ID, sc.Text())
		}
		out = append(out, blobRef{id, n})
	}
	return out, nil
}

// assemble writes a chunked file to path, fetching each pack once, and
// checks its SHA-256.
func assemble(ctx context.Context, fe *fetcher, f File, path string) error {
	ids, err := chunkIDs(f)
	if err != nil {
		return err
	}
	offsets := map[ID][]int64{}
	var off int64
	for _, id := range ids {
		loc, _, ok := fe.idx.lookup(id)
		if !ok {
			return &DamageError{File: indexDir + "/", Reason: "le morceau " + shortID(id.String()) + " n'est dans aucun index (fichier d'index supprimé?)"}
		}
		offsets[id] = append(offsets[id], off)
		off += int64(loc.rec.Raw)
	}
	out, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer out.Close()
	if err := fe.fetch(ctx, ids, nil, func(id ID, data []byte) error {
		for _, o := range offsets[id] {
			if _, err := out.WriteAt(data, o); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	if _, err := out.Seek(0, 0); err != nil {
		return err
	}
	h := sha256.New()
	n, err := out.WriteTo(h)
	if err != nil {
		return err
	}
	if n != f.Size || hex.EncodeToString(h.Sum(nil)) != f.SHA256 {
		return errors.New("contenu reconstitué différent de l'original")
	}
	// No fsync: the file is read back at once and thrown away.
	return nil
}

// checkManifest checks, without reading the documents, that everything a
// backup needs is indexed and present on the target with its size.
func checkManifest(ctx context.Context, fe *fetcher, m *Manifest, onTarget map[string]int64) []error {
	var errs []error
	var ids []ID
	add := func(f File, what string) {
		cs, err := chunkIDs(f)
		if err != nil {
			errs = append(errs, fmt.Errorf("sauvegarde %s: %s: %w", m.ID, what, err))
		}
		ids = append(ids, cs...)
	}
	add(m.DB, "base")
	add(m.Blobs, "liste des documents")
	for _, k := range m.Keys {
		add(k.File, k.Path)
	}
	refs, err := readBlobList(ctx, fe, m)
	if err != nil {
		return append(errs, err)
	}
	for _, b := range refs {
		cs, _, ok := fe.idx.blob(b.sum)
		if !ok {
			errs = append(errs, &DamageError{File: indexDir + "/", Reason: fmt.Sprintf("le document %s de la sauvegarde %s n'est dans aucun index", shortID(b.sum.String()), m.ID)})
			continue
		}
		ids = append(ids, cs...)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		_, p, ok := fe.idx.lookup(id)
		if !ok {
			errs = append(errs, &DamageError{File: indexDir + "/", Reason: fmt.Sprintf("le morceau %s de la sauvegarde %s n'est dans aucun index", shortID(id.String()), m.ID)})
			continue
		}
		if seen[p.name] {
			continue
		}
		seen[p.name] = true
		size, present := onTarget[p.name]
		switch {
		case !present:
			errs = append(errs, &DamageError{File: dataDir + "/" + p.name, Reason: "absent de la cible (sauvegarde " + m.ID + ")"})
		case size != p.size:
			errs = append(errs, &DamageError{File: dataDir + "/" + p.name, Reason: fmt.Sprintf("%d octets au lieu de %d (tronqué ou complété)", size, p.size)})
		}
	}
	return errs
}

// packSizes lists data/ once.
func packSizes(ctx context.Context, r *Repo) (map[string]int64, error) {
	files, err := r.t.List(ctx, dataDir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.t, err)
	}
	out := make(map[string]int64, len(files))
	for _, f := range files {
		out[f.Name] = f.Size
	}
	return out, nil
}

// checkDB restores a backup's database into a throw-away store and runs
// the history chain check on it: the proof that the backup restores.
func checkDB(ctx context.Context, fe *fetcher, m *Manifest, tempDir string) error {
	dir, err := os.MkdirTemp(tempDir, ".backup-verify-")
	if err != nil {
		return fmt.Errorf("dossier de vérification: %w", err)
	}
	defer os.RemoveAll(dir)
	stream := filepath.Join(dir, "snapshot.jsonl")
	if err := assemble(ctx, fe, m.DB, stream); err != nil {
		return fmt.Errorf("base de la sauvegarde %s: %w", m.ID, err)
	}
	st, err := store.Open(ctx, "", dir, store.Scratch())
	if err != nil {
		return err
	}
	defer st.Close()
	// Everything but the full-text index, which every real restore
	// rebuilds: three quarters of a load's time, and derived data.
	if err := loadStream(ctx, st, stream, st.LoadCheck); err != nil {
		return fmt.Errorf("base de la sauvegarde %s: %w", m.ID, err)
	}
	opt, err := historyOptions(ctx, fe, m)
	if err != nil {
		return err
	}
	return checkRestored(ctx, st, m, opt)
}

// historyOptions reads from the backup itself what the history check needs
// beyond the chain: the signing key derived from its secrets.key, and the
// entry from which its history is signed.
func historyOptions(ctx context.Context, fe *fetcher, m *Manifest) (appliance.VerifyOptions, error) {
	var opt appliance.VerifyOptions
	for _, k := range m.Keys {
		switch k.Path {
		case appliance.SecretKeyFile:
			b, err := readSmall(ctx, fe, k.File)
			if err != nil {
				return opt, fmt.Errorf("%s de la sauvegarde %s: %w", k.Path, m.ID, err)
			}
			box, err := appliance.NewSecretBox(b)
			if err != nil {
				return opt, err
			}
			if opt.Key, err = box.Derive(appliance.HistoryKeyLabel); err != nil {
				return opt, err
			}
		case appliance.SigningAnchorFile:
			b, err := readSmall(ctx, fe, k.File)
			if err != nil {
				return opt, fmt.Errorf("%s de la sauvegarde %s: %w", k.Path, m.ID, err)
			}
			if opt.SignedFrom, err = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err != nil {
				return opt, fmt.Errorf("%s de la sauvegarde %s: %w", k.Path, m.ID, err)
			}
		}
	}
	return opt, nil
}

func loadStream(ctx context.Context, st *store.Store, path string, load func(context.Context, io.Reader) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return load(ctx, bufio.NewReaderSize(f, 1<<20))
}

// checkRestored runs the history chain check on a restored store and
// compares its applied index with the backup's.
func checkRestored(ctx context.Context, st *store.Store, m *Manifest, opt appliance.VerifyOptions) error {
	res, err := appliance.VerifyHistory(ctx, st.Reader(), opt)
	if err != nil {
		return fmt.Errorf("historique de la sauvegarde %s: %w", m.ID, err)
	}
	if !res.OK() {
		return fmt.Errorf("historique de la sauvegarde %s altéré (entrée n° %d, courrier %q): %s", m.ID, res.BadSeq, res.BadLetter, res.Reason)
	}
	applied, err := st.AppliedIndex(ctx)
	if err != nil {
		return err
	}
	if applied != m.AppliedIndex {
		return fmt.Errorf("sauvegarde %s: index appliqué %d au lieu de %d", m.ID, applied, m.AppliedIndex)
	}
	return nil
}

// verifyWritten is, with the database's check that Run started beside
// the upload (checkDB), the check every backup passes before it is listed:
// everything it needs is indexed and on the target with its size. Every
// pack this run wrote was read back, decrypted and each chunk's hash
// checked right after it was stored (writer.readBack).
func verifyWritten(ctx context.Context, r *Repo, idx *Index, m *Manifest, opts Options) error {
	pm := newMeter(opts.Progress)
	pm.start("vérification", 0)
	defer pm.end()
	fe := &fetcher{r: r, idx: idx}
	onTarget, err := packSizes(ctx, r)
	if err != nil {
		return err
	}
	if errs := checkManifest(ctx, fe, m, onTarget); len(errs) > 0 {
		return errors.Join(errs...)
	}
	return nil
}

// VerifyOptions choose how deep Verify goes.
type VerifyOptions struct {
	// ReadData reads every pack back and checks every chunk, then
	// restores the database of the backup ID (the latest when empty) into
	// a throw-away store and checks its history.
	ReadData bool
	ID       string
}

// Report is what Verify found.
type Report struct {
	Backups int
	Packs   int
	Bytes   int64
	// Damaged names each missing or altered file.
	Damaged []error
}

// Verify checks a repository: every backup's manifest, the index files
// they rely on, and the presence and size of every pack they need; with
// ReadData, the content of every pack and a restore of a database.
func Verify(ctx context.Context, r *Repo, vo VerifyOptions, opts Options) (*Report, error) {
	rep := &Report{}
	if b, err := r.t.Get(ctx, markerFile); err != nil || string(b) != markerText {
		rep.Damaged = append(rep.Damaged, &DamageError{File: markerFile, Reason: "absent ou modifié (il doit rester tel que Missive l'a écrit)"})
	}
	ms, damaged, err := r.List(ctx)
	if err != nil {
		return nil, err
	}
	rep.Damaged = append(rep.Damaged, damaged...)
	rep.Backups = len(ms)
	idx := newIndex()
	files, err := r.t.List(ctx, indexDir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.t, err)
	}
	present := map[string]bool{}
	for _, f := range files {
		present[f.Name] = true
		if err := r.loadIndexFile(ctx, idx, f.Name); err != nil {
			var de *DamageError
			if !errors.As(err, &de) {
				return nil, err
			}
			rep.Damaged = append(rep.Damaged, err)
		}
	}
	missing := map[string][]string{}
	for _, m := range ms {
		for _, n := range m.Index {
			if !present[n] {
				missing[n] = append(missing[n], m.ID)
			}
		}
	}
	for n, ids := range missing {
		rep.Damaged = append(rep.Damaged, &DamageError{File: indexDir + "/" + n, Reason: "absent (nécessaire aux sauvegardes " + strings.Join(ids, ", ") + ")"})
	}
	onTarget, err := packSizes(ctx, r)
	if err != nil {
		return nil, err
	}
	fe := &fetcher{r: r, idx: idx, keepGoing: true}
	for _, m := range ms {
		rep.Damaged = append(rep.Damaged, checkManifest(ctx, fe, m, onTarget)...)
	}
	if vo.ReadData {
		if err := readData(ctx, fe, onTarget, ms, vo, opts, rep); err != nil {
			return nil, err
		}
	}
	rep.Damaged = append(rep.Damaged, fe.damaged...)
	sort.SliceStable(rep.Damaged, func(i, j int) bool { return rep.Damaged[i].Error() < rep.Damaged[j].Error() })
	rep.Damaged = dedupErrors(rep.Damaged)
	return rep, nil
}

// readData is Verify's ReadData part: every pack on the target is read
// through (the fetcher checks each one's content), then the database of
// the newest backup, or of vo.ID, is restored for a trial.
func readData(ctx context.Context, fe *fetcher, onTarget map[string]int64, ms []*Manifest, vo VerifyOptions, opts Options, rep *Report) error {
	pm := newMeter(opts.Progress)
	var names []string
	var total int64
	for _, p := range fe.idx.packs {
		if _, ok := onTarget[p.name]; ok {
			names = append(names, p.name)
			total += p.size
		}
	}
	pm.start("lecture des données", total)
	var read atomic.Int64
	fe.onPack = func(n int64) { pm.add(n); read.Add(n) }
	if err := fe.fetch(ctx, []ID{}, names, func(ID, []byte) error { return nil }); err != nil {
		return err
	}
	pm.end()
	rep.Packs, rep.Bytes = len(names), read.Load()
	if len(ms) > 0 {
		m := ms[len(ms)-1]
		if vo.ID != "" {
			var err error
			if m, err = fe.r.Find(ctx, vo.ID); err != nil {
				return err
			}
		}
		pm.start("restauration d'essai de la base", 0)
		fe.keepGoing = false
		if err := checkDB(ctx, fe, m, opts.TempDir); err != nil {
			rep.Damaged = append(rep.Damaged, err)
		}
		pm.end()
	}
	return nil
}

func dedupErrors(errs []error) []error {
	var out []error
	for i, e := range errs {
		if i > 0 && e.Error() == errs[i-1].Error() {
			continue
		}
		out = append(out, e)
	}
	return out
}
