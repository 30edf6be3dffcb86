// Package blob owns the content-addressed store of documents: scans,
// original e-mails, attachments and every version of a reply draft, each an
// immutable file named by its SHA-256 under DATA/blobs.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// ErrTooLarge is returned when content exceeds the limit; nothing is kept.
var ErrTooLarge = errors.New("document trop volumineux")

// ErrNotFound means no blob has this hash on this node.
var ErrNotFound = errors.New("document introuvable")

// ErrCorrupt means a blob's content no longer matches its name.
var ErrCorrupt = errors.New("document altéré: son contenu ne correspond plus à son empreinte")

// Replica is the rest of the cluster, seen from one node's blob store
// (cluster.Node implements it). Nil on a node without a cluster port.
type Replica interface {
	// Spread returns once the blob is on a majority of the voters, so
	// that a command referencing it may be proposed: whichever node
	// leads later has it, or can fetch it.
	Spread(ctx context.Context, sum string) error
	// Fetch gets a blob this node lacks from a peer, checks its hash and
	// stores it.
	Fetch(ctx context.Context, sum string) error
}

// SpreadTimeout bounds how long Put waits for the cluster.
const SpreadTimeout = 2 * time.Minute

type Store struct {
	dir     string
	replica atomic.Pointer[Replica]
}

// SetReplica makes Put spread every blob before it returns and Open fetch
// a missing one (cluster.Node, once it runs).
func (s *Store) SetReplica(r Replica) { s.replica.Store(&r) }

func (s *Store) peers() Replica {
	if p := s.replica.Load(); p != nil {
		return *p
	}
	return nil
}

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
// then renamed to its hash: a crash leaves a complete blob or none. In a
// cluster Put returns once the blob is on a majority of the voters (every
// command referencing a blob is proposed after the Put that made it), and
// fails if it cannot be: the caller proposes nothing.
func (s *Store) Put(r io.Reader, limit int64) (sum string, size int64, err error) {
	sum, size, err = s.put(r, limit, true, "")
	if err != nil {
		return "", 0, err
	}
	if p := s.peers(); p != nil {
		ctx, cancel := context.WithTimeout(context.Background(), SpreadTimeout)
		defer cancel()
		if err := p.Spread(ctx, sum); err != nil {
			return "", 0, fmt.Errorf("store document %s on the other nodes: %w", sum[:12], err)
		}
	}
	return sum, size, nil
}

// Receive stores a blob another node sent, refusing it unless its content
// hashes to want. It is not spread again.
func (s *Store) Receive(r io.Reader, want string) error {
	if !ValidHash(want) {
		return fmt.Errorf("%w: empreinte %q invalide", ErrNotFound, want)
	}
	_, _, err := s.put(r, 0, true, want)
	return err
}

// Import is Put for many blobs in a row (a restore): the files are not
// synced one by one, which would be most of a restore's time; call Sync
// once they are all in.
func (s *Store) Import(r io.Reader) (sum string, size int64, err error) {
	return s.put(r, 0, false, "")
}

// put writes r under its hash; with want, only if the hash is want.
func (s *Store) put(r io.Reader, limit int64, sync bool, want string) (sum string, size int64, err error) {
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
	sum = hex.EncodeToString(h.Sum(nil))
	if want != "" && sum != want {
		return "", 0, fmt.Errorf("%w: reçu %s au lieu de %s", ErrCorrupt, sum, want)
	}
	if sync {
		if err = f.Sync(); err != nil {
			return "", 0, fmt.Errorf("store document: %w", err)
		}
	}
	if err = f.Close(); err != nil {
		return "", 0, fmt.Errorf("store document: %w", err)
	}
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

// Open opens a blob for reading. In a cluster, a blob this node lacks (it
// was down or cut off when the blob was spread) is fetched from a peer
// first, its hash checked.
func (s *Store) Open(sum string) (*os.File, error) {
	if !ValidHash(sum) {
		return nil, fmt.Errorf("%w: empreinte %q invalide", ErrNotFound, sum)
	}
	f, err := os.Open(s.path(sum))
	if errors.Is(err, os.ErrNotExist) {
		if p := s.peers(); p != nil {
			ctx, cancel := context.WithTimeout(context.Background(), SpreadTimeout)
			defer cancel()
			if ferr := p.Fetch(ctx, sum); ferr != nil {
				return nil, fmt.Errorf("%w: %s (%v)", ErrNotFound, sum, ferr)
			}
			return os.Open(s.path(sum))
		}
		return nil, fmt.Errorf("%w: %s", ErrNotFound, sum)
	}
	return f, err
}

// OpenLocal opens a blob of this node, never fetching it: what a peer
// asks for, and what a check reads.
func (s *Store) OpenLocal(sum string) (*os.File, error) {
	if !ValidHash(sum) {
		return nil, fmt.Errorf("%w: empreinte %q invalide", ErrNotFound, sum)
	}
	f, err := os.Open(s.path(sum))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, sum)
	}
	return f, err
}

// Verify reads a blob of this node and checks that it hashes to its
// name: ErrNotFound if absent, ErrCorrupt if altered.
func (s *Store) Verify(sum string) error {
	f, err := s.OpenLocal(sum)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("read document %s: %w", sum, err)
	}
	if hex.EncodeToString(h.Sum(nil)) != sum {
		return fmt.Errorf("%w: %s", ErrCorrupt, sum)
	}
	return nil
}

// Quarantine moves an altered blob aside (DATA/blobs/corrupt), so that
// the good copy can be fetched again under its name.
func (s *Store) Quarantine(sum string) error {
	if !ValidHash(sum) {
		return fmt.Errorf("%w: empreinte %q invalide", ErrNotFound, sum)
	}
	dir := filepath.Join(s.dir, "corrupt")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("quarantine document %s: %w", sum, err)
	}
	if err := os.Rename(s.path(sum), filepath.Join(dir, sum+"."+time.Now().UTC().Format("20060102T150405"))); err != nil {
		return fmt.Errorf("quarantine document %s: %w", sum, err)
	}
	return nil
}

// Has says whether the blob is present on this node.
func (s *Store) Has(sum string) bool {
	if !ValidHash(sum) {
		return false
	}
	_, err := os.Stat(s.path(sum))
	return err == nil
}
