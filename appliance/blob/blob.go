// Package blob owns the content-addressed store of documents: scans,
// original e-mails, attachments and every version of a reply draft, each an
// immutable file named by its SHA-256 under DATA/blobs.
package blob

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ErrTooLarge is returned when content exceeds the limit; nothing is kept.
var ErrTooLarge = errors.New("document trop volumineux")

// ErrNotFound means no blob has this hash on this node.
var ErrNotFound = errors.New("document introuvable")

type Store struct{ dir string }

// Open prepares DIR/blobs.
func Open(dataDir string) (*Store, error) {
	dir := filepath.Join(dataDir, "blobs")
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o750); err != nil {
		return nil, fmt.Errorf("create blob dir: %w", err)
	}
	return &Store{dir: dir}, nil
}

// ValidHash says whether s is a lowercase hex SHA-256.
func ValidHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && s == fmtLower(s)
}

func fmtLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'F' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func (s *Store) path(sum string) string {
	return filepath.Join(s.dir, sum[:2], sum)
}

// Put stores r, refusing it once more than limit bytes have been read
// (limit <= 0: no limit). The content is written to a temporary file, synced,
// then renamed to its hash: a crash leaves a complete blob or none.
func (s *Store) Put(r io.Reader, limit int64) (sum string, size int64, err error) {
	return s.put(r, limit, true)
}

// Import is Put for many blobs in a row (a restore): the files are not
// synced one by one, which would be most of a restore's time; call Sync
// once they are all in.
func (s *Store) Import(r io.Reader) (sum string, size int64, err error) {
	return s.put(r, 0, false)
}

func (s *Store) put(r io.Reader, limit int64, sync bool) (sum string, size int64, err error) {
	f, err := os.CreateTemp(filepath.Join(s.dir, "tmp"), "put-*")
	if err != nil {
		return "", 0, fmt.Errorf("store document: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	h := sha256.New()
	src := r
	if limit > 0 {
		src = io.LimitReader(r, limit+1)
	}
	size, err = io.Copy(io.MultiWriter(f, h), src)
	if err != nil {
		return "", 0, fmt.Errorf("store document: %w", err)
	}
	if limit > 0 && size > limit {
		return "", 0, fmt.Errorf("%w: plus de %d octets", ErrTooLarge, limit)
	}
	if sync {
		if err = f.Sync(); err != nil {
			return "", 0, fmt.Errorf("store document: %w", err)
		}
	}
	if err = f.Close(); err != nil {
		return "", 0, fmt.Errorf("store document: %w", err)
	}
	sum = hex.EncodeToString(h.Sum(nil))
	final := s.path(sum)
	if _, statErr := os.Stat(final); statErr == nil {
		os.Remove(tmp)
		return sum, size, nil
	}
	if err = os.MkdirAll(filepath.Dir(final), 0o750); err != nil {
		return "", 0, fmt.Errorf("store document: %w", err)
	}
	if err = os.Chmod(tmp, 0o440); err != nil {
		return "", 0, err
	}
	if err = os.Rename(tmp, final); err != nil {
		return "", 0, fmt.Errorf("store document: %w", err)
	}
	return sum, size, nil
}

// Open opens a blob for reading.
func (s *Store) Open(sum string) (*os.File, error) {
	if !ValidHash(sum) {
		return nil, fmt.Errorf("%w: empreinte %q invalide", ErrNotFound, sum)
	}
	f, err := os.Open(s.path(sum))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, sum)
	}
	return f, err
}

// Has says whether the blob is present on this node.
func (s *Store) Has(sum string) bool {
	if !ValidHash(sum) {
		return false
	}
	_, err := os.Stat(s.path(sum))
	return err == nil
}
