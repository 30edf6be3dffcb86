package blob

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Sync makes every imported blob durable: one syncfs of the blobs'
// filesystem instead of one fsync per file.
func (s *Store) Sync() error {
	d, err := os.Open(s.dir)
	if err != nil {
		return fmt.Errorf("sync documents: %w", err)
	}
	defer d.Close()
	if err := unix.Syncfs(int(d.Fd())); err != nil {
		return fmt.Errorf("sync documents: %w", err)
	}
	return nil
}
