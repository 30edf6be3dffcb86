package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"missive/appliance"
	"missive/appliance/blob"
	"missive/appliance/store"
)

// Source is the appliance being backed up: its store (SQLite or
// PostgreSQL), its documents and its data dir. When the server runs, the
// backup runs inside it with the server's own store; otherwise the CLI
// opens the data dir itself.
type Source struct {
	Store   *store.Store
	Blobs   *blob.Store
	DataDir string
	Node    string
	Version string
}

// Options of a run, a verify or a restore.
type Options struct {
	Log *slog.Logger
	// Progress receives the bytes done in each phase; nil: none.
	Progress func(Event)
	// TempDir holds the throw-away store of a verification (default: the
	// data dir, whose disk is sized for the database).
	TempDir string
}

// Event is a progress report.
type Event struct {
	Phase string `json:"phase"` // "base", "documents", "vérification", "restauration"…
	Done  int64  `json:"done"`
	Total int64  `json:"total"` // 0: unknown
	// Text is a line for the person watching ("12 documents envoyés").
	Text string `json:"text,omitempty"`
}

func (o *Options) log() *slog.Logger {
	if o.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Log
}

// keyPaths are the data dir's files a restore needs besides the database
// and the documents: the key that seals mailbox passwords, the cluster's
// certificate authority, the TLS certificates and the local CA.
// The history's signing anchor (the entry from which it is signed) lives
// beside secrets.key, outside the database, for the same reason.
var keyPaths = []string{appliance.SecretKeyFile, appliance.SigningAnchorFile, clusterKeys, "tls"}

// clusterKeys is the folder of the cluster's CA and node certificate: saved
// with the others, never restored (restoreKeys).
const clusterKeys = "cluster"

// Run makes one backup of src into r and verifies it; the manifest is
// written only once the backup is verified.
func Run(ctx context.Context, r *Repo, src Source, opts Options) (*Manifest, error) {
	start := time.Now()
	log := opts.log().With("target", r.t.String())
	unlock, err := r.lock(ctx, false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	idx, err := r.loadIndex(ctx)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	m := &Manifest{Format: manifestFormat, ID: newBackupID(start), Time: start.UTC(), Host: host, Node: src.Node, Version: src.Version,
		Schema: src.Store.SchemaVersion, Dialect: src.Store.Dialect()}
	pm := newMeter(opts.Progress)
	pm.start("base de données", 0)
	w := newWriter(ctx, r, idx, pm.add)
	// The database's check (a load into a throw-away store, the history
	// chain) runs beside the documents' upload, as soon as the database
	// and the keys are on the target.
	checkCtx, stopCheck := context.WithCancel(ctx)
	defer stopCheck()
	var dbCheck chan dbResult
	startCheck := func() {
		dbCheck = make(chan dbResult, 1)
		go func() {
			t := time.Now()
			err := checkDB(checkCtx, &fetcher{r: r, idx: idx}, m, tempDir(src, opts))
			dbCheck <- dbResult{err, time.Since(t)}
		}()
	}
	if err := writeBackup(ctx, w, src, m, pm, startCheck); err != nil {
		w.abort()
		stopCheck()
		if dbCheck != nil {
			<-dbCheck
		}
		return nil, err
	}
	if err := w.finish(); err != nil {
		stopCheck()
		<-dbCheck
		return nil, err
	}
	m.Index = append([]string(nil), idx.files...)
	m.Sent, m.Added = w.sent.Load(), w.added.Load()
	log.Info("backup written", "backup", m.ID, "applied_index", m.AppliedIndex, "size", m.Size, "sent", m.Sent, "packs", len(w.written))
	verifyStart := time.Now()
	err = verifyWritten(ctx, r, idx, m, opts)
	res := <-dbCheck
	if err == nil {
		err = res.err
	}
	if err != nil {
		return nil, fmt.Errorf("vérification de la sauvegarde %s: %w", m.ID, err)
	}
	m.Verified, m.VerifiedAt = true, time.Now().UTC()
	// The checks' own time: the database's ran beside the upload.
	m.VerifySeconds = (time.Since(verifyStart) + res.took).Seconds()
	m.Duration = time.Since(start).Seconds()
	if err := r.saveManifest(ctx, m); err != nil {
		return nil, err
	}
	log.Info("backup verified", "backup", m.ID, "duration", time.Since(start).Round(time.Millisecond))
	return m, nil
}

type dbResult struct {
	err  error
	took time.Duration
}

// tempDir holds a verification's throw-away store: the data dir's disk is
// sized for the database.
func tempDir(src Source, opts Options) string {
	if opts.TempDir != "" {
		return opts.TempDir
	}
	return src.DataDir
}

// writeBackup stores the database stream and the keys, calls dbStored once
// they are on the target, then stores the documents and their list.
func writeBackup(ctx context.Context, w *writer, src Source, m *Manifest, pm *meter, dbStored func()) error {
	sn, err := src.Store.BeginSnapshot(ctx)
	if err != nil {
		return err
	}
	defer sn.Release()
	if m.AppliedIndex, err = sn.AppliedIndex(); err != nil {
		return fmt.Errorf("read the applied index: %w", err)
	}
	if m.DB, err = w.storeStream("meta", sn.Stream); err != nil {
		return fmt.Errorf("sauvegarde de la base: %w", err)
	}
	// The documents referenced at this index: they never change nor go
	// away once written, so reading them after the snapshot is safe.
	var sums []string
	if err := sn.BlobRefs(func(sum string) error { sums = append(sums, sum); return nil }); err != nil {
		return err
	}
	sn.Release()
	if m.Keys, err = storeKeys(w, src.DataDir); err != nil {
		return err
	}
	if err := w.flush("meta"); err != nil {
		return err
	}
	dbStored()
	var list bytes.Buffer
	var toRead int64
	type pending struct {
		sum  string
		size int64
	}
	var missing []pending
	for _, sum := range sums {
		id, err := parseID(sum)
		if err != nil {
			return fmt.Errorf("document %q: empreinte invalide dans la base", sum)
		}
		if _, size, ok := w.idx.blob(id); ok {
			fmt.Fprintf(&list, "%s %d\n", sum, size)
			m.BlobBytes += size
			continue
		}
		f, err := src.Blobs.Open(sum)
		if err != nil {
			return fmt.Errorf("document %s absent de ce serveur: %w", sum, err)
		}
		st, err := f.Stat()
		f.Close()
		if err != nil {
			return err
		}
		missing = append(missing, pending{sum, st.Size()})
		toRead += st.Size()
	}
	pm.end()
	pm.start("documents", toRead)
	for _, p := range missing {
		size, err := storeBlob(w, src.Blobs, p.sum)
		if err != nil {
			return err
		}
		fmt.Fprintf(&list, "%s %d\n", p.sum, size)
		m.BlobBytes += size
	}
	m.BlobCount = len(sums)
	pm.end()
	pm.start("liste et clés", 0)
	if m.Blobs, _, err = w.store("meta", &list); err != nil {
		return err
	}
	m.Size = m.DB.Size + m.BlobBytes + m.Blobs.Size
	for _, k := range m.Keys {
		m.Size += k.Size
	}
	pm.end()
	return nil
}

// storeBlob stores one document, checking on the way that the file still
// has the hash it is named by: a document damaged on this server must
// fail the backup, not be saved damaged.
func storeBlob(w *writer, blobs *blob.Store, sum string) (int64, error) {
	f, err := blobs.Open(sum)
	if err != nil {
		return 0, fmt.Errorf("document %s absent de ce serveur: %w", sum, err)
	}
	defer f.Close()
	file, ids, err := w.store("data", f)
	if err != nil {
		return 0, fmt.Errorf("document %s: %w", sum, err)
	}
	if file.SHA256 != sum {
		return 0, fmt.Errorf("document %s altéré sur ce serveur (son contenu a l'empreinte %s): sauvegarde refusée", sum, file.SHA256)
	}
	if len(ids) != 1 || ids[0].String() != sum {
		id, _ := parseID(sum)
		w.addBlob(id, file.Size, ids)
	}
	return file.Size, nil
}

// storeKeys stores the data dir's key files that exist (secrets.key, the
// signing anchor, the cluster's and TLS's folders).
func storeKeys(w *writer, dataDir string) ([]KeyFile, error) {
	var out []KeyFile
	for _, p := range keyPaths {
		root := filepath.Join(dataDir, p)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) && path == root {
					return nil
				}
				return err
			}
			if !d.Type().IsRegular() || strings.HasSuffix(d.Name(), ".lock") {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(dataDir, path)
			if err != nil {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			file, _, err := w.store("meta", bytes.NewReader(b))
			if err != nil {
				return err
			}
			out = append(out, KeyFile{Path: filepath.ToSlash(rel), Mode: uint32(info.Mode().Perm()), File: file})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("sauvegarde des clés (%s): %w", p, err)
		}
	}
	return out, nil
}

// FormatBytes writes a size for people: 1,5 Go, 320 Mo, 12 ko.
func FormatBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return strconv.FormatInt(n, 10) + " o"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := strconv.FormatFloat(float64(n)/float64(div), 'f', 1, 64)
	return strings.Replace(v, ".", ",", 1) + " " + []string{"ko", "Mo", "Go", "To", "Po"}[exp]
}
