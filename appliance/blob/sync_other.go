//go:build !linux

package blob

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Sync makes every imported blob durable, file by file where the system
// has no syncfs.
func (s *Store) Sync() error {
	return filepath.WalkDir(s.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("sync documents: %w", err)
		}
		defer f.Close()
		f.Sync() // directories may refuse; the files are what matters
		return nil
	})
}
