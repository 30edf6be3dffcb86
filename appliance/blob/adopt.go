package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// Adopt moves f, a file already holding a document on the data
// directory's file system (an SMTP message spooled as it arrived), into
// the store under sum, the SHA-256 its writer computed while writing it:
// the document is synced and renamed, never copied again. A blob already
// stored under sum leaves f where it is. Where f cannot be renamed into
// the store (another file system), it is copied and its hash checked. In
// a cluster Adopt returns, like Put, once the blob is on a majority of the
// voters. The caller still closes f (and removes it if it is still there).
func (s *Store) Adopt(f *os.File, sum string, limit int64) (size int64, err error) {
	if !ValidHash(sum) {
		return 0, fmt.Errorf("store document: empreinte %q invalide", sum)
	}
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("store document: %w", err)
	}
	size = st.Size()
	if limit > 0 && size > limit {
		return 0, fmt.Errorf("%w: plus de %d octets", ErrTooLarge, limit)
	}
	if err := s.adopt(f, sum, size, limit); err != nil {
		return 0, err
	}
	if p := s.peers(); p != nil {
		ctx, cancel := context.WithTimeout(context.Background(), SpreadTimeout)
		defer cancel()
		if err := p.Spread(ctx, sum); err != nil {
			return 0, fmt.Errorf("store document %s on the other nodes: %w", sum[:12], err)
		}
	}
	return size, nil
}

func (s *Store) adopt(f *os.File, sum string, size, limit int64) error {
	final := s.path(sum)
	if _, err := os.Stat(final); err == nil {
		return nil
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("store document: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o750); err != nil {
		return fmt.Errorf("store document: %w", err)
	}
	if err := f.Chmod(0o440); err != nil {
		return fmt.Errorf("store document: %w", err)
	}
	err := os.Rename(f.Name(), final)
	if errors.Is(err, syscall.EXDEV) {
		_, _, err = s.put(io.NewSectionReader(f, 0, size), limit, true, sum)
	}
	if err != nil {
		return fmt.Errorf("store document: %w", err)
	}
	return nil
}
