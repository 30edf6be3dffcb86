package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Manifest is one backup: the database's logical snapshot at one applied
// index, the list of the documents it references, and the data dir's keys.
// It is written last, once everything it names is stored and verified:
// a manifest on the target is a complete, verified backup.
type Manifest struct {
	Format       int       `json:"format"`
	ID           string    `json:"id"`
	Time         time.Time `json:"time"`
	AppliedIndex uint64    `json:"applied_index"`
	Schema       int       `json:"schema"`
	Dialect      string    `json:"dialect"`
	Host         string    `json:"host"`
	Node         string    `json:"node"`
	Version      string    `json:"version"`
	// DB is the logical snapshot stream (store.Stream).
	DB File `json:"db"`
	// Blobs lists the documents: one "sha256 size" line each, oldest first.
	Blobs     File  `json:"blobs"`
	BlobCount int   `json:"blob_count"`
	BlobBytes int64 `json:"blob_bytes"`
	// Keys are secrets.key and the cluster's and TLS's files: a restore
	// needs them to open mailbox passwords and to keep its certificates.
	Keys []KeyFile `json:"keys"`
	// Index lists the index files this backup relies on, so that verify
	// names one that went missing.
	Index []string `json:"index"`
	// Size is what the backup holds; Added what of it the target did not
	// have yet; Sent what its run wrote to the target (compressed, sealed).
	Size     int64   `json:"size"`
	Added    int64   `json:"added"`
	Sent     int64   `json:"sent"`
	Duration float64 `json:"duration_seconds"`
	// VerifySeconds is the part of Duration spent verifying.
	VerifySeconds float64   `json:"verify_seconds"`
	Verified      bool      `json:"verified"`
	VerifiedAt    time.Time `json:"verified_at"`
}

const manifestFormat = 1

// File is a stream cut into chunks.
type File struct {
	Size   int64    `json:"size"`
	SHA256 string   `json:"sha256"`
	Chunks []string `json:"chunks"`
}

// KeyFile is a file of the data dir kept in the backup.
type KeyFile struct {
	Path string `json:"path"` // slash-separated, relative to the data dir
	Mode uint32 `json:"mode"`
	File
}

func newBackupID(t time.Time) string {
	return t.UTC().Format("20060102-150405") + "-" + randomHex(2)
}

// saveManifest writes a manifest and reads it back.
func (r *Repo) saveManifest(ctx context.Context, m *Manifest) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	name := snapshotsDir + "/" + m.ID
	if err := r.put(ctx, name, b); err != nil {
		return err
	}
	back, err := r.loadManifest(ctx, m.ID)
	if err != nil {
		return fmt.Errorf("relecture du résumé de la sauvegarde: %w", err)
	}
	if back.ID != m.ID || back.DB.SHA256 != m.DB.SHA256 {
		return &DamageError{File: name, Reason: "relu différent de ce qui a été écrit"}
	}
	return nil
}

func (r *Repo) loadManifest(ctx context.Context, id string) (*Manifest, error) {
	if !validBackupID(id) {
		return nil, fmt.Errorf("identifiant de sauvegarde invalide %q (voir missive backup list)", id)
	}
	b, err := r.get(ctx, snapshotsDir+"/"+id)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, &DamageError{File: snapshotsDir + "/" + id, Reason: "illisible: " + err.Error()}
	}
	if m.Format > manifestFormat {
		return nil, fmt.Errorf("sauvegarde %s au format %d, plus récent que ce Missive: mettez Missive à jour", id, m.Format)
	}
	if m.ID != id {
		return nil, &DamageError{File: snapshotsDir + "/" + id, Reason: "son contenu est celui de la sauvegarde " + m.ID}
	}
	return &m, nil
}

func validBackupID(id string) bool {
	if len(id) < 10 || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r == '-' || r == 'T' || r == 'Z') {
			return false
		}
	}
	return true
}

// List returns the repository's backups, oldest first. A manifest that
// cannot be read is reported in damaged, not hidden.
func (r *Repo) List(ctx context.Context) (ms []*Manifest, damaged []error, err error) {
	files, err := r.t.List(ctx, snapshotsDir)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", r.t, err)
	}
	for _, f := range files {
		m, err := r.loadManifest(ctx, f.Name)
		var de *DamageError
		if errors.As(err, &de) {
			damaged = append(damaged, err)
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		ms = append(ms, m)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Time.Before(ms[j].Time) })
	return ms, damaged, nil
}

// Find returns the backup id, or the latest one when id is "". A prefix of
// an id is enough when it names one backup.
func (r *Repo) Find(ctx context.Context, id string) (*Manifest, error) {
	ms, damaged, err := r.List(ctx)
	if err != nil {
		return nil, err
	}
	if id == "" {
		if len(ms) == 0 {
			if len(damaged) > 0 {
				return nil, fmt.Errorf("%s: aucune sauvegarde lisible: %w", r.t, errors.Join(damaged...))
			}
			return nil, fmt.Errorf("%s: aucune sauvegarde terminée", r.t)
		}
		return ms[len(ms)-1], nil
	}
	var found []*Manifest
	for _, m := range ms {
		if m.ID == id {
			return m, nil
		}
		if strings.HasPrefix(m.ID, id) {
			found = append(found, m)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, fmt.Errorf("%s: aucune sauvegarde %q (voir missive backup list)", r.t, id)
	}
	return nil, fmt.Errorf("%s: %q désigne %d sauvegardes: donnez l'identifiant entier", r.t, id, len(found))
}
